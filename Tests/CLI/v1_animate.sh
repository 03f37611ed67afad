#!/usr/bin/env bash
# THA v1 through the command line, unchanged: the committed random-weight v1 checkpoints
# (Tests/Fixtures/tha1, legacy pre-1.6 format) are converted with Weights/convert.py, and
# `talking-head animate` renders a sample pose CSV with --weights pointing at that folder. The
# frames must be 256x256 RGBA and differ from each other (rows 0, 28, 58 of the nod: head_x 0, 0.35, then head_y -0.15).
#
#   bash Tests/CLI/v1_animate.sh [path/to/talking-head]   (default: .build/release/talking-head)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${1:-.build/release/talking-head}"
WEIGHTS="${TALKING_HEAD_WEIGHTS:-$PWD/Weights}"
[ -x "$BIN" ] || { echo "v1_animate: $BIN not built"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir "$T/pt"
for net in face_morpher two_algo_face_rotator combiner; do
  cp "Tests/Fixtures/tha1/$net.small.legacy.pt" "$T/pt/$net.pt"
done
python3 Weights/convert.py "$T/pt" "$T/weights-v1" > "$T/convert.log"
ls "$T/weights-v1"/*.safetensors | wc -l | grep -qx 3 || { echo "FAIL v1_animate: converter wrote $(ls "$T/weights-v1")"; exit 1; }
csv=Examples/poses/nod_shake.csv
{ head -n 1 "$csv"; sed -n '2p;30p;60p' "$csv"; } > "$T/poses.csv"
"$BIN" animate "$WEIGHTS/samples/lambda_00.png" "$T/poses.csv" -o "$T/out" --weights "$T/weights-v1" --quiet
python3 - "$T/out" <<'PY'
import hashlib, os, struct, sys, zlib
d = sys.argv[1]
frames = sorted(f for f in os.listdir(d) if f[:6].isdigit())
assert frames == ["000000.png", "000001.png", "000002.png"], frames
digests = set()
for f in frames:
    b = open(os.path.join(d, f), "rb").read()
    w, h, depth, color = struct.unpack(">IIBB", b[16:26])
    assert (w, h, depth, color) == (256, 256, 8, 6), (f, w, h, depth, color)
    digests.add(hashlib.sha256(b).hexdigest())
assert len(digests) == 3, "frames are not all different"
assert os.path.getsize(os.path.join(d, "animation.png")) > 0
PY
echo "v1_animate: 3 frames of 256x256 from converted THA v1 checkpoints: PASS"
