/** Fused optimizer updates over flat buffers (issue: the optimizer suite). */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface OptimOps {}
