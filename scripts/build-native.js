#!/usr/bin/env node
// Builds the native addon from binding.gyp with node-gyp, offline, against the headers of the Node
// that runs this script.
//
// Why a script and not a bare `node-gyp rebuild`: called directly, node-gyp wants to download Node's
// headers (there is no network here or on many servers); npm passes its `nodedir` setting only to
// its own scripts. We find the headers ourselves and pass --nodedir explicitly.
//
//   node scripts/build-native.js              rebuild always (npm run build:native)
//   node scripts/build-native.js --if-needed  the package's install step: do nothing when a prebuild
//                                             or an earlier build loads; never fail the install (the
//                                             library falls back to pure JS and says how to build)
//   node scripts/build-native.js --debug      a debug build
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { nodeHeadersDir, nodeGypCommand } = require('./native-toolchain');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const ifNeeded = args.includes('--if-needed');

function addonLoads() {
  try {
    require('node-gyp-build')(root);
    return true;
  } catch {
    return false;
  }
}

if (ifNeeded && addonLoads()) process.exit(0);

const nodedir = nodeHeadersDir();
const [cmd, ...pre] = nodeGypCommand();
const gypArgs = [...pre, 'rebuild', '-j', 'max'];
if (nodedir) gypArgs.push(`--nodedir=${nodedir}`);
if (args.includes('--debug')) gypArgs.push('--debug');
const r = spawnSync(cmd, gypArgs, { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  const msg = `fastgrad: building the native addon failed (node-gyp exit ${r.status}). ` +
    'fastgrad will run on its pure-JS backend. To build it later: install a C++ compiler, make and python3, ' +
    'then run `npm run build:native` in the fastgrad folder.';
  if (ifNeeded) {
    console.warn(msg);
    process.exit(0);
  }
  console.error(msg);
  process.exit(r.status ?? 1);
}
