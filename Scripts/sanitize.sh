#!/usr/bin/env bash
# The test suite under sanitizers (not part of `make test`: each build takes minutes).
#
#   bash Scripts/sanitize.sh thread     # ThreadSanitizer on the concurrency test (4 threads, one TalkingHead)
#   bash Scripts/sanitize.sh address    # AddressSanitizer + LeakSanitizer on every test target
#                                       # (the fidelity targets need `make fixtures` first)
#
# Builds go to .build-<sanitizer>/ so the normal release build is untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
KIND="${1:?usage: sanitize.sh thread|address [swift test --filter pattern]}"
FILTER="${2:-}"
case "$KIND" in
  thread) FILTER="${FILTER:-ConcurrencyTests}" ;;
  address) ;;
  *) echo "sanitize.sh: unknown sanitizer $KIND" >&2; exit 2 ;;
esac
BUILD=".build-$KIND"
export TALKING_HEAD_WEIGHTS="${TALKING_HEAD_WEIGHTS:-$PWD/Weights}"
export LSAN_OPTIONS="suppressions=$PWD/Scripts/lsan.supp:print_suppressions=1"
swift build -c release -Xswiftc -enable-testing --sanitize="$KIND" --build-tests --build-path "$BUILD"
ARGS=(-c release -Xswiftc -enable-testing --sanitize="$KIND" --build-path "$BUILD" --skip-build)
[ -n "$FILTER" ] && ARGS+=(--filter "$FILTER")
LOG="$BUILD/sanitize.log"
set +e
swift test "${ARGS[@]}" 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
set -e
reports=$(grep -cE "WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer" "$LOG" || true)
echo "sanitize ($KIND): exit $status, $reports sanitizer reports (log: $LOG)"
[ "$status" -eq 0 ] && [ "$reports" -eq 0 ]
