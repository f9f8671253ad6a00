import type { NNOps } from '../nn';

export const jsNN: NNOps = {};
