#!/usr/bin/env bash
# cmake-js builds the addon from CMakeLists.txt (same source list as binding.gyp) into build-cmake/, and
# the native tests run against that binary (FASTGRAD_ADDON_PATH; the kernel tests switch through every
# ISA the CPU has).
set -euo pipefail
cd "$(dirname "$0")/../.."
npx cmake-js rebuild --out build-cmake --log-level warn >/dev/null
addon="$PWD/build-cmake/Release/fastgrad.node"
info="$(FASTGRAD_ADDON_PATH="$addon" node dist/cli/main.js info --json)"
echo "cmake-test: $info"
grep -q "\"binary\":\"$addon\"" <<<"$info" || { echo "cmake-test: FAILED: the cmake-js binary was not loaded" >&2; exit 1; }
FASTGRAD_ADDON_PATH="$addon" npx vitest run $(scripts/ci/native-test-files.sh)
