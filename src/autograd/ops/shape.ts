// Shape ops: reshape, transpose, slice (first axis). Each beside its backward.
import { Tensor, shapeSize, shapeString, type Shape } from '../../tensor/tensor';
import { record } from '../engine';
import { ShapeError, checkInt } from '../../errors';

declare module '../../tensor/tensor' {
  interface Tensor {
    /** Same data, new shape (one dimension may be -1). Shares memory with the input. */
    reshape(...shape: number[] | [Shape]): Tensor;
    /** Swaps two dimensions (the last two by default; a 2-D transpose). A copy: tensors are contiguous. */
    transpose(dim0?: number, dim1?: number): Tensor;
    /** Rows start..end-1 of the first axis. Shares memory with the input. */
    slice(start: number, end?: number): Tensor;
    /** Merges dimensions startDim..endDim into one (all by default, like torch.flatten). Shares memory. */
    flatten(startDim?: number, endDim?: number): Tensor;
  }
}

export function reshape(x: Tensor, shapeArg: Shape): Tensor {
  const shape = shapeArg.slice();
  const inferIdx = shape.indexOf(-1);
  if (inferIdx !== shape.lastIndexOf(-1)) throw new ShapeError(`reshape: only one dimension may be -1, got ${shapeString(shape)}`);
  if (inferIdx >= 0) {
    const rest = shape.reduce((a, d, i) => (i === inferIdx ? a : a * d), 1);
    if (rest === 0 || x.size % rest !== 0) {
      throw new ShapeError(`reshape: cannot reshape ${shapeString(x.shape)} (${x.size} elements) to ${shapeString(shape)}`);
    }
    shape[inferIdx] = x.size / rest;
  }
  if (shapeSize(shape, 'reshape: shape') !== x.size) {
    throw new ShapeError(`reshape: cannot reshape ${shapeString(x.shape)} (${x.size} elements) to ${shapeString(shape)}`);
  }
  return record(new Tensor(x.data, shape), 'reshape', [x], (g) => [g]);
}

Tensor.prototype.reshape = function (this: Tensor, ...shape: number[] | [Shape]): Tensor {
  return reshape(this, (Array.isArray(shape[0]) ? shape[0] : shape) as Shape);
};

/** Copies x with dimensions d0 and d1 swapped. */
function swapAxes(data: Float32Array, shape: Shape, d0: number, d1: number): Float32Array {
  const out = new Float32Array(data.length);
  if (d0 === d1) {
    out.set(data);
    return out;
  }
  // View as [outer, shape[lo], mid, shape[hi], inner] and swap lo/hi.
  const lo = Math.min(d0, d1), hi = Math.max(d0, d1);
  const outer = shape.slice(0, lo).reduce((a, b) => a * b, 1);
  const A = shape[lo], B = shape[hi];
  const mid = shape.slice(lo + 1, hi).reduce((a, b) => a * b, 1);
  const inner = shape.slice(hi + 1).reduce((a, b) => a * b, 1);
  let src = 0;
  for (let o = 0; o < outer; o++) {
    const base = o * A * mid * B * inner;
    for (let a = 0; a < A; a++) {
      for (let m = 0; m < mid; m++) {
        for (let b = 0; b < B; b++) {
          const dst = base + ((b * mid + m) * A + a) * inner;
          for (let i = 0; i < inner; i++) out[dst + i] = data[src++];
        }
      }
    }
  }
  return out;
}

export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const nd = x.ndim;
  if (nd < 2 && dim0 === -2 && dim1 === -1) return reshape(x, x.shape); // 0-d and 1-d: unchanged
  const d0 = checkInt("transpose: argument 'dim0'", dim0, -nd, nd - 1);
  const d1 = checkInt("transpose: argument 'dim1'", dim1, -nd, nd - 1);
  const a = d0 < 0 ? d0 + nd : d0, b = d1 < 0 ? d1 + nd : d1;
  const shape = x.shape.slice();
  [shape[a], shape[b]] = [shape[b], shape[a]];
  const out = new Tensor(swapAxes(x.data, x.shape, a, b), shape);
  return record(out, 'transpose', [x], (g) => [swapAxes(g, shape, a, b)]);
}

Tensor.prototype.transpose = function (this: Tensor, dim0?: number, dim1?: number): Tensor {
  return transpose(this, dim0, dim1);
};

export function slice(x: Tensor, start: number, end?: number): Tensor {
  if (x.ndim === 0) throw new ShapeError('slice: needs at least one dimension, got a 0-d tensor');
  const n = x.shape[0];
  let s = checkInt("slice: argument 'start'", start, -n, n);
  let e = end === undefined ? n : checkInt("slice: argument 'end'", end, -n, n);
  if (s < 0) s += n;
  if (e < 0) e += n;
  if (e < s) e = s;
  const row = x.size / Math.max(n, 1);
  const shape = [e - s, ...x.shape.slice(1)];
  const out = new Tensor(x.data.subarray(s * row, e * row), shape);
  return record(out, 'slice', [x], (g) => {
    const gx = new Float32Array(x.size);
    gx.set(g, s * row);
    return [gx];
  });
}

Tensor.prototype.slice = function (this: Tensor, start: number, end?: number): Tensor {
  return slice(this, start, end);
};

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  const nd = x.ndim;
  if (nd === 0) return reshape(x, [1]);
  let s = checkInt("flatten: argument 'startDim'", startDim, -nd, nd - 1);
  let e = checkInt("flatten: argument 'endDim'", endDim, -nd, nd - 1);
  if (s < 0) s += nd;
  if (e < 0) e += nd;
  if (s > e) throw new ShapeError(`flatten: startDim (${startDim}) must not come after endDim (${endDim})`);
  const merged = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
  return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

Tensor.prototype.flatten = function (this: Tensor, startDim?: number, endDim?: number): Tensor {
  return flatten(this, startDim, endDim);
};
