#!/usr/bin/env bash
# The speech commands end to end: lipsync (CSV read back by animate), say (+ --video MP4 and
# WebM checked with ffprobe: a video and an audio stream, durations matching the audio within
# one frame), animate --audio, calibrate, and the bad inputs (clear error naming the file,
# non-zero exit). Prints "speech cli: N passed, N failed".
#   bash Tests/CLI/speech_cli.sh .build/release/talking-head
set -uo pipefail
BIN=${1:-.build/release/talking-head}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
CHAR=${TALKING_HEAD_WEIGHTS:-Weights}/samples/lambda_00.png
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "$2" | head -5 | sed 's/^/     /'; }

# expect_error NAME NEEDLE CMD...: non-zero exit and NEEDLE in stderr.
expect_error() {
  local name=$1 needle=$2; shift 2
  local err; err=$("$@" 2>&1 >/dev/null); local rc=$?
  if [ $rc -ne 0 ] && grep -qF -- "$needle" <<<"$err"; then ok "$name"; else ko "$name (rc $rc)" "$err"; fi
}

# A real voice: espeak-ng (the library, through say) would need weights; use the program.
espeak-ng -v en-us -w "$T/hello.wav" "Hello, my name is Lambda and I like bananas." 2>/dev/null \
  || { echo "espeak-ng missing: make deps"; exit 1; }

# --- lipsync
if "$BIN" lipsync "$T/hello.wav" --fps 25 --output "$T/mouth.csv" 2>/dev/null \
   && head -1 "$T/mouth.csv" | grep -q '^time,mouth_aaa,mouth_iii,mouth_uuu,mouth_eee,mouth_ooo'; then
  rows=$(($(wc -l <"$T/mouth.csv") - 1))
  dur=$(python3 -c "import wave;w=wave.open('$T/hello.wav');print(w.getnframes()/w.getframerate())")
  if python3 -c "import sys;sys.exit(0 if abs($rows-$dur*25)<=1 else 1)"; then ok "lipsync: one row per frame ($rows for $dur s)"; else ko "lipsync rows $rows for $dur s"; fi
  if python3 - "$T/mouth.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
opens = [max(float(r[k]) for k in ("mouth_aaa","mouth_iii","mouth_uuu","mouth_eee","mouth_ooo")) for r in rows]
# closed at the start (silence), open somewhere in the speech, closed again somewhere inside it
assert opens[0] < 0.1, opens[0]
assert max(opens) > 0.5, max(opens)
inner = opens[3:-3]
assert min(inner) < 0.12 and max(inner) > 0.5
PY
  then ok "lipsync: closed in silence, opens and closes during speech"; else ko "lipsync shape of the track"; fi
else ko "lipsync writes a CSV"; fi
"$BIN" lipsync "$T/hello.wav" >"$T/stdout.csv" 2>/dev/null && cmp -s "$T/stdout.csv" "$T/mouth.csv" \
  && ok "lipsync: stdout = --output" || ko "lipsync stdout"
# other rates and channels: 44.1 kHz stereo FLAC through libsndfile
ffmpeg -v error -y -i "$T/hello.wav" -ar 44100 -ac 2 "$T/hello.flac" \
  && "$BIN" lipsync "$T/hello.flac" --fps 25 -o "$T/flac.csv" 2>/dev/null \
  && [ "$(wc -l <"$T/flac.csv")" = "$(wc -l <"$T/mouth.csv")" ] && ok "lipsync: 44.1 kHz stereo FLAC" || ko "lipsync FLAC"

# --- calibrate: five vowels from espeak-ng, then --voice-profile
for v in a i u e o; do espeak-ng -v ja -w "$T/v_$v.wav" "$(case $v in a) echo あああああ;; i) echo いいいいい;; u) echo ううううう;; e) echo えええええ;; o) echo おおおおお;; esac)" 2>/dev/null; done
if "$BIN" lipsync calibrate "$T"/v_a.wav "$T"/v_i.wav "$T"/v_u.wav "$T"/v_e.wav "$T"/v_o.wav -o "$T/voice.json" >/dev/null \
   && "$BIN" lipsync "$T/hello.wav" --voice-profile "$T/voice.json" -o "$T/cal.csv" 2>/dev/null; then ok "lipsync calibrate + --voice-profile"; else ko "calibrate"; fi
expect_error "calibrate: four files" "five recordings" "$BIN" lipsync calibrate "$T"/v_a.wav "$T"/v_i.wav "$T"/v_u.wav "$T"/v_e.wav -o "$T/x.json"
echo '{"version":1}' >"$T/bad_profile.json"
expect_error "bad voice profile names the file" "bad_profile.json" "$BIN" lipsync "$T/hello.wav" --voice-profile "$T/bad_profile.json"

# --- bad audio
head -c 4000 /dev/urandom >"$T/noise.wav"
expect_error "not audio" "noise.wav: not a readable audio file" "$BIN" lipsync "$T/noise.wav"
: >"$T/empty.wav"
expect_error "empty file" "empty.wav" "$BIN" lipsync "$T/empty.wav"
head -c 3000 "$T/hello.wav" >"$T/truncated.wav"
python3 - "$T" <<'PY'
import struct, sys, wave
d = sys.argv[1]
w = wave.open(d + "/silent.wav", "wb"); w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000); w.writeframes(b"\0\0" * 16000); w.close()
# 20000 frames at 1 Hz: 5.5 hours claimed by a 40 kB file
w = wave.open(d + "/long.wav", "wb"); w.setnchannels(1); w.setsampwidth(2); w.setframerate(1); w.writeframes(b"\1\0" * 20000); w.close()
# a header with sample rate 0
data = b"\1\0" * 1000
hdr = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 0, 0, 2, 16) + b"data" + struct.pack("<I", len(data))
open(d + "/rate0.wav", "wb").write(hdr + data)
PY
expect_error "truncated WAV" "truncated.wav" "$BIN" lipsync "$T/truncated.wav"
expect_error "silent WAV" "silent.wav: the audio is silent" "$BIN" lipsync "$T/silent.wav"
expect_error "absurdly long" "long.wav" "$BIN" lipsync "$T/long.wav"
expect_error "sample rate 0" "rate0.wav" "$BIN" lipsync "$T/rate0.wav"
expect_error "missing file" "nope.wav: no such file" "$BIN" lipsync "$T/nope.wav"
expect_error "--fps 0" "--fps" "$BIN" lipsync "$T/hello.wav" --fps 0

# --- say: bad inputs
expect_error "say: empty text" "--list-voices" "$BIN" say "$CHAR" "  " -o "$T/s"
expect_error "say: unknown voice" "--list-voices" "$BIN" say "$CHAR" "hi" --voice xx-nope -o "$T/s"
voices=$("$BIN" say --list-voices 2>&1); grep -q "^  ja " <<<"$voices" && ok "say --list-voices lists ja" || ko "say --list-voices"
expect_error "say: video of another kind" ".mp4" "$BIN" say "$CHAR" "hi" -o "$T/s" --video "$T/x.avi"
expect_error "say: ffmpeg missing" "apt-get install ffmpeg" env PATH=/nonexistent "$BIN" say "$CHAR" "hi" -o "$T/s0" --video "$T/x.mp4" --fps 5

# --- say with video (short, low fps: each frame is a network pass)
# check_video FILE WAV FPS: a video and an audio stream, durations within one frame of the audio
check_video() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, subprocess, sys, wave
f, wav, fps = sys.argv[1], sys.argv[2], float(sys.argv[3])
p = json.loads(subprocess.check_output(["ffprobe", "-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json", f]))
kinds = {s["codec_type"]: s for s in p["streams"]}
assert "video" in kinds and "audio" in kinds, kinds.keys()
w = wave.open(wav); audio = w.getnframes() / w.getframerate()
frames = int(kinds["video"]["nb_read_frames"])
assert abs(frames / fps - audio) <= 1 / fps + 1e-6, (frames, fps, audio)
assert abs(float(p["format"]["duration"]) - audio) <= 1 / fps + 0.03, (p["format"]["duration"], audio)
alpha = kinds["video"].get("tags", {}).get("alpha_mode", kinds["video"].get("tags", {}).get("ALPHA_MODE", "0"))
if f.endswith(".webm"):
    assert alpha == "1", "no alpha in the WebM"
print(kinds["video"]["codec_name"], kinds["audio"]["codec_name"], "alpha" if alpha == "1" else "opaque", frames, "frames", round(audio, 3), "s")
PY
}
if out=$("$BIN" say "$CHAR" "Hello there" -o "$T/say" --fps 8 -q --video "$T/say.mp4" 2>&1) \
   && [ -f "$T/say/speech.wav" ] && [ -f "$T/say/animation.png" ] && [ -f "$T/say/000000.png" ]; then
  ok "say writes speech.wav, frames, animation.png"
  v=$(check_video "$T/say.mp4" "$T/say/speech.wav" 8 2>&1) && grep -q "h264 aac" <<<"$v" && ok "say --video mp4: $v" || ko "say mp4" "$v"
  # mouth.csv read back by animate (its time column ignored) renders the same frame count
  n=$(ls "$T/say"/0*.png | wc -l)
  [ "$n" = "$(($(wc -l <"$T/say/mouth.csv") - 1))" ] && ok "say: one frame per mouth.csv row ($n)" || ko "say frame count"
else ko "say" "$out"; fi

# --- animate --audio: without a CSV (idle blinks/breathing), WebM with alpha
espeak-ng -v ja -w "$T/ja.wav" "こんにちは" 2>/dev/null
if out=$("$BIN" animate "$CHAR" --audio "$T/ja.wav" -o "$T/anim" --fps 6 -q --video "$T/anim.webm" 2>&1); then
  v=$(check_video "$T/anim.webm" "$T/ja.wav" 6 2>&1) && grep -q "vp9 opus" <<<"$v" && ok "animate --audio --video webm: $v" || ko "animate webm" "$v"
else ko "animate --audio" "$out"; fi
# with a CSV: the CSV's mouth column is replaced, its other columns kept
printf 'time,head_x,mouth_aaa\n0,0.5,0\n' >"$T/base.csv"
if "$BIN" animate "$CHAR" "$T/base.csv" --audio "$T/ja.wav" -o "$T/anim2" --fps 4 -q >/dev/null 2>&1; then
  n=$(ls "$T/anim2"/0*.png | wc -l)
  dur=$(python3 -c "import wave;w=wave.open('$T/ja.wav');print(round(w.getnframes()/w.getframerate()*4))")
  [ "$n" = "$dur" ] && ok "animate CSV --audio: as many frames as the audio ($n)" || ko "animate CSV --audio frames $n vs $dur"
else ko "animate CSV --audio"; fi
expect_error "animate --audio not audio" "noise.wav" "$BIN" animate "$CHAR" --audio "$T/noise.wav" -o "$T/anim3"

# --- slices on GNU parallel (local workers) joined back = one full render, frame for frame
espeak-ng -v es -w "$T/es.wav" "Hola, ¿qué tal?" 2>/dev/null
N=$("$BIN" lipsync "$T/es.wav" --fps 6 | tail -n +2 | wc -l)
if PATH="$(dirname "$BIN"):$PATH" bash "$(dirname "$0")/../../Scripts/render_parallel.sh" --total "$N" --slices 3 --sshlogin : \
     --output "$T/par" --fps 6 --video "$T/par.mp4" --audio "$T/es.wav" -- animate "$CHAR" --audio "$T/es.wav" >/dev/null 2>&1 \
   && "$BIN" animate "$CHAR" --audio "$T/es.wav" --fps 6 -q -o "$T/full" >/dev/null 2>&1; then
  same=1
  for f in "$T/full"/0*.png; do cmp -s "$f" "$T/par/$(basename "$f")" || same=0; done
  [ "$same" = 1 ] && [ "$(ls "$T/par"/0*.png | wc -l)" = "$N" ] && ok "render_parallel (3 slices, --sshlogin :) + join = the full render ($N frames)" || ko "sliced frames differ from the full render"
  v=$(check_video "$T/par.mp4" "$T/es.wav" 6 2>&1) && ok "join --video: $v" || ko "join video" "$v"
else ko "render_parallel"; fi
mkdir -p "$T/gap" && cp "$T/par/000000.png" "$T/par/000002.png" "$T/gap/"
expect_error "join: a missing frame is named" "000001.png is missing" "$BIN" join "$T/gap" -o "$T/joined"
expect_error "join: a frame twice" "also in" "$BIN" join "$T/par/slice_1" "$T/par/slice_1" -o "$T/joined2"
expect_error "--frames beyond the end" "only $N frames" "$BIN" animate "$CHAR" --audio "$T/es.wav" --fps 6 --frames 999:1000 -o "$T/x"

echo "speech cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
