// Tensor: a contiguous, row-major Float32Array with a shape. The garbage collector owns the memory
// (no dispose, no tidy). For autograd a tensor carries requiresGrad, grad, and the node that made it.
//
// This file holds the class and its non-differentiable core. Differentiable ops live one per file
// in src/autograd/ops/, each beside its backward, and add their methods to Tensor there.
import { runBackward, type GradNode } from '../autograd/engine';
import { DTypeError, ShapeError, ValueError, describe } from '../errors';

export type Shape = readonly number[];

/** Number of elements of a shape, after checking every dimension is a non-negative integer. */
export function shapeSize(shape: Shape, where = 'shape'): number {
  if (!Array.isArray(shape)) throw new DTypeError(`${where} must be an array of integers, got ${describe(shape)}`);
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${where} must hold non-negative integers, got [${shape.join(', ')}]`);
    }
    n *= d;
  }
  return n;
}

export function shapeString(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Tensor {
  data: Float32Array;
  readonly shape: number[];
  requiresGrad: boolean;
  /** Accumulated gradient (same shape), filled by backward(). */
  grad: Tensor | null = null;
  /** The op that made this tensor, when it was recorded for autograd; null for leaves. */
  node: GradNode | null = null;

  constructor(data: Float32Array, shape: Shape, requiresGrad = false) {
    if (!(data instanceof Float32Array)) throw new DTypeError(`Tensor: data must be a Float32Array, got ${describe(data)}`);
    const n = shapeSize(shape, 'Tensor: shape');
    if (n !== data.length) {
      throw new ShapeError(`Tensor: shape ${shapeString(shape)} needs ${n} elements, data has ${data.length}`);
    }
    this.data = data;
    this.shape = shape.slice();
    this.requiresGrad = requiresGrad;
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** True when no op made this tensor (a parameter or an input). */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item: needs a tensor with one element, got shape ${shapeString(this.shape)}`);
    return this.data[0];
  }

  /** Nested JS arrays (a number for a 0-d tensor). */
  toArray(): any {
    const build = (dim: number, offset: number): any => {
      if (dim === this.shape.length) return this.data[offset];
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      const out = [];
      for (let i = 0; i < this.shape[dim]; i++) out.push(build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** A copy with no history, not requiring grad. */
  clone(): Tensor {
    return new Tensor(new Float32Array(this.data), this.shape);
  }

  /** The same data without history (shares memory, like torch's detach). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A tensor of this shape over other data, no history (used for gradients). */
  detachedLike(data: Float32Array): Tensor {
    return new Tensor(data, this.shape);
  }

  /** Sets requiresGrad on a leaf and returns it. */
  requiresGrad_(flag = true): this {
    if (!this.isLeaf && !flag) throw new ValueError('requiresGrad_: only leaves can stop requiring grad; use detach()');
    this.requiresGrad = flag;
    return this;
  }

  /** Reverse-mode differentiation from this tensor (a scalar, or give the output gradient). */
  backward(grad?: Tensor): void {
    runBackward(this, grad);
  }

  // In-place updates, for optimizers and initialisers (no autograd history).

  /** this = value everywhere. */
  fill_(value: number): this {
    this.data.fill(value);
    return this;
  }

  /** this = src (same size). */
  copy_(src: Tensor): this {
    if (src.size !== this.size) {
      throw new ShapeError(`copy_: source shape ${shapeString(src.shape)} does not match ${shapeString(this.shape)}`);
    }
    this.data.set(src.data);
    return this;
  }

  /** this -= other (a tensor of the same size, or a number). */
  sub_(other: Tensor | number): this {
    const o = this.inPlaceOperand('sub_', other);
    const d = this.data;
    if (typeof o === 'number') for (let i = 0; i < d.length; i++) d[i] -= o;
    else for (let i = 0; i < d.length; i++) d[i] -= o[i];
    return this;
  }

  /** this += other. */
  add_(other: Tensor | number): this {
    const o = this.inPlaceOperand('add_', other);
    const d = this.data;
    if (typeof o === 'number') for (let i = 0; i < d.length; i++) d[i] += o;
    else for (let i = 0; i < d.length; i++) d[i] += o[i];
    return this;
  }

  /** this *= other. */
  mul_(other: Tensor | number): this {
    const o = this.inPlaceOperand('mul_', other);
    const d = this.data;
    if (typeof o === 'number') for (let i = 0; i < d.length; i++) d[i] *= o;
    else for (let i = 0; i < d.length; i++) d[i] *= o[i];
    return this;
  }

  /** Checks an in-place update's operand; returns the number or the operand's data. (Loops stay in
   *  each method, without a per-element callback, so they compile to tight typed-array code.) */
  private inPlaceOperand(name: string, other: Tensor | number): Float32Array | number {
    if (this.requiresGrad && this.isLeaf && isRecording()) {
      throw new ValueError(`${name}: a leaf that requires grad can only be changed in place inside noGrad()`);
    }
    if (typeof other === 'number') return other;
    if (!(other instanceof Tensor)) throw new DTypeError(`${name}: operand must be a Tensor or a number, got ${describe(other)}`);
    if (other.size !== this.size) {
      throw new ShapeError(`${name}: operand shape ${shapeString(other.shape)} does not match ${shapeString(this.shape)}`);
    }
    return other.data;
  }

  toString(): string {
    const preview = Array.from(this.data.subarray(0, 8), (v) => +v.toPrecision(4)).join(', ');
    return `Tensor(shape=${shapeString(this.shape)}, data=[${preview}${this.size > 8 ? ', ...' : ''}]${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

import { isGradEnabled as isRecording } from '../autograd/engine';
