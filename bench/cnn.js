// The Fashion-MNIST CNN (src/train/models.ts 'cnn': 2 x conv3x3-BatchNorm-ReLU-maxpool2, dropout,
// 3136-128-10; Adam, batch 128): seconds per epoch and test accuracy for fastgrad with 1 and
// 2 threads and for the same model in PyTorch (2 threads, OpenBLAS on 1: its best setting here) and
// TensorFlow.js (NHWC, wasm backend), plus GFLOPS of the conv kernels at the model's shapes.
//
//   npm run bench -- cnn            fastgrad 2 threads: 5 full epochs of the CLI's recipe (`fastgrad
//                                   train --model cnn --epochs 5`; time each, test accuracy);
//                                   fastgrad 1 thread, PyTorch, TensorFlow.js: a measured slice,
//                                   extrapolated
//   npm run bench -- cnn --quick    slices only (no accuracy), fewer kernel samples
//   --epochs=N  --torch-epochs=N    change the full-epoch runs (PyTorch's default 0: slice only)
//   --tfjs-cpu-batches=N            batches timed on tfjs's 'cpu' fallback (default 2; --quick: 0, skipped)
//
// Slices are labelled 'extrapolated': seconds per batch over `slice` batches x 469 batches.
// TensorFlow.js 4.22's wasm backend has no Conv2DBackpropFilter kernel (the conv weight gradient), so
// it cannot train this model: its row says so (absent, with tfjs's error), and its pure-JS 'cpu'
// backend is measured instead, labelled as the fallback. That backend takes minutes per batch here,
// hence a slice of a batch or two after a small warm-up batch, and none in --quick.
'use strict';
const lib = require('./lib');
const peers = require('./peers');

const BATCH = 128;
const STEPS = Math.ceil(60000 / BATCH);

function arg(args, name, dflt) {
  const a = args.find((s) => s.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : dflt;
}

/**
 * Times a slice of `sliceBatches` batches (seconds per batch, an epoch extrapolated), and/or trains
 * `epochs` full epochs with exactly the recipe of `fastgrad train --model cnn --epochs N` (its
 * trainModel: seed 1, Adam at the CNN's lr annealed by cosine per batch), timing each epoch and
 * reading its test accuracy, so the figure is the CLI's.
 */
async function fastgradRun(fg, threads, { sliceBatches, epochs, train, test }) {
  const be = fg.getBackend('native');
  const prevThreads = be.numThreads();
  be.setNumThreads(threads);
  try {
    const { models, modelRegistry } = require('../dist/train/models.js');
    const { parseTrainArgs, trainModel } = require('../dist/cli/train.js');
    const stepsPerEpoch = Math.ceil(train.x.shape[0] / BATCH);
    const out = { threads };
    if (sliceBatches) {
      const model = models.cnn({ seed: 1 });
      const opt = new fg.optim.Adam(model.parameters(), { lr: modelRegistry.cnn.recipe.lr });
      const fitOpts = { batchSize: BATCH, optimizer: opt, loss: 'sparseCategoricalCrossentropy', seed: 1, verbose: 0 };
      // Warm up on a few batches, then time a slice.
      const idx = (start, count) => Array.from({ length: count * BATCH }, (_, i) => (start * BATCH + i) % train.x.shape[0]);
      await model.fit(fg.data.subset(train, idx(0, 3)), { ...fitOpts, epochs: 1 });
      const slice = fg.data.subset(train, idx(3, sliceBatches));
      const t0 = process.hrtime.bigint();
      await model.fit(slice, { ...fitOpts, epochs: 1 });
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      out.timedBatches = sliceBatches;
      out.secondsPerBatch = s / sliceBatches;
      out.epochSecondsExtrapolated = out.secondsPerBatch * stepsPerEpoch;
    }
    if (epochs) {
      const args = parseTrainArgs(['--model', 'cnn', '--epochs', String(epochs), '--batch-size', String(BATCH), '--seed', '1']);
      out.recipe = `fastgrad train --model cnn --epochs ${epochs} (seed 1, Adam lr ${args.lr} annealed by cosine per batch)`;
      out.epochs = [];
      let t0 = 0n, seconds = 0;
      const timer = {
        onEpochBegin: () => void (t0 = process.hrtime.bigint()),
        onBatchEnd: () => void (seconds = Number(process.hrtime.bigint() - t0) / 1e9),
        onEpochEnd: (e, logs) => {
          out.epochs.push({ seconds, testAccuracy: logs.valAccuracy });
          console.log(`  fastgrad ${threads} thread(s) epoch ${e + 1}: ${seconds.toFixed(1)} s, test accuracy ${(100 * logs.valAccuracy).toFixed(2)}%`);
        },
      };
      await trainModel(args, { train, test }, [timer]);
      out.epochSecondsMedian = lib.stats(out.epochs.map((e) => e.seconds)).median;
      out.finalTestAccuracy = out.epochs[out.epochs.length - 1].testAccuracy;
      out.bestTestAccuracy = Math.max(...out.epochs.map((e) => e.testAccuracy));
    }
    return out;
  } finally {
    be.setNumThreads(prevThreads);
  }
}

/**
 * Median seconds of the conv kernels at the model's shapes (batch 128); GFLOPS from the direct
 * convolution's 2 m n k per pass (conv2 runs Winograd F(4x4, 3x3), which does 3.1x fewer
 * multiplies at 14x14: its figure is the rate a direct convolution would need to match it).
 */
async function convKernels(fg, threads, quick) {
  const be = fg.getBackend('native');
  const prev = be.numThreads();
  be.setNumThreads(threads);
  const rand = (n, seed) => fg.rand([n], { seed, low: -1, high: 1 }).data;
  const layers = [
    { name: 'conv1 1->32 28x28', g: [BATCH, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1], ohw: 784, k: 9 },
    { name: 'conv2 32->64 14x14', g: [BATCH, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1], ohw: 196, k: 288 },
  ];
  const rows = [];
  try {
    for (const l of layers) {
      const [n, c, h, w, oc] = l.g;
      const x = rand(n * c * h * w, 1), wt = rand(oc * l.k, 2), b = rand(oc, 3);
      const y = new Float32Array(n * oc * l.ohw), dx = new Float32Array(x.length), dw = new Float32Array(wt.length), db = new Float32Array(oc);
      const flops = 2 * n * oc * l.k * l.ohw;
      const passes = [
        ['forward', () => be.conv2dForward(x, wt, b, y, ...l.g, false), 1],
        ['input grad', () => be.conv2dBackward(x, y, wt, dx, null, null, ...l.g), 1],
        ['weight grad', () => be.conv2dBackward(x, y, wt, null, dw, db, ...l.g), 1],
        // What training runs: both gradients in one call (the Winograd path transforms dy once).
        ['both grads', () => be.conv2dBackward(x, y, wt, dx, dw, db, ...l.g), 2],
      ];
      for (const [pass, fn, times] of passes) {
        const r = await lib.compare([{ name: 'native', fn }], { warmup: 1, samples: quick ? 3 : 7, minMs: quick ? 100 : 300 });
        const s = r.native.seconds.median;
        rows.push({ layer: l.name, pass, threads, ms: s * 1e3, gflops: (times * flops) / s / 1e9 });
      }
    }
    // What training runs for the first block: conv1, BatchNorm2d, ReLU and max pooling as one op
    // (conv2dBatchNorm2dReluMaxPool2d; GFLOPS: conv1's direct work per pass, as above).
    {
      const l = layers[0], [n, c, h, w, oc] = l.g;
      const pool = [2, 2, 2, 2, 0, 0], size = n * oc * (l.ohw / 4);
      const x = fg.rand([n * c * h * w], { seed: 1 }).data, wt = rand(oc * l.k, 2), b = rand(oc, 3);
      const gamma = new Float32Array(oc).fill(1), beta = rand(oc, 4), dy = rand(size, 5);
      const y = new Float32Array(size), idx = new Int32Array(size), sm = new Float32Array(oc), si = new Float32Array(oc);
      const moments = new Float64Array(l.k + l.k * l.k);
      const dw = new Float32Array(wt.length), db = new Float32Array(oc), dg = new Float32Array(oc), dbeta = new Float32Array(oc);
      const flops = 2 * n * oc * l.k * l.ohw;
      const passes = [
        ['forward', () => be.conv2dBatchNorm2dReluMaxPool2dForwardTrain(x, wt, b, gamma, beta, y, idx, sm, si, moments, null, null, ...l.g, ...pool, 1e-5, 0.1)],
        ['all grads', () => be.conv2dBatchNorm2dReluMaxPool2dBackward(x, wt, b, gamma, beta, y, dy, idx, sm, si, moments, dw, db, dg, dbeta, ...l.g, ...pool)],
      ];
      for (const [pass, fn] of passes) {
        const r = await lib.compare([{ name: 'native', fn }], { warmup: 1, samples: quick ? 3 : 7, minMs: quick ? 100 : 300 });
        const s = r.native.seconds.median;
        rows.push({ layer: 'conv1+bn+relu+pool fused', pass, threads, ms: s * 1e3, gflops: flops / s / 1e9 });
      }
    }
  } finally {
    be.setNumThreads(prev);
  }
  return rows;
}

/**
 * The model in TensorFlow.js: a slice on the wasm backend; when wasm cannot train it (tfjs throws,
 * e.g. a missing gradient kernel) or is absent, a slice of `cpuBatches` on the 'cpu' backend,
 * labelled as the fallback. Returns the runs, the wasm one first.
 */
async function tfjsRuns(train, { wasmBatches, cpuBatches, quick }) {
  const x = train.x.data, y = train.y.data; // NCHW with one channel is NHWC
  const slice = async (peer, batches, opts = {}) => {
    const r = await peers.tfFitSlice(peer, 'cnn', x, y, { batches, batchSize: BATCH, ...opts });
    return { timedBatches: batches, secondsPerBatch: r.perBatch, epochSecondsExtrapolated: r.perBatch * STEPS, maxEventLoopDelayMs: r.maxEventLoopDelayMs };
  };
  const wasm = await peers.tfjs('wasm');
  const wasmName = `TensorFlow.js ${wasm.version ?? ''} wasm`.replace('  ', ' ');
  let why = wasm.absent;
  if (!why) {
    try {
      return [{ name: wasmName, backend: 'wasm', ...(await slice(wasm, wasmBatches)) }];
    } catch (e) {
      why = `cannot train this model: ${e.message}`;
    }
  }
  const runs = [{ name: wasmName, backend: 'wasm', absent: why }];
  console.log(`  ${wasmName}: absent (${why})`);
  if (!cpuBatches) {
    const skipped = quick ? 'not run in --quick (minutes per batch; --tfjs-cpu-batches=1 runs it)' : 'skipped (--tfjs-cpu-batches=0)';
    return [...runs, { name: 'TensorFlow.js cpu', backend: 'cpu', absent: `fallback ${skipped}` }];
  }
  const cpu = await peers.tfjs('cpu');
  const cpuName = `TensorFlow.js ${cpu.version ?? ''} cpu`.replace('  ', ' ');
  if (cpu.absent) return [...runs, { name: cpuName, backend: 'cpu', absent: cpu.absent }];
  console.log(`  falling back to ${cpuName} (pure JS): ${cpuBatches} batch(es) ...`);
  // A small warm-up batch: the JIT needs one pass through the kernels, and a full one costs minutes.
  return [...runs, { name: cpuName, backend: 'cpu', fallbackFor: 'wasm', ...(await slice(cpu, cpuBatches, { warmupSamples: 16 })) }];
}

async function run({ quick, args }) {
  const fg = lib.fastgrad();
  if (!fg.getBackend('native')) {
    console.log('cnn: the native addon is not built; nothing to measure');
    return;
  }
  const epochs = arg(args, 'epochs', quick ? 0 : 5);
  const torchEpochs = arg(args, 'torch-epochs', 0);
  const slice = quick ? 20 : 60;
  const tfjsCpuBatches = arg(args, 'tfjs-cpu-batches', quick ? 0 : 2);
  const { train, test } = await fg.data.fashionMnist({ shape: 'image' });
  const maxThreads = fg.getBackend('native').numThreads();

  console.log('conv kernels at the model\'s shapes (batch 128):');
  const kernels = [];
  for (const t of [...new Set([1, Math.min(2, maxThreads)])]) kernels.push(...(await convKernels(fg, t, quick)));
  lib.table(kernels, [
    { key: 'layer', title: 'layer' }, { key: 'pass', title: 'pass' }, { key: 'threads', title: 'threads' },
    { key: 'ms', title: 'ms', fmt: (v) => v.toFixed(2) }, { key: 'gflops', title: 'GFLOPS', fmt: (v) => v.toFixed(1) },
  ]);

  const runs = [];
  console.log('\nfastgrad 1 thread (slice) ...');
  runs.push({ name: 'fastgrad 1 thread', ...(await fastgradRun(fg, 1, { sliceBatches: slice, train, test })) });
  console.log(`fastgrad 2 threads (${epochs ? `${epochs} epochs` : 'slice'}) ...`);
  runs.push({ name: 'fastgrad 2 threads', ...(await fastgradRun(fg, 2, { sliceBatches: epochs ? 0 : slice, epochs, train, test })) });

  let torchRun;
  if (lib.haveTorch()) {
    console.log(`PyTorch 2 threads, OpenBLAS 1 (slice${torchEpochs ? ` + ${torchEpochs} epochs` : ''}) ...`);
    const dir = fg.data.bundledFashionMnistDir;
    const { modelRegistry } = require('../dist/train/models.js');
    const r = lib.python('cnn_torch.py', [dir, '2', String(quick ? 10 : 30), String(torchEpochs), String(modelRegistry.cnn.recipe.lr)], { OPENBLAS_NUM_THREADS: '1' });
    torchRun = { name: `PyTorch ${r.torch} 2 threads`, ...r };
    if (r.epochs.length) {
      torchRun.epochSecondsMedian = lib.stats(r.epochs.map((e) => e.seconds)).median;
      torchRun.finalTestAccuracy = r.epochs[r.epochs.length - 1].testAccuracy;
    }
    runs.push(torchRun);
  } else {
    runs.push({ name: 'PyTorch', absent: 'python3-torch not installed' });
  }
  console.log('TensorFlow.js wasm (slice) ...');
  const tfRuns = await tfjsRuns(train, { wasmBatches: quick ? 5 : 20, cpuBatches: tfjsCpuBatches, quick });
  runs.push(...tfRuns);
  const tfRun = tfRuns.find((r) => !r.absent);

  const rows = runs.map((r) => ({
    name: r.name,
    epoch: r.epochSecondsMedian ?? r.epochSecondsExtrapolated,
    how: r.epochSecondsMedian !== undefined ? `median of ${r.epochs.length} full epochs` : r.absent ? `absent: ${r.absent}`
      : `extrapolated from ${r.timedBatches} batch${r.timedBatches > 1 ? 'es' : ''}${r.fallbackFor ? ` (fallback: ${r.fallbackFor} cannot train it)` : ''}`,
    acc: r.finalTestAccuracy,
    fallbackFor: r.fallbackFor,
  }));
  const fg2 = rows[1].epoch, torchEpoch = torchRun ? (torchRun.epochSecondsMedian ?? torchRun.epochSecondsExtrapolated) : undefined;
  const tfEpoch = tfRun?.epochSecondsExtrapolated, tfLabel = tfRun ? `x TF.js ${tfRun.backend}` : 'x TF.js';
  for (const r of rows) {
    r.vsTorch = torchEpoch && r.epoch ? torchEpoch / r.epoch : undefined;
    r.vsTfjs = tfEpoch && r.epoch ? tfEpoch / r.epoch : undefined;
  }
  console.log('');
  lib.table(rows, [
    { key: 'name', title: 'contender' },
    { key: 'epoch', title: 's/epoch', fmt: (v) => v.toFixed(1) },
    { key: 'how', title: 'measured as' },
    { key: 'acc', title: 'test acc', fmt: (v) => `${(100 * v).toFixed(2)}%` },
    { key: 'vsTorch', title: 'x PyTorch', fmt: fmtRatio },
    { key: 'vsTfjs', title: tfLabel, fmt: fmtRatio },
  ]);
  console.log(`\ntargets: <= 12 s/epoch with 2 threads (now ${fg2 ? fg2.toFixed(1) : '-'} s); >= 92% test accuracy within 5 epochs` +
    (runs[1].finalTestAccuracy !== undefined ? ` (now ${(100 * runs[1].finalTestAccuracy).toFixed(2)}% after epoch ${epochs}, best ${(100 * runs[1].bestTestAccuracy).toFixed(2)}%)` : ' (not measured in --quick)'));
  const timed = rows.filter((r) => r.epoch);
  const headline = fg2 ? [`CNN epoch: ${fg2.toFixed(1)} s on 2 threads` + (rows[1].vsTorch ? `, ${fmtRatio(rows[1].vsTorch)} PyTorch (2 threads)` : '') +
    (runs[1].finalTestAccuracy !== undefined ? `, ${(100 * runs[1].finalTestAccuracy).toFixed(2)}% test accuracy after ${epochs} epochs` : '') +
    (rows[1].vsTfjs ? `, ${fmtRatio(rows[1].vsTfjs)} TensorFlow.js ${tfRun.backend}${tfRun.fallbackFor ? ` (its ${tfRun.fallbackFor} backend cannot train it)` : ''}` : '')] : [];
  const charts = [{
    // Log scale: TensorFlow.js's pure-JS fallback is thousands of times slower than the rest.
    id: 'epoch', title: 'Seconds per CNN epoch (log scale; lower is better)', type: 'bar', yLog: true, yLabel: 'seconds per epoch',
    categories: timed.map(contenderLabel), series: [{ name: 's/epoch', values: timed.map((r) => r.epoch) }],
  }, {
    id: 'kernels', title: 'Conv kernels at the model\'s shapes (batch 128): GFLOPS', type: 'bar', yLabel: 'GFLOPS',
    categories: [...new Set(kernels.map(kernelLabel))],
    series: [...new Set(kernels.map((k) => k.threads))].map((t) => ({
      name: `${t} thread${t > 1 ? 's' : ''}`,
      values: [...new Set(kernels.map(kernelLabel))].map((c) => kernels.find((k) => kernelLabel(k) === c && k.threads === t)?.gflops ?? NaN),
    })),
  }];
  const tables = [{ title: 'CNN on Fashion-MNIST (batch 128, Adam)', columns: ['contender', 's/epoch', 'measured as', 'test accuracy', 'x PyTorch', tfLabel],
    rows: rows.map((r) => [r.name, r.epoch ? +r.epoch.toFixed(1) : '-', r.how, r.acc ? `${(100 * r.acc).toFixed(2)}%` : '-',
      r.vsTorch ? fmtRatio(r.vsTorch) : '-', r.vsTfjs ? fmtRatio(r.vsTfjs) : '-']) }];
  const file = lib.save('cnn', { quick, kernels, runs, summary: rows, headline, charts, tables });
  console.log(`saved ${file}`);
}

/** A speed ratio: two decimals near 1, whole numbers in the hundreds and up, two digits far below 1. */
function fmtRatio(v) {
  return `${v >= 100 ? v.toFixed(0) : v >= 0.1 ? v.toFixed(2) : v.toPrecision(2)}x`;
}

/** 'TF.js cpu (fallback)' for a chart axis: the contender without its version (the table has it). */
function contenderLabel(r) {
  return r.name.replace(/ \d+\.\d+\S*/, '').replace('TensorFlow.js', 'TF.js') + (r.fallbackFor ? ' (fallback)' : '');
}

/** 'conv2 dW' for a chart axis: the layer's short name and the pass. */
function kernelLabel(k) {
  const pass = { forward: 'fwd', 'input grad': 'dX', 'weight grad': 'dW' }[k.pass] || k.pass;
  return `${k.layer.split(' ')[0]} ${pass}`;
}

module.exports = { run };
