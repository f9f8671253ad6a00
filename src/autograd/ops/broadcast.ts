// Broadcasting helpers shared by the binary ops (NumPy/PyTorch rules): shapes are aligned at the
// right; a dimension of 1 (or a missing one) stretches to the other operand's size.
//
// Both the forward loop and the gradient reduction walk the output row by row (a row = the last
// output dimension), keeping one offset per operand, so the inner loops are plain typed-array loops
// with a stride of 0 or 1.
import { ShapeError } from '../../errors';
import { shapeString, type Shape } from '../../tensor/tensor';

/** The broadcast shape of a and b, or a ShapeError naming the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes ${shapeString(a)} and ${shapeString(b)} cannot be broadcast together (dimension ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `shape` aligned to an output of rank `rank`, 0 where the dimension is broadcast. */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const rank = outShape.length;
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const oi = i + rank - shape.length;
    strides[oi] = shape[i] === 1 && outShape[oi] !== 1 ? 0 : s;
    s *= shape[i];
  }
  return strides;
}

/**
 * Calls rowFn(outOffset, aOffset, bOffset) for each row of the output (the last dimension), with
 * the operands' offsets; the inner strides are broadcastStrides(..)[rank - 1].
 */
export function forEachRow(
  outShape: Shape, aStrides: number[], bStrides: number[],
  rowFn: (outOff: number, aOff: number, bOff: number) => void,
): void {
  const rank = outShape.length;
  if (rank === 0) {
    rowFn(0, 0, 0);
    return;
  }
  const len = outShape[rank - 1];
  let rows = 1;
  for (let i = 0; i < rank - 1; i++) rows *= outShape[i];
  if (rows === 0 || len === 0) return;
  const idx = new Array<number>(rank - 1).fill(0);
  let aOff = 0, bOff = 0;
  for (let r = 0; r < rows; r++) {
    rowFn(r * len, aOff, bOff);
    // Odometer increment over the leading dimensions.
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      aOff += aStrides[d];
      bOff += bStrides[d];
      if (idx[d] < outShape[d]) break;
      aOff -= aStrides[d] * outShape[d];
      bOff -= bStrides[d] * outShape[d];
      idx[d] = 0;
    }
  }
}

/** Whether broadcasting `shape` to `outShape` is the identity (same number of elements). */
export function isFullSize(shape: Shape, outShape: Shape): boolean {
  let n = 1, m = 1;
  for (const d of shape) n *= d;
  for (const d of outShape) m *= d;
  return n === m;
}

/**
 * Sums a gradient of shape outShape down to `shape` (the inverse of broadcasting). Returns g itself
 * when nothing was broadcast.
 */
export function reduceToShape(g: Float32Array, outShape: Shape, shape: Shape): Float32Array {
  if (isFullSize(shape, outShape)) return g;
  let size = 1;
  for (const d of shape) size *= d;
  const out = new Float32Array(size);
  if (size === 1) {
    let s = 0;
    for (let i = 0; i < g.length; i++) s += g[i];
    out[0] = s;
    return out;
  }
  const strides = broadcastStrides(shape, outShape);
  const rank = outShape.length;
  const len = outShape[rank - 1];
  const inner = strides[rank - 1];
  forEachRow(outShape, strides, strides, (o, a) => {
    if (inner === 0) {
      let s = 0;
      for (let i = 0; i < len; i++) s += g[o + i];
      out[a] += s;
    } else {
      for (let i = 0; i < len; i++) out[a + i] += g[o + i];
    }
  });
  return out;
}
