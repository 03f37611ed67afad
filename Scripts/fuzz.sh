#!/usr/bin/env bash
# libFuzzer on the three parsers of untrusted input: PNG (through libpng), pose CSV, safetensors.
# Not part of `make test`. Each target is built with -sanitize=fuzzer,address (linked with lld:
# gold fails on these binaries) into .build-fuzz/, seeded with a few small valid inputs written
# here, and run for SECONDS each (default 60). A crash, an ASan report or a failed precondition
# stops the target, leaves the input in .build-fuzz/crash-*, and makes the script exit non-zero.
#
#   bash Scripts/fuzz.sh [SECONDS] [FuzzPNG|FuzzCSV|FuzzSafeTensors ...]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-60}"; shift || true
TARGETS=("$@"); [ ${#TARGETS[@]} -gt 0 ] || TARGETS=(FuzzPNG FuzzCSV FuzzSafeTensors)
OUT="$PWD/.build-fuzz"
mkdir -p "$OUT"/corpus/{FuzzPNG,FuzzCSV,FuzzSafeTensors}

# Seeds: small valid inputs of each kind (the fuzzer mutates from these).
python3 - "$OUT/corpus" <<'PY'
import json, struct, sys, zlib
root = sys.argv[1]
def png(w, h, color_type, bit_depth, rows, extra=b""):
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0)
    raw = b"".join(b"\0" + r for r in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
seeds = {
    "rgba.png": png(3, 2, 6, 8, [bytes(range(12)), bytes(range(12, 24))]),
    "rgb.png": png(2, 2, 2, 8, [bytes(6), bytes([255] * 6)]),
    "gray.png": png(4, 1, 0, 8, [bytes([0, 85, 170, 255])]),
    "palette.png": png(2, 1, 3, 8, [bytes([0, 1])], extra=(lambda d: struct.pack(">I", len(d)) + b"PLTE" + d + struct.pack(">I", zlib.crc32(b"PLTE" + d)))(bytes([255, 0, 0, 0, 0, 255]))),
}
for name, data in seeds.items():
    open(f"{root}/FuzzPNG/{name}", "wb").write(data)
open(f"{root}/FuzzCSV/pose.csv", "w").write("eye_wink_left,mouth_aaa,head_x,neck_z\n0,0.5,-1,0.25\n1,0,0,0\n")
open(f"{root}/FuzzCSV/comment.csv", "w").write("# a comment\nbreathing\n0.5\n")
header = json.dumps({"__metadata__": {"format": "1"}, "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
                     "b": {"dtype": "F32", "shape": [1], "data_offsets": [16, 20]}}).encode()
open(f"{root}/FuzzSafeTensors/tiny.safetensors", "wb").write(struct.pack("<Q", len(header)) + header + struct.pack("<5f", 1, 2, 3, 4, 5))
PY

status=0
for target in "${TARGETS[@]}"; do
  (cd Fuzz && swift build -c release --build-path "$OUT/build" --product "$target" \
      -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld -Xswiftc -enable-testing)
  echo "fuzz: $target for ${SECONDS_EACH}s"
  set +e
  "$OUT/build/release/$target" "$OUT/corpus/$target" -max_total_time="$SECONDS_EACH" -max_len=65536 \
      -artifact_prefix="$OUT/crash-$target-" -print_final_stats=1 2>&1 | tee "$OUT/$target.log" | grep -E "^(#[0-9]+ +DONE|Done|==[0-9]+==|stat::number_of_executed_units)" || true
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" -ne 0 ]; then echo "fuzz: $target FAILED (exit $rc; log $OUT/$target.log)"; status=1; else echo "fuzz: $target clean"; fi
done
exit $status
