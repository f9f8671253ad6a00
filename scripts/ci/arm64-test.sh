#!/usr/bin/env bash
# linux-arm64: cross-compiles prebuilds/linux-arm64/fastgrad.node (NEON kernels) with Debian's
# aarch64-linux-gnu toolchain and runs the kernel tests and a short training on an arm64 Node from the
# npm registry under qemu-user. Emulation checks correctness (every NEON kernel against the JS
# reference), not speed.
#
# Needs g++-aarch64-linux-gnu and qemu-user-static (.ci/run installs them) and the npm registry (the
# arm64 Node and the arm64 builds of vitest's native dependencies, cached under .cache/).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu

npm run prebuild:arm64 --silent >/dev/null
node_arm64="$(scripts/ci/fetch-node.sh arm64 22.23.3)"
run_arm64() { qemu-aarch64-static "$node_arm64" "$@"; }
echo "arm64-test: node $(run_arm64 --version) under $(qemu-aarch64-static --version | head -1)"

# A copy of the project whose node_modules hold arm64 builds of the test runner's native parts
# (rolldown, lightningcss); reinstalled only when the lockfile changes.
tree="$root/.cache/arm64-tree"
lock_hash="$(sha256sum package-lock.json | cut -c1-16)"
if [ "$(cat "$tree/.lock-hash" 2>/dev/null)" != "$lock_hash" ]; then
  rm -rf "$tree"
  mkdir -p "$tree"
  cp package.json package-lock.json "$tree/"
  (cd "$tree" && npm ci --cpu=arm64 --os=linux --libc=glibc --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" >"$tree/.lock-hash"
fi
rm -rf "$tree/src" "$tree/test" "$tree/dist" "$tree/prebuilds"
cp -r package.json vitest.config.ts tsconfig.json src test dist "$tree/"
mkdir -p "$tree/prebuilds"
cp -r prebuilds/linux-arm64 "$tree/prebuilds/"

info="$(cd "$tree" && run_arm64 dist/cli/main.js info --json)"
echo "arm64-test: $info"
grep -q '"availableIsas":\["generic","neon"\]' <<<"$info" || { echo "arm64-test: FAILED: NEON not available" >&2; exit 1; }

# Worker threads, not forks: a forked child would exec the arm64 node without qemu.
(cd "$tree" && run_arm64 node_modules/vitest/vitest.mjs run --pool=threads $(cd "$root" && scripts/ci/native-test-files.sh --kernels))
(cd "$tree" && FASTGRAD_MODULE="$tree/dist/index.js" run_arm64 "$root/scripts/ci/smoke-train.cjs" native)
echo "arm64-test: OK"
