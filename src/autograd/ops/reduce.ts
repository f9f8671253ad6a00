// Reductions over axes: sum, mean, max (with keepDim), and argmax (not differentiable). sum and mean
// are the inverse of broadcasting (broadcast.ts), so their backward is a broadcast; max sends the
// gradient to the first position of each maximum, as PyTorch does for max(dim).
import { Tensor } from '../../tensor/tensor';
import { record } from '../engine';
import { DTypeError, ShapeError, describe } from '../../errors';
import { broadcastStrides, forEachRow } from './broadcast';
import { reduceToShape } from './broadcast';
import { checkTensor } from './unary';

export type Dims = number | readonly number[];

declare module '../../tensor/tensor' {
  interface Tensor {
    /** Sum over `dim` (an axis or a list; all axes when omitted). */
    sum(dim?: Dims, keepDim?: boolean): Tensor;
    mean(dim?: Dims, keepDim?: boolean): Tensor;
    /** Maximum over `dim` (all axes when omitted); the gradient goes to the (first) argmax. */
    max(dim?: Dims, keepDim?: boolean): Tensor;
    /** Index of the (first) maximum along `dim` (the flat index when omitted), as a float tensor. */
    argmax(dim?: number, keepDim?: boolean): Tensor;
  }
}

/** Normalised, sorted, unique axes (all when dim is undefined). */
export function normalizeDims(op: string, dim: Dims | undefined, ndim: number): number[] {
  if (dim === undefined || dim === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof dim === 'number' ? [dim] : dim;
  if (!Array.isArray(list)) throw new DTypeError(`${op}: argument 'dim' must be an integer or an array of integers, got ${describe(dim)}`);
  const out = new Set<number>();
  for (const d of list) {
    if (typeof d !== 'number' || !Number.isInteger(d)) throw new DTypeError(`${op}: argument 'dim' must hold integers, got ${describe(d)}`);
    if (d < -ndim || d >= Math.max(ndim, 1)) {
      throw new ShapeError(`${op}: dimension ${d} is out of range for a tensor with ${ndim} dimensions`);
    }
    out.add(d < 0 ? d + ndim : d);
  }
  return [...out].sort((a, b) => a - b);
}

function reducedShapes(shape: readonly number[], axes: number[]): { kept: number[]; squeezed: number[] } {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const squeezed = shape.filter((_, i) => !axes.includes(i));
  return { kept, squeezed };
}

/** g (of shape `small`, broadcastable) expanded to `shape`, times `scale`. */
function expand(g: Float32Array, small: readonly number[], shape: readonly number[], scale: number): Float32Array {
  let size = 1;
  for (const d of shape) size *= d;
  const out = new Float32Array(size);
  if (g.length === 1) {
    out.fill(g[0] * scale);
    return out;
  }
  const st = broadcastStrides(small, shape);
  const r = shape.length - 1, len = shape[r], s = st[r];
  forEachRow(shape, st, st, (o, a) => {
    for (let i = 0; i < len; i++) out[o + i] = g[a + i * s] * scale;
  });
  return out;
}

function sumOrMean(op: 'sum' | 'mean', x: Tensor, dim: Dims | undefined, keepDim: boolean): Tensor {
  checkTensor(op, x);
  const axes = normalizeDims(op, dim, x.ndim);
  const { kept, squeezed } = reducedShapes(x.shape, axes);
  let count = 1;
  for (const a of axes) count *= x.shape[a];
  let data: Float32Array;
  if (axes.length === x.ndim) {
    let s = 0; // double accumulator for full reductions (losses)
    const d = x.data;
    for (let i = 0; i < d.length; i++) s += d[i];
    data = new Float32Array([op === 'mean' ? s / count : s]);
  } else {
    data = reduceToShape(x.data, x.shape, kept);
    if (data === x.data) data = new Float32Array(x.data);
    if (op === 'mean') for (let i = 0; i < data.length; i++) data[i] /= count;
  }
  const outShape = keepDim ? kept : squeezed;
  const scale = op === 'mean' ? 1 / count : 1;
  return record(new Tensor(data, outShape), op, [x], (g) => [expand(g, kept, x.shape, scale)]);
}

export function sum(x: Tensor, dim?: Dims, keepDim = false): Tensor {
  return sumOrMean('sum', x, dim, keepDim);
}

export function mean(x: Tensor, dim?: Dims, keepDim = false): Tensor {
  return sumOrMean('mean', x, dim, keepDim);
}

/** Max and first argmax along one axis, viewing x as [outer, n, inner]. */
function maxAlong(data: Float32Array, shape: readonly number[], axis: number): { values: Float32Array; index: Int32Array } {
  const n = shape[axis];
  let outer = 1, inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  const values = new Float32Array(outer * inner);
  const index = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    for (let j = 0; j < inner; j++) {
      let best = data[base + j], bi = base + j;
      for (let k = 1; k < n; k++) {
        const p = base + k * inner + j;
        const v = data[p];
        // NaN propagates, as in PyTorch.
        if (v > best || (v !== v && best === best)) {
          best = v;
          bi = p;
        }
      }
      values[o * inner + j] = best;
      index[o * inner + j] = bi;
    }
  }
  return { values, index };
}

export function max(x: Tensor, dim?: Dims, keepDim = false): Tensor {
  checkTensor('max', x);
  const axes = normalizeDims('max', dim, x.ndim);
  if (x.size === 0) throw new ShapeError('max: cannot take the maximum of an empty tensor');
  for (const a of axes) if (x.shape[a] === 0) throw new ShapeError(`max: dimension ${a} has size 0`);
  const { kept, squeezed } = reducedShapes(x.shape, axes);
  let values: Float32Array, index: Int32Array;
  if (axes.length === x.ndim) {
    ({ values, index } = maxAlong(x.data, [x.size], 0));
  } else if (axes.length === 1) {
    ({ values, index } = maxAlong(x.data, x.shape, axes[0]));
  } else {
    // Several axes: one at a time (last first), composing the flat argmax indices.
    let curShape = x.shape.slice();
    let cur = x.data;
    let map: Int32Array | null = null;
    for (let k = axes.length - 1; k >= 0; k--) {
      const r = maxAlong(cur, curShape, axes[k]);
      const idx = map ? r.index.map((i) => map![i]) : r.index;
      map = idx as Int32Array;
      cur = r.values;
      curShape = curShape.slice();
      curShape[axes[k]] = 1;
    }
    values = cur;
    index = map!;
  }
  const outShape = keepDim ? kept : squeezed;
  return record(new Tensor(values, outShape), 'max', [x], (g) => {
    const gx = new Float32Array(x.size);
    for (let i = 0; i < g.length; i++) gx[index[i]] += g[i];
    return [gx];
  });
}

export function argmax(x: Tensor, dim?: number, keepDim = false): Tensor {
  checkTensor('argmax', x);
  if (x.size === 0) throw new ShapeError('argmax: cannot take the argmax of an empty tensor');
  if (dim === undefined) {
    const { index } = maxAlong(x.data, [x.size], 0);
    return new Tensor(new Float32Array([index[0]]), keepDim ? x.shape.map(() => 1) : []);
  }
  const [axis] = normalizeDims('argmax', dim, x.ndim);
  const { index } = maxAlong(x.data, x.shape, axis);
  let inner = 1;
  for (let i = axis + 1; i < x.ndim; i++) inner *= x.shape[i];
  const n = x.shape[axis];
  const out = new Float32Array(index.length);
  for (let i = 0; i < index.length; i++) out[i] = Math.floor(index[i] / inner) % n;
  const { kept, squeezed } = reducedShapes(x.shape, [axis]);
  return new Tensor(out, keepDim ? kept : squeezed);
}

Tensor.prototype.sum = function (this: Tensor, dim?: Dims, keepDim?: boolean) { return sum(this, dim, keepDim); };
Tensor.prototype.mean = function (this: Tensor, dim?: Dims, keepDim?: boolean) { return mean(this, dim, keepDim); };
Tensor.prototype.max = function (this: Tensor, dim?: Dims, keepDim?: boolean) { return max(this, dim, keepDim); };
Tensor.prototype.argmax = function (this: Tensor, dim?: number, keepDim?: boolean) { return argmax(this, dim, keepDim); };
