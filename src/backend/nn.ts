/**
 * Fused layer kernels: Linear with its epilogue, softmax cross-entropy, dropout, batch norm. Each is
 * one call over raw buffers; the pure-JS twins live in js/nn.ts, the native ones in
 * native/kernels/nn/ behind native/addon/nn_binding.cc. Sizes are element counts; arrays may be
 * longer than needed (never shorter).
 */
export interface NNOps {
  /**
   * Softmax cross-entropy over logits [n, c], forward and backward in one pass (stable log-sum-exp).
   * Exactly one of `labels` (Float32Array(n) of integral class ids in [0, c)) and `targets`
   * (Float32Array(n*c): one-hot or soft probabilities) is non-null. Writes each row's loss to
   * losses[n] and, when `grad` is non-null, d(loss)/d(logits) * gradScale to grad[n*c].
   * Returns -1, or the index of the first row whose label is not an integer in [0, c) (nothing is
   * then guaranteed about the outputs).
   */
  softmaxCrossEntropy(
    logits: Float32Array, labels: Float32Array | null, targets: Float32Array | null, n: number, c: number,
    losses: Float32Array, grad: Float32Array | null, gradScale: number,
  ): number;

  /**
   * Linear forward, one call: y[m, n] = x[m, k] * w[n, k]^T + b[n] (b may be null), then ReLU when
   * `relu`. Natively one SGEMM with the bias and ReLU in its epilogue.
   */
  linearForward(
    x: Float32Array, w: Float32Array, b: Float32Array | null, y: Float32Array,
    m: number, n: number, k: number, relu: boolean,
  ): void;

  /**
   * Linear backward. With `relu`, dy is first masked by y > 0 (y is the forward's output; dy is not
   * modified). Then db[n] = column sums, dw[n, k] = dy^T x, dx[m, k] = dy w. Any of dx, dw, db may be
   * null (skipped: the first layer needs no dx). With `accumulate`, dw and db are added to (a leaf's
   * gradient buffer); dx is always overwritten.
   */
  linearBackward(
    x: Float32Array, w: Float32Array, y: Float32Array, dy: Float32Array, m: number, n: number, k: number,
    relu: boolean, dx: Float32Array | null, dw: Float32Array | null, db: Float32Array | null, accumulate: boolean,
  ): void;

  /**
   * Inverted dropout: dst[i] = src[i] * keep(seed, i) / (1 - p) for i < n, where keep is a
   * counter-based hash of (seed, i), so the mask is reproducible, thread-safe and needs no storage:
   * the backward pass is the same call on the output gradient. p in [0, 1]; seed a uint32.
   */
  dropout(src: Float32Array, dst: Float32Array, n: number, p: number, seed: number): void;
}
