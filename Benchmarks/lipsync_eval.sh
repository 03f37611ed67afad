#!/usr/bin/env bash
# The lip-sync evaluation of issue 16 (not a unit test): an espeak-ng corpus (7 languages,
# 16 voice variants, 5 speeds/pitches; Benchmarks/lipsync/Corpus.swift) synthesised through
# libespeak-ng, ground truth from its phoneme events on a 10 ms grid, scored per language.
#   bash Benchmarks/lipsync_eval.sh            # scores on the test part (voices, sentences,
#                                              # prosody not used for training or tuning)
#   bash Benchmarks/lipsync_eval.sh --train    # retrain the built-in templates first
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product LipSyncEval >/dev/null
BIN=.build/release/LipSyncEval
if [ "${1:-}" = "--train" ]; then
  "$BIN" train Sources/TalkingHeadSpeech/Resources/vowel_templates.json
  swift build -c release --product LipSyncEval >/dev/null
fi
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) ($(grep -m1 -o avx512f /proc/cpuinfo || echo no avx512f))"
"$BIN" eval --part test
"$BIN" calibrated
