#!/usr/bin/env bash
# libFuzzer on the parsers of untrusted input: PNG (through libpng), pose CSV, safetensors, and
# face capture (iFacialMocap, VMC/OSC, OpenSeeFace packets, Live Link Face CSV).
# Not part of `make test`. Each target is built with -sanitize=fuzzer,address (linked with lld:
# gold fails on these binaries) into .build-fuzz/, seeded from the committed corpus in
# Fuzz/Corpus, and run for SECONDS (default 60), all targets at once. A crash, an ASan report or
# a failed precondition stops the target, leaves the input in .build-fuzz/crash-<target>-*, and
# makes the script exit non-zero (add the input to the target's tests as a regression case).
#
#   bash Scripts/fuzz.sh [SECONDS] [FuzzPNG|FuzzCSV|FuzzSafeTensors|FuzzIFacialMocap|FuzzVMC|FuzzOpenSeeFace|FuzzLiveLinkFace ...]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-60}"; shift || true
ALL=(FuzzPNG FuzzCSV FuzzSafeTensors FuzzIFacialMocap FuzzVMC FuzzOpenSeeFace FuzzLiveLinkFace)
TARGETS=("$@"); [ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL[@]}")
OUT="$PWD/.build-fuzz"
for target in "${ALL[@]}"; do mkdir -p "$OUT/corpus/$target"; done

# Seeds: the committed corpus Fuzz/Corpus/<target> (small valid inputs of each kind; the
# fuzzer mutates from these and grows its working copy in .build-fuzz/corpus).
for target in "${ALL[@]}"; do cp -n Fuzz/Corpus/$target/* "$OUT/corpus/$target/"; done

for target in "${TARGETS[@]}"; do
  (cd Fuzz && swift build -c release --build-path "$OUT/build" --product "$target" \
      -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld -Xswiftc -enable-testing)
done
# The targets run at the same time (each libFuzzer process is single-threaded).
for target in "${TARGETS[@]}"; do
  echo "fuzz: $target for ${SECONDS_EACH}s"
  "$OUT/build/release/$target" "$OUT/corpus/$target" -max_total_time="$SECONDS_EACH" -max_len=65536 \
      -artifact_prefix="$OUT/crash-$target-" -print_final_stats=1 > "$OUT/$target.log" 2>&1 &
  echo $! > "$OUT/$target.pid"
done
status=0
for target in "${TARGETS[@]}"; do
  if wait "$(cat "$OUT/$target.pid")"; then result=clean; else result="FAILED (log $OUT/$target.log)"; status=1; fi
  runs=$(grep -oE "stat::number_of_executed_units: [0-9]+" "$OUT/$target.log" | grep -oE "[0-9]+$" || echo "?")
  echo "fuzz: $target $result: $runs executions in ${SECONDS_EACH}s"
done
exit $status
