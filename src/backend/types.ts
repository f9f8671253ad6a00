// The Backend interface: what every layer above src/backend may ask of the machine. Two
// implementations: native (the addon, src/backend/native.ts) and pure JS (src/backend/js/). Both
// take raw Float32Arrays and sizes; argument checking with typed errors happens above, in the public
// API; the native addon checks again so that nothing can reach memory out of bounds.
//
// Each kernel family declares its part of the interface in its own file here, so families grow
// without touching each other.

import type { GemmOps } from './gemm';
import type { OptimOps } from './optim';
import type { NNOps } from './nn';
import type { ConvOps } from './conv';

export type BackendName = 'native' | 'js';

export interface BackendInfo {
  backend: BackendName;
  /** The instruction set the kernels use: 'avx2', 'avx512', 'neon', 'generic', or 'js'. */
  isa: string;
  threads: number;
  version: string;
}

export interface Backend extends GemmOps, OptimOps, NNOps, ConvOps {
  readonly name: BackendName;
  /** ISA in use and threads. */
  isa(): string;
  /** ISAs this CPU and build can run (for tests that run every path). */
  availableIsas(): string[];
  /** Switches the ISA every kernel uses; throws ValueError when unavailable. */
  setIsa(isa: string): void;
  numThreads(): number;
  setNumThreads(n: number): void;
}
