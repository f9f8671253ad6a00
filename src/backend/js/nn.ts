// Pure-JS fused layer kernels (the oracle for native/kernels/nn and the fallback). Accumulations are
// in float64 (JS numbers); results are stored as float32.
import type { NNOps } from '../nn';
import { jsGemm } from './gemm';

/** One round of a 32-bit integer mixer (lowbias32, Wellons): every input bit flips about half the output bits. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The two keys derived from a dropout seed (native/kernels/nn/dropout.h computes the same). */
export function dropoutKeys(seed: number): [number, number] {
  const s = seed >>> 0;
  return [mix32(s ^ 0x3c6ef372), mix32((s + 0x9e3779b9) >>> 0)];
}

/** The keep threshold: element i is kept when hash(i) >= threshold (P(keep) = 1 - p). */
export function dropoutThreshold(p: number): number {
  return Math.min(Math.floor(p * 4294967296), 4294967295);
}

/** The counter-based hash of element i under keys k1, k2. */
export function dropoutHash(i: number, k1: number, k2: number): number {
  return mix32((mix32((Math.imul(i, 0x9e3779b9) + k1) >>> 0) ^ k2) >>> 0);
}

export const jsNN: NNOps = {
  softmaxCrossEntropy(logits, labels, targets, n, c, losses, grad, gradScale) {
    if (labels) {
      for (let i = 0; i < n; i++) {
        const y = labels[i];
        if (!(Number.isInteger(y) && y >= 0 && y < c)) return i;
      }
    }
    // The row's exponentials live in the gradient row (or a scratch row) between the two passes.
    const tmp = grad ? null : new Float64Array(c);
    for (let i = 0; i < n; i++) {
      const o = i * c;
      let m = -Infinity;
      for (let j = 0; j < c; j++) if (logits[o + j] > m) m = logits[o + j];
      if (m === -Infinity) m = 0;
      const e = grad ?? tmp!, eo = grad ? o : 0;
      let s = 0;
      for (let j = 0; j < c; j++) s += (e[eo + j] = Math.exp(logits[o + j] - m));
      const logS = Math.log(s), invS = 1 / s;
      if (labels) {
        const y = labels[i];
        losses[i] = m - logits[o + y] + logS;
        if (grad) {
          const k = invS * gradScale;
          for (let j = 0; j < c; j++) grad[o + j] *= k;
          grad[o + y] -= gradScale;
        }
      } else {
        const t = targets!;
        let tsum = 0, loss = 0;
        for (let j = 0; j < c; j++) {
          tsum += t[o + j];
          loss += t[o + j] * (m - logits[o + j] + logS);
        }
        losses[i] = loss;
        if (grad) {
          // d/dx_j of -sum_k t_k log p_k = p_j * sum(t) - t_j.
          const k = invS * tsum;
          for (let j = 0; j < c; j++) grad[o + j] = (grad[o + j] * k - t[o + j]) * gradScale;
        }
      }
    }
    return -1;
  },

  linearForward(x, w, b, y, m, n, k, relu) {
    jsGemm.sgemm(false, true, m, n, k, 1, x, k, w, k, 0, y, n);
    if (b || relu) {
      for (let i = 0; i < m; i++) {
        const o = i * n;
        for (let j = 0; j < n; j++) {
          let v = b ? y[o + j] + b[j] : y[o + j];
          if (relu && !(v > 0)) v = 0;
          y[o + j] = v;
        }
      }
    }
  },

  linearBackward(x, w, y, dy, m, n, k, relu, dx, dw, db, accumulate) {
    let g = dy;
    if (relu) {
      g = new Float32Array(m * n);
      for (let i = 0; i < m * n; i++) g[i] = y[i] > 0 ? dy[i] : 0;
    }
    if (db) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += g[i * n + j];
        db[j] = accumulate ? db[j] + s : s;
      }
    }
    if (dw) jsGemm.sgemm(true, false, n, k, m, 1, g, n, x, k, accumulate ? 1 : 0, dw, k);
    if (dx) jsGemm.sgemm(false, false, m, k, n, 1, g, n, w, k, 0, dx, k);
  },

  dropout(src, dst, n, p, seed) {
    if (p <= 0) {
      if (dst !== src) dst.set(src.subarray(0, n));
      return;
    }
    if (p >= 1) {
      dst.fill(0, 0, n);
      return;
    }
    const [k1, k2] = dropoutKeys(seed);
    const threshold = dropoutThreshold(p);
    const scale = Math.fround(1 / (1 - p));
    for (let i = 0; i < n; i++) dst[i] = dropoutHash(i, k1, k2) >= threshold ? src[i] * scale : 0;
  },
};
