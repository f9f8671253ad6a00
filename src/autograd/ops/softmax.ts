// softmax and logSoftmax along one axis (the last by default), stable: the row maximum is
// subtracted before exp, and log-sum-exp is computed as max + log(sum exp(x - max)).
import { Tensor } from '../../tensor/tensor';
import { record } from '../engine';
import { checkTensor } from './unary';
import { normalizeDims } from './reduce';

declare module '../../tensor/tensor' {
  interface Tensor {
    softmax(dim?: number): Tensor;
    logSoftmax(dim?: number): Tensor;
  }
}

/** [outer, n, inner] around `axis`. */
function split(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1, inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, shape[axis] ?? 1, inner];
}

/** out = softmax (log = false) or logSoftmax (log = true) of x along the middle axis. */
function softmaxForward(x: Float32Array, out: Float32Array, outer: number, n: number, inner: number, log: boolean): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * n * inner + j;
      let m = -Infinity;
      for (let k = 0; k < n; k++) {
        const v = x[base + k * inner];
        if (v > m) m = v;
      }
      if (m === -Infinity) m = 0; // an all -inf row: keep NaN-free arithmetic below
      let s = 0;
      for (let k = 0; k < n; k++) s += Math.exp(x[base + k * inner] - m);
      if (log) {
        const lse = m + Math.log(s);
        for (let k = 0; k < n; k++) out[base + k * inner] = x[base + k * inner] - lse;
      } else {
        const inv = 1 / s;
        for (let k = 0; k < n; k++) out[base + k * inner] = Math.exp(x[base + k * inner] - m) * inv;
      }
    }
  }
}

function softmaxImpl(name: 'softmax' | 'logSoftmax', x: Tensor, dim: number): Tensor {
  checkTensor(name, x);
  const [axis] = normalizeDims(name, dim, x.ndim);
  const [outer, n, inner] = split(x.shape, axis ?? 0);
  const out = new Float32Array(x.size);
  const log = name === 'logSoftmax';
  softmaxForward(x.data, out, outer, n, inner, log);
  return record(new Tensor(out, x.shape), name, [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const base = o * n * inner + j;
        let s = 0;
        if (log) {
          // d logSoftmax: g - softmax * sum(g).
          for (let k = 0; k < n; k++) s += g[base + k * inner];
          for (let k = 0; k < n; k++) {
            const p = base + k * inner;
            gx[p] = g[p] - Math.exp(out[p]) * s;
          }
        } else {
          // d softmax: y * (g - sum(g * y)).
          for (let k = 0; k < n; k++) s += g[base + k * inner] * out[base + k * inner];
          for (let k = 0; k < n; k++) {
            const p = base + k * inner;
            gx[p] = out[p] * (g[p] - s);
          }
        }
      }
    }
    return [gx];
  });
}

export function softmax(x: Tensor, dim = -1): Tensor {
  return softmaxImpl('softmax', x, dim);
}

export function logSoftmax(x: Tensor, dim = -1): Tensor {
  return softmaxImpl('logSoftmax', x, dim);
}

Tensor.prototype.softmax = function (this: Tensor, dim?: number) { return softmax(this, dim); };
Tensor.prototype.logSoftmax = function (this: Tensor, dim?: number) { return logSoftmax(this, dim); };
