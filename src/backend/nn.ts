/** Fused layer kernels: linear with epilogue, softmax cross-entropy, dropout masks ... */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface NNOps {}
