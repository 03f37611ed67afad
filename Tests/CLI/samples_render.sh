#!/usr/bin/env bash
# The sample pose CSVs of Examples/poses render through `talking-head animate`: three rows of
# each (first, middle, last; all rows are parsed by the IOTests), three frames written, and an
# animated PNG whose acTL says 3 frames, with fcTL/fdAT sequence numbers in order, whose frames
# are not all the same picture; and `--jobs 2` writes the same bytes.
#
#   bash Tests/CLI/samples_render.sh [path/to/talking-head]   (default: .build/release/talking-head)
set -uo pipefail
cd "$(dirname "$0")/../.."
BIN="${1:-.build/release/talking-head}"
WEIGHTS="${TALKING_HEAD_WEIGHTS:-$PWD/Weights}"
[ -x "$BIN" ] || { echo "samples_render: $BIN not built"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
PASS=0; FAIL=0
for csv in Examples/poses/*.csv; do
  name=$(basename "$csv" .csv)
  rows=$(($(wc -l < "$csv") - 1))
  { head -n 1 "$csv"; sed -n "2p;$((rows / 2 + 1))p;$((rows + 1))p" "$csv"; } > "$T/$name.csv"
  if ! out=$("$BIN" animate "$WEIGHTS/samples/lambda_00.png" "$T/$name.csv" -o "$T/$name" --weights "$WEIGHTS" --quiet 2>&1); then
    FAIL=$((FAIL + 1)); echo "FAIL $name: $out"; continue
  fi
  if check=$(python3 - "$T/$name" <<'EOF'
import hashlib, os, struct, sys
d = sys.argv[1]
frames = sorted(f for f in os.listdir(d) if f[:6].isdigit())
assert frames == ["000000.png", "000001.png", "000002.png"], frames
b = open(os.path.join(d, "animation.png"), "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
i, chunks = 8, []
while i < len(b):
    n = struct.unpack(">I", b[i:i + 4])[0]
    chunks.append((b[i + 4:i + 8].decode(), b[i + 8:i + 8 + n]))
    i += 12 + n
types = [t for t, _ in chunks]
actl = dict(chunks)["acTL"]
assert struct.unpack(">I", actl[:4])[0] == 3, "acTL frame count"
seq = [struct.unpack(">I", d[:4])[0] for t, d in chunks if t in ("fcTL", "fdAT")]
assert seq == list(range(len(seq))), "sequence numbers"
assert types.count("fcTL") == 3 and types[-1] == "IEND", types
digests = {hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest() for f in frames}
assert len(digests) > 1, "all frames identical"
print("%d bytes, %d fcTL, %d distinct frames" % (len(b), types.count("fcTL"), len(digests)))
EOF
  ); then
    PASS=$((PASS + 1)); echo "ok   $name: $check"
  else
    FAIL=$((FAIL + 1)); echo "FAIL $name: $check"
  fi
done
# Two frames in flight (--jobs 2, three frames: a batch of two and one of one) give the same
# bytes, frames and animation, as one at a time.
name=talking
if "$BIN" animate "$WEIGHTS/samples/lambda_00.png" "$T/$name.csv" -o "$T/$name-jobs2" --weights "$WEIGHTS" --quiet --jobs 2 >/dev/null 2>&1 &&
   diff -r "$T/$name" "$T/$name-jobs2" >/dev/null; then
  PASS=$((PASS + 1)); echo "ok   $name --jobs 2: the same bytes as --jobs 1"
else
  FAIL=$((FAIL + 1)); echo "FAIL $name --jobs 2: output differs from --jobs 1 (or failed)"
fi
echo "sample animations: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
