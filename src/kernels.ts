// The kernels, for those who want them: BLAS-style entry points over Float32Arrays, on the current
// backend, with every argument checked (typed errors naming the argument, expected and given).
import { backend } from './backend';
import { ValueError, checkBool, checkFinite, checkFloat32Array, checkInt } from './errors';

/** Elements a row-major rows x cols matrix with leading dimension ld spans. */
function span(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

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
  const w = (arg: string) => `sgemm: argument '${arg}'`;
  checkBool(w('transA'), transA);
  checkBool(w('transB'), transB);
  checkInt(w('m'), m, 0);
  checkInt(w('n'), n, 0);
  checkInt(w('k'), k, 0);
  checkFinite(w('alpha'), alpha);
  checkFinite(w('beta'), beta);
  const [aRows, aCols] = transA ? [k, m] : [m, k];
  const [bRows, bCols] = transB ? [n, k] : [k, n];
  checkInt(w('lda'), lda, Math.max(1, aCols));
  checkInt(w('ldb'), ldb, Math.max(1, bCols));
  checkInt(w('ldc'), ldc, Math.max(1, n));
  const aLen = span(aRows, aCols, lda), bLen = span(bRows, bCols, ldb), cLen = span(m, n, ldc);
  checkFloat32Array(w('A'), A, aLen);
  checkFloat32Array(w('B'), B, bLen);
  checkFloat32Array(w('C'), C, cLen);
  if (overlaps(C, cLen, A, aLen) || overlaps(C, cLen, B, bLen)) {
    throw new ValueError('sgemm: C must not overlap A or B (the output would overwrite inputs still being read)');
  }
  if (m === 0 || n === 0) return;
  backend().sgemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
