// The peers fastgrad is compared with, loaded on demand. TensorFlow.js lives in its own package
// (bench/peers/package.json), installed on first use, so fastgrad's own install and CI stay light.
// PyTorch comes from Debian's python3-torch (see lib.js: python, haveTorch).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const peersDir = path.join(__dirname, 'peers');
let installError;

function ensureInstalled() {
  if (fs.existsSync(path.join(peersDir, 'node_modules', '@tensorflow', 'tfjs-backend-wasm'))) return true;
  if (installError) return false;
  console.log('bench: installing TensorFlow.js into bench/peers (first use) ...');
  const npm = process.env.npm_execpath
    ? [process.execPath, process.env.npm_execpath]
    : ['npm'];
  const r = spawnSync(npm[0], [...npm.slice(1), 'install', '--no-audit', '--no-fund', '--ignore-scripts'], {
    cwd: peersDir, encoding: 'utf8',
  });
  if (r.status !== 0) {
    installError = `npm install in bench/peers failed: ${(r.stderr || '').split('\n').slice(-3).join(' ')}`;
    return false;
  }
  return true;
}

const tfCache = {};

/**
 * TensorFlow.js on one backend ('cpu' or 'wasm'): { tf, version } or { absent: why }.
 * tfjs keeps one global backend, so callers switch with use(tf, backend) before each measurement.
 */
async function tfjs(backend) {
  if (tfCache[backend]) return tfCache[backend];
  if (!ensureInstalled()) return { absent: installError };
  try {
    const tf = require(path.join(peersDir, 'node_modules', '@tensorflow', 'tfjs'));
    require(path.join(peersDir, 'node_modules', '@tensorflow', 'tfjs-backend-wasm'));
    // tfjs prints a banner suggesting tfjs-node; tfjs-node downloads libtensorflow at install time,
    // which is exactly the install fastgrad avoids, so it is not a peer here.
    const ok = await tf.setBackend(backend);
    await tf.ready();
    if (!ok || tf.getBackend() !== backend) return (tfCache[backend] = { absent: `tfjs backend '${backend}' did not initialise` });
    return (tfCache[backend] = { tf, version: tf.version.tfjs, backend });
  } catch (e) {
    return (tfCache[backend] = { absent: `tfjs failed to load: ${e.message}` });
  }
}

/** Makes `backend` tfjs's active backend (tfjs has one global backend). */
async function useTf(peer) {
  if (peer.tf.getBackend() !== peer.backend) {
    await peer.tf.setBackend(peer.backend);
    await peer.tf.ready();
  }
}

/**
 * C = op(A) op(B) in TensorFlow.js on random inputs of the given shape; returns an async function
 * that runs one product and waits for its data (tfjs is lazy).
 */
function tfMatmul(peer, { m, n, k, transA = false, transB = false }) {
  const { tf } = peer;
  const a = tf.randomNormal(transA ? [k, m] : [m, k]);
  const b = tf.randomNormal(transB ? [n, k] : [k, n]);
  return async () => {
    await useTf(peer);
    const c = tf.matMul(a, b, transA, transB);
    await c.data();
    c.dispose();
  };
}

/** One Adam step over n parameters in TensorFlow.js (tf.train.adam applyGradients). */
function tfAdamStep(peer, n, { lr = 1e-3 } = {}) {
  const { tf } = peer;
  const w = tf.variable(tf.randomNormal([n]), true); // tfjs names it uniquely
  const g = tf.randomNormal([n], 0, 1e-3);
  const opt = tf.train.adam(lr);
  return async () => {
    await useTf(peer);
    opt.applyGradients({ [w.name]: g });
    await w.data();
  };
}

/**
 * The models the training benchmarks compare, built in TensorFlow.js's layers API as fastgrad builds
 * them in src/train/models.ts: { inputShape (one sample, NHWC for images), build(tf) -> the layers
 * after the input }.
 * Softmax output with sparse categorical cross-entropy is tfjs's softmax cross-entropy.
 */
const TF_MODELS = {
  // 784-256-128-10, ReLU.
  mlp: {
    inputShape: [784],
    build: (tf) => [
      tf.layers.dense({ units: 256, activation: 'relu' }),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  },
  // 2 x conv3x3 ('same')-BatchNorm-ReLU-maxpool2 (32, then 64 channels) -> flatten -> dropout 0.25 ->
  // dense 3136-128 ReLU -> dense 128-10. BatchNorm with PyTorch's defaults (momentum 0.1 there is
  // 0.9 in Keras terms, epsilon 1e-5) so the three libraries train the same model.
  cnn: {
    inputShape: [28, 28, 1],
    build: (tf) => {
      const block = (filters) => [
        tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same' }),
        tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }),
        tf.layers.reLU(),
        tf.layers.maxPooling2d({ poolSize: 2 }),
      ];
      return [
        ...block(32), ...block(64),
        tf.layers.flatten(),
        tf.layers.dropout({ rate: 0.25 }),
        tf.layers.dense({ units: 128, activation: 'relu' }),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ];
    },
  },
};

/**
 * Trains TF_MODELS[modelName] with Adam lr 1e-3 and sparse categorical cross-entropy through tfjs's
 * model.fit on `batches` batches of `batchSize` from (x: the samples' values back to back, y: labels,
 * both Float32Arrays), after one warm-up batch of `warmupSamples` samples (kernel compilation, first
 * allocations); returns { seconds, perBatch, maxEventLoopDelayMs } for the timed slice (to
 * extrapolate to an epoch). Throws what tfjs throws, e.g. when the backend lacks a kernel the
 * model's gradient needs (the warm-up batch finds that out).
 */
async function tfFitSlice(peer, modelName, x, y, { batches = 20, batchSize = 128, warmupSamples = batchSize } = {}) {
  const { tf } = peer;
  const spec = TF_MODELS[modelName];
  await useTf(peer);
  const n = batches * batchSize;
  const sampleSize = spec.inputShape.reduce((a, b) => a * b, 1);
  const xs = tf.tensor(x.subarray(0, n * sampleSize), [n, ...spec.inputShape]);
  const ys = tf.tensor1d(Float32Array.from(y.subarray(0, n)));
  const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: spec.inputShape }), ...spec.build(tf)] });
  let timer;
  try {
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
    const warm = Math.min(warmupSamples, n);
    const wx = xs.slice(0, warm), wy = ys.slice(0, warm);
    try {
      await model.fit(wx, wy, { batchSize: warm, epochs: 1, verbose: 0 });
    } finally {
      tf.dispose([wx, wy]);
    }
    let last = process.hrtime.bigint(), maxDelay = 0;
    timer = setInterval(() => {
      const now = process.hrtime.bigint();
      maxDelay = Math.max(maxDelay, Number(now - last) / 1e6 - 10);
      last = now;
    }, 10);
    const t0 = process.hrtime.bigint();
    await model.fit(xs, ys, { batchSize, epochs: 1, shuffle: false, verbose: 0 });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return { seconds, perBatch: seconds / batches, maxEventLoopDelayMs: maxDelay };
  } finally {
    clearInterval(timer);
    xs.dispose();
    ys.dispose();
    model.dispose();
  }
}

module.exports = { tfjs, useTf, tfMatmul, tfAdamStep, tfFitSlice };
