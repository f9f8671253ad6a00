import type { OptimOps } from '../optim';

export const jsOptim: OptimOps = {};
