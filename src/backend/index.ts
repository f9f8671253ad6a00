// Backend selection: native by default; FASTGRAD_BACKEND=js (or native) forces one. When the addon
// cannot load, fastgrad warns once, saying why and how to build, and runs on pure JS.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Backend, BackendInfo, BackendName } from './types';
import { createJsBackend } from './js';
import { loadNativeBackend, packageRoot, nativeBinaryPath, nativeBinarySource } from './native';
import { ValueError } from '../errors';

export type { Backend, BackendInfo, BackendName } from './types';
export { packageRoot } from './native';

export const version: string = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')).version;

let jsBackend: Backend | undefined;
let nativeBackend: Backend | undefined;
let nativeError: Error | undefined;
let current: Backend | undefined;

function getJs(): Backend {
  return (jsBackend ??= createJsBackend());
}

function tryNative(): Backend | undefined {
  if (nativeBackend || nativeError) return nativeBackend;
  try {
    nativeBackend = loadNativeBackend();
  } catch (e) {
    nativeError = e as Error;
  }
  return nativeBackend;
}

function choose(): Backend {
  const forced = process.env.FASTGRAD_BACKEND;
  if (forced !== undefined && forced !== '' && forced !== 'js' && forced !== 'native') {
    throw new ValueError(`FASTGRAD_BACKEND must be 'native' or 'js', got '${forced}'`);
  }
  if (forced === 'js') return getJs();
  const native = tryNative();
  if (native) return native;
  const reason = nativeError?.message.split('\n')[0] ?? 'unknown error';
  if (forced === 'native') throw new Error(`fastgrad: FASTGRAD_BACKEND=native but the native addon did not load: ${reason}`);
  process.emitWarning(
    `fastgrad: native addon not loaded for ${process.platform}-${process.arch} (${reason}); using the pure-JS backend, ` +
      `which is much slower. To build the addon from source: \`npm run build:native\` in ${packageRoot} ` +
      '(needs a C++ compiler, make and python3). Set FASTGRAD_BACKEND=js to silence this.',
    { code: 'FASTGRAD_NO_NATIVE' },
  );
  return getJs();
}

/** The backend in use. */
export function backend(): Backend {
  return (current ??= choose());
}

/**
 * A specific backend, for tests and benchmarks that compare them; undefined when native is
 * unavailable.
 */
export function getBackend(name: BackendName): Backend | undefined {
  if (name === 'js') return getJs();
  if (name === 'native') return tryNative();
  throw new ValueError(`backend name must be 'native' or 'js', got '${String(name)}'`);
}

/** Switches the backend used from now on (tensors already made keep their data). */
export function useBackend(name: BackendName): void {
  const b = getBackend(name);
  if (!b) throw new ValueError(`the native backend is not available: ${nativeError?.message ?? 'not built'}`);
  current = b;
}

/** { backend, isa, threads, version }: what fastgrad runs on. */
export function backendInfo(): BackendInfo {
  const b = backend();
  return { backend: b.name, isa: b.isa(), threads: b.numThreads(), version };
}

/** Details for `fastgrad info`: the binary loaded, the ISAs available, why native failed. */
export function backendDetails(): Record<string, unknown> {
  const b = backend();
  return {
    ...backendInfo(),
    binary: b.name === 'native' ? nativeBinaryPath : undefined,
    binarySource: b.name === 'native' ? nativeBinarySource : undefined,
    availableIsas: b.availableIsas(),
    nativeError: nativeError?.message,
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
  };
}
