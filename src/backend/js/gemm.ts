// Pure-JS SGEMM, Goto-structured like the native one: blocks of op(A) and op(B) are packed into
// Float64Array panels (so the inner loop reads doubles without float-to-double conversions, and
// transposes cost nothing there), and a 4 x 4 register-blocked micro-kernel accumulates 16 values in
// locals, which V8 keeps in registers. Accumulation is in double precision.
import type { GemmInfo, GemmOps } from '../gemm';

const MR = 4, NR = 4;
const KC = 256, MC = 64, NC = 1024;

let packedA = new Float64Array(MC * KC);
let packedB = new Float64Array(NC * KC);

/** Packs rows [i0, i0 + mc) x depth [p0, p0 + kc) of op(A) into MR-row panels (zero-padded). */
function packA(transA: boolean, a: Float32Array, lda: number, i0: number, mc: number, p0: number, kc: number, dst: Float64Array): void {
  let d = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = Math.min(MR, mc - ir);
    for (let p = 0; p < kc; p++) {
      for (let r = 0; r < MR; r++) {
        const i = i0 + ir + r;
        dst[d++] = r >= rows ? 0 : transA ? a[(p0 + p) * lda + i] : a[i * lda + p0 + p];
      }
    }
  }
}

/** Packs depth [p0, p0 + kc) x columns [j0, j0 + nc) of op(B) into NR-column panels (zero-padded). */
function packB(transB: boolean, b: Float32Array, ldb: number, p0: number, kc: number, j0: number, nc: number, dst: Float64Array): void {
  let d = 0;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = Math.min(NR, nc - jr);
    for (let p = 0; p < kc; p++) {
      for (let c = 0; c < NR; c++) {
        const j = j0 + jr + c;
        dst[d++] = c >= cols ? 0 : transB ? b[j * ldb + p0 + p] : b[(p0 + p) * ldb + j];
      }
    }
  }
}

/**
 * The 4 x 4 micro-kernel: C tile at c[ci..] (rows < m, columns < n) = alpha * A-panel x B-panel +
 * beta * C (C not read when beta is 0).
 */
function kernel4x4(
  kc: number, ap: Float64Array, ao: number, bp: Float64Array, bo: number,
  c: Float32Array, ci: number, ldc: number, m: number, n: number, alpha: number, beta: number,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  const end = ao + kc * MR;
  for (; ao < end; ao += MR, bo += NR) {
    const b0 = bp[bo], b1 = bp[bo + 1], b2 = bp[bo + 2], b3 = bp[bo + 3];
    let a = ap[ao];
    c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3;
    a = ap[ao + 1];
    c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3;
    a = ap[ao + 2];
    c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3;
    a = ap[ao + 3];
    c30 += a * b0; c31 += a * b1; c32 += a * b2; c33 += a * b3;
  }
  if (m === MR && n === NR) {
    if (beta === 0) {
      c[ci] = alpha * c00; c[ci + 1] = alpha * c01; c[ci + 2] = alpha * c02; c[ci + 3] = alpha * c03; ci += ldc;
      c[ci] = alpha * c10; c[ci + 1] = alpha * c11; c[ci + 2] = alpha * c12; c[ci + 3] = alpha * c13; ci += ldc;
      c[ci] = alpha * c20; c[ci + 1] = alpha * c21; c[ci + 2] = alpha * c22; c[ci + 3] = alpha * c23; ci += ldc;
      c[ci] = alpha * c30; c[ci + 1] = alpha * c31; c[ci + 2] = alpha * c32; c[ci + 3] = alpha * c33;
    } else {
      c[ci] = alpha * c00 + beta * c[ci]; c[ci + 1] = alpha * c01 + beta * c[ci + 1];
      c[ci + 2] = alpha * c02 + beta * c[ci + 2]; c[ci + 3] = alpha * c03 + beta * c[ci + 3]; ci += ldc;
      c[ci] = alpha * c10 + beta * c[ci]; c[ci + 1] = alpha * c11 + beta * c[ci + 1];
      c[ci + 2] = alpha * c12 + beta * c[ci + 2]; c[ci + 3] = alpha * c13 + beta * c[ci + 3]; ci += ldc;
      c[ci] = alpha * c20 + beta * c[ci]; c[ci + 1] = alpha * c21 + beta * c[ci + 1];
      c[ci + 2] = alpha * c22 + beta * c[ci + 2]; c[ci + 3] = alpha * c23 + beta * c[ci + 3]; ci += ldc;
      c[ci] = alpha * c30 + beta * c[ci]; c[ci + 1] = alpha * c31 + beta * c[ci + 1];
      c[ci + 2] = alpha * c32 + beta * c[ci + 2]; c[ci + 3] = alpha * c33 + beta * c[ci + 3];
    }
    return;
  }
  // Edge tile: only rows < m and columns < n exist in C.
  const tile = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const idx = ci + i * ldc + j;
      c[idx] = beta === 0 ? alpha * tile[i * NR + j] : alpha * tile[i * NR + j] + beta * c[idx];
    }
  }
}

function sgemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, a: Float32Array, lda: number, b: Float32Array, ldb: number,
  beta: number, c: Float32Array, ldc: number,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha === 0) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) c[i * ldc + j] = beta === 0 ? 0 : beta * c[i * ldc + j];
    }
    return;
  }
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      const bet = pc === 0 ? beta : 1;
      const bNeed = Math.ceil(nc / NR) * NR * kc;
      if (packedB.length < bNeed) packedB = new Float64Array(bNeed);
      packB(transB, b, ldb, pc, kc, jc, nc, packedB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        const aNeed = Math.ceil(mc / MR) * MR * kc;
        if (packedA.length < aNeed) packedA = new Float64Array(aNeed);
        packA(transA, a, lda, ic, mc, pc, kc, packedA);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            kernel4x4(kc, packedA, ir * kc, packedB, jr * kc, c, (ic + ir) * ldc + jc + jr, ldc, Math.min(MR, mc - ir), nr, alpha, bet);
          }
        }
      }
    }
  }
}

export const jsGemm: GemmOps = {
  sgemm,
  sgemmBiasAct(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, biasPerRow, relu) {
    sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    if (!bias && !relu) return;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let v = c[i * ldc + j];
        if (bias) v = Math.fround(v + (biasPerRow ? bias[i] : bias[j]));
        if (relu) v = v > 0 ? v : 0;
        c[i * ldc + j] = v;
      }
    }
  },
  gemmInfo: (): GemmInfo => ({ kernel: 'sgemm_js_4x4', mr: MR, nr: NR, kc: KC, mc: MC, nc: NC, mrEdge: 0, narrowN: 0 }),
};
