// The kernels, for those who want them: BLAS-style entry points over Float32Arrays, on the current
// backend, with every argument checked (typed errors naming the argument, expected and given).
import { backend } from './backend';
import { ValueError, checkBool, checkFinite, checkFloat32Array, checkInt } from './errors';

/** Elements a row-major rows x cols matrix with leading dimension ld spans. */
function span(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

// The addon's words for the same error.
const OVERLAP = "sgemm: argument 'C' must not overlap A or B (the output would overwrite inputs still being read)";

function overlaps(x: Float32Array, xLen: number, y: Float32Array, yLen: number): boolean {
  if (x.buffer !== y.buffer || xLen === 0 || yLen === 0) return false;
  const x0 = x.byteOffset, x1 = x0 + xLen * 4, y0 = y.byteOffset, y1 = y0 + yLen * 4;
  return x0 < y1 && y0 < x1;
}

/**
 * C = alpha * op(A) * op(B) + beta * C, row-major, BLAS semantics: op(A) is m x k (A is k x m when
 * transA), op(B) is k x n (B is n x k when transB), C is m x n; lda, ldb, ldc are row strides.
 * With beta = 0, C is written without being read.
 */
export function sgemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, A: Float32Array, lda: number, B: Float32Array, ldb: number,
  beta: number, C: Float32Array, ldc: number,
): void {
  // Constant names, not a helper building them: this runs before every call, and at the MLP's
  // output layer (128x128x10) a whole product takes about 5 us.
  checkBool("sgemm: argument 'transA'", transA);
  checkBool("sgemm: argument 'transB'", transB);
  checkInt("sgemm: argument 'm'", m, 0);
  checkInt("sgemm: argument 'n'", n, 0);
  checkInt("sgemm: argument 'k'", k, 0);
  checkFinite("sgemm: argument 'alpha'", alpha);
  checkFinite("sgemm: argument 'beta'", beta);
  const aRows = transA ? k : m, aCols = transA ? m : k;
  const bRows = transB ? n : k, bCols = transB ? k : n;
  checkInt("sgemm: argument 'lda'", lda, Math.max(1, aCols));
  checkInt("sgemm: argument 'ldb'", ldb, Math.max(1, bCols));
  checkInt("sgemm: argument 'ldc'", ldc, Math.max(1, n));
  const aLen = span(aRows, aCols, lda), bLen = span(bRows, bCols, ldb), cLen = span(m, n, ldc);
  checkFloat32Array("sgemm: argument 'A'", A, aLen);
  checkFloat32Array("sgemm: argument 'B'", B, bLen);
  checkFloat32Array("sgemm: argument 'C'", C, cLen);
  if (m === 0 || n === 0) return;
  const be = backend();
  if (be.name === 'js') {
    if (overlaps(C, cLen, A, aLen) || overlaps(C, cLen, B, bLen)) throw new ValueError(OVERLAP);
    be.sgemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  // The addon checks C against A and B by address (in JS that reads four .buffer properties, about
  // 100 ns a call: 2% of the output layer's 128x128x10 product). Its RangeErrors (an overlap, or a
  // stride past its 2^40 bound) become ValueErrors, as on the JS path.
  try {
    be.sgemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  } catch (e) {
    throw e instanceof RangeError ? new ValueError(e.message) : e;
  }
}
