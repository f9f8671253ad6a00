// add, sub, mul, div with NumPy/PyTorch broadcasting, and neg. Either operand may be a number (a
// constant). Backward reduces each gradient back to its input's shape (broadcast.ts).
import { Tensor } from '../../tensor/tensor';
import { record } from '../engine';
import { DTypeError, describe } from '../../errors';
import { broadcastShapes, broadcastStrides, forEachRow, reduceToShape } from './broadcast';

declare module '../../tensor/tensor' {
  interface Tensor {
    /** this + other, broadcasting. */
    add(other: Tensor | number): Tensor;
    /** this - other, broadcasting. */
    sub(other: Tensor | number): Tensor;
    /** this * other (elementwise), broadcasting. */
    mul(other: Tensor | number): Tensor;
    /** this / other (elementwise), broadcasting. */
    div(other: Tensor | number): Tensor;
    /** -this. */
    neg(): Tensor;
  }
}

const enum Op { Add, Sub, Mul, Div }
const NAMES = ['add', 'sub', 'mul', 'div'];

function asTensor(op: string, v: Tensor | number, which: string): Tensor {
  if (v instanceof Tensor) return v;
  if (typeof v === 'number') return new Tensor(new Float32Array([v]), []);
  throw new DTypeError(`${op}: argument '${which}' must be a Tensor or a number, got ${describe(v)}`);
}

/** One row: out[o+i] = a[ao+i*as] op b[bo+i*bs]. */
function row(op: Op, out: Float32Array, o: number, a: Float32Array, ao: number, as: number,
  b: Float32Array, bo: number, bs: number, len: number): void {
  switch (op) {
    case Op.Add: for (let i = 0; i < len; i++) out[o + i] = a[ao + i * as] + b[bo + i * bs]; break;
    case Op.Sub: for (let i = 0; i < len; i++) out[o + i] = a[ao + i * as] - b[bo + i * bs]; break;
    case Op.Mul: for (let i = 0; i < len; i++) out[o + i] = a[ao + i * as] * b[bo + i * bs]; break;
    case Op.Div: for (let i = 0; i < len; i++) out[o + i] = a[ao + i * as] / b[bo + i * bs]; break;
  }
}

/** a op b over broadcast shapes; the result has outShape. */
function apply(op: Op, a: Float32Array, aShape: readonly number[], b: Float32Array, bShape: readonly number[],
  outShape: readonly number[]): Float32Array {
  let size = 1;
  for (const d of outShape) size *= d;
  const out = new Float32Array(size);
  if (a.length === size && b.length === size) {
    row(op, out, 0, a, 0, 1, b, 0, 1, size);
  } else if (a.length === size && b.length === 1) {
    row(op, out, 0, a, 0, 1, b, 0, 0, size);
  } else if (b.length === size && a.length === 1) {
    row(op, out, 0, a, 0, 0, b, 0, 1, size);
  } else {
    const as = broadcastStrides(aShape, outShape), bs = broadcastStrides(bShape, outShape);
    const r = outShape.length - 1, len = outShape[r];
    forEachRow(outShape, as, bs, (o, ao, bo) => row(op, out, o, a, ao, as[r], b, bo, bs[r], len));
  }
  return out;
}

function binary(op: Op, x: Tensor | number, y: Tensor | number): Tensor {
  const name = NAMES[op];
  const a = asTensor(name, x, 'a'), b = asTensor(name, y, 'b');
  const outShape = a.shape.length === b.shape.length && a.size === b.size && a.shape.every((d, i) => d === b.shape[i])
    ? a.shape
    : broadcastShapes(name, a.shape, b.shape);
  const out = new Tensor(apply(op, a.data, a.shape, b.data, b.shape, outShape), outShape);
  return record(out, name, [a, b], (g) => {
    let ga: Float32Array | null = null, gb: Float32Array | null = null;
    switch (op) {
      case Op.Add:
        if (a.requiresGrad) ga = reduceToShape(g, outShape, a.shape);
        if (b.requiresGrad) gb = reduceToShape(g, outShape, b.shape);
        break;
      case Op.Sub:
        if (a.requiresGrad) ga = reduceToShape(g, outShape, a.shape);
        if (b.requiresGrad) {
          const r = reduceToShape(g, outShape, b.shape);
          gb = new Float32Array(r.length);
          for (let i = 0; i < r.length; i++) gb[i] = -r[i];
        }
        break;
      case Op.Mul:
        if (a.requiresGrad) ga = reduceToShape(apply(Op.Mul, g, outShape, b.data, b.shape, outShape), outShape, a.shape);
        if (b.requiresGrad) gb = reduceToShape(apply(Op.Mul, g, outShape, a.data, a.shape, outShape), outShape, b.shape);
        break;
      case Op.Div:
        if (a.requiresGrad) ga = reduceToShape(apply(Op.Div, g, outShape, b.data, b.shape, outShape), outShape, a.shape);
        if (b.requiresGrad) {
          // d(a/b)/db = -(a/b)/b = -out/b.
          const t = apply(Op.Div, out.data, outShape, b.data, b.shape, outShape);
          for (let i = 0; i < t.length; i++) t[i] *= -g[i];
          gb = reduceToShape(t, outShape, b.shape);
        }
        break;
    }
    return [ga, gb];
  });
}

export function add(a: Tensor | number, b: Tensor | number): Tensor {
  return binary(Op.Add, a, b);
}
export function sub(a: Tensor | number, b: Tensor | number): Tensor {
  return binary(Op.Sub, a, b);
}
export function mul(a: Tensor | number, b: Tensor | number): Tensor {
  return binary(Op.Mul, a, b);
}
export function div(a: Tensor | number, b: Tensor | number): Tensor {
  return binary(Op.Div, a, b);
}

export function neg(x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`neg: argument 'x' must be a Tensor, got ${describe(x)}`);
  const d = x.data, out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = -d[i];
  return record(new Tensor(out, x.shape), 'neg', [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) gx[i] = -g[i];
    return [gx];
  });
}

Tensor.prototype.add = function (this: Tensor, other: Tensor | number) { return binary(Op.Add, this, other); };
Tensor.prototype.sub = function (this: Tensor, other: Tensor | number) { return binary(Op.Sub, this, other); };
Tensor.prototype.mul = function (this: Tensor, other: Tensor | number) { return binary(Op.Mul, this, other); };
Tensor.prototype.div = function (this: Tensor, other: Tensor | number) { return binary(Op.Div, this, other); };
Tensor.prototype.neg = function (this: Tensor) { return neg(this); };
