// Vector helpers for the second-order optimizers: float32 storage, float64 accumulation for
// reductions (a dot product of a million float32 terms summed in float32 loses about 3 digits).
import type { Tensor } from '../tensor/tensor';
import { Tensor as TensorClass } from '../tensor/tensor';
import { DTypeError, ValueError, describe } from '../errors';

/** sum_i a[i] * b[i], accumulated in float64. */
export function dot(a: Float32Array | Float64Array, b: Float32Array | Float64Array): number {
  const n = a.length;
  // Four partial sums: independent chains the CPU can overlap, and a little less rounding drift.
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; i++) s0 += a[i] * b[i];
  return s0 + s1 + s2 + s3;
}

/** y += alpha * x. */
export function axpy(alpha: number, x: Float32Array | Float64Array, y: Float32Array | Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] += alpha * x[i];
}

/** max_i |a[i]|. */
export function maxAbs(a: Float32Array | Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > m || v !== v) m = v; // NaN wins, so a NaN gradient is never mistaken for convergence
  }
  return m;
}

/** sum_i |a[i]|, in float64. */
export function sumAbs(a: Float32Array | Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]);
  return s;
}

/** Euclidean norm in float64. */
export function norm2(a: Float32Array | Float64Array): number {
  return Math.sqrt(dot(a, a));
}

/**
 * A list of parameter tensors seen as one vector: what L-BFGS and Newton need (read, add a step,
 * restore, gather the gradient). Parameters without a gradient count as zero gradient.
 */
export class ParamVector {
  readonly params: Tensor[];
  readonly size: number;

  constructor(where: string, params: Iterable<Tensor> | Tensor[]) {
    if (params === null || params === undefined || typeof (params as Iterable<Tensor>)[Symbol.iterator] !== 'function') {
      throw new DTypeError(`${where}: argument 'params' must be an array of tensors, got ${describe(params)}`);
    }
    const list = Array.from(params);
    if (list.length === 0) throw new ValueError(`${where}: argument 'params' is an empty list`);
    list.forEach((p, i) => {
      if (!(p instanceof TensorClass)) throw new DTypeError(`${where}: params[${i}] must be a Tensor, got ${describe(p)}`);
    });
    if (new Set(list).size !== list.length) throw new ValueError(`${where}: a tensor appears twice in 'params'`);
    this.params = list;
    this.size = list.reduce((n, p) => n + p.size, 0);
  }

  /** A copy of the parameters as one vector. */
  read(out = new Float32Array(this.size)): Float32Array {
    let o = 0;
    for (const p of this.params) {
      out.set(p.data, o);
      o += p.size;
    }
    return out;
  }

  /** Parameters = x. */
  write(x: Float32Array): void {
    let o = 0;
    for (const p of this.params) {
      p.data.set(x.subarray(o, o + p.size));
      o += p.size;
    }
  }

  /** Parameters += alpha * d (rounded to float32 per element, like torch's p.add_(d, alpha)). */
  addScaled(alpha: number, d: Float32Array | Float64Array): void {
    let o = 0;
    for (const p of this.params) {
      const x = p.data;
      for (let i = 0; i < x.length; i++) x[i] += alpha * d[o + i];
      o += x.length;
    }
  }

  /** The gradients as one new vector (zeros for a parameter with no gradient). */
  grad(out = new Float32Array(this.size)): Float32Array {
    let o = 0;
    for (const p of this.params) {
      if (p.grad) out.set(p.grad.data, o);
      else out.fill(0, o, o + p.size);
      o += p.size;
    }
    return out;
  }

  /** Sets every gradient to zero (keeping the buffers, which autograd accumulates into). */
  zeroGrad(): void {
    for (const p of this.params) if (p.grad) p.grad.data.fill(0);
  }
}

/** The number a closure returned: a one-element tensor or a number. */
export function lossValue(where: string, v: unknown): number {
  if (typeof v === 'number') return v;
  if (v instanceof TensorClass) {
    if (v.size !== 1) throw new ValueError(`${where}: the closure must return a scalar loss, got a tensor of shape [${v.shape.join(', ')}]`);
    return v.data[0];
  }
  throw new DTypeError(`${where}: the closure must return the loss (a Tensor or number), got ${describe(v)}`);
}
