// Loads the native addon through node-gyp-build, which takes a prebuild from prebuilds/<platform>-<arch>/
// when one fits and build/Release otherwise.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Backend } from './types';
import { ValueError } from '../errors';

/** The package root (the folder with fastgrad's package.json), from src/backend or dist/backend. */
export const packageRoot: string = (() => {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj) && JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'fastgrad') return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(__dirname, '..', '..');
})();

interface AddonInfo {
  isa: string;
  threads: number;
  availableIsas: string[];
  compiledIsas: string[];
  unverifiedIsas: string[];
  arch: string;
}

/** Which binary was loaded: a prebuild, or a local build. */
export let nativeBinaryPath: string | undefined;
/** How it was found: 'prebuild (<platform>-<arch>)', 'local build', or 'FASTGRAD_ADDON_PATH'. */
export let nativeBinarySource: string | undefined;

export function loadNativeBackend(): Backend {
  // FASTGRAD_ADDON_PATH loads one specific .node (CI runs the tests against the cmake-js and
  // sanitizer builds this way); otherwise node-gyp-build picks build/Release, then prebuilds/.
  const override = process.env.FASTGRAD_ADDON_PATH;
  let addon: Record<string, (...args: any[]) => any>;
  if (override) {
    const file = path.resolve(override);
    if (!fs.existsSync(file)) throw new Error(`FASTGRAD_ADDON_PATH=${override}: no such file`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require(file);
    nativeBinaryPath = file;
    nativeBinarySource = 'FASTGRAD_ADDON_PATH';
  } else {
    // node-gyp-build is CommonJS; require it lazily so the JS backend works without it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = require('node-gyp-build') as ((dir: string) => Record<string, unknown>) & { resolve?: (dir: string) => string };
    addon = load(packageRoot) as Record<string, (...args: any[]) => any>;
    try {
      nativeBinaryPath = load.resolve ? load.resolve(packageRoot) : undefined;
    } catch {
      nativeBinaryPath = undefined;
    }
    const rel = nativeBinaryPath ? path.relative(packageRoot, nativeBinaryPath).split(path.sep) : [];
    nativeBinarySource = rel[0] === 'prebuilds' ? `prebuild (${rel[1]})` : rel[0] === 'build' ? 'local build' : undefined;
  }
  const info = () => addon.info() as AddonInfo;
  const backend = {
    ...addon,
    name: 'native' as const,
    isa: () => info().isa,
    availableIsas: () => info().availableIsas,
    setIsa(isa: string) {
      try {
        addon.setIsa(isa);
      } catch (e) {
        throw new ValueError((e as Error).message);
      }
    },
    numThreads: () => info().threads,
    setNumThreads: (n: number) => addon.setNumThreads(n),
  };
  return backend as unknown as Backend;
}
