// Linear: y = x W^T + b, optionally followed by ReLU, as ONE backend call forward (natively an SGEMM
// with the bias and ReLU in its epilogue) and one backward (ReLU mask and bias gradient in one pass,
// then dW = dY^T X and, only when the input needs it, dX = dY W). Weight [out, in] as PyTorch.
import { Tensor, shapeString } from '../../tensor/tensor';
import { record } from '../engine';
import { backend } from '../../backend';
import { DTypeError, ShapeError, describe } from '../../errors';

export interface LinearOptions {
  /** Fuse a ReLU after the affine map. */
  relu?: boolean;
}

export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: LinearOptions = {}): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`linear: argument 'input' must be a Tensor, got ${describe(x)}`);
  if (!(weight instanceof Tensor)) throw new DTypeError(`linear: argument 'weight' must be a Tensor, got ${describe(weight)}`);
  if (bias !== undefined && bias !== null && !(bias instanceof Tensor)) {
    throw new DTypeError(`linear: argument 'bias' must be a Tensor or null, got ${describe(bias)}`);
  }
  if (weight.ndim !== 2) throw new ShapeError(`linear: weight must be [out, in], got shape ${shapeString(weight.shape)}`);
  const [n, k] = weight.shape;
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== k) {
    throw new ShapeError(`linear: input's last dimension must be ${k} (the weight is ${shapeString(weight.shape)}), got input shape ${shapeString(x.shape)}`);
  }
  const b = bias ?? null;
  if (b && (b.size !== n || b.ndim !== 1)) throw new ShapeError(`linear: bias must be [${n}], got shape ${shapeString(b.shape)}`);
  const relu = opts.relu === true;
  const m = x.size / Math.max(k, 1);
  const outShape = [...x.shape.slice(0, -1), n];
  const y = new Float32Array(m * n);
  const be = backend();
  be.linearForward(x.data, weight.data, b ? b.data : null, y, m, n, k, relu);
  const inputs = b ? [x, weight, b] : [x, weight];
  return record(new Tensor(y, outShape), relu ? 'linearRelu' : 'linear', inputs, (g) => {
    const dx = x.requiresGrad ? new Float32Array(x.size) : null;
    // Parameters that already hold a gradient buffer get dW and db added in place by the kernel (no
    // temporary, no second pass); otherwise fresh arrays go back to the engine.
    const wNeeds = weight.requiresGrad, bNeeds = b !== null && b.requiresGrad;
    const inPlace = (!wNeeds || (weight.isLeaf && weight.grad !== null)) && (!bNeeds || (b!.isLeaf && b!.grad !== null));
    let dw: Float32Array | null = null, db: Float32Array | null = null;
    if (wNeeds) dw = inPlace ? weight.grad!.data : new Float32Array(weight.size);
    if (bNeeds) db = inPlace ? b!.grad!.data : new Float32Array(n);
    be.linearBackward(x.data, weight.data, y, g, m, n, k, relu, dx, dw, db, inPlace);
    return inPlace ? [dx, null, null] : [dx, dw, db];
  });
}
