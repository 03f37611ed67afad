"""Renders the README's emotion sheet: the 28 built-in emotion presets on one sample character.

    python Scripts/make_emotion_sheet.py [--bin .build/release/talking-head] [--out docs/emotions.png]
                                         [--emotions FILE] [--image PNG]

Needs the converted weights (make weights), the built command line (it renders the presets with
`talking-head emotions --render`), and Pillow (the reference virtualenv of `make reference` has
it). The character is Weights/samples/lambda_00.png by garun, copyright Pramook Khungurn,
CC BY-NC 4.0 (see Weights/samples/README.md); the sheet is a derivative under the same license.
"""
import argparse
import os
import subprocess
import tempfile

from PIL import Image, ImageDraw


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build/release/talking-head")
    ap.add_argument("--weights", default="Weights")
    ap.add_argument("--image", help="the character (default: WEIGHTS/samples/lambda_00.png)")
    ap.add_argument("--emotions", help="a presets file of one's own (default: the built-in ones)")
    ap.add_argument("--out", default="docs/emotions.png")
    ap.add_argument("--size", type=int, default=180, help="tile side in pixels")
    ap.add_argument("--columns", type=int, default=7)
    ap.add_argument("--crop", default="156,40,356,240", help="left,top,right,bottom of each 512x512 frame (the face of lambda_00)")
    a = ap.parse_args()
    image = a.image or os.path.join(a.weights, "samples", "lambda_00.png")
    crop = tuple(int(v) for v in a.crop.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [a.bin, "emotions", "--render", tmp, "--image", image, "--weights", a.weights]
        if a.emotions:
            cmd += ["--emotions", a.emotions]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        names = sorted(f[:-4] for f in os.listdir(tmp) if f.endswith(".png"))
        tiles = [(n, Image.open(os.path.join(tmp, n + ".png")).convert("RGBA").crop(crop)) for n in names]
    s, pad, text = a.size, 6, 16
    cols = a.columns
    rows = (len(tiles) + cols - 1) // cols
    sheet = Image.new("RGBA", (cols * (s + pad) + pad, rows * (s + pad + text) + pad), (236, 240, 245, 255))
    draw = ImageDraw.Draw(sheet)
    for i, (label, tile) in enumerate(tiles):
        x = pad + (i % cols) * (s + pad)
        y = pad + (i // cols) * (s + pad + text)
        sheet.alpha_composite(tile.resize((s, s), Image.LANCZOS), (x, y))
        draw.text((x + 4, y + s + 2), label, fill=(60, 60, 70, 255))
    # 256 colours (median cut, no dither) keep the faces and a third of the bytes.
    sheet.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(a.out, optimize=True)
    print("wrote %s (%d emotions)" % (a.out, len(tiles)))


if __name__ == "__main__":
    main()
