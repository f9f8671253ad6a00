// The main job's benchmark: the Fashion-MNIST MLP 784-256-128-10 (ReLU), Adam lr 1e-3 (cosine-annealed
// per batch), batch 128, trained with model.fit exactly as `fastgrad train` does. PyTorch runs the
// same model, optimizer and batch with a constant lr (the schedule costs nothing measurable).
//
//   npm run bench -- train           fastgrad native, 2 threads: 10 full epochs (seconds per epoch,
//                                    samples/s, test accuracy per epoch, largest event-loop delay,
//                                    RSS after each epoch); native, 1 thread: 3 epochs; pure JS: a
//                                    slice of batches, extrapolated to an epoch (labelled so);
//                                    PyTorch 1.13 in its best thread setting (1 torch thread,
//                                    OpenBLAS on 2): 10 full epochs; its other settings: slices
//   npm run bench -- train --quick   3 epochs of native 2 threads and PyTorch; slices elsewhere
//
// Every fastgrad configuration runs in its own Node process (so RSS and thread settings do not mix).
// 'seconds' per epoch is training only (the test evaluation after each epoch is not counted); the
// event-loop delay is the largest lateness of a 10 ms setInterval running beside fit.
'use strict';
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const lib = require('./lib');
const peers = require('./peers');

const BATCH = 128;
const STEPS = Math.ceil(60000 / BATCH);

/** Runs in a child process: one configuration; prints one JSON line. */
async function worker(opts) {
  const fg = require('../dist/index.js');
  const { models } = require('../dist/train/models.js');
  if (opts.backend === 'js') fg.useBackend('js');
  else fg.getBackend('native').setNumThreads(opts.threads);
  const { train, test } = await fg.data.fashionMnist();
  const model = models.mlp({ seed: 1 });
  const optimizer = new fg.optim.Adam(model.parameters(), { lr: 1e-3 });
  const out = { backend: fg.backendInfo(), threads: opts.threads };
  const fitOpts = { batchSize: BATCH, optimizer, loss: 'sparseCategoricalCrossentropy', seed: 1, verbose: 0 };
  if (opts.slice) {
    const idx = (start, count) => Array.from({ length: count * BATCH }, (_, i) => start * BATCH + i);
    await model.fit(fg.data.subset(train, idx(0, 2)), { ...fitOpts, epochs: 1 });
    const slice = fg.data.subset(train, idx(2, opts.slice));
    const t0 = process.hrtime.bigint();
    await model.fit(slice, { ...fitOpts, epochs: 1 });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    out.timedBatches = opts.slice;
    out.secondsPerBatch = s / opts.slice;
    out.epochSecondsExtrapolated = out.secondsPerBatch * STEPS;
    return out;
  }
  // Event-loop lateness: a 10 ms interval beside fit; its largest delay past 10 ms.
  // Also the longest batch (wall time from its start to its end: what fit blocks the loop for at most,
  // as it yields between batches), which tells a slow loop apart from a process starved of CPU.
  let last = performance.now(), maxDelay = 0, batchStart = 0, maxBatchMs = 0;
  const delays = [];
  const timer = setInterval(() => {
    const now = performance.now();
    delays.push(now - last - 10);
    maxDelay = Math.max(maxDelay, now - last - 10);
    last = now;
  }, 10);
  let epochStart = 0, trainSeconds = 0;
  out.epochs = [];
  await model.fit(train, {
    ...fitOpts, epochs: opts.epochs, metrics: ['accuracy'], validationData: test,
    callbacks: [
      // The recipe of `fastgrad train`: Adam lr 1e-3 annealed to 0 by a per-batch cosine schedule.
      fg.callbacks.lrScheduler(new fg.optim.CosineAnnealingLR(optimizer, { tMax: opts.epochs * STEPS }), { perBatch: true }),
      {
      onEpochBegin: () => { epochStart = performance.now(); },
      onBatchBegin: () => { batchStart = performance.now(); },
      onBatchEnd: () => {
        const now = performance.now();
        maxBatchMs = Math.max(maxBatchMs, now - batchStart);
        trainSeconds = (now - epochStart) / 1000;
      },
      onEpochEnd: (e, logs) => {
        out.epochs.push({
          seconds: trainSeconds, samplesPerSecond: 60000 / trainSeconds, loss: logs.loss,
          trainAccuracy: logs.accuracy, testAccuracy: logs.valAccuracy, rssMiB: process.memoryUsage().rss / 2 ** 20,
        });
      },
    }],
  });
  clearInterval(timer);
  out.maxEventLoopDelayMs = maxDelay;
  out.p99EventLoopDelayMs = [...delays].sort((a, b) => a - b)[Math.floor(0.99 * (delays.length - 1))];
  out.maxBatchMs = maxBatchMs;
  return out;
}

function child(opts) {
  const r = spawnSync(process.execPath, [__filename, '--worker', JSON.stringify(opts)], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`bench train worker ${JSON.stringify(opts)} failed: ${r.stderr.split('\n').slice(-6).join('\n')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function summarize(name, r) {
  if (r.epochs) {
    const secs = r.epochs.map((e) => e.seconds);
    // The first epoch includes warm-up (JIT, first allocations): the median is over the rest.
    const steady = secs.length > 1 ? secs.slice(1) : secs;
    const med = lib.stats(steady).median;
    const acc = r.epochs.map((e) => e.testAccuracy);
    return {
      name, epochSeconds: med, samplesPerSecond: 60000 / med, epochsRun: secs.length,
      testAccuracy: acc[acc.length - 1], bestTestAccuracy: Math.max(...acc),
      maxEventLoopDelayMs: r.maxEventLoopDelayMs, p99EventLoopDelayMs: r.p99EventLoopDelayMs, maxBatchMs: r.maxBatchMs,
      rssEpoch1MiB: r.epochs[0].rssMiB, rssEpoch2MiB: r.epochs[1] && r.epochs[1].rssMiB, rssLastMiB: r.epochs[r.epochs.length - 1].rssMiB,
    };
  }
  const s = r.epochSecondsExtrapolated;
  return { name: `${name} (extrapolated from ${r.timedBatches} batches)`, epochSeconds: s, samplesPerSecond: 60000 / s };
}

async function run({ quick = false } = {}) {
  const epochs = quick ? 3 : 10;
  const dataDir = path.join(__dirname, '..', 'data', 'fashion-mnist');
  const haveTorch = lib.haveTorch();
  const rows = [];
  const raw = {};
  const torchRun = (threads, blas, batches) =>
    lib.python('train_torch.py', [dataDir, String(threads), String(epochs), ...(batches ? [String(batches)] : [])], {
      OPENBLAS_NUM_THREADS: String(blas), OMP_NUM_THREADS: String(threads),
    });
  // Alternate fastgrad and PyTorch so drift in the machine hits both.
  raw.native2 = child({ threads: 2, epochs });
  rows.push(summarize('fastgrad native, 2 threads', raw.native2));
  if (haveTorch) {
    raw.torchBest = torchRun(1, 2);
    rows.push(summarize('PyTorch 1.13, 1 thread + OpenBLAS 2 (best)', raw.torchBest));
  }
  raw.native1 = child({ threads: 1, epochs: quick ? 2 : 3 });
  rows.push(summarize('fastgrad native, 1 thread', raw.native1));
  raw.js = child({ backend: 'js', threads: 1, slice: quick ? 5 : 15 });
  rows.push(summarize('fastgrad pure JS', raw.js));
  // TensorFlow.js: the same model, optimizer, loss and batch through its model.fit, on a slice of
  // batches (it is far slower), extrapolated to an epoch; with its largest event-loop delay.
  const { train } = await lib.fastgrad().data.fashionMnist();
  for (const [backend, batches] of [['wasm', quick ? 10 : 30], ['cpu', quick ? 2 : 5]]) {
    const peer = await peers.tfjs(backend);
    const name = `TensorFlow.js ${peer.version || ''} ${backend}`.replace('  ', ' ');
    if (peer.absent) {
      rows.push({ name: `${name}: absent (${peer.absent})` });
      continue;
    }
    const r = await peers.tfFitSlice(peer, 'mlp', train.x.data, train.y.data, { batches, batchSize: BATCH });
    raw[`tfjs_${backend}`] = r;
    rows.push({ name: `${name} (extrapolated from ${batches} batches)`, epochSeconds: r.perBatch * STEPS,
      samplesPerSecond: 60000 / (r.perBatch * STEPS), maxEventLoopDelayMs: r.maxEventLoopDelayMs });
  }
  if (haveTorch) {
    for (const [t, b] of [[2, 1], [1, 1], [2, 2]]) {
      raw[`torch_${t}_${b}`] = torchRun(t, b, quick ? 50 : 150);
      rows.push(summarize(`PyTorch, ${t} thread(s) + OpenBLAS ${b}${t + b > 2 ? ' (oversubscribed)' : ''}`, raw[`torch_${t}_${b}`]));
    }
  }
  const f2 = (v) => v.toFixed(2), f1 = (v) => v.toFixed(1);
  lib.table(rows, [
    { key: 'name', title: 'contender' },
    { key: 'epochSeconds', title: 's/epoch', fmt: (v) => v.toFixed(3) },
    { key: 'samplesPerSecond', title: 'samples/s', fmt: (v) => Math.round(v).toString() },
    { key: 'testAccuracy', title: `test acc (${epochs} ep)`, fmt: (v) => `${f2(100 * v)}%` },
    { key: 'maxEventLoopDelayMs', title: 'max loop delay ms', fmt: f1 },
    { key: 'p99EventLoopDelayMs', title: 'p99 delay ms', fmt: f1 },
    { key: 'maxBatchMs', title: 'longest batch ms', fmt: f1 },
    { key: 'rssEpoch1MiB', title: 'RSS ep1 MiB', fmt: f1 },
    { key: 'rssEpoch2MiB', title: 'RSS ep2 MiB', fmt: f1 },
    { key: 'rssLastMiB', title: 'RSS last MiB', fmt: f1 },
  ]);
  const n2 = rows[0];
  const torchBest = haveTorch ? rows[1] : undefined;
  const jsRow = rows.find((r) => r.name.startsWith('fastgrad pure JS'));
  const summary = {
    epochSecondsNative2: n2.epochSeconds,
    speedupVsTorchBest: torchBest ? torchBest.epochSeconds / n2.epochSeconds : undefined,
    pureJsSlowdown: jsRow.epochSeconds / n2.epochSeconds,
    testAccuracy: n2.testAccuracy,
    maxEventLoopDelayMs: n2.maxEventLoopDelayMs,
    p99EventLoopDelayMs: n2.p99EventLoopDelayMs,
    longestBatchMs: n2.maxBatchMs,
    rssGrowthLastVsEpoch2: n2.rssEpoch2MiB ? n2.rssLastMiB / n2.rssEpoch2MiB - 1 : undefined,
    targets: { epochSeconds: 0.6, testAccuracy: 0.885, maxEventLoopDelayMs: 20, rssGrowth: 0.05 },
  };
  console.log(JSON.stringify(summary));
  const timed = rows.filter((r) => r.epochSeconds);
  const tfWasm = rows.find((r) => r.name.startsWith('TensorFlow.js') && r.name.includes('wasm') && r.epochSeconds);
  const headline = [`MLP epoch (60k images, batch 128): ${n2.epochSeconds.toFixed(2)} s on 2 threads, ${(100 * n2.testAccuracy).toFixed(2)}% test accuracy after ${epochs} epochs` +
    (summary.speedupVsTorchBest ? `; ${summary.speedupVsTorchBest.toFixed(2)}x PyTorch in its best thread setting` : '') +
    (tfWasm ? `; ${(tfWasm.epochSeconds / n2.epochSeconds).toFixed(0)}x TensorFlow.js wasm` : '')];
  const charts = [{
    id: 'epoch', title: 'Seconds per MLP epoch (log scale; lower is better)', type: 'bar', yLog: true, yLabel: 'seconds per epoch',
    categories: timed.map((r) => r.name.replace(/ \(extrapolated from (\d+) batches\)/, ' ($1 batches)').replace('PyTorch 1.13, ', 'PyTorch ')),
    series: [{ name: 's/epoch', values: timed.map((r) => r.epochSeconds) }],
  }];
  const tables = [{
    title: 'MLP 784-256-128-10 on Fashion-MNIST, Adam, batch 128',
    columns: ['contender', 's/epoch', 'samples/s', 'test accuracy', 'max event-loop delay ms', 'RSS epoch 2 MiB', 'RSS last MiB'],
    rows: rows.map((r) => [r.name, r.epochSeconds !== undefined ? +r.epochSeconds.toFixed(3) : '-', r.samplesPerSecond ? Math.round(r.samplesPerSecond) : '-',
      r.testAccuracy ? `${(100 * r.testAccuracy).toFixed(2)}%` : '-', r.maxEventLoopDelayMs !== undefined ? +r.maxEventLoopDelayMs.toFixed(1) : '-',
      r.rssEpoch2MiB ? +r.rssEpoch2MiB.toFixed(1) : '-', r.rssLastMiB ? +r.rssLastMiB.toFixed(1) : '-']),
  }];
  const file = lib.save('train', { quick, epochs, rows, summary, raw, headline, charts, tables });
  console.log(`saved ${file}`);
}

module.exports = { run };

if (process.argv[2] === '--worker') {
  worker(JSON.parse(process.argv[3])).then(
    (r) => console.log(JSON.stringify(r)),
    (e) => { console.error(e.stack || String(e)); process.exit(1); },
  );
} else if (require.main === module) {
  run({ quick: process.argv.includes('--quick') });
}
