#!/usr/bin/env node
// Builds the prebuilt binary shipped in the npm tarball: prebuilds/<platform>-<arch>/fastgrad.node
// (prebuildify --napi --strip, one N-API binary for every Node >= 20 that holds every ISA path of its
// architecture and picks one at load time). node-gyp-build loads it at run time, so users need no
// compiler and install scripts may be skipped.
//
//   node scripts/prebuild.js               this machine's platform and arch (npm run prebuild)
//   node scripts/prebuild.js --arch=arm64  cross-compile for linux-arm64 with Debian's
//                                          aarch64-linux-gnu toolchain (CC/CXX override it)
//
// The build runs in a staging folder (build-prebuild-<arch>/, links to native/ and node_modules/) so
// it never replaces build/Release, the developer's own build: a cross-compiled binary there would make
// every test silently fall back to pure JS.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const prebuildify = require('prebuildify');
const { nodeHeadersDir, nodeGypCommand } = require('./native-toolchain');

const root = path.resolve(__dirname, '..');
const archArg = process.argv.find((a) => a.startsWith('--arch='));
const arch = archArg ? archArg.slice('--arch='.length) : process.arch;
const cross = arch !== process.arch;

// prebuildify hands process.env to node-gyp (its own env option is overwritten).
const env = process.env;
const nodedir = nodeHeadersDir();
if (nodedir) env.npm_config_nodedir = nodedir;  // node-gyp reads its options from npm_config_*
let stripBin = 'strip';
if (cross) {
  if (process.platform !== 'linux' || arch !== 'arm64') {
    console.error(`fastgrad: cross prebuilds are set up for linux-arm64 only, not ${process.platform}-${arch}`);
    process.exit(2);
  }
  env.CC = env.CC || 'aarch64-linux-gnu-gcc';
  env.CXX = env.CXX || 'aarch64-linux-gnu-g++';
  env.LINK = env.LINK || env.CXX;
  stripBin = 'aarch64-linux-gnu-strip';
  const found = spawnSync('sh', ['-c', `command -v ${env.CXX.split(' ')[0]}`]).status === 0;
  if (!found) {
    console.error(`fastgrad: ${env.CXX} not found: the linux-arm64 prebuild needs Debian's cross compiler ` +
      '(apt-get install g++-aarch64-linux-gnu), or set CC/CXX');
    process.exit(1);
  }
}

const stage = path.join(root, `build-prebuild-${arch}`);
fs.rmSync(stage, { recursive: true, force: true });
fs.mkdirSync(stage, { recursive: true });
for (const f of ['binding.gyp', 'package.json']) fs.copyFileSync(path.join(root, f), path.join(stage, f));
for (const d of ['native', 'node_modules']) fs.symlinkSync(path.join(root, d), path.join(stage, d), 'dir');

// prebuildify runs node-gyp through a shell; npm's bundled node-gyp is always there with npm.
const nodeGyp = nodeGypCommand().map((p) => JSON.stringify(p)).join(' ');
const out = path.join(root, 'prebuilds', `${process.platform}-${arch}`);
fs.rmSync(out, { recursive: true, force: true });

prebuildify(
  {
    cwd: stage,
    out: root,
    napi: true,
    strip: true,
    stripBin,
    arch,
    targets: [process.versions.node],
    nodeGyp,
    shell: '/bin/sh',
  },
  (err) => {
    if (err) {
      console.error(`fastgrad: prebuild for ${process.platform}-${arch} failed: ${err.message}`);
      process.exit(1);
    }
    for (const f of fs.readdirSync(out)) {
      const size = fs.statSync(path.join(out, f)).size;
      console.log(`prebuilds/${process.platform}-${arch}/${f} (${(size / 1024).toFixed(0)} KiB)`);
    }
  },
);
