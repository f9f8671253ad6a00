#!/usr/bin/env node
// npm run bench                 every benchmark
// npm run bench -- gemm optim   some of them
// npm run bench -- --quick      short versions (about a minute in all)
// Each bench/<name>.js exports run({ quick, args }) and saves bench/results/<name>.json through lib.js.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const NOT_BENCHES = new Set(['lib', 'run', 'report']);

function available() {
  return fs.readdirSync(__dirname)
    .filter((f) => f.endsWith('.js') && !NOT_BENCHES.has(f.slice(0, -3)))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function main() {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = args.filter((a) => !a.startsWith('--'));
  const all = available();
  for (const n of names) {
    if (!all.includes(n)) {
      console.error(`bench: no benchmark '${n}'; available: ${all.join(', ')}`);
      process.exit(2);
    }
  }
  if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-ts.js')], { stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  const lib = require('./lib');
  for (const name of names.length ? names : all) {
    console.log(`\n== ${name}${quick ? ' (quick)' : ''} ==`);
    const before = lib.hostCheck();
    lib.setHostBefore(before);
    if (before !== null) console.log(`host check: one-thread SGEMM 1024^3 at ${before} GFLOPS`);
    await require(path.join(__dirname, `${name}.js`)).run({ quick, args });
    const after = lib.hostCheck();
    if (after !== null) console.log(`host check after ${name}: ${after} GFLOPS (a quiet host gives about the same before and after)`);
  }
  const reportFile = path.join(__dirname, 'report.js');
  if (fs.existsSync(reportFile)) {
    const out = require(reportFile).writeReport();
    if (out) console.log(`\ncharts and tables: ${path.relative(process.cwd(), out)}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
