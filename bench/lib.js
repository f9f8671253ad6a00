// The benchmark harness every bench/<name>.js uses: warm-up, repeated samples, medians and spread,
// contenders interleaved (A B A B ...) so drift in the machine hits all alike, ratios from paired
// samples, the machine recorded with every result, and results written as JSON to bench/results/.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const resultsDir = path.join(__dirname, 'results');

/** The fastgrad build under test (dist/, built by run.js when missing). */
function fastgrad() {
  return require(path.join(__dirname, '..', 'dist', 'index.js'));
}

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** { median, p25, p75, min, max, n } of an array of numbers. */
function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p25: quantile(s, 0.25), p75: quantile(s, 0.75), min: s[0], max: s[s.length - 1], n: s.length };
}

/**
 * One sample of fn: calls it until at least minMs have passed (at least once) and returns seconds
 * per call: the mean, or with statistic 'median' the median call (a burst from another tenant of a
 * shared host then moves a sample only if it covers half of it). fn may be async. If fn returns
 * { seconds }, that time is used instead (contenders that time themselves, such as another process).
 */
async function sampleOnce(fn, minMs, statistic = 'mean') {
  const times = [];
  const start = process.hrtime.bigint();
  for (;;) {
    const t0 = process.hrtime.bigint();
    const r = await fn();
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    times.push(r && typeof r.seconds === 'number' ? r.seconds : dt);
    if (Number(process.hrtime.bigint() - start) / 1e6 >= minMs) break;
  }
  return statistic === 'median' ? stats(times).median : times.reduce((a, b) => a + b, 0) / times.length;
}

/**
 * Measures contenders interleaved: warm-up rounds, then `samples` rounds of A B C ... A B C, each
 * round starting one contender later (A B C, B C A, C A B, ...) so that none always runs right
 * after the same other one (another library's threads still spinning, say).
 * contenders: [{ name, fn, available?: boolean, why?: string }]; an unavailable contender is reported
 * as absent (with why), never as zero. statistic: how a sample sums up its calls (see sampleOnce).
 * Returns { [name]: { seconds: stats, samples: [...] } | { absent: why } }.
 */
async function compare(contenders, { warmup = 1, samples = 7, minMs = 200, statistic = 'mean' } = {}) {
  const live = contenders.filter((c) => c.available !== false);
  for (let w = 0; w < warmup; w++) for (const c of live) await sampleOnce(c.fn, Math.min(minMs, 100), statistic);
  const raw = Object.fromEntries(live.map((c) => [c.name, []]));
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < live.length; i++) {
      const c = live[(s + i) % live.length];
      raw[c.name].push(await sampleOnce(c.fn, minMs, statistic));
    }
  }
  const out = {};
  for (const c of contenders) {
    out[c.name] = c.available === false ? { absent: c.why || 'not available' } : { seconds: stats(raw[c.name]), samples: raw[c.name] };
  }
  return out;
}

/** Median of the per-round ratios a/b (paired samples from one compare() run). */
function pairedRatio(result, a, b) {
  const ra = result[a] && result[a].samples, rb = result[b] && result[b].samples;
  if (!ra || !rb) return undefined;
  return stats(ra.map((x, i) => x / rb[i])).median;
}

function cpuModel() {
  try {
    const m = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {}
  return os.cpus()[0] ? os.cpus()[0].model : 'unknown';
}

/** What the results were measured on. */
function machine() {
  const fg = fastgrad();
  let torch;
  const py = spawnSync('/usr/bin/python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (py.status === 0) torch = py.stdout.trim();
  return {
    cpu: cpuModel(),
    cores: os.cpus().length,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    fastgrad: fg.backendInfo(),
    torch,
    date: new Date().toISOString(),
    hostCheckGflops: hostBefore,
  };
}

/**
 * The host's speed right now: one-thread native SGEMM at 1024^3, GFLOPS (median of 5). On a shared
 * machine a neighbour can slow every figure of a run by 20% or more; run.js measures this before
 * and after each benchmark and save() records the first reading, so runs can be compared.
 */
let hostBefore = null;
function hostCheck() {
  const be = fastgrad().getBackend('native');
  if (!be) return null;
  const prev = be.numThreads();
  be.setNumThreads(1);
  try {
    const n = 1024, a = new Float32Array(n * n).fill(1), c = new Float32Array(n * n);
    be.sgemm(false, false, n, n, n, 1, a, n, a, n, 0, c, n);
    const times = [];
    for (let i = 0; i < 5; i++) {
      const t0 = process.hrtime.bigint();
      be.sgemm(false, false, n, n, n, 1, a, n, a, n, 0, c, n);
      times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    return +((2 * n ** 3) / stats(times).median / 1e9).toFixed(1);
  } finally {
    be.setNumThreads(prev);
  }
}
function setHostBefore(gflops) {
  hostBefore = gflops;
}

/** Writes bench/results/<name>.json: { name, machine, quick, ...data }. */
function save(name, data) {
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({ name, machine: machine(), ...data }, null, 2));
  return file;
}

/** Prints rows (objects) as an aligned table with the given columns [{ key, title, fmt? }]. */
function table(rows, columns) {
  const cells = rows.map((r) => columns.map((c) => {
    const v = r[c.key];
    if (v === undefined || v === null) return '-';
    return c.fmt ? c.fmt(v, r) : String(v);
  }));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i].length)));
  const line = (vals) => vals.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  console.log(line(columns.map((c) => c.title)));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of cells) console.log(line(row));
}

/** Whether /usr/bin/python3 can import torch; runs a Python bench script and parses its JSON output. */
function python(script, args = [], env = {}) {
  const r = spawnSync('/usr/bin/python3', [path.join(__dirname, script), ...args], {
    encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr.split('\n').slice(-5).join('\n')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function haveTorch() {
  return spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
}

module.exports = {
  fastgrad, stats, compare, pairedRatio, machine, save, table, python, haveTorch, resultsDir, hostCheck, setHostBefore,
};
