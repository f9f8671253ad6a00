// Vector helpers for the second-order optimizers: float32 storage, float64 accumulation for
// reductions (a dot product of a million float32 terms summed in float32 loses about 3 digits).
import { Tensor as TensorClass } from '../tensor/tensor';
import { DTypeError, ValueError, describe } from '../errors';
import type { FlatGroup } from './optimizer';

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
 * An optimizer's single parameter group seen as one vector, over its flat storage: what L-BFGS and
 * Newton need (read the point, add a step, restore, copy the gradient). A parameter without a
 * gradient counts as zero gradient (and so is never moved).
 */
export class FlatVector {
  constructor(private readonly opt: { groupBuffers(i?: number): FlatGroup }) {}

  get size(): number {
    return this.opt.groupBuffers(0).params.length;
  }

  /** A copy of the parameters. */
  read(): Float32Array {
    return new Float32Array(this.opt.groupBuffers(0).params);
  }

  /** Parameters = x. */
  write(x: Float32Array): void {
    this.opt.groupBuffers(0).params.set(x);
  }

  /** Parameters += alpha * d (rounded to float32 per element, like torch's p.add_(d, alpha)). */
  addScaled(alpha: number, d: Float32Array | Float64Array): void {
    const p = this.opt.groupBuffers(0).params;
    for (let i = 0; i < p.length; i++) p[i] += alpha * d[i];
  }

  /** A copy of the gradient left by the last backward (zeros for parameters with none). */
  grad(): Float32Array {
    const fg = this.opt.groupBuffers(0);
    const out = new Float32Array(fg.grads);
    fg.hasGrad.forEach((has, i) => {
      if (!has) out.fill(0, fg.offsets[i], fg.offsets[i + 1]);
    });
    return out;
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
