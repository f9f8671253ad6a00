/** Dense matrix multiply, row-major, BLAS semantics. */
export interface GemmOps {
  /**
   * C = alpha * op(A) * op(B) + beta * C, where op(X) is X or X^T; A is m x k after op, B is k x n,
   * C is m x n; row-major with leading dimensions lda, ldb, ldc. beta = 0 means C is not read (NaN in
   * C does not propagate), as in BLAS.
   */
  sgemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number,
    alpha: number, a: Float32Array, lda: number, b: Float32Array, ldb: number,
    beta: number, c: Float32Array, ldc: number,
  ): void;
}
