#!/usr/bin/env bash
# The install a user gets: pack the tarball, install it into an empty project with no compiler on
# PATH, no network (--offline) and no install scripts (--ignore-scripts), and train on the native
# backend from the prebuild; `import` and `require` both work; `npx fastgrad info` says which binary.
# Then take the prebuild away: fastgrad must load pure JS with ONE warning naming the platform and
# the command that builds from source, and still train.
#
#   scripts/ci/pack-install-test.sh [tarball]    (packs one with `npm pack` when none is given)
#
# Puts fastgrad's dependencies (the lockfile's versions) into the npm cache first, from the registry,
# so that the install itself runs offline like a user's on a machine that has them cached (`npm ci`
# caches tarballs only, not the metadata an install into a new project resolves versions from).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/fastgrad-pack.XXXXXX")"
trap 'rm -rf "$work"' EXIT
step() { echo "pack-install-test: $*"; }
fail() { echo "pack-install-test: FAILED: $*" >&2; exit 1; }

if [ $# -ge 1 ]; then
  tgz="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
else
  step "npm pack (prepack builds dist/ and prebuilds/)"
  (cd "$root" && npm pack --silent --pack-destination "$work" >/dev/null)
  tgz="$(ls "$work"/fastgrad-*.tgz)"
fi
step "tarball $(basename "$tgz"): $(du -k "$tgz" | cut -f1) KiB"

# What must and must not be in it.
listing="$(tar -tzf "$tgz")"
for f in package/dist/index.js package/dist/index.mjs package/dist/index.d.ts package/dist/cli/main.js \
         package/prebuilds/linux-x64/fastgrad.node package/prebuilds/linux-arm64/fastgrad.node package/binding.gyp package/CMakeLists.txt \
         package/native/sources.js package/scripts/build-native.js package/package.json; do
  grep -qx "$f" <<<"$listing" || fail "tarball lacks $f"
done
if grep -E '^package/(test|data|bench|src|\.ci|build|build-[^/]*)/' <<<"$listing"; then fail "tarball holds files it must not"; fi

# A PATH with node, npm and basic tools only: no compiler, no make, no python.
bin="$work/bin"
mkdir -p "$bin"
for t in node npm npx sh bash env cat ls rm mkdir mv cp grep sed tar gzip dirname basename uname; do
  p="$(command -v "$t" || true)"
  [ -n "$p" ] && ln -s "$(readlink -f "$p")" "$bin/$t"
done
# npm and npx are scripts that find their package from their own (resolved) path.
ln -sf "$(readlink -f "$(command -v npm)")" "$bin/npm"
ln -sf "$(readlink -f "$(command -v npx)")" "$bin/npx"
nocc() { env -i HOME="$HOME" PATH="$bin" TMPDIR="${TMPDIR:-/tmp}" npm_config_cache="$(npm config get cache 2>/dev/null)" "$@"; }
for cc in g++ gcc cc c++ clang make python3; do
  nocc sh -c "command -v $cc" >/dev/null 2>&1 && fail "$cc is on the restricted PATH"
done

deps="$(cd "$root" && node -e "
  const lock = require('./package-lock.json'), deps = Object.keys(require('./package.json').dependencies || {});
  console.log(deps.map((d) => d + '@' + lock.packages['node_modules/' + d].version).join(' '));")"
step "npm cache add $deps"
npm cache add $deps >/dev/null

app="$work/app"
mkdir -p "$app"
echo '{ "name": "fastgrad-user", "version": "1.0.0", "private": true }' >"$app/package.json"
step "npm install --offline --ignore-scripts (no compiler on PATH)"
(cd "$app" && nocc npm install --offline --ignore-scripts --no-audit --no-fund --loglevel=error "$tgz")
cp "$root/scripts/ci/smoke-train.cjs" "$app/"

step "train through require() on the prebuild"
out="$(cd "$app" && nocc node smoke-train.cjs native 2>&1)" || fail "training failed: $out"
echo "  $out"
grep -q '"backend":"native"' <<<"$out" || fail "not on the native backend"
grep -qi warning <<<"$out" && fail "unexpected warning: $out"

step "import (ES module) and the types entry"
cat >"$app/esm.mjs" <<'JS'
import * as fg from 'fastgrad';
import fgDefault from 'fastgrad';
import { createRequire } from 'node:module';
const cjs = createRequire(import.meta.url)('fastgrad');
if (fg.backendInfo().backend !== 'native') throw new Error('ESM: not native');
if (fgDefault.Tensor !== cjs.Tensor || fg.Tensor !== cjs.Tensor) throw new Error('import and require load two copies');
const t = fg.tensor([[1, 2], [3, 4]]).matmul(fg.tensor([[1], [1]]));
if (t.data[0] !== 3 || t.data[1] !== 7) throw new Error('ESM: wrong matmul');
console.log('  import ok:', JSON.stringify(fg.backendInfo()));
JS
(cd "$app" && nocc node esm.mjs)
types="$(cd "$app" && nocc node -p "require('fastgrad/package.json').exports['.'].types")"
[ -f "$app/node_modules/fastgrad/${types#./}" ] || fail "types entry $types missing"

step "npx fastgrad info"
info="$(cd "$app" && nocc npx --offline fastgrad info)"
echo "$info" | sed 's/^/  /'
grep -Eq '^binarySource +prebuild \(linux-x64\)' <<<"$info" || fail "info does not name the prebuild"
json="$(cd "$app" && nocc npx --offline fastgrad info --json)"
grep -q '"backend":"native"' <<<"$json" || fail "info --json: not native"

step "install WITH scripts (npm's default) and no compiler: the install step finds the prebuild"
app2="$work/app2"
mkdir -p "$app2"
cp "$app/package.json" "$app2/"
(cd "$app2" && nocc npm install --offline --no-audit --no-fund --loglevel=error "$tgz")
[ -d "$app2/node_modules/fastgrad/build" ] && fail "the install step built from source although a prebuild fits"
(cd "$app2" && cp "$root/scripts/ci/smoke-train.cjs" . && nocc node smoke-train.cjs native >/dev/null)

step "no prebuild for this platform: pure JS with one warning"
mv "$app/node_modules/fastgrad/prebuilds" "$work/prebuilds.off"
out="$(cd "$app" && nocc node smoke-train.cjs js 2>&1)" || fail "JS fallback training failed: $out"
echo "$out" | sed 's/^/  /'
n="$(grep -c 'Warning' <<<"$out" || true)"
[ "$n" = 1 ] || fail "expected exactly one warning, got $n"
grep -q "linux-x64" <<<"$out" || fail "the warning does not name the platform"
grep -q "npm run build:native" <<<"$out" || fail "the warning does not name the build command"
info="$(cd "$app" && nocc npx --offline fastgrad info 2>/dev/null)"
grep -Eq '^backend +js' <<<"$info" || fail "info does not report the js backend"
out="$(cd "$app" && nocc env FASTGRAD_BACKEND=js node smoke-train.cjs js 2>&1)"
grep -q Warning <<<"$out" && fail "FASTGRAD_BACKEND=js should silence the warning"

step "OK"
