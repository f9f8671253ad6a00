// Batch normalisation (functional), on the backend's fused kernels: one call forward (statistics,
// running-statistics update, normalise and affine), one call backward. x is [n, c] or [n, c, ...]
// (statistics per channel c over everything else), as PyTorch's F.batch_norm.
import { Tensor, shapeString } from '../../tensor/tensor';
import { record } from '../engine';
import { backend } from '../../backend';
import { DTypeError, ShapeError, ValueError, describe } from '../../errors';

export interface BatchNormOptions {
  /** Batch statistics (and a running-statistics update) when true; running statistics when false. */
  training?: boolean;
  momentum?: number;
  eps?: number;
}

function optTensor(where: string, t: unknown, c: number): Tensor | null {
  if (t === undefined || t === null) return null;
  if (!(t instanceof Tensor)) throw new DTypeError(`batchNorm: argument '${where}' must be a Tensor or null, got ${describe(t)}`);
  if (t.size !== c) throw new ShapeError(`batchNorm: argument '${where}' must have ${c} elements (one per channel), got shape ${shapeString(t.shape)}`);
  return t;
}

export function batchNorm(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null = null, bias: Tensor | null = null,
  opts: BatchNormOptions = {},
): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`batchNorm: argument 'input' must be a Tensor, got ${describe(x)}`);
  if (x.ndim < 2) throw new ShapeError(`batchNorm: input must be [batch, channels, ...], got shape ${shapeString(x.shape)}`);
  const n = x.shape[0], c = x.shape[1], inner = x.size / Math.max(n * c, 1);
  const rm = optTensor('runningMean', runningMean, c), rv = optTensor('runningVar', runningVar, c);
  const w = optTensor('weight', weight, c), b = optTensor('bias', bias, c);
  const training = opts.training ?? true;
  const momentum = opts.momentum ?? 0.1, eps = opts.eps ?? 1e-5;
  if (!(momentum >= 0 && momentum <= 1)) throw new ValueError(`batchNorm: option 'momentum' must be in [0, 1], got ${momentum}`);
  if (!(eps >= 0)) throw new ValueError(`batchNorm: option 'eps' must be >= 0, got ${eps}`);
  if (!training && (!rm || !rv)) throw new ValueError('batchNorm: evaluation needs runningMean and runningVar');
  if (training && n * inner <= 1) {
    throw new ValueError(`batchNorm: expected more than 1 value per channel when training, got input shape ${shapeString(x.shape)}`);
  }
  const be = backend();
  const y = new Float32Array(x.size), saveMean = new Float32Array(c), saveInvStd = new Float32Array(c);
  be.batchNormForward(x.data, w ? w.data : null, b ? b.data : null, rm ? rm.data : null, rv ? rv.data : null, y,
    saveMean, saveInvStd, n, c, inner, eps, momentum, training);
  const inputs = [x, ...(w ? [w] : []), ...(b ? [b] : [])];
  return record(new Tensor(y, x.shape), 'batchNorm', inputs, (g) => {
    const dx = x.requiresGrad ? new Float32Array(x.size) : null;
    const dw = w && w.requiresGrad ? new Float32Array(c) : null;
    const db = b && b.requiresGrad ? new Float32Array(c) : null;
    be.batchNormBackward(x.data, w ? w.data : null, saveMean, saveInvStd, g, dx, dw, db, n, c, inner, training);
    return w && b ? [dx, dw, db] : w ? [dx, dw] : b ? [dx, db] : [dx];
  });
}
