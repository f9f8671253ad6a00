// Where to find Node's headers and node-gyp without a network: shared by build-native.js (install and
// `npm run build:native`) and prebuild.js (`npm run prebuild`).
//
// Called directly, node-gyp downloads Node's headers; npm passes its `nodedir` setting only to its own
// scripts, and npm 11 deprecates it. So we find the headers of the Node that runs us and pass them
// explicitly (--nodedir / npm_config_nodedir).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** A folder with include/node/node_api.h for this Node, or undefined. */
function nodeHeadersDir() {
  const candidates = [process.env.npm_config_nodedir, path.resolve(path.dirname(process.execPath), '..')];
  for (const dir of candidates) {
    if (dir && fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) return dir;
  }
  return undefined;
}

/** [executable, ...leading args] that runs node-gyp: npm's own copy first (always there with npm). */
function nodeGypCommand() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && fs.existsSync(fromNpm)) return [process.execPath, fromNpm];
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js')];
  } catch {}
  const npmDir = path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
  const bundled = path.join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (fs.existsSync(bundled)) return [process.execPath, bundled];
  return ['node-gyp'];
}

module.exports = { nodeHeadersDir, nodeGypCommand };
