import type { ConvOps } from '../conv';

export const jsConv: ConvOps = {};
