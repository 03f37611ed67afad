"""Renders the README's contact sheet: one sample character in six poses, side by side.

    python Scripts/make_contact_sheet.py [--bin .build/release/talking-head] [--out docs/contact-sheet.png]

Needs the converted weights (make weights), the built command line, and Pillow (the reference
virtualenv of `make reference` has it). The character is Weights/samples/lambda_00.png by garun,
copyright Pramook Khungurn, CC BY-NC 4.0 (see Weights/samples/README.md); the sheet is a
derivative under the same license.
"""
import argparse
import os
import subprocess
import tempfile

from PIL import Image, ImageDraw

POSES = [
    ("neutral", []),
    ("head turned", ["head_y=0.8", "neck_z=0.3"]),
    ("aaa + happy", ["mouth_aaa=1", "eye_happy_wink_left=1", "eye_happy_wink_right=1", "eyebrow_happy_left=1", "eyebrow_happy_right=1"]),
    ("wink", ["eye_wink_right=1", "mouth_iii=0.6", "head_x=-0.3"]),
    ("surprised", ["eye_surprised_left=1", "eye_surprised_right=1", "eyebrow_raised_left=1", "eyebrow_raised_right=1", "mouth_ooo=1", "iris_small_left=0.6", "iris_small_right=0.6"]),
    ("body turned", ["body_y=0.8", "body_z=-0.5", "head_y=-0.5"]),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build/release/talking-head")
    ap.add_argument("--weights", default="Weights")
    ap.add_argument("--image", default="Weights/samples/lambda_00.png")
    ap.add_argument("--out", default="docs/contact-sheet.png")
    ap.add_argument("--size", type=int, default=192)
    a = ap.parse_args()
    tiles = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, (label, settings) in enumerate(POSES):
            out = os.path.join(tmp, "%d.png" % k)
            cmd = [a.bin, "pose", a.image, "-o", out, "--weights", a.weights]
            for s in settings:
                cmd += ["--set", s]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            tiles.append((label, Image.open(out).convert("RGBA").crop((64, 0, 448, 384))))
    s, pad, text = a.size, 8, 18
    sheet = Image.new("RGBA", (len(tiles) * (s + pad) + pad, s + 2 * pad + text), (236, 240, 245, 255))
    draw = ImageDraw.Draw(sheet)
    for i, (label, tile) in enumerate(tiles):
        x = pad + i * (s + pad)
        sheet.alpha_composite(tile.resize((s, s), Image.LANCZOS), (x, pad))
        draw.text((x + 4, s + pad + 3), label, fill=(60, 60, 70, 255))
    sheet.convert("RGB").save(a.out, optimize=True)
    print("wrote %s (%dx%d)" % (a.out, sheet.width, sheet.height))


if __name__ == "__main__":
    main()
