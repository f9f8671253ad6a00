// Optimizer step throughput: every fused optimizer kernel (native, 1 and 2 threads) beside the memory
// roofline measured in the same run (native `roofline`: an in-place pass over the same arrays with
// negligible arithmetic), the pure-JS backend, and PyTorch (/usr/bin/python3, same thread count,
// default and foreach implementations). Also the call overhead of one step over 100 small tensors.
//
//   npm run bench -- optim            1M and 10M parameters
//   npm run bench -- optim --quick    1M only, fewer samples
//   npm run bench -- optim --optimizers=adam,nadam --sizes=10000000   a subset
'use strict';
const lib = require('./lib');
const peers = require('./peers');

function randomArray(len, seed, scale = 1) {
  let s = seed >>> 0;
  const out = new Float32Array(len);
  for (let i = 0; i < len; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 31 - 1) * scale;
  }
  return out;
}

// Each optimizer: the buffers its step reads and writes, and the call. `writes` arrays are read and
// written (p and the state), the gradient only read: bytes per element = 4 * (2 * writes + 1).
const OPTIMIZERS = [
  { name: 'sgd', writes: 1, step: (b, x) => b.sgdStep(x.p, x.g, null, 1e-3, 0, 0, 0, false, false, false, 0) },
  { name: 'sgd-momentum', writes: 2, step: (b, x) => b.sgdStep(x.p, x.g, x.s[0], 1e-3, 0.9, 0, 0, false, false, false, 0) },
  { name: 'adagrad', writes: 2, step: (b, x) => b.adagradStep(x.p, x.g, x.s[0], 1e-2, 1e-10, 0, false) },
  { name: 'rmsprop', writes: 2, step: (b, x) => b.rmspropStep(x.p, x.g, x.s[0], null, null, 1e-3, 0.99, 1e-8, 0, 0, false) },
  { name: 'rmsprop-centered-momentum', writes: 4, step: (b, x) => b.rmspropStep(x.p, x.g, x.s[0], x.s[1], x.s[2], 1e-3, 0.99, 1e-8, 0, 0.9, false) },
  { name: 'adadelta', writes: 3, step: (b, x) => b.adadeltaStep(x.p, x.g, x.s[0], x.s[1], 1, 0.9, 1e-6, 0, false) },
  { name: 'adam', writes: 3, step: (b, x) => b.adamStep(x.p, x.g, x.s[0], x.s[1], null, 0.9, 0.999, 1e-8, 0, 1, 1e-3, 0.5, false) },
  { name: 'adam-amsgrad', writes: 4, step: (b, x) => b.adamStep(x.p, x.g, x.s[0], x.s[1], x.s[2], 0.9, 0.999, 1e-8, 0, 1, 1e-3, 0.5, false) },
  { name: 'adamw', writes: 3, step: (b, x) => b.adamStep(x.p, x.g, x.s[0], x.s[1], null, 0.9, 0.999, 1e-8, 0, 1 - 1e-5, 1e-3, 0.5, false) },
  { name: 'adamax', writes: 3, step: (b, x) => b.adamaxStep(x.p, x.g, x.s[0], x.s[1], 0.9, 0.999, 1e-8, 0, 2e-3, false) },
  { name: 'nadam', writes: 3, step: (b, x) => b.nadamStep(x.p, x.g, x.s[0], x.s[1], 0.9, 0.999, 1e-8, 0, 0.5, -1e-4, -1e-3, false) },
  { name: 'radam', writes: 3, step: (b, x) => b.radamStep(x.p, x.g, x.s[0], x.s[1], 0.9, 0.999, 1e-8, 0, 1e-3, 0.5, 0.7, 0.9, true, false) },
  { name: 'lion', writes: 2, step: (b, x) => b.lionStep(x.p, x.g, x.s[0], 1e-4, 0.9, 0.99, 0, false) },
];

function buffers(n, writes) {
  // Small, finite values, so no kernel meets NaN or denormals. State buffers positive (they hold squares).
  return {
    p: randomArray(n, 1),
    g: randomArray(n, 2, 1e-2),
    s: Array.from({ length: writes - 1 }, (_, k) => randomArray(n, 3 + k).map(Math.abs)),
  };
}

const fmtM = (v) => (v / 1e6).toFixed(0);
const fmtG = (v) => (v / 1e9).toFixed(1);
const fmtPct = (v) => `${(v * 100).toFixed(0)}%`;
const fmtX = (v) => `${v.toFixed(1)}x`;

function listArg(args, name) {
  const a = (args || []).find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3).split(',').filter(Boolean) : undefined;
}

async function run({ quick = false, args = [] } = {}) {
  const fg = lib.fastgrad();
  const native = fg.getBackend('native');
  const js = fg.getBackend('js');
  if (!native) throw new Error('bench optim needs the native addon (npm run build:native)');
  const threadCounts = [1, 2];
  const sizes = (listArg(args, 'sizes') || []).map(Number).filter((n) => n > 0);
  if (sizes.length === 0) sizes.push(...(quick ? [1_000_000] : [1_000_000, 10_000_000]));
  const only = listArg(args, 'optimizers');
  const optimizers = only ? OPTIMIZERS.filter((o) => only.includes(o.name)) : OPTIMIZERS;
  const opts = quick ? { warmup: 1, samples: 3, minMs: 100 } : { warmup: 1, samples: 7, minMs: 200 };
  const torch = lib.haveTorch();
  const startThreads = native.numThreads();
  // TensorFlow.js (its Adam, applyGradients) on one thread: wasm at every size, cpu at 1M (it runs at
  // a few Melem/s, so 10M would take seconds per step).
  const tfPeers = { wasm: await peers.tfjs('wasm'), cpu: await peers.tfjs('cpu') };
  const rows = [];
  for (const n of sizes) {
    for (const threads of threadCounts) {
      native.setNumThreads(threads);
      const torchRes = torch ? lib.python('optim_torch.py', [String(threads), String(n), ...optimizers.map((o) => o.name)]) : undefined;
      for (const o of optimizers) {
        const x = buffers(n, o.writes);
        const rw = [x.p, ...x.s];
        // The pure-JS backend is single-threaded: measured at 1M on the 1-thread pass, and for Adam at 10M.
        const withJs = threads === 1 && (n <= 1_000_000 || o.name === 'adam');
        const tfContenders = [];
        if (o.name === 'adam' && threads === 1) {
          for (const [backend, peer] of Object.entries(tfPeers)) {
            const wanted = backend === 'wasm' || n <= 1_000_000;
            tfContenders.push(peer.absent || !wanted
              ? { name: `tfjs-${backend}`, available: false, why: peer.absent || 'measured at 1M only' }
              : { name: `tfjs-${backend}`, fn: peers.tfAdamStep(peer, n) });
          }
        }
        const res = await lib.compare([
          { name: 'native', fn: () => o.step(native, x) },
          { name: 'roofline', fn: () => native.roofline(rw, x.g, 1e-9) },
          { name: 'js', fn: () => o.step(js, x), available: withJs, why: 'measured at 1M (and Adam at 10M), one thread' },
          ...tfContenders,
        ], opts);
        const bytes = 4 * (2 * o.writes + 1);
        const tNative = res.native.seconds.median;
        const tRoof = res.roofline.seconds.median;
        const t = torchRes && torchRes.results[o.name];
        const tTorch = t ? Math.min(...[t.single, t.foreach].filter((v) => typeof v === 'number')) : undefined;
        const row = {
          optimizer: o.name, n, threads, bytesPerElement: bytes,
          nativeElemPerS: n / tNative, nativeGBs: (n * bytes) / tNative,
          rooflineElemPerS: n / tRoof, rooflineGBs: (n * bytes) / tRoof,
          ofRoofline: lib.pairedRatio(res, 'roofline', 'native'),
          jsElemPerS: res.js.seconds ? n / res.js.seconds.median : undefined,
          vsJs: res.js.seconds ? lib.pairedRatio(res, 'js', 'native') : undefined,
          torchElemPerS: tTorch ? n / tTorch : undefined,
          torchImpl: t ? (t.foreach !== null && t.foreach <= t.single ? 'foreach' : 'single') : undefined,
          vsTorch: tTorch ? tTorch / tNative : undefined,
        };
        for (const c of tfContenders) {
          if (!res[c.name].seconds) continue;
          row[`${c.name}ElemPerS`] = n / res[c.name].seconds.median;
          row[`vs_${c.name}`] = lib.pairedRatio(res, c.name, 'native');
        }
        rows.push(row);
        console.log(`${o.name.padEnd(26)} n=${n} threads=${threads}: ${fmtM(row.nativeElemPerS)} Melem/s ${fmtG(row.nativeGBs)} GB/s, roofline ${fmtM(row.rooflineElemPerS)} Melem/s (${fmtPct(row.ofRoofline)})` +
          (row.vsJs ? `, ${fmtX(row.vsJs)} JS` : '') + (row.vsTorch ? `, ${fmtX(row.vsTorch)} PyTorch (${row.torchImpl})` : '') +
          (row['vs_tfjs-wasm'] ? `, ${fmtX(row['vs_tfjs-wasm'])} tfjs-wasm` : '') + (row['vs_tfjs-cpu'] ? `, ${fmtX(row['vs_tfjs-cpu'])} tfjs-cpu` : ''));
      }
    }
  }
  native.setNumThreads(startThreads);

  // Call overhead: one Adam step over 100 tensors of 1,000 elements. The arithmetic is one native call
  // over a flat buffer of the same 100,000 elements; `segments` updates the 100 ranges of that flat
  // buffer (what an optimizer does when some parameters are skipped); multi-tensor apply passes 100
  // separate arrays per buffer (about 0.12 us of N-API calls per array);
  // optim.Adam.step() is the whole class path (sync, partition, scalars, one flat call).
  native.setNumThreads(1);
  const small = 100, len = 1000;
  const flat = buffers(small * len, 3);
  const lists = { p: [], g: [], s: [[], []] };
  for (let i = 0; i < small; i++) {
    const sl = (a) => a.subarray(i * len, (i + 1) * len);
    lists.p.push(sl(flat.p));
    lists.g.push(sl(flat.g));
    lists.s[0].push(sl(flat.s[0]));
    lists.s[1].push(sl(flat.s[1]));
  }
  const params = Array.from({ length: small }, (_, i) => new fg.Tensor(randomArray(len, 10 + i), [len], true));
  for (const p of params) p.grad = new fg.Tensor(randomArray(len, 500, 1e-2), [len]);
  fg.useBackend('native');
  const adam = new fg.optim.Adam(params, { lr: 1e-3 });
  const adamOpt = OPTIMIZERS.find((o) => o.name === 'adam');
  const segments = Int32Array.from(Array.from({ length: small }, (_, i) => [i * len, len]).flat());
  const adamSegments = () => native.adamStep(flat.p, flat.g, flat.s[0], flat.s[1], null, 0.9, 0.999, 1e-8, 0, 1, 1e-3, 0.5, false, segments);
  const ov = await lib.compare([
    { name: 'flat', fn: () => adamOpt.step(native, flat) },
    { name: 'segments', fn: adamSegments },
    { name: 'multiTensor', fn: () => adamOpt.step(native, lists) },
    { name: 'optimizerStep', fn: () => adam.step() },
  ], { warmup: 2, samples: quick ? 5 : 11, minMs: 100 });
  native.setNumThreads(startThreads);
  const us = (name) => ov[name].seconds.median * 1e6;
  const overhead = {
    tensors: small, elementsEach: len,
    flatUs: us('flat'), segmentsUs: us('segments'), multiTensorUs: us('multiTensor'), optimizerStepUs: us('optimizerStep'),
    segmentsOverheadUs: us('segments') - us('flat'), multiTensorOverheadUs: us('multiTensor') - us('flat'),
    optimizerStepOverheadUs: us('optimizerStep') - us('flat'),
  };

  console.log('');
  lib.table(rows, [
    { key: 'optimizer', title: 'optimizer' },
    { key: 'n', title: 'params', fmt: (v) => `${v / 1e6}M` },
    { key: 'threads', title: 'thr' },
    { key: 'bytesPerElement', title: 'B/el' },
    { key: 'nativeElemPerS', title: 'Melem/s', fmt: fmtM },
    { key: 'nativeGBs', title: 'GB/s', fmt: fmtG },
    { key: 'rooflineElemPerS', title: 'roof Melem/s', fmt: fmtM },
    { key: 'ofRoofline', title: 'of roof', fmt: fmtPct },
    { key: 'jsElemPerS', title: 'JS Melem/s', fmt: fmtM },
    { key: 'vsJs', title: 'vs JS', fmt: fmtX },
    { key: 'torchElemPerS', title: 'torch Melem/s', fmt: fmtM },
    { key: 'vsTorch', title: 'vs torch', fmt: fmtX },
  ]);
  console.log(`\n100 tensors x 1000 elements, Adam, 1 thread: flat call ${overhead.flatUs.toFixed(1)} us, ` +
    `segments of the flat buffer ${overhead.segmentsUs.toFixed(1)} us (+${overhead.segmentsOverheadUs.toFixed(1)}), ` +
    `multi-tensor apply over 100 arrays per buffer ${overhead.multiTensorUs.toFixed(1)} us (+${overhead.multiTensorOverheadUs.toFixed(1)}), ` +
    `optim.Adam.step() ${overhead.optimizerStepUs.toFixed(1)} us (+${overhead.optimizerStepOverheadUs.toFixed(1)})`);
  const file = lib.save(only || listArg(args, 'sizes') ? 'optim-subset' : 'optim', { quick, rows, overhead, ...presentation(rows, overhead) });
  console.log(`saved ${file}`);
}

/** Charts, tables and headline for bench/results/index.html (see report.js). */
function presentation(rows, overhead) {
  const largest = Math.max(...rows.map((r) => r.n));
  const at = (name, threads) => rows.find((r) => r.optimizer === name && r.n === largest && r.threads === threads);
  const headline = [];
  const adam1 = at('adam', 1), adam2 = at('adam', 2);
  if (adam1) {
    const parts = [`Adam at ${largest / 1e6}M params: ${fmtM(adam1.nativeElemPerS)} Melem/s on 1 thread (${fmtPct(adam1.ofRoofline)} of the memory roofline)`];
    if (adam1.vsTorch) parts.push(`${fmtX(adam1.vsTorch)} PyTorch`);
    if (adam1.vsJs) parts.push(`${fmtX(adam1.vsJs)} pure JS`);
    if (adam1['vs_tfjs-wasm']) parts.push(`${fmtX(adam1['vs_tfjs-wasm'])} TensorFlow.js wasm`);
    headline.push(parts.join(', '));
  }
  const names = [...new Set(rows.map((r) => r.optimizer))];
  const charts = [1, 2].filter((t) => at(names[0], t)).map((t) => ({
    id: `roofline-${t}t`,
    title: `Optimizer step at ${largest / 1e6}M parameters, ${t} thread${t > 1 ? 's' : ''}: fraction of the memory roofline`,
    type: 'bar', yLabel: 'fused step / in-place roofline (same bytes)',
    categories: names,
    series: [{ name: 'fastgrad native', values: names.map((n) => at(n, t)?.ofRoofline) }],
    references: [{ name: 'roofline', y: 1 }, { name: '90%', y: 0.9 }],
  }));
  const peerNames = [['fastgrad native', 'nativeElemPerS'], ['PyTorch', 'torchElemPerS'], ['pure JS', 'jsElemPerS'],
    ['TensorFlow.js wasm', 'tfjs-wasmElemPerS'], ['TensorFlow.js cpu', 'tfjs-cpuElemPerS']];
  const adamRows = rows.filter((r) => r.optimizer === 'adam' && r.threads === 1);
  if (adamRows.length) {
    charts.push({
      id: 'adam-peers', title: 'Adam step, 1 thread: million elements per second (log scale)', type: 'bar', yLog: true,
      yLabel: 'Melem/s', categories: adamRows.map((r) => `${r.n / 1e6}M params`),
      series: peerNames.map(([name, key]) => ({ name, values: adamRows.map((r) => (r[key] ? r[key] / 1e6 : NaN)) })),
    });
  }
  const tables = [{
    title: 'Fused optimizer steps (Melem/s; roofline: an in-place pass over the same arrays)',
    columns: ['optimizer', 'params', 'threads', 'bytes/elem', 'Melem/s', 'GB/s', 'of roofline', 'vs pure JS', 'vs PyTorch'],
    rows: rows.map((r) => [r.optimizer, `${r.n / 1e6}M`, r.threads, r.bytesPerElement, +(r.nativeElemPerS / 1e6).toFixed(0),
      +(r.nativeGBs / 1e9).toFixed(1), fmtPct(r.ofRoofline), r.vsJs ? fmtX(r.vsJs) : '-', r.vsTorch ? fmtX(r.vsTorch) : '-']),
  }];
  const notes = [`One Adam step over 100 tensors of 1,000 elements: ${overhead.optimizerStepUs.toFixed(1)} us through optim.Adam.step(), ` +
    `${overhead.flatUs.toFixed(1)} us for the arithmetic alone (one flat call): +${overhead.optimizerStepOverheadUs.toFixed(1)} us.`];
  return { headline, charts, tables, notes };
}

module.exports = { run };
