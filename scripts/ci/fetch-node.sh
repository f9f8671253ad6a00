#!/usr/bin/env bash
# Prints the path of a Node binary for linux-<arch> (x64 or arm64) from the npm registry's `node-linux-*`
# packages, fetched once into .cache/ (ignored by git). CI uses it to test another Node major and arm64.
#
#   scripts/ci/fetch-node.sh <x64|arm64> [version, default 22.23.3]
set -euo pipefail
arch="$1"
version="${2:-22.23.3}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$root/.cache/node-linux-$arch-$version"
if [ ! -x "$dir/bin/node" ]; then
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$version" >/dev/null 2>&1)
  mkdir -p "$dir"
  tar -xzf "$tmp"/node-linux-"$arch"-*.tgz -C "$dir" --strip-components=1 package/bin/node
  rm -rf "$tmp"
fi
echo "$dir/bin/node"
