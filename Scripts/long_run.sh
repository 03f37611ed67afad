#!/usr/bin/env bash
# Long run (issue 6): `talking-head animate` over FRAMES frames (default 2000; all 45 parameters
# random and different every frame, 20 poses cycled), sampling the process's resident memory
# every 3 s against the number of frames written. Passes when the RSS at the last frame is
# within 2% of the RSS at frame 100. Not part of `make test` (2,000 frames take 35-60 min on
# 2 cores); the samples stay in OUT/rss.log.
#
#   bash Scripts/long_run.sh [FRAMES] [OUT]       (default 2000, .build-longrun)
set -euo pipefail
cd "$(dirname "$0")/.."
FRAMES="${1:-2000}"
OUT="${2:-.build-longrun}"
WEIGHTS="${TALKING_HEAD_WEIGHTS:-$PWD/Weights}"
swift build -c release -Xswiftc -enable-testing --product talking-head
rm -rf "$OUT" && mkdir -p "$OUT/frames"
BIN="$OUT/talking-head"
cp .build/release/talking-head "$BIN"   # a rebuild during the run must not replace the binary
names=$("$BIN" params | tail -n +2 | awk '{print $2}' | paste -sd,)
"$BIN" params | tail -n +2 | awk '{print $4}' | python3 -c "
import random, sys
ranges = [tuple(map(float, l.strip().split('..'))) for l in sys.stdin]
rng = random.Random(2000)
poses = [[rng.uniform(lo, hi) for lo, hi in ranges] for _ in range(20)]
print('$names')
for k in range($FRAMES):
    print(','.join('%.5f' % v for v in poses[k % 20]))
" > "$OUT/poses.csv"
"$BIN" animate "$WEIGHTS/samples/lambda_00.png" "$OUT/poses.csv" -o "$OUT/frames" --weights "$WEIGHTS" --quiet \
    > "$OUT/animate.log" 2>&1 &
pid=$!
: > "$OUT/rss.log"
while kill -0 "$pid" 2>/dev/null; do
  n=$(find "$OUT/frames" -maxdepth 1 -name '[0-9]*.png' | wc -l)
  rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
  [ -n "$rss" ] && echo "$(date +%s) $n $rss" >> "$OUT/rss.log"
  sleep 3
done
wait "$pid"
python3 - "$OUT/rss.log" "$FRAMES" <<'PY'
import sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if len(l.split()) == 3]
frames = int(sys.argv[2])
if not rows:
    sys.exit("long run: no memory sample (the run ended within 3 s)")
at100 = next((r for r in rows if r[1] >= min(100, frames)), rows[-1])
last = rows[-1]
peak = max(r[2] for r in rows)
change = (last[2] - at100[2]) / at100[2] * 100
print("long run: %d frames; RSS at frame %d: %.1f MB, at frame %d: %.1f MB (%+.2f%%), peak %.1f MB"
      % (frames, at100[1], at100[2] / 1024, last[1], last[2] / 1024, change, peak / 1024))
sys.exit(0 if abs(change) <= 2 else 1)
PY
