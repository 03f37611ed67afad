#!/usr/bin/env bash
# The live server as real processes on free loopback ports: the protocol and API tests (Python
# stdlib client), then the page in headless Chromium (Selenium from $BROWSER_VENV). Each step is
# bounded in time and ends with a 'server tests: N passed, N failed' line.
#   bash Tests/Server/run_server_tests.sh BINARY WEIGHTS_DIR [BROWSER_VENV]
set -uo pipefail
BIN=${1:?binary}; WEIGHTS=${2:?weights dir}; VENV=${3:-.venv-browser}
HERE=$(cd "$(dirname "$0")" && pwd)
CHARACTER=$(ls "$WEIGHTS"/samples/*.png 2>/dev/null | head -n 1)
[ -n "$CHARACTER" ] || { echo "server tests: no sample character in $WEIGHTS/samples (run make weights)"; exit 1; }
status=0
timeout 600 python3 "$HERE/server_tests.py" "$BIN" "$WEIGHTS" "$CHARACTER" || status=1
timeout 300 "$VENV/bin/python" "$HERE/browser_test.py" "$BIN" "$WEIGHTS" "$CHARACTER" || status=1
exit $status
