#!/usr/bin/env bash
# The face-capture command line: `capture convert` on a Live Link Face CSV (resampled pose CSV
# that `animate` reads back), `animate` on the capture itself, and broken recordings refused
# with file:line:column and a non-zero exit below 128, leaving no output file.
#
#   bash Tests/CLI/capture.sh [path/to/talking-head]     (needs the weights for the animate case)
set -uo pipefail
cd "$(dirname "$0")/../.."
BIN="${1:-.build/release/talking-head}"
WEIGHTS="${TALKING_HEAD_WEIGHTS:-$PWD/Weights}"
[ -x "$BIN" ] || { echo "capture: $BIN not built"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
PASS=0; FAIL=0
ok() { echo "ok   $1"; PASS=$((PASS + 1)); }
bad() { echo "FAIL $1"; FAIL=$((FAIL + 1)); }

# head_y is column 42 of the pose CSV (time, then the 45 in upstream order; head_y is index 40).
# A synthetic recording: 30 rows at 60 fps (0.483 s), the jaw opening, head yaw 0.1 rad.
python3 - "$T" <<'PY'
import sys
names = ("EyeBlinkLeft,EyeLookDownLeft,EyeLookInLeft,EyeLookOutLeft,EyeLookUpLeft,EyeSquintLeft,EyeWideLeft,EyeBlinkRight,EyeLookDownRight,EyeLookInRight,EyeLookOutRight,EyeLookUpRight,EyeSquintRight,EyeWideRight,JawForward,JawRight,JawLeft,JawOpen,MouthClose,MouthFunnel,MouthPucker,MouthRight,MouthLeft,MouthSmileLeft,MouthSmileRight,MouthFrownLeft,MouthFrownRight,MouthDimpleLeft,MouthDimpleRight,MouthStretchLeft,MouthStretchRight,MouthRollLower,MouthRollUpper,MouthShrugLower,MouthShrugUpper,MouthPressLeft,MouthPressRight,MouthLowerDownLeft,MouthLowerDownRight,MouthUpperUpLeft,MouthUpperUpRight,BrowDownLeft,BrowDownRight,BrowInnerUp,BrowOuterUpLeft,BrowOuterUpRight,CheekPuff,CheekSquintLeft,CheekSquintRight,NoseSneerLeft,NoseSneerRight,TongueOut").split(",")
head = "Timecode,BlendShapeCount," + ",".join(names) + ",HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,RightEyePitch,RightEyeRoll"
rows = []
for i in range(30):
    v = {n: 0.0 for n in names}
    v["JawOpen"] = i / 29 * 0.5
    v["MouthLowerDownLeft"] = v["MouthLowerDownRight"] = 0.2
    sec, ff = divmod(45 + i, 60)   # frames 45..59 then 0..14 of the next second: 60 fps inferred
    rows.append(f"09:30:{sec + 1:02d}:{ff:02d}.000,61," + ",".join(f"{v[n]:.4f}" for n in names) + ",0.1,0,0,0,0,0,0,0,0")
open(sys.argv[1] + "/capture.csv", "w").write("\n".join([head] + rows) + "\n")
broken = rows[:5] + [rows[5].replace(",61,0.0000,", ",61,oops,", 1)] + rows[6:]
open(sys.argv[1] + "/broken.csv", "w").write("\n".join([head] + broken) + "\n")
open(sys.argv[1] + "/short.csv", "w").write("\n".join([head] + rows[:3] + [rows[3][:200]]) + "\n")
PY

out=$("$BIN" capture convert "$T/capture.csv" --fps 25 --output "$T/poses.csv" 2>&1); status=$?
rows=$(($(wc -l < "$T/poses.csv" 2>/dev/null || echo 0) - 1))
# 29/60 s = 0.483 s at 25 fps: frames at 0, 0.04, ... 0.48 -> 13.
if [ $status -eq 0 ] && [ "$rows" -eq 13 ] && head -1 "$T/poses.csv" | grep -q '^time,eyebrow_troubled_left,'; then
  ok "capture convert: 13 poses at 25 fps ($out)"
else bad "capture convert: $rows rows: $out"; fi
if awk -F, 'NR>1 { if ($42 + 0 >= 0) bad = 1 } END { exit bad }' "$T/poses.csv"; then
  ok "capture convert: HeadYaw 0.1 rad (5.7 degrees) turns head_y negative, as upstream's converter"
else bad "capture convert: head_y not negative"; fi

for case in "broken.csv:broken.csv:7:3" "short.csv:short.csv:5"; do
  IFS=: read file name line col <<<"$case"
  want="$name:$line${col:+:$col}"
  out=$("$BIN" capture convert "$T/$file" --output "$T/out-$file" 2>&1); status=$?
  if [ $status -ne 0 ] && [ $status -lt 128 ] && grep -q "$want" <<<"$out" && [ ! -e "$T/out-$file" ]; then
    ok "capture convert refuses $file at $want"
  else bad "capture convert $file: exit $status, wanted $want: $out"; fi
done
out=$("$BIN" capture convert "$T/capture.csv" --head-units grads --output "$T/x.csv" 2>&1); status=$?
[ $status -ne 0 ] && [ $status -lt 128 ] && ok "--head-units grads refused" || bad "--head-units grads: $status $out"

# capture listen: a real process on 127.0.0.1 receiving VMC and iFacialMocap from a Python sender.
PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
for proto in vmc ifacialmocap; do
  if [ $proto = vmc ]; then flag="--vmc"; else flag="--ifacialmocap 127.0.0.1"; fi
  "$BIN" capture listen $flag --port "$PORT" --bind 127.0.0.1 --seconds 3 > "$T/listen-$proto.out" 2> "$T/listen-$proto.err" &
  pid=$!
  python3 - "$PORT" "$proto" <<'PY'
import socket, struct, sys, time
port, proto = int(sys.argv[1]), sys.argv[2]
def pad(b):
    b += b"\0"
    return b + b"\0" * ((4 - len(b) % 4) % 4)
def msg(addr, tags, *args):
    out = pad(addr.encode()) + pad(tags.encode())
    for t, a in zip(tags[1:], args):
        out += pad(a.encode()) if t == "s" else struct.pack(">f", a)
    return out
def bundle(*ms):
    return pad(b"#bundle") + struct.pack(">Q", 1) + b"".join(struct.pack(">i", len(m)) + m for m in ms)
good = (bundle(msg("/VMC/Ext/Blend/Val", ",sf", "EyeBlinkLeft", 1.0), msg("/VMC/Ext/Blend/Apply", ","))
        if proto == "vmc" else b"eyeBlink_L&100|jawOpen&5|hapihapi&0|=head#0,0,0,0,0,0|")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
time.sleep(0.5)
for i in range(60):
    s.sendto(good, ("127.0.0.1", port))
    if i % 20 == 0:
        s.sendto(b"\xff\x00 not a packet", ("127.0.0.1", port))
    time.sleep(0.02)
PY
  wait $pid; status=$?
  last=$(tail -1 "$T/listen-$proto.out")
  if [ $status -eq 0 ] && grep -q '"accepted":60' <<<"$last" && grep -q '"dropped":3' <<<"$last" && grep -qE '"eye_wink_left":1[,.}]' <<<"$last"; then
    ok "capture listen --$proto: 60 packets accepted, 3 bad ones dropped, the left eye closed"
  else bad "capture listen --$proto: exit $status, last line: $last $(cat "$T/listen-$proto.err")"; fi
done

# emotions --format unified-expressions: the 28 presets as 52 UE weights each, in 0...1.
if "$BIN" emotions --format unified-expressions > "$T/ue.json" 2>&1 && python3 - "$T/ue.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d) == 28, len(d)
assert all(len(w) == 52 and all(0 <= v <= 1 for v in w.values()) for w in d.values())
assert d["joy"]["MouthSmileLeft"] > 0 and "EyeClosedLeft" in d["joy"] and "LipFunnel" in d["joy"], d["joy"]
PY
then ok "emotions --format unified-expressions: 28 presets x 52 UE weights in 0...1"
else bad "emotions --format unified-expressions: $(head -c 300 "$T/ue.json")"; fi

if [ -f "$WEIGHTS/editor.safetensors" ]; then
  out=$(TALKING_HEAD_WEIGHTS="$WEIGHTS" "$BIN" animate "$WEIGHTS/samples/crypko_00.png" "$T/capture.csv" --fps 5 -q --output "$T/anim" 2>&1); status=$?
  # 0.483 s at 5 fps: frames at 0, 0.2, 0.4 -> 3 PNGs and the animation.
  if [ $status -eq 0 ] && [ -f "$T/anim/000002.png" ] && [ ! -f "$T/anim/000003.png" ] && [ -f "$T/anim/animation.png" ]; then
    ok "animate renders a Live Link Face CSV resampled to --fps (3 frames)"
  else bad "animate on capture.csv: exit $status: $out"; fi
else bad "animate case needs the weights in $WEIGHTS (make weights)"; fi

echo "capture CLI: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
