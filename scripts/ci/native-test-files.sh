#!/usr/bin/env bash
# Prints the test files that exercise the native addon, for the CI runs against other builds of it
# (cmake-js, sanitizers, another Node, arm64). Chosen by content, so new test files join by themselves.
#
#   scripts/ci/native-test-files.sh            every test that touches the native backend
#   scripts/ci/native-test-files.sh --kernels  the kernel tests: they call the native backend directly
#                                              (every ISA it has) and start no child processes (qemu-user
#                                              without binfmt cannot run a child arm64 node)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" = --kernels ]; then
  grep -l -E "getBackend\('native'\)|availableIsas" test/*.test.ts | xargs grep -L "child_process"
else
  grep -l "native" test/*.test.ts
fi
