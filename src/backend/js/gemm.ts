// Pure-JS SGEMM. (To be replaced by the register-blocked version; this one is the plain reference.)
import type { GemmOps } from '../gemm';

export const jsGemm: GemmOps = {
  sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) {
          const av = transA ? a[p * lda + i] : a[i * lda + p];
          const bv = transB ? b[j * ldb + p] : b[p * ldb + j];
          acc += av * bv;
        }
        const idx = i * ldc + j;
        c[idx] = beta === 0 ? alpha * acc : alpha * acc + beta * c[idx];
      }
    }
  },
};
