#!/usr/bin/env node
// Compiles src/ to dist/ (CommonJS + declarations) and writes the ES-module entry dist/index.mjs.
// TypeScript 7's tsc emits dist/ even when it reports errors, so the exit code is what counts.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
let tsc;
try {
  tsc = path.join(path.dirname(require.resolve('typescript/package.json', { paths: [root] })), 'bin', 'tsc');
} catch {
  // An installed package (no devDependencies) ships dist/ already built.
  if (fs.existsSync(path.join(root, 'dist', 'index.js'))) process.exit(0);
  console.error('fastgrad: typescript is not installed; run `npm install` first');
  process.exit(1);
}
// --clean (npm pack) starts from an empty dist/, so no file of a deleted module is shipped.
if (process.argv.includes('--clean')) fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);

// The ES-module entry re-exports the CommonJS build, so `import` and `require` share one instance
// (one native addon, one set of error classes: instanceof works across both).
const cjs = require(path.join(root, 'dist', 'index.js'));
const names = Object.keys(cjs).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n));
const mjs =
  "import fastgrad from './index.js';\n" +
  `export const { ${names.join(', ')} } = fastgrad;\n` +
  'export default fastgrad;\n';
fs.writeFileSync(path.join(root, 'dist', 'index.mjs'), mjs);
fs.chmodSync(path.join(root, 'dist', 'cli', 'main.js'), 0o755);
