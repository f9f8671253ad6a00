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
 * The MLP 784-256-128-10 (ReLU) with Adam lr 1e-3 and sparse categorical cross-entropy, trained with
 * tfjs's model.fit on `batches` batches of 128 from (x [N, 784], y [N] as Float32Arrays): returns
 * { seconds, perBatch, maxEventLoopDelayMs } for that slice (to extrapolate to an epoch).
 */
async function tfMlpSlice(peer, x, y, { batches = 20, batchSize = 128 } = {}) {
  const { tf } = peer;
  await useTf(peer);
  const n = batches * batchSize;
  const xs = tf.tensor2d(x.subarray(0, n * 784), [n, 784]);
  const ys = tf.tensor1d(Float32Array.from(y.subarray(0, n)));
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 256, activation: 'relu' }),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
  // Warm-up: one batch (kernel compilation, allocation).
  await model.fit(xs.slice(0, batchSize), ys.slice(0, batchSize), { batchSize, epochs: 1, verbose: 0 });
  let last = process.hrtime.bigint(), maxDelay = 0;
  const timer = setInterval(() => {
    const now = process.hrtime.bigint();
    maxDelay = Math.max(maxDelay, Number(now - last) / 1e6 - 10);
    last = now;
  }, 10);
  const t0 = process.hrtime.bigint();
  await model.fit(xs, ys, { batchSize, epochs: 1, shuffle: false, verbose: 0 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(timer);
  xs.dispose();
  ys.dispose();
  model.dispose();
  return { seconds, perBatch: seconds / batches, maxEventLoopDelayMs: maxDelay };
}

module.exports = { tfjs, useTf, tfMatmul, tfAdamStep, tfMlpSlice };
