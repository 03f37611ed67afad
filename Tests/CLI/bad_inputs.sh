#!/usr/bin/env bash
# The bad-input matrix of the command line: every case must end with a message that names the
# file, key or line, and a non-zero exit below 128 (an error, never a trap or a signal), and
# must not leave a result that looks complete.
#
#   bash Tests/CLI/bad_inputs.sh [path/to/talking-head]     (default: .build/release/talking-head)
#
# Needs the converted weights (make weights). The full-disk case mounts a 64 KiB tmpfs, which
# needs root (CI runs as root); the script says so and fails when it cannot.
set -uo pipefail
cd "$(dirname "$0")/../.."
BIN="${1:-.build/release/talking-head}"
WEIGHTS="${TALKING_HEAD_WEIGHTS:-$PWD/Weights}"
[ -x "$BIN" ] || { echo "bad_inputs: $BIN not built (swift build -c release --product talking-head)"; exit 1; }
[ -f "$WEIGHTS/editor.safetensors" ] || { echo "bad_inputs: no weights in $WEIGHTS (make weights)"; exit 1; }

T=$(mktemp -d)
TINY="$T/full-disk"
cleanup() { mountpoint -q "$TINY" 2>/dev/null && umount "$TINY"; rm -rf "$T"; }
trap cleanup EXIT
PASS=0; FAIL=0
SAMPLE="$WEIGHTS/samples/crypko_00.png"
printf 'head_x,mouth_aaa\n0.1,0.5\n' > "$T/ok.csv"

# check NAME CONDITION...: a post-condition (a test command) that must hold.
check() {
  local name="$1"; shift
  if "$@"; then PASS=$((PASS + 1)); echo "ok   $name"; else FAIL=$((FAIL + 1)); echo "FAIL $name: [ $* ] does not hold"; fi
}
# succeed NAME -- COMMAND...: exit 0 expected.
succeed() {
  local name="$1"; shift; shift
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -eq 0 ]; then PASS=$((PASS + 1)); echo "ok   $name"; else
    FAIL=$((FAIL + 1)); echo "FAIL $name: exit $rc; output:"; sed 's/^/     /' <<<"$out" | head -n 20; fi
}
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }
no_temporaries() { ! find "$@" -name '.th-*.tmp' | grep -q .; }

# expect NAME EXPECTED_TEXT... -- COMMAND...: non-zero exit < 128, stderr+stdout holding each text.
expect() {
  local name="$1"; shift
  local wants=()
  while [ "$1" != "--" ]; do wants+=("$1"); shift; done
  shift
  local out rc
  out=$("$@" 2>&1); rc=$?
  local ok=1 why=""
  if [ "$rc" -eq 0 ]; then ok=0; why="exit 0"; fi
  if [ "$rc" -ge 128 ]; then ok=0; why="killed by a signal (exit $rc)"; fi
  if grep -qE "Fatal error|Stack dump|backtrace|Segmentation|Illegal instruction" <<<"$out"; then ok=0; why="crash output"; fi
  for w in "${wants[@]}"; do
    grep -qF -- "$w" <<<"$out" || { ok=0; why="message lacks '$w'"; }
  done
  if [ "$ok" -eq 1 ]; then
    PASS=$((PASS + 1)); echo "ok   $name (exit $rc): $(head -n 1 <<<"$out" | cut -c1-200)"
  else
    FAIL=$((FAIL + 1)); echo "FAIL $name: $why; exit $rc; output:"; sed 's/^/     /' <<<"$out" | head -n 20
  fi
}
render() { "$BIN" pose "$@" --weights "$WEIGHTS"; }

# --- images ---
expect "missing image" "$T/nope.png" -- render "$T/nope.png" -o "$T/out.png"
head -c 1000 "$SAMPLE" > "$T/truncated.png"
expect "truncated PNG" "$T/truncated.png" -- render "$T/truncated.png" -o "$T/out.png"
echo "hello, I am text" > "$T/text.png"
expect "text file named .png" "$T/text.png" -- render "$T/text.png" -o "$T/out.png"
python3 - "$T/rgb.png" <<'EOF'
import struct, sys, zlib
w, h = 8, 8
raw = b"".join(b"\0" + bytes([200, 100, 50] * w) for _ in range(h))
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
EOF
expect "PNG without alpha" "$T/rgb.png" "alpha" -- render "$T/rgb.png" -o "$T/out.png"
expect "missing CSV" "$T/none.csv" -- "$BIN" animate "$SAMPLE" "$T/none.csv" -o "$T/anim" --weights "$WEIGHTS"

# --- pose CSVs: file:line:column and the offending text ---
csv() { printf "$2" > "$T/$1.csv"; }
csv unknown    'head_x,eyebrow_wobble\n0,0\n'
csv notnumber  'head_x,mouth_aaa\n0.1,abc\n'
csv nan        'head_x,mouth_aaa\n0.1,nan\n'
csv infinity   'head_x,mouth_aaa\n0.1,1\ninf,0\n'
csv range      'head_x,mouth_aaa\n0.1,2.5\n'
csv toomany    'head_x,mouth_aaa\n0.1,0.2,0.3\n'
csv toofew     'head_x,mouth_aaa\n0.1\n'
csv empty      ''
csv headeronly 'head_x,mouth_aaa\n'
anim() { "$BIN" animate "$SAMPLE" "$T/$1.csv" -o "$T/anim-$1" --weights "$WEIGHTS"; }
expect "CSV unknown name"    "$T/unknown.csv:1:2" "eyebrow_wobble" -- anim unknown
expect "CSV not a number"    "$T/notnumber.csv:2:2" "abc" -- anim notnumber
expect "CSV NaN"             "$T/nan.csv:2:2" "nan" -- anim nan
expect "CSV infinity"        "$T/infinity.csv:3:1" "inf" -- anim infinity
expect "CSV out of range"    "$T/range.csv:2:2" "2.5" "--clamp" -- anim range
expect "CSV too many cells"  "$T/toomany.csv:2" -- anim toomany
expect "CSV too few cells"   "$T/toofew.csv:2" -- anim toofew
expect "CSV empty file"      "$T/empty.csv" -- anim empty
expect "CSV header, no rows" "$T/headeronly.csv" -- anim headeronly
for c in unknown notnumber nan infinity range toomany toofew empty headeronly; do
  [ -e "$T/anim-$c" ] && { FAIL=$((FAIL + 1)); echo "FAIL CSV $c: output folder created before the CSV was checked"; }
done

# --- weights ---
expect "missing weights folder" "$T/no-weights" -- "$BIN" pose "$SAMPLE" -o "$T/out.png" --weights "$T/no-weights"
broken() { rm -rf "$T/w"; mkdir -p "$T/w"; cp "$WEIGHTS"/*.safetensors "$T/w/"; }
broken; head -c 100000 "$WEIGHTS/face_morpher.safetensors" > "$T/w/face_morpher.safetensors"
expect "truncated safetensors" "$T/w/face_morpher.safetensors" -- "$BIN" pose "$SAMPLE" -o "$T/out.png" --weights "$T/w"
broken; python3 - "$T/w/editor.safetensors" <<'EOF'
import json, struct, sys
p = sys.argv[1]; b = open(p, "rb").read(); n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
k = next(k for k, v in h.items() if k != "__metadata__" and len(v["shape"]) == 4 and v["shape"][0] != v["shape"][1])
h[k]["shape"] = [h[k]["shape"][1], h[k]["shape"][0]] + h[k]["shape"][2:]
s = json.dumps(h).encode(); s += b" " * ((8 - len(s) % 8) % 8)
open(p, "wb").write(struct.pack("<Q", len(s)) + s + b[8 + n:])
EOF
KEY=$(python3 -c "
import json,struct,sys;b=open('$WEIGHTS/editor.safetensors','rb').read();n=struct.unpack('<Q',b[:8])[0];h=json.loads(b[8:8+n])
print(next(k for k,v in h.items() if k!='__metadata__' and len(v['shape'])==4 and v['shape'][0]!=v['shape'][1]))")
expect "misshaped safetensors" "$T/w/editor.safetensors" "$KEY" "expected" -- "$BIN" pose "$SAMPLE" -o "$T/out.png" --weights "$T/w"
broken; python3 - "$T/w/combiner.safetensors" "$T/w/eyebrow_morphing_combiner.safetensors" <<'EOF'
import struct, sys
p = sys.argv[2]; b = bytearray(open(p, "rb").read()); b[:8] = struct.pack("<Q", 1 << 62)
open(p, "wb").write(bytes(b))
EOF
expect "absurd header length" "$T/w/eyebrow_morphing_combiner.safetensors" "header" -- "$BIN" pose "$SAMPLE" -o "$T/out.png" --weights "$T/w"

# weights verify: a changed byte in a converted file is found and named.
rm -rf "$T/v"; mkdir -p "$T/v"; cp -r "$WEIGHTS"/*.safetensors "$WEIGHTS/manifest.json" "$WEIGHTS/samples" "$T/v/"
printf '\x01' | dd of="$T/v/face_morpher.safetensors" bs=1 seek=5000000 conv=notrunc status=none
expect "weights verify, changed file" "$T/v/face_morpher.safetensors" "SHA-256" "1 failed" -- "$BIN" weights verify --weights "$T/v"
rm "$T/v/manifest.json"
expect "weights verify, no manifest" "$T/v/manifest.json" -- "$BIN" weights verify --weights "$T/v"

# --- outputs ---
touch "$T/a-file"
expect "unwritable output folder (pose)" "$T/a-file" "is a file, not a folder" -- render "$SAMPLE" -o "$T/a-file/out.png"
expect "unwritable output folder (animate)" "$T/a-file/frames" "is a file, not a folder" -- "$BIN" animate "$SAMPLE" "$T/ok.csv" -o "$T/a-file/frames" --weights "$WEIGHTS"
mkdir -p "$TINY"
if mount -t tmpfs -o size=64k tmpfs "$TINY" 2>/dev/null; then
  expect "full disk (pose)" "$TINY/out.png" "No space left on device" -- render "$SAMPLE" -o "$TINY/out.png"
  if ls -A "$TINY" | grep -q .; then FAIL=$((FAIL + 1)); echo "FAIL full disk (pose): left $(ls -A "$TINY")"; fi
  # A stale animation.png from an earlier run must be gone after a failed render.
  mkdir -p "$TINY/anim" && echo old > "$TINY/anim/animation.png"
  expect "full disk (animate)" "$TINY/anim" "was not written" -- "$BIN" animate "$SAMPLE" "$T/ok.csv" -o "$TINY/anim" --weights "$WEIGHTS" --quiet
  if [ -e "$TINY/anim/animation.png" ]; then FAIL=$((FAIL + 1)); echo "FAIL full disk (animate): animation.png left behind"; fi
else
  FAIL=$((FAIL + 1)); echo "FAIL full disk: cannot mount a tmpfs here (needs root)"
fi

source Tests/CLI/hostile_inputs.sh

echo "bad inputs: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
