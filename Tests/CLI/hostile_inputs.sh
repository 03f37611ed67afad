# The cases of issue 19 (a hostile or careless user, as root), sourced by bad_inputs.sh: uses its
# T, BIN, WEIGHTS, SAMPLE, expect, succeed, check, is_png, no_temporaries, render.
H="$T/hostile"; mkdir -p "$H"
NOW=$(date +%s)

# 1. An output that is not a regular file is never replaced: a device or FIFO is written in
#    place, a symlink followed (its target replaced), a directory or a FIFO without reader refused.
mknod "$H/null" c 1 3
succeed "1 output is a device (written in place)" -- render "$SAMPLE" -o "$H/null"
check "1 the device is still a device" test -c "$H/null"
mkfifo "$H/fifo"
cat "$H/fifo" > "$H/fifo.out" & READER=$!
succeed "1 output is a FIFO with a reader (written in place)" -- render "$SAMPLE" -o "$H/fifo"
wait "$READER"
check "1 the FIFO is still a FIFO" test -p "$H/fifo"
check "1 the FIFO's reader got the PNG" is_png "$H/fifo.out"
expect "1 output is a FIFO without a reader" "$H/fifo" "no process is reading" -- render "$SAMPLE" -o "$H/fifo"
echo old > "$H/target.png"; ln -s target.png "$H/link.png"
succeed "1 output is a symlink (followed)" -- render "$SAMPLE" -o "$H/link.png"
check "1 the symlink is still a symlink" test -L "$H/link.png"
check "1 its target was replaced by the PNG" is_png "$H/target.png"
mkdir -p "$H/adir"
expect "1 output is a directory" "$H/adir" "is a directory" -- render "$SAMPLE" -o "$H/adir"
python3 -c "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$H/sock"
expect "1 output is a socket" "$H/sock" "is a socket" -- render "$SAMPLE" -o "$H/sock"
check "1 the socket is still a socket" test -S "$H/sock"
check "1 no temporary file left" no_temporaries "$H"

# 2. --fps: refused at parse time with its range, or written exactly; no earlier output lost.
printf 'head_x\n0\n' > "$H/one.csv"
mkdir -p "$H/fps" && echo old > "$H/fps/animation.png"
for f in 1e-300 5e-324 0 -1 nan 1e9 0.33333; do
  expect "2 --fps $f refused" "--fps" "65535" -- "$BIN" animate "$SAMPLE" "$H/one.csv" -o "$H/fps" "--fps=$f" --weights "$WEIGHTS"
done
check "2 the earlier animation.png is untouched" grep -qx old "$H/fps/animation.png"
delay() { python3 - "$1" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read(); i = b.index(b"fcTL")
print("%d/%d" % struct.unpack(">HH", b[i + 24:i + 28]))
EOF
}
succeed "2 --fps 0.001 renders" -- "$BIN" animate "$SAMPLE" "$H/one.csv" -o "$H/fps" --fps 0.001 --weights "$WEIGHTS" --quiet
check "2 --fps 0.001 is a delay of exactly 1000/1 s" test "$(delay "$H/fps/animation.png")" = "1000/1"
succeed "2 --fps 30000/1001 renders" -- "$BIN" animate "$SAMPLE" "$H/one.csv" -o "$H/fps" --fps 30000/1001 --weights "$WEIGHTS" --quiet
check "2 --fps 30000/1001 is a delay of exactly 1001/30000 s" test "$(delay "$H/fps/animation.png")" = "1001/30000"

# 3. SIGINT / SIGTERM mid-animate: "interrupted after N of M frames", 130 / 143, no temporary
#    file; a run killed outright leaves its temporary file, swept by the next run in that folder.
python3 -c "print('head_x'); [print(i / 100) for i in range(60)]" > "$H/long.csv"
interrupt() {  # interrupt SIGNAL FOLDER: starts animate, sends SIGNAL after two frames, prints rc
  "$BIN" animate "$SAMPLE" "$H/long.csv" -o "$2" --weights "$WEIGHTS" --quiet 2> "$2.err" > /dev/null & local pid=$!
  for _ in $(seq 600); do [ -e "$2/000001.png" ] && break; sleep 0.1; done
  kill -s "$1" "$pid"; wait "$pid"; echo $?
}
rc=$(interrupt INT "$H/int")
check "3 SIGINT: exit 130" test "$rc" = 130
check "3 SIGINT: 'interrupted after N of 60 frames'" grep -Eq "interrupted after [0-9]+ of 60 frames" "$H/int.err"
check "3 SIGINT: no temporary file, no animation.png" eval 'no_temporaries "$H/int" && [ ! -e "$H/int/animation.png" ]'
rc=$(interrupt TERM "$H/term")
check "3 SIGTERM: exit 143" test "$rc" = 143
check "3 SIGTERM: 'interrupted after N of 60 frames'" grep -Eq "interrupted after [0-9]+ of 60 frames" "$H/term.err"
check "3 SIGTERM: no temporary file" no_temporaries "$H/term"
rc=$(interrupt KILL "$H/kill")
check "3 SIGKILL leaves a temporary file (the case the sweep is for)" eval '! no_temporaries "$H/kill"'
check "6 the killed run left frames past 000000.png" test -e "$H/kill/000001.png"
sleep 2  # the sweep leaves files younger than 2 s alone (a writer that has not locked it yet)
succeed "3 a new run in the killed run's folder" -- "$BIN" animate "$SAMPLE" "$H/one.csv" -o "$H/kill" --weights "$WEIGHTS" --quiet
check "3 ... swept the dead run's temporary file" no_temporaries "$H/kill"
# 6. Stale frames of a longer earlier run are removed: the folder holds exactly this run's.
check "6 ... which the new 1-frame run removed" test "$(ls "$H/kill")" = "$(printf '000000.png\nanimation.png')"

# 7. A 10 MB CSV line: the message quotes at most ~80 characters, quickly.
python3 -c "import sys; sys.stdout.write('head_x,mouth_aaa\n0.1,' + '7' * 10_000_000 + '\n')" > "$H/long-cell.csv"
python3 -c "import sys; sys.stdout.write('head_x,mouth_aaa\n0.1,0.2' + ',3' * 5_000_000 + '\n')" > "$H/long-row.csv"
for c in long-cell long-row; do
  start=$(date +%s%N)
  expect "7 CSV $c" "$H/$c.csv:2" -- "$BIN" animate "$SAMPLE" "$H/$c.csv" -o "$H/anim-$c" --weights "$WEIGHTS"
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  bytes=$("$BIN" animate "$SAMPLE" "$H/$c.csv" -o "$H/anim-$c" --weights "$WEIGHTS" 2>&1 | wc -c)
  check "7 CSV $c: message of $bytes bytes (< 400), in $ms ms (< 5000)" test "$bytes" -lt 400 -a "$ms" -lt 5000
done

# 8. A NUL byte in a cell is refused with file, line and column.
printf 'head_x,mouth_aaa\n0,0\n0.1,0.1\000junk\n' > "$H/nul.csv"
expect "8 CSV NUL byte" "$H/nul.csv:3:2" "NUL" -- "$BIN" animate "$SAMPLE" "$H/nul.csv" -o "$H/anim-nul" --weights "$WEIGHTS"

# 9. Output paths are checked (folders created) before anything is loaded or rendered: a bad
#    output is reported even with a missing weights folder; legal long names work.
expect "9 pose output under a file, found before loading" "$T/a-file" -- "$BIN" pose "$SAMPLE" -o "$T/a-file/x.png" --weights "$H/no-weights"
expect "9 animate output under a file, found before loading" "$T/a-file" -- "$BIN" animate "$SAMPLE" "$H/one.csv" -o "$T/a-file/x" --weights "$H/no-weights"
LONG="$H/$(printf 'n%.0s' $(seq 251)).png"
succeed "9 a 255-character output name" -- render "$SAMPLE" -o "$LONG"
check "9 ... written" is_png "$LONG"
succeed "9 pose into a missing folder (created)" -- render "$SAMPLE" -o "$H/new/sub/out.png"
check "9 ... written" is_png "$H/new/sub/out.png"

# 10. Messages give the real reason with the path.
expect "10 image is a directory" "$H/adir" "is a directory" -- render "$H/adir" -o "$H/o.png"
expect "10 image is a FIFO" "$H/fifo" "is a FIFO" -- render "$H/fifo" -o "$H/o.png"
expect "10 image is /dev/zero" "/dev/zero" "is a character device" -- render /dev/zero -o "$H/o.png"
expect "10 CSV is a directory" "$H/adir" "is a directory" -- "$BIN" animate "$SAMPLE" "$H/adir" -o "$H/a10" --weights "$WEIGHTS"
rm -rf "$H/w"; mkdir -p "$H/w"; cp "$WEIGHTS"/*.safetensors "$H/w/"; rm "$H/w/editor.safetensors"; mkdir "$H/w/editor.safetensors"
expect "10 weights entry is a directory" "$H/w/editor.safetensors" "is a directory" -- "$BIN" pose "$SAMPLE" -o "$H/o.png" --weights "$H/w"

# 5. weights verify: every file the model needs must be in the manifest.
rm -rf "$H/v"; mkdir -p "$H/v"; cp -r "$WEIGHTS"/*.safetensors "$WEIGHTS/manifest.json" "$WEIGHTS/samples" "$H/v/"
python3 - "$H/v/manifest.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1])); m["files"] = {}; json.dump(m, open(sys.argv[1], "w"))
EOF
expect "5 verify, manifest with no files" "editor.safetensors" "not in the manifest" "5 failed" -- "$BIN" weights verify --weights "$H/v"
cp "$WEIGHTS/manifest.json" "$H/v/"
python3 - "$H/v/manifest.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1])); del m["files"]["editor.safetensors"]; json.dump(m, open(sys.argv[1], "w"))
EOF
expect "5 verify, one network dropped" "editor.safetensors" "not in the manifest" "1 failed" -- "$BIN" weights verify --weights "$H/v"

# 11. Damaged weights do not render: a NaN is refused at load, naming the file and tensor (a
#     flipped bit that stays finite is for `weights verify`, see the README's Reliability).
rm -rf "$H/nan"; mkdir -p "$H/nan"; cp "$WEIGHTS"/*.safetensors "$H/nan/"
NANKEY=$(python3 - "$H/nan/editor.safetensors" <<'EOF'
import json, struct, sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n]); k = sorted(k for k in h if k != "__metadata__")[0]
b[8 + n + h[k]["data_offsets"][0]:8 + n + h[k]["data_offsets"][0] + 4] = struct.pack("<I", 0x7FC00000)
open(p, "wb").write(bytes(b)); print(k)
EOF
)
rm -f "$H/o.png"
expect "11 NaN in the weights" "$H/nan/editor.safetensors" "$NANKEY" "nan" -- "$BIN" pose "$SAMPLE" -o "$H/o.png" --weights "$H/nan"
check "11 nothing written for damaged weights" test ! -e "$H/o.png"
echo "hostile inputs: $(( $(date +%s) - NOW )) s"
