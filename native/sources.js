#!/usr/bin/env node
// The one list of native sources, read by binding.gyp (node-gyp) and CMakeLists.txt (cmake-js).
// A file's instruction set is in its name, so adding a kernel never means editing a build file:
//   *__avx2.cc    compiled with -mavx2 -mfma                       (x86-64 only)
//   *__avx512.cc  compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma (x86-64 only)
//   *__neon.cc    compiled for arm64 (NEON is baseline there)
//   anything else compiled with the baseline flags of the target (generic kernels, glue, driver code)
// Usage: node native/sources.js <common|avx2|avx512|neon> [--sep=;]
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const kinds = ['common', 'avx2', 'avx512', 'neon'];
const kind = process.argv[2];
if (!kinds.includes(kind)) {
  console.error(`usage: node native/sources.js <${kinds.join('|')}>`);
  process.exit(2);
}
const sepArg = process.argv.find((a) => a.startsWith('--sep='));
const sep = sepArg ? sepArg.slice('--sep='.length) : ' ';

function walk(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.name.endsWith('.cc')) out.push(p);
  }
  return out;
}

function kindOf(file) {
  const m = /__(avx2|avx512|neon)\.cc$/.exec(file);
  return m ? m[1] : 'common';
}

const files = walk(path.join(root, 'native'))
  .filter((f) => kindOf(f) === kind)
  .map((f) => path.relative(root, f).split(path.sep).join('/'));
process.stdout.write(files.join(sep));
