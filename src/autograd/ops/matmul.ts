// matmul on the backend's SGEMM. [.., m, k] x [k, n] -> [.., m, n] (leading dimensions of the left
// operand are flattened into m, as a Linear layer needs), and 1-D vectors as in torch.matmul.
import { Tensor, shapeString } from '../../tensor/tensor';
import { record } from '../engine';
import { backend } from '../../backend';
import { DTypeError, ShapeError, describe } from '../../errors';

declare module '../../tensor/tensor' {
  interface Tensor {
    /** Matrix product (see matmul). */
    matmul(other: Tensor): Tensor;
  }
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  if (!(b instanceof Tensor)) throw new DTypeError(`matmul: the right operand must be a Tensor, got ${describe(b)}`);
  if (a.ndim === 0 || b.ndim === 0) throw new ShapeError('matmul: operands must have at least one dimension, got a 0-d tensor');
  if (b.ndim > 2) throw new ShapeError(`matmul: the right operand must be 1-D or 2-D, got shape ${shapeString(b.shape)}`);
  const k = a.shape[a.ndim - 1];
  const bk = b.shape[0];
  const n = b.ndim === 2 ? b.shape[1] : 1;
  if (bk !== k) {
    throw new ShapeError(`matmul: inner dimensions differ: ${shapeString(a.shape)} x ${shapeString(b.shape)} (${k} vs ${bk})`);
  }
  const outShape = [...a.shape.slice(0, -1), ...(b.ndim === 2 ? [n] : [])];
  const rows = a.ndim === 1 ? 1 : a.size / k;
  const c = new Float32Array(rows * n);
  const be = backend();
  be.sgemm(false, false, rows, n, k, 1, a.data, k, b.data, n, 0, c, n);
  return record(new Tensor(c, outShape), 'matmul', [a, b], (g) => {
    let ga: Float32Array | null = null, gb: Float32Array | null = null;
    if (a.requiresGrad) {
      ga = new Float32Array(a.size); // dA = dC B^T
      be.sgemm(false, true, rows, k, n, 1, g, n, b.data, n, 0, ga, k);
    }
    if (b.requiresGrad) {
      gb = new Float32Array(b.size); // dB = A^T dC
      be.sgemm(true, false, k, n, rows, 1, a.data, k, g, n, 0, gb, n);
    }
    return [ga, gb];
  });
}

Tensor.prototype.matmul = function (this: Tensor, other: Tensor): Tensor {
  return matmul(this, other);
};
