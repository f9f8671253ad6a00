// The pure-JS backend: every Backend operation in TypeScript over Float32Arrays. It is the oracle
// the native kernels are tested against, the baseline the benchmarks divide by, and the fallback when
// no native binary fits. Each kernel family lives in its own file here.
import type { Backend } from '../types';
import { ValueError } from '../../errors';
import { jsGemm } from './gemm';
import { jsOptim } from './optim';
import { jsNN } from './nn';
import { jsConv } from './conv';

export function createJsBackend(): Backend {
  return {
    name: 'js',
    isa: () => 'js',
    availableIsas: () => ['js'],
    setIsa(isa: string) {
      if (isa !== 'js') throw new ValueError(`the js backend has only the 'js' ISA, got '${isa}'`);
    },
    numThreads: () => 1,
    setNumThreads: () => {},
    ...jsGemm,
    ...jsOptim,
    ...jsNN,
    ...jsConv,
  };
}
