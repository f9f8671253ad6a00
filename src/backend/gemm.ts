/** The register tile and cache blocks of a backend's SGEMM (tests build their edge grids from them). */
export interface GemmInfo {
  /** The micro-kernel, e.g. 'sgemm_ukernel_6x16__avx2_fma'. */
  kernel: string;
  /** Register tile: rows of A and columns of B per micro-kernel call. */
  mr: number;
  nr: number;
  /** Cache blocks: depth (kc), rows of A (mc) and columns of B (nc) per packed block. */
  kc: number;
  mc: number;
  nc: number;
  /** Rows of the edge kernel that runs a block's leftover rows (0: none, they run as a padded tile). */
  mrEdge: number;
  /** Products with n <= narrowN run a narrow path (AVX2: dot products along k when A is stored plain, C^T otherwise; 0: none). */
  narrowN: number;
}

/** Dense matrix multiply, row-major, BLAS semantics. */
export interface GemmOps {
  /**
   * C = alpha * op(A) * op(B) + beta * C, where op(X) is X or X^T; A is m x k after op, B is k x n,
   * C is m x n; row-major with leading dimensions lda, ldb, ldc. beta = 0 means C is not read (NaN in
   * C does not propagate), as in BLAS; alpha = 0 or k = 0 means A and B are not read.
   */
  sgemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number,
    alpha: number, a: Float32Array, lda: number, b: Float32Array, ldb: number,
    beta: number, c: Float32Array, ldc: number,
  ): void;
  /**
   * sgemm with a fused epilogue: C = act(alpha * op(A) * op(B) + beta * C + bias), act = ReLU when
   * `relu`. bias (or null) holds n values added to every row (biasPerRow false: a Linear layer) or m
   * values added to every column (biasPerRow true: one per output channel of a convolution).
   */
  sgemmBiasAct(
    transA: boolean, transB: boolean, m: number, n: number, k: number,
    alpha: number, a: Float32Array, lda: number, b: Float32Array, ldb: number,
    beta: number, c: Float32Array, ldc: number,
    bias: Float32Array | null, biasPerRow: boolean, relu: boolean,
  ): void;
  /** The SGEMM's tile and block sizes (for the ISA in use). */
  gemmInfo(): GemmInfo;
}
