// SGEMM throughput: fastgrad native (one thread and all threads), fastgrad pure JS, and BLIS and
// OpenBLAS through a small C harness (bench/blas/, built here on first use), measured interleaved in
// one run. Square sizes 64..2048 and the MLP training shapes (784-256-128-10, batch 128); then, on
// one thread, 512^3 and the MLP shapes with the caches evicted before every call (the cold table).
//
//   npm run bench -- gemm            full run (a few minutes)
//   npm run bench -- gemm --quick    fewer sizes and samples
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { spawn, spawnSync } = require('node:child_process');
const lib = require('./lib');
const peers = require('./peers');

const blasDir = path.join(__dirname, 'blas');

/** Builds (once) and starts the cblas harness for one library: { name, request(line) } or { absent }. */
function startBlas(name, linkFlag, define) {
  const exe = path.join(blasDir, 'build', `harness-${name}`);
  const src = path.join(blasDir, 'blas_harness.c');
  if (!fs.existsSync(exe) || fs.statSync(exe).mtimeMs < fs.statSync(src).mtimeMs) {
    fs.mkdirSync(path.dirname(exe), { recursive: true });
    const cc = spawnSync('cc', ['-O2', src, linkFlag, `-D${define}`, '-o', exe], { encoding: 'utf8' });
    if (cc.status !== 0) {
      return { absent: `${name} not measured: building the harness with ${linkFlag} failed (${(cc.stderr || cc.error || '').toString().split('\n')[0]}); install lib${name}-dev` };
    }
  }
  const child = spawn(exe, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  return {
    name,
    request(line) {
      return new Promise((resolve, reject) => {
        waiting.push((answer) => {
          const s = Number(answer);
          if (Number.isFinite(s)) resolve(s);
          else reject(new Error(`${name} harness: ${answer}`));
        });
        child.stdin.write(line + '\n');
      });
    },
    close() {
      child.stdin.end();
    },
  };
}

// A Float32Array whose first element sits on a 64-byte boundary, as the C harness's aligned_alloc(64)
// gives BLIS and OpenBLAS theirs: the JS heap puts large arrays 16 bytes past a boundary, and
// aligned rows make every library a few percent faster (BLIS 0.9 at 128x784x256 on Zen 4: 101 GFLOPS
// 16 bytes off, 108 aligned), so unequal alignment would measure the allocator, not the kernels.
function alignedArray(len, nativeBackend) {
  if (!nativeBackend) return new Float32Array(len);
  const buf = new ArrayBuffer(len * 4 + 64);
  const off = (64 - nativeBackend.dataAlignment(new Float32Array(buf, 0, 1))) % 64;
  return new Float32Array(buf, off, len);
}

function randomArray(len, seed, nativeBackend) {
  let s = seed >>> 0;
  const out = alignedArray(len, nativeBackend);
  for (let i = 0; i < len; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

async function run({ quick = false } = {}) {
  const fg = lib.fastgrad();
  const nativeBackend = fg.getBackend('native');
  const js = fg.getBackend('js');
  const allThreads = nativeBackend ? nativeBackend.numThreads() : 1;

  const squares = quick ? [64, 256, 512, 1024] : [64, 128, 256, 512, 1024, 2048];
  const shapes = [
    ...squares.map((s) => ({ label: `NN ${s}`, transA: false, transB: false, m: s, k: s, n: s, square: true, cold: s === 512 })),
    // Named m x k x n, as in the issue: forward X W, weight gradient X^T dY, input gradient dY W^T, output layer.
    { label: 'NN 128x784x256', transA: false, transB: false, m: 128, k: 784, n: 256, cold: true },
    { label: 'TN 784x128x256', transA: true, transB: false, m: 784, k: 128, n: 256, cold: true },
    { label: 'NT 128x256x784', transA: false, transB: true, m: 128, k: 256, n: 784, cold: true },
    { label: 'NN 128x128x10', transA: false, transB: false, m: 128, k: 128, n: 10, cold: true },
  ];
  const blas = [startBlas('blis', '-lblis', 'HARNESS_BLIS'), startBlas('openblas', '-lopenblas', 'HARNESS_OPENBLAS')];
  const notes = blas.filter((b) => b.absent).map((b) => b.absent);
  if (!nativeBackend) notes.push('native addon not loaded: only pure JS measured');
  // Each sample is the median of its batches (the C harness does the same for BLIS and OpenBLAS):
  // on a shared host another tenant's burst otherwise moves whole samples.
  const opts = quick ? { warmup: 1, samples: 3, minMs: 100, statistic: 'median' } : { warmup: 1, samples: 9, minMs: 200, statistic: 'median' };

  // TensorFlow.js on the same shapes: wasm up to 1024^3, cpu (about 0.4 GFLOPS) up to 512^3.
  const tfPeers = [['tfjs-wasm', await peers.tfjs('wasm'), 1024 ** 3], ['tfjs-cpu', await peers.tfjs('cpu'), 512 ** 3]];
  const rows = [];
  for (const sh of shapes) {
    const { transA, transB, m, n, k } = sh;
    const lda = transA ? m : k, ldb = transB ? k : n;
    const A = randomArray(m * k, 1, nativeBackend), B = randomArray(k * n, 2, nativeBackend), C = alignedArray(m * n, nativeBackend);
    const flops = 2 * m * n * k;
    // A batch of calls per timing, about 0.2 ms of work at 50 GFLOPS: single calls of a few
    // microseconds would also time the clock reads and the thread-count check (the C harness
    // batches BLIS and OpenBLAS calls the same way).
    const reps = Math.max(1, Math.ceil(1e7 / flops));
    const nativeAt = (threads) => () => {
      if (nativeBackend.numThreads() !== threads) nativeBackend.setNumThreads(threads);
      const t0 = process.hrtime.bigint();
      for (let r = 0; r < reps; r++) fg.kernels.sgemm(transA, transB, m, n, k, 1, A, lda, B, ldb, 0, C, n);
      return { seconds: Number(process.hrtime.bigint() - t0) / 1e9 / reps };
    };
    const jsTooSlow = m * n * k > (quick ? 512 ** 3 : 1024 ** 3);
    const contenders = [
      { name: 'native 1t', fn: nativeAt(1), available: !!nativeBackend },
      { name: `native ${allThreads}t`, fn: nativeAt(allThreads), available: !!nativeBackend && allThreads > 1 },
      {
        name: 'js', available: !jsTooSlow, why: 'skipped (too slow)',
        fn: () => js.sgemm(transA, transB, m, n, k, 1, A, lda, B, ldb, 0, C, n),
      },
    ];
    for (const [name, peer, limit] of tfPeers) {
      const tooBig = m * n * k > (quick ? Math.min(limit, 512 ** 3) : limit);
      contenders.push(peer.absent || tooBig
        ? { name, available: false, why: peer.absent || 'skipped (too slow at this size)' }
        : { name, fn: peers.tfMatmul(peer, { m, n, k, transA, transB }) });
    }
    for (const b of blas) {
      for (const t of allThreads > 1 ? [1, allThreads] : [1]) {
        contenders.push({
          name: `${b.name} ${t}t`, available: !b.absent, why: b.absent,
          fn: async () => ({ seconds: await b.request(`${+transA} ${+transB} ${m} ${n} ${k} ${t} ${opts.minMs}`) }),
        });
      }
    }
    const r = await lib.compare(contenders, opts);
    const gflops = (name) => (r[name] && r[name].seconds ? flops / r[name].seconds.median / 1e9 : undefined);
    const row = { shape: sh.label, m, n, k, transA, transB };
    for (const c of contenders) row[c.name] = gflops(c.name);
    // Paired ratios (per round), robust to drift: ours over the better BLAS on one thread.
    const peers1 = blas.filter((b) => !b.absent).map((b) => `${b.name} 1t`);
    const bestPeer = peers1.sort((a, b) => (row[b] ?? 0) - (row[a] ?? 0))[0];
    if (bestPeer && nativeBackend) row.vsBlas1t = 1 / lib.pairedRatio(r, 'native 1t', bestPeer);
    if (nativeBackend && allThreads > 1) row.scaling = 1 / lib.pairedRatio(r, `native ${allThreads}t`, 'native 1t');
    if (nativeBackend && row.js) row.vsJs = row['native 1t'] / row.js;
    rows.push(row);
    printRow(row, contenders, rows.length === 1);
  }
  const coldRows = nativeBackend ? await runCold({ fg, nativeBackend, blas, shapes: shapes.filter((sh) => sh.cold), opts }) : [];
  for (const b of blas) if (!b.absent) b.close();
  if (nativeBackend) nativeBackend.setNumThreads(allThreads);

  const names = rows.length ? Object.keys(rows[0]).filter((c) => / \d+t$|^js$|^tfjs-/.test(c)) : [];
  const squareRows = rows.filter((r) => /^NN \d+$/.test(r.shape));
  const headline = [];
  const at = (label) => rows.find((r) => r.shape === label);
  if (at('NN 1024') && at('NN 1024').vsBlas1t) headline.push(`SGEMM 1024: ${at('NN 1024').vsBlas1t.toFixed(2)}x the better of BLIS/OpenBLAS on one thread`);
  if (at('NN 512') && at('NN 512').vsJs) headline.push(`SGEMM 512: ${at('NN 512').vsJs.toFixed(0)}x pure JS`);
  const mlp = at('NN 128x784x256');
  if (mlp && mlp['tfjs-wasm']) headline.push(`SGEMM 128x784x256 (MLP forward): ${(mlp[`native ${allThreads}t`] / mlp['tfjs-wasm']).toFixed(0)}x TensorFlow.js wasm`);
  const file = lib.save('gemm', {
    quick,
    unit: 'GFLOPS (2mnk / median seconds)',
    rows,
    coldRows,
    notes: [
      'Shapes are op(A) x op(B) named m x k x n; ratios are medians of per-round (interleaved) ratios; each sample is the median batch of about 10 MFLOP over 200 ms.',
      'Every contender multiplies 64-byte aligned matrices (the C harness allocates with aligned_alloc(64)).',
      'Cold table: each call timed alone right after writing 64 MiB (twice the L3 here), so A, B and C come from memory, as for the first product after other work; each sample is the median call over 200 ms.',
      ...notes,
    ],
    headline,
    tables: [{
      title: 'SGEMM GFLOPS',
      columns: ['shape', ...names, 'vs best BLAS (1t)', `${allThreads}t / 1t`, 'vs JS'],
      rows: rows.map((r) => [r.shape, ...names.map((c) => (r[c] === undefined ? '-' : +r[c].toFixed(1))),
        r.vsBlas1t ? +r.vsBlas1t.toFixed(3) : '-', r.scaling ? +r.scaling.toFixed(2) : '-', r.vsJs ? +r.vsJs.toFixed(0) : '-']),
    }, ...(coldRows.length ? [{
      title: 'SGEMM GFLOPS, one thread, caches evicted before every call (64 MiB written)',
      columns: ['shape', ...COLD_NAMES, 'vs best BLAS'],
      rows: coldRows.map((r) => [r.shape, ...COLD_NAMES.map((c) => (r[c] === undefined ? '-' : +r[c].toFixed(1))), r.vsBlas ? +r.vsBlas.toFixed(3) : '-']),
    }] : [])],
    charts: [{
      id: 'gemm-square', title: 'SGEMM, square matrices', type: 'line', xLabel: 'n', yLabel: 'GFLOPS', xLog: true,
      series: names.map((c) => ({ name: c, points: squareRows.filter((r) => r[c] !== undefined).map((r) => [r.m, r[c]]) })),
    }, {
      id: 'gemm-mlp', title: 'SGEMM, MLP training shapes (batch 128)', type: 'bar', xLabel: 'shape', yLabel: 'GFLOPS',
      categories: rows.filter((r) => !/^NN \d+$/.test(r.shape)).map((r) => r.shape),
      series: names.map((c) => ({ name: c, values: rows.filter((r) => !/^NN \d+$/.test(r.shape)).map((r) => r[c] ?? NaN) })),
    }],
  });
  for (const n of notes) console.log(`note: ${n}`);
  console.log(`results: ${path.relative(process.cwd(), file)}`);
}

const COLD_NAMES = ['native 1t', 'blis 1t', 'openblas 1t'];

// One float per cache line of a 64 MiB buffer, as the C harness's evict_caches: afterwards the caches
// hold none of a product's operands.
let junk;
function evictCaches() {
  if (!junk) junk = new Float32Array(16 << 20);
  for (let i = 0; i < junk.length; i += 16) junk[i] += 1;
}

/**
 * The cold table: one thread, every call timed alone after evicting the caches, fastgrad against
 * BLIS and OpenBLAS (interleaved rounds, as the main table). Returns rows { shape, <name>: GFLOPS,
 * vsBlas: median per-round ratio over the better BLAS }.
 */
async function runCold({ fg, nativeBackend, blas, shapes, opts }) {
  const rows = [];
  console.log('\none thread, caches evicted before every call:');
  for (const sh of shapes) {
    const { transA, transB, m, n, k } = sh;
    const lda = transA ? m : k, ldb = transB ? k : n;
    const A = randomArray(m * k, 1, nativeBackend), B = randomArray(k * n, 2, nativeBackend), C = alignedArray(m * n, nativeBackend);
    const flops = 2 * m * n * k;
    const contenders = [{
      name: 'native 1t',
      fn: () => {
        if (nativeBackend.numThreads() !== 1) nativeBackend.setNumThreads(1);
        evictCaches();
        const t0 = process.hrtime.bigint();
        fg.kernels.sgemm(transA, transB, m, n, k, 1, A, lda, B, ldb, 0, C, n);
        return { seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
      },
    }];
    for (const b of blas) {
      contenders.push({
        name: `${b.name} 1t`, available: !b.absent, why: b.absent,
        fn: async () => ({ seconds: await b.request(`${+transA} ${+transB} ${m} ${n} ${k} 1 ${opts.minMs} 1`) }),
      });
    }
    const r = await lib.compare(contenders, opts);
    const row = { shape: sh.label, m, n, k, transA, transB };
    for (const c of contenders) row[c.name] = r[c.name] && r[c.name].seconds ? flops / r[c.name].seconds.median / 1e9 : undefined;
    const bestPeer = blas.filter((b) => !b.absent).map((b) => `${b.name} 1t`).sort((a, b) => (row[b] ?? 0) - (row[a] ?? 0))[0];
    if (bestPeer) row.vsBlas = 1 / lib.pairedRatio(r, 'native 1t', bestPeer);
    rows.push(row);
    printRow(row, contenders, rows.length === 1, ['vsBlas']);
  }
  return rows;
}

function printRow(row, contenders, header, ratios = ['vsBlas1t', 'scaling', 'vsJs']) {
  const cols = ['shape', ...contenders.map((c) => c.name), ...ratios];
  const width = (c) => Math.max(c.length, 8);
  if (header) console.log(cols.map((c, i) => (i === 0 ? c.padEnd(16) : c.padStart(width(c)))).join(' '));
  console.log(cols.map((c, i) => {
    const v = row[c];
    const s = v === undefined ? '-' : typeof v === 'number' ? (c === 'vsJs' ? v.toFixed(0) : c.startsWith('vs') || c === 'scaling' ? v.toFixed(3) : v.toFixed(1)) : String(v);
    return i === 0 ? s.padEnd(16) : s.padStart(width(c));
  }).join(' '));
}

module.exports = { run };
