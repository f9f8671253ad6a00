#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer: cmake-js builds an instrumented addon into build-asan/
# and the native tests run against it. Node itself is not instrumented, so the sanitizer runtimes are
# preloaded; leak checking is off (it would flag the test runner's own native bindings). Any report
# fails the run: UBSan halts on the first error and the log is searched for reports as well.
set -euo pipefail
cd "$(dirname "$0")/../.."
npx cmake-js rebuild --out build-asan --CDFASTGRAD_SANITIZE=ON --log-level warn >/dev/null
addon="$PWD/build-asan/Release/fastgrad.node"
preload="$(g++ -print-file-name=libasan.so):$(g++ -print-file-name=libubsan.so)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
env LD_PRELOAD="$preload" ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  FASTGRAD_ADDON_PATH="$addon" node node_modules/vitest/vitest.mjs run $(scripts/ci/native-test-files.sh) 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if grep -E "ERROR: AddressSanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior)Sanitizer" "$log"; then
  echo "sanitize-test: FAILED: sanitizer reports above" >&2
  exit 1
fi
[ "$status" = 0 ] || { echo "sanitize-test: FAILED: tests failed under the sanitizers" >&2; exit 1; }
echo "sanitize-test: OK (no sanitizer reports)"
