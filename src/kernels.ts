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
  const be = backend();
  if (be.name !== 'js') {
    // The addon checks every argument itself (it must: nothing from JS may make it read out of
    // bounds), so on the native backend the checks below run only when it refuses a call, to throw
    // the same typed error as the JS backend. Run first, they cost more than their arithmetic: after
    // a product that streamed megabytes, the JS code and objects they touch come from L3 or DRAM
    // (about 2 us at the MLP forward 128x784x256, 0.5% of its 470 us, measured from JS against the
    // same calls timed inside the addon).
    try {
      be.sgemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
    } catch (e) {
      checkSgemmArgs(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
      // The arguments are well formed, so the addon refused an overlap of C with A or B, or a stride
      // past its 2^40 bound: a ValueError, as on the JS path.
      throw e instanceof RangeError ? new ValueError(e.message) : e;
    }
    return;
  }
  const { aLen, bLen, cLen } = checkSgemmArgs(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  if (m === 0 || n === 0) return;
  if (overlaps(C, cLen, A, aLen) || overlaps(C, cLen, B, bLen)) throw new ValueError(OVERLAP);
  be.sgemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

/** Throws the typed error for the first bad argument of sgemm; returns the spans of A, B and C. */
function checkSgemmArgs(
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, A: Float32Array, lda: number, B: Float32Array, ldb: number,
  beta: number, C: Float32Array, ldc: number,
): { aLen: number; bLen: number; cLen: number } {
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
  return { aLen, bLen, cLen };
}
