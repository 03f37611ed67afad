#!/usr/bin/env bash
# Runs the Swift test suite (release, testable) and, when it fails, repeats every failing
# assertion and test case at the very end of the output, so a CI log cut to its last lines
# still says what failed. The full log is kept in .build/swift-test.log.
#
#   bash Scripts/swift_test.sh [extra swift test arguments]
set -uo pipefail
cd "$(dirname "$0")/.."
LOG=.build/swift-test.log
mkdir -p .build
# The tests are XCTest; without --disable-swift-testing the run would end on Swift Testing's
# "0 tests" line, which reads as if nothing had run.
swift test -c release -Xswiftc -enable-testing --skip-build --disable-swift-testing "$@" 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo
  echo "=== swift test failed (exit $status); failures, from $LOG ==="
  grep -E "error: |: error|Test Case .* failed|Fatal error|Crash|signal" "$LOG" | cut -c1-600 | tail -n 40
fi
exit "$status"
