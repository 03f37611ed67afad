#!/usr/bin/env bash
# `talking-head emotions`: lists the 28 presets, prints them as JSON in the format it reads back,
# and refuses a bad presets file with a message naming the file, emotion and key (non-zero exit
# below 128). No weights needed.
#
#   bash Tests/CLI/emotions.sh [path/to/talking-head]     (default: .build/release/talking-head)
set -uo pipefail
cd "$(dirname "$0")/../.."
BIN="${1:-.build/release/talking-head}"
[ -x "$BIN" ] || { echo "emotions: $BIN not built (swift build -c release --product talking-head)"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
PASS=0; FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   $1"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL $1"; }

# expect NAME TEXT... -- COMMAND...: non-zero exit < 128 and every TEXT in the output.
expect() {
  local name="$1"; shift
  local wants=()
  while [ "$1" != "--" ]; do wants+=("$1"); shift; done
  shift
  local out rc why=""
  out=$("$@" 2>&1); rc=$?
  [ "$rc" -eq 0 ] && why="exit 0"
  [ "$rc" -ge 128 ] && why="killed by a signal (exit $rc)"
  for w in "${wants[@]}"; do grep -qF -- "$w" <<<"$out" || why="message lacks '$w'"; done
  if [ -z "$why" ]; then ok "$name (exit $rc): $(head -n 1 <<<"$out" | cut -c1-160)"
  else fail "$name: $why; output:"; sed 's/^/     /' <<<"$out" | head -n 10; fi
}

# The text list: 28 lines, neutral all 0, joy with its happy eyes.
"$BIN" emotions > "$T/list.txt" || fail "emotions exits 0"
[ "$(wc -l < "$T/list.txt")" -eq 28 ] && ok "28 presets listed" || fail "28 presets listed: $(wc -l < "$T/list.txt")"
grep -qE '^neutral +\(all 0\)$' "$T/list.txt" && ok "neutral is all 0" || fail "neutral is all 0"
grep -qE '^joy .*eye_happy_wink_left=' "$T/list.txt" && ok "joy has happy eyes" || fail "joy has happy eyes"

# JSON: 28 emotions of 45 names each, read back unchanged through --emotions.
"$BIN" emotions --format json > "$T/emotions.json" || fail "--format json exits 0"
python3 - "$T/emotions.json" <<'PY' && ok "JSON has 28 emotions of 45 names" || fail "JSON has 28 emotions of 45 names"
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d) == 28, len(d)
assert all(len(p) == 45 for p in d.values())
PY
"$BIN" emotions --format json --emotions "$T/emotions.json" | cmp -s - "$T/emotions.json" \
  && ok "JSON reads back unchanged" || fail "JSON reads back unchanged"

# A file of one's own in SillyTavern's spelling replaces joy and adds an emotion.
printf '{"joy": {"eye_wink_left_index": 1, "mouth_delta": 0.5}, "smug": {"mouth_smirk": 1}}' > "$T/own.json"
"$BIN" emotions --emotions "$T/own.json" > "$T/own.txt"
grep -qE '^joy +eye_wink_left=1.0 mouth_delta=0.5$' "$T/own.txt" && grep -qE '^smug +mouth_smirk=1.0$' "$T/own.txt" \
  && [ "$(wc -l < "$T/own.txt")" -eq 29 ] && ok "own file over the built-in presets" || { fail "own file over the built-in presets"; cat "$T/own.txt"; }

# SillyTavern-Extras' factory file holds mouth corners at 1.2 and -0.232: refused with a hint, or clamped.
printf '{"joy": {"mouth_raised_corner_left_index": 1.2, "mouth_lowered_corner_left_index": -0.232}}' > "$T/st.json"
expect "out of range, hint" "joy.mouth_lowered_corner_left_index" "--clamp" -- "$BIN" emotions --emotions "$T/st.json"
"$BIN" emotions --clamp --emotions "$T/st.json" | grep -qE '^joy +mouth_raised_corner_left=1.0$' \
  && ok "--clamp clamps" || fail "--clamp clamps"

# Bad files and arguments.
printf '{"joy": {"eye_wonk_left": 1}}' > "$T/unknown.json"
expect "unknown parameter" "$T/unknown.json" "joy.eye_wonk_left" "unknown pose parameter" -- "$BIN" emotions --emotions "$T/unknown.json"
printf '{"joy": {"head_x": 3}}' > "$T/range.json"
expect "out of range" "$T/range.json" "joy.head_x" "outside" -- "$BIN" emotions --emotions "$T/range.json"
printf '{"joy": {"mouth_aaa": "x"}}' > "$T/string.json"
expect "not a number" "joy.mouth_aaa" "expected a number" -- "$BIN" emotions --emotions "$T/string.json"
printf '{"joy": ' > "$T/broken.json"
expect "malformed JSON" "$T/broken.json" "not valid JSON" -- "$BIN" emotions --emotions "$T/broken.json"
expect "missing file" "$T/none.json" -- "$BIN" emotions --emotions "$T/none.json"
expect "render without image" "--render needs --image" -- "$BIN" emotions --render "$T/out"
expect "unknown format" "yaml" -- "$BIN" emotions --format yaml

echo "emotions: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
