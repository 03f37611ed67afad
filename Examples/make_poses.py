#!/usr/bin/env python3
"""Generates the sample pose CSVs in Examples/poses/ (standard library only).

    python3 Examples/make_poses.py            # rewrites Examples/poses/*.csv

Each CSV has a `frame` column (ignored by `talking-head animate`) and only the parameters it
moves; the others are 0. Frame rate: 25 per second. The curves are deterministic (seeded).
"""
import math
import os
import random

FPS = 25
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "poses")


def smooth(t):
    """0 -> 1 ease in/out on [0, 1]."""
    t = min(max(t, 0.0), 1.0)
    return t * t * (3 - 2 * t)


def blink(t, start, duration=0.24):
    """Eyelid closure of a natural blink starting at `start` seconds: fast close, slower open."""
    u = (t - start) / duration
    if u < 0 or u > 1:
        return 0.0
    return smooth(u / 0.35) if u < 0.35 else 1.0 - smooth((u - 0.35) / 0.65)


def write(name, columns, rows):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        f.write(",".join(["frame"] + columns) + "\n")
        for i, row in enumerate(rows):
            f.write(",".join([str(i)] + ["%.4f" % row[c] for c in columns]) + "\n")
    print("wrote %s (%d frames)" % (path, len(rows)))


def idle(seconds=6.0):
    """Breathing, natural blinks at irregular intervals, a slight sway of head and body."""
    rng = random.Random(7)
    blinks, t = [], 0.8
    while t < seconds - 0.3:
        blinks.append(t)
        t += rng.uniform(1.6, 3.2)
    rows = []
    for i in range(int(seconds * FPS)):
        t = i / FPS
        closure = max([blink(t, b) for b in blinks] + [0.0])
        rows.append({
            "breathing": 0.5 - 0.5 * math.cos(2 * math.pi * t / 3.0),
            "eye_wink_left": closure,
            "eye_wink_right": closure,
            "head_x": 0.06 * math.sin(2 * math.pi * t / 5.0),
            "head_y": 0.10 * math.sin(2 * math.pi * t / 6.0 + 1.0),
            "neck_z": 0.05 * math.sin(2 * math.pi * t / 6.0),
            "body_y": 0.06 * math.sin(2 * math.pi * t / 6.0 + 0.5),
            "body_z": 0.03 * math.sin(2 * math.pi * t / 7.0),
        })
    write("idle.csv", ["breathing", "eye_wink_left", "eye_wink_right", "head_x", "head_y",
                       "neck_z", "body_y", "body_z"], rows)


def nod_shake():
    """Two nods (head_x), a pause, then a head shake (head_y), easing in and out."""
    rows = []
    total = int(4.0 * FPS)
    for i in range(total):
        t = i / FPS
        x = y = 0.0
        if t < 1.6:
            x = 0.6 * math.sin(2 * math.pi * t / 0.8) * smooth(t / 0.2) * smooth((1.6 - t) / 0.2)
        elif 2.0 <= t < 3.8:
            u = t - 2.0
            y = 0.7 * math.sin(2 * math.pi * u / 0.6) * smooth(u / 0.2) * smooth((1.8 - u) / 0.2)
        rows.append({"head_x": x, "head_y": y, "breathing": 0.5 - 0.5 * math.cos(2 * math.pi * t / 3.0)})
    write("nod_shake.csv", ["head_x", "head_y", "breathing"], rows)


def talking():
    """Mouth shapes cycling through the vowels a, i, u, e, o with a closed mouth between words."""
    vowels = ["mouth_aaa", "mouth_iii", "mouth_uuu", "mouth_eee", "mouth_ooo"]
    rng = random.Random(11)
    syllables = [rng.choice(vowels) for _ in range(24)]
    rows = []
    per = 0.16  # seconds per syllable
    total = int((len(syllables) * per + 0.5) * FPS)
    for i in range(total):
        t = i / FPS
        k = int(t / per)
        row = {v: 0.0 for v in vowels}
        if k < len(syllables) and k % 6 != 5:  # every sixth syllable is a pause
            u = (t - k * per) / per
            row[syllables[k]] = math.sin(math.pi * u) ** 0.7
        row["head_x"] = 0.05 * math.sin(2 * math.pi * t / 2.5)
        row["head_y"] = 0.08 * math.sin(2 * math.pi * t / 3.5)
        rows.append(row)
    write("talking.csv", vowels + ["head_x", "head_y"], rows)


def expressions():
    """Happy, angry, troubled, surprised and a wink, each faded in, held and faded out."""
    tour = [
        ("happy", {"eyebrow_happy_left": 1, "eyebrow_happy_right": 1, "eye_happy_wink_left": 1,
                   "eye_happy_wink_right": 1, "mouth_aaa": 0.6, "mouth_raised_corner_left": 1,
                   "mouth_raised_corner_right": 1}),
        ("angry", {"eyebrow_angry_left": 1, "eyebrow_angry_right": 1, "eye_unimpressed_left": 0.5,
                   "eye_unimpressed_right": 0.5, "mouth_lowered_corner_left": 1,
                   "mouth_lowered_corner_right": 1}),
        ("troubled", {"eyebrow_troubled_left": 1, "eyebrow_troubled_right": 1, "eye_relaxed_left": 0.4,
                      "eye_relaxed_right": 0.4, "mouth_delta": 0.5}),
        ("surprised", {"eyebrow_raised_left": 1, "eyebrow_raised_right": 1, "eye_surprised_left": 1,
                       "eye_surprised_right": 1, "iris_small_left": 0.6, "iris_small_right": 0.6,
                       "mouth_ooo": 1}),
        ("wink", {"eye_wink_right": 1, "mouth_smirk": 1, "eyebrow_raised_left": 0.5, "head_y": -0.2,
                  "neck_z": 0.2}),
    ]
    columns = sorted({k for _, p in tour for k in p})
    rows = []
    seg = int(1.6 * FPS)
    for _, pose in tour:
        for j in range(seg):
            u = j / (seg - 1)
            w = smooth(u / 0.3) * smooth((1 - u) / 0.3)
            rows.append({c: w * pose.get(c, 0.0) for c in columns})
    write("expressions.csv", columns, rows)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    idle()
    nod_shake()
    talking()
    expressions()
