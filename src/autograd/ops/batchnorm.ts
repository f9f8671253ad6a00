// Batch normalisation (functional), the one implementation behind BatchNorm1d, BatchNorm2d and
// nn.functional.batchNorm: x is [n, c] or [n, c, ...] with statistics per channel c over the batch
// and every trailing dimension (PyTorch's F.batch_norm). In training: one backend call forward
// (statistics, running-statistics update, normalise, affine, optional fused ReLU) and one backward.
// The backend kernels see x as [n, c, inner] (inner = 1 for [n, c]).
import { Tensor, shapeString } from '../../tensor/tensor';
import { record } from '../engine';
import { backend } from '../../backend';
import { outputArray } from './conv';
import { DTypeError, ShapeError, ValueError, checkFinite, describe } from '../../errors';

export interface BatchNormOptions {
  /** Batch statistics (and a running-statistics update) when true; running statistics when false. */
  training?: boolean;
  /** Weight of the new batch statistic in the running average (PyTorch's default 0.1). */
  momentum?: number;
  eps?: number;
  /** Fuses max(0, .) after the affine map (Sequential does this for a BatchNorm followed by ReLU). */
  relu?: boolean;
}

function channelVector(where: string, name: string, t: unknown, c: number, shape: readonly number[]): Tensor | null {
  if (t === undefined || t === null) return null;
  if (!(t instanceof Tensor)) throw new DTypeError(`${where}: argument '${name}' must be a Tensor or null, got ${describe(t)}`);
  if (t.size !== c) {
    throw new ShapeError(`${where}: argument '${name}' must have ${c} elements (one per channel of input ${shapeString(shape)}), got shape ${shapeString(t.shape)}`);
  }
  return t;
}

/** The checks every batch-norm entry point makes; `where` names the caller in messages. */
export function checkBatchNormArgs(
  where: string, x: Tensor, runningMean: unknown, runningVar: unknown, weight: unknown, bias: unknown, opts: BatchNormOptions,
) {
  if (!(x instanceof Tensor)) throw new DTypeError(`${where}: argument 'input' must be a Tensor, got ${describe(x)}`);
  return checkBatchNormArgsFor(where, x.shape, runningMean, runningVar, weight, bias, opts);
}

/** checkBatchNormArgs for an input of the given shape (one a fused op computes but never stores). */
export function checkBatchNormArgsFor(
  where: string, shape: readonly number[], runningMean: unknown, runningVar: unknown, weight: unknown, bias: unknown,
  opts: BatchNormOptions,
) {
  if (shape.length < 2) throw new ShapeError(`${where}: input must be [batch, channels, ...], got shape ${shapeString(shape)}`);
  if (opts === null || typeof opts !== 'object') throw new DTypeError(`${where}: options must be an object, got ${describe(opts)}`);
  const n = shape[0], c = shape[1], inner = shape.reduce((a, d) => a * d, 1) / Math.max(n * c, 1);
  const rm = channelVector(where, 'runningMean', runningMean, c, shape), rv = channelVector(where, 'runningVar', runningVar, c, shape);
  const w = channelVector(where, 'weight', weight, c, shape), b = channelVector(where, 'bias', bias, c, shape);
  const training = opts.training ?? true;
  const eps = checkFinite(`${where}: option 'eps'`, opts.eps ?? 1e-5);
  const momentum = checkFinite(`${where}: option 'momentum'`, opts.momentum ?? 0.1);
  if (!(eps > 0)) throw new ValueError(`${where}: option 'eps' must be > 0, got ${eps}`);
  if (momentum < 0 || momentum > 1) throw new ValueError(`${where}: option 'momentum' must be in [0, 1], got ${momentum}`);
  if (!training && (!rm || !rv)) throw new ValueError(`${where}: evaluation (training: false) needs runningMean and runningVar`);
  if (training && n * inner < 2) {
    throw new ValueError(`${where}: expected more than 1 value per channel when training, got input shape ${shapeString(shape)}`);
  }
  return { n, c, inner, rm, rv, w, b, training, eps, momentum, relu: opts.relu ?? false };
}

export function batchNorm(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null = null, bias: Tensor | null = null,
  opts: BatchNormOptions = {},
): Tensor {
  return batchNormAs('batchNorm', x, runningMean, runningVar, weight, bias, opts);
}

/** batchNorm with `where` (the public entry point's name) in its error messages. */
export function batchNormAs(
  where: string, x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null,
  bias: Tensor | null, opts: BatchNormOptions,
): Tensor {
  const { n, c, inner, rm, rv, w, b, training, eps, momentum, relu } = checkBatchNormArgs(where, x, runningMean, runningVar, weight, bias, opts);
  const be = backend();
  const out = outputArray(x.size);
  const inputs = [x, ...(w ? [w] : []), ...(b ? [b] : [])];
  const grads = (gx: Float32Array | null, gw: Float32Array | null, gb: Float32Array | null) =>
    [x.requiresGrad ? gx : null, ...(w ? [gw] : []), ...(b ? [gb] : [])];

  if (!training) {
    be.batchNorm2dForwardEval(x.data, w?.data ?? null, b?.data ?? null, rm!.data, rv!.data, out, n, c, inner, eps, relu);
    // The statistics this output was made with (the buffers may move before backward runs).
    const mean = rm!.data.slice(), variance = rv!.data.slice();
    return record(new Tensor(out, x.shape), 'batchNorm', inputs, (grad) => {
      // An affine map per channel: dx = dy * weight * invstd; dweight = sum(dy * xhat); dbias = sum(dy).
      const gx = x.requiresGrad ? new Float32Array(x.size) : null;
      const gw = w ? new Float32Array(c) : null, gb = b ? new Float32Array(c) : null;
      for (let ch = 0; ch < c; ch++) {
        const invstd = 1 / Math.sqrt(variance[ch] + eps);
        const scale = (w ? w.data[ch] : 1) * invstd;
        let sdy = 0, sdyx = 0;
        for (let img = 0; img < n; img++) {
          for (let i = 0; i < inner; i++) {
            const j = (img * c + ch) * inner + i;
            const g = relu && !(out[j] > 0) ? 0 : grad[j];
            sdy += g;
            sdyx += g * (x.data[j] - mean[ch]) * invstd;
            if (gx) gx[j] = g * scale;
          }
        }
        if (gw) gw[ch] = sdyx;
        if (gb) gb[ch] = sdy;
      }
      return grads(gx, gw, gb);
    });
  }

  const saveMean = new Float32Array(c), saveInvstd = new Float32Array(c);
  be.batchNorm2dForwardTrain(
    x.data, w?.data ?? null, b?.data ?? null, out, saveMean, saveInvstd, rm?.data ?? null, rv?.data ?? null,
    n, c, inner, eps, momentum, relu,
  );
  return record(new Tensor(out, x.shape), 'batchNorm', inputs, (grad) => {
    const gx = outputArray(x.size);
    const gw = w ? new Float32Array(c) : null, gb = b ? new Float32Array(c) : null;
    be.batchNorm2dBackward(x.data, grad, relu, w?.data ?? null, b?.data ?? null, saveMean, saveInvstd, gx, gw, gb, n, c, inner);
    return grads(gx, gw, gb);
  });
}
