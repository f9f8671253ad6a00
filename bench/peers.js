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

module.exports = { tfjs, useTf };
