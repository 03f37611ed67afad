#!/usr/bin/env bash
# The lip-sync evaluation of issue 16 (not a unit test): an espeak-ng corpus (7 languages,
# 16 voice variants, 5 speeds/pitches; Benchmarks/lipsync/Corpus.swift) synthesised through
# libespeak-ng, ground truth from its phoneme events on a 10 ms grid, scored per language.
#   bash Benchmarks/lipsync_eval.sh            # scores on the test part (voices, sentences,
#                                              # prosody not used for training or tuning)
#   bash Benchmarks/lipsync_eval.sh --train    # retrain the built-in templates and the frame
#                                              # classifiers first (fixed seeds; needs PyTorch:
#                                              # REF_VENV, default .venv-ref, `make reference`)
#   bash Benchmarks/lipsync_eval.sh --before   # also the earlier template method, for comparison
# LipSyncEval lives in the Benchmarks package (not a product of the main one).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
build() { (cd Benchmarks && swift build -c release --product LipSyncEval >/dev/null); }
build
BIN=$ROOT/Benchmarks/.build/release/LipSyncEval
EVAL_ARGS=()
for arg in "$@"; do
  case "$arg" in
    --train)
      PY=${REF_VENV:-.venv-ref}/bin/python
      [ -x "$PY" ] || { echo "lipsync_eval.sh: --train needs PyTorch in ${REF_VENV:-.venv-ref} (make reference)" >&2; exit 2; }
      "$BIN" train Sources/TalkingHeadSpeech/Resources/vowel_templates.json
      CORPUS=$(mktemp /tmp/lipsync_train.XXXXXX.bin)
      "$BIN" dump "$CORPUS" 100
      "$PY" Benchmarks/lipsync/train_model.py "$CORPUS" Sources/TalkingHeadSpeech/Resources/lipsync_model.json
      rm -f "$CORPUS"
      build ;;
    --before) EVAL_ARGS+=(--before) ;;
    *) echo "lipsync_eval.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) ($(grep -m1 -o avx512f /proc/cpuinfo || echo no avx512f)); $(uptime | sed 's/.*load/load/')"
"$BIN" eval --part test "${EVAL_ARGS[@]}"
"$BIN" calibrated
