// BatchNorm2d over NCHW (statistics per channel over batch and plane), beside its backward; an
// optional fused ReLU.
import { Tensor, shapeString } from '../../tensor/tensor';
import { record } from '../engine';
import { backend } from '../../backend';
import { outputArray } from './conv';
import { maxPool2d, poolGeometry, type Pool2dOptions } from './pool';
import { DTypeError, ShapeError, ValueError, checkFinite, describe } from '../../errors';

export interface BatchNorm2dOptions {
  /** Batch statistics (and running statistics updated) when true; running statistics when false. */
  training: boolean;
  momentum?: number;
  eps?: number;
  /** Fuses max(0, .) after the affine map. */
  relu?: boolean;
}

function checkChannelVector(name: string, t: Tensor | null, c: number, x: Tensor): void {
  if (t === null || t === undefined) return;
  if (!(t instanceof Tensor)) throw new DTypeError(`batchNorm2d: ${name} must be a Tensor or null, got ${describe(t)}`);
  if (t.size !== c) throw new ShapeError(`batchNorm2d: ${name} must have ${c} elements (one per channel of input ${shapeString(x.shape)}), got shape ${shapeString(t.shape)}`);
}

/**
 * y = (x - mean) / sqrt(var + eps) * weight + bias per channel. In training the batch statistics are
 * used and runningMean/runningVar (when given) move by momentum (unbiased variance); in eval the
 * running statistics are used.
 */
/** The checks every batch-norm entry point makes; returns the sizes and the resolved options. */
function checkBatchNorm2dArgs(
  x: Tensor, weight: Tensor | null | undefined, bias: Tensor | null | undefined,
  runningMean: Tensor | null | undefined, runningVar: Tensor | null | undefined, opts: BatchNorm2dOptions,
): { n: number; c: number; h: number; w: number; eps: number; momentum: number } {
  if (!(x instanceof Tensor)) throw new DTypeError(`batchNorm2d: input must be a Tensor, got ${describe(x)}`);
  if (x.ndim !== 4) throw new ShapeError(`batchNorm2d: input must be 4-D [batch, channels, height, width], got shape ${shapeString(x.shape)}`);
  const [n, c, h, w] = x.shape;
  checkChannelVector('weight', weight ?? null, c, x);
  checkChannelVector('bias', bias ?? null, c, x);
  checkChannelVector('runningMean', runningMean ?? null, c, x);
  checkChannelVector('runningVar', runningVar ?? null, c, x);
  const eps = checkFinite("batchNorm2d: option 'eps'", opts.eps ?? 1e-5);
  const momentum = checkFinite("batchNorm2d: option 'momentum'", opts.momentum ?? 0.1);
  if (!(eps > 0)) throw new ValueError(`batchNorm2d: option 'eps' must be > 0, got ${eps}`);
  if (momentum < 0 || momentum > 1) throw new ValueError(`batchNorm2d: option 'momentum' must be in [0, 1], got ${momentum}`);
  return { n, c, h, w, eps, momentum };
}

export function batchNorm2d(
  x: Tensor, weight: Tensor | null, bias: Tensor | null,
  runningMean: Tensor | null, runningVar: Tensor | null, opts: BatchNorm2dOptions,
): Tensor {
  const { n, c, h, w, eps, momentum } = checkBatchNorm2dArgs(x, weight, bias, runningMean, runningVar, opts);
  const hw = h * w;
  weight = weight ?? null;
  bias = bias ?? null;
  runningMean = runningMean ?? null;
  runningVar = runningVar ?? null;
  const relu = opts.relu ?? false;
  const be = backend();
  const out = outputArray(x.size);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];

  if (!opts.training) {
    if (!runningMean || !runningVar) throw new ValueError('batchNorm2d: eval mode needs runningMean and runningVar');
    be.batchNorm2dForwardEval(x.data, weight?.data ?? null, bias?.data ?? null, runningMean.data, runningVar.data, out, n, c, hw, eps, relu);
    const rm = runningMean.data.slice(), rv = runningVar.data.slice();
    return record(new Tensor(out, x.shape), 'batchNorm2d', inputs, (grad) => {
      // An affine map per channel: dx = dy * weight * invstd; dweight = sum(dy * xhat); dbias = sum(dy).
      const gx = x.requiresGrad ? new Float32Array(x.size) : null;
      const gw = weight ? new Float32Array(c) : null, gb = bias ? new Float32Array(c) : null;
      for (let ch = 0; ch < c; ch++) {
        const invstd = 1 / Math.sqrt(rv[ch] + eps);
        const scale = (weight ? weight.data[ch] : 1) * invstd;
        let sdy = 0, sdyx = 0;
        for (let b = 0; b < n; b++) {
          for (let i = 0; i < hw; i++) {
            const j = (b * c + ch) * hw + i;
            const g = relu && !(out[j] > 0) ? 0 : grad[j];
            sdy += g;
            sdyx += g * (x.data[j] - rm[ch]) * invstd;
            if (gx) gx[j] = g * scale;
          }
        }
        if (gw) gw[ch] = sdyx;
        if (gb) gb[ch] = sdy;
      }
      return [gx, ...(weight ? [gw] : []), ...(bias ? [gb] : [])];
    });
  }

  if (n * hw < 2) {
    throw new ValueError(`batchNorm2d: training needs more than one value per channel, got input ${shapeString(x.shape)}`);
  }
  const saveMean = new Float32Array(c), saveInvstd = new Float32Array(c);
  be.batchNorm2dForwardTrain(
    x.data, weight?.data ?? null, bias?.data ?? null, out, saveMean, saveInvstd,
    runningMean?.data ?? null, runningVar?.data ?? null, n, c, hw, eps, momentum, relu,
  );
  return record(new Tensor(out, x.shape), 'batchNorm2d', inputs, (grad) => {
    const gx = outputArray(x.size);
    const gw = weight ? new Float32Array(c) : null, gb = bias ? new Float32Array(c) : null;
    be.batchNorm2dBackward(x.data, grad, relu, weight?.data ?? null, bias?.data ?? null, saveMean, saveInvstd, gx, gw, gb, n, c, hw);
    return [x.requiresGrad ? gx : null, ...(weight ? [gw] : []), ...(bias ? [gb] : [])];
  });
}

/**
 * batchNorm2d with ReLU, then maxPool2d, as one op: the same result as the three in sequence, but in
 * training the full-size normalised activation is never stored and the backward scatters the pooled
 * gradient straight into BatchNorm's. (Sequential uses this for BatchNorm2d, ReLU, MaxPool2d.)
 */
export function batchNorm2dReluMaxPool2d(
  x: Tensor, weight: Tensor | null, bias: Tensor | null,
  runningMean: Tensor | null, runningVar: Tensor | null, opts: BatchNorm2dOptions, pool: Pool2dOptions,
): Tensor {
  if (!opts.training) return maxPool2d(batchNorm2d(x, weight, bias, runningMean, runningVar, { ...opts, relu: true }), pool);
  const { n, c, h, w, eps, momentum } = checkBatchNorm2dArgs(x, weight, bias, runningMean, runningVar, opts);
  weight = weight ?? null;
  bias = bias ?? null;
  runningMean = runningMean ?? null;
  runningVar = runningVar ?? null;
  if (n * h * w < 2) throw new ValueError(`batchNorm2d: training needs more than one value per channel, got input ${shapeString(x.shape)}`);
  const g = poolGeometry('maxPool2d', x, pool);
  const be = backend();
  const size = g.outShape.reduce((a, b) => a * b, 1);
  const out = outputArray(size);
  const indices = new Int32Array(Buffer.allocUnsafeSlow(size * 4).buffer, 0, size);
  const saveMean = new Float32Array(c), saveInvstd = new Float32Array(c);
  const [, , , , kh, kw, sh, sw, ph, pw] = g.args;
  be.batchNorm2dReluMaxPool2dForwardTrain(
    x.data, weight?.data ?? null, bias?.data ?? null, out, indices, saveMean, saveInvstd,
    runningMean?.data ?? null, runningVar?.data ?? null, n, c, h, w, kh, kw, sh, sw, ph, pw, eps, momentum,
  );
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(new Tensor(out, g.outShape), 'batchNorm2dReluMaxPool2d', inputs, (grad) => {
    const gx = outputArray(x.size);
    const gw = weight ? new Float32Array(c) : null, gb = bias ? new Float32Array(c) : null;
    be.batchNorm2dReluMaxPool2dBackward(
      x.data, grad, indices, weight?.data ?? null, bias?.data ?? null, saveMean, saveInvstd, gx, gw, gb,
      n, c, h, w, kh, kw, sh, sw, ph, pw,
    );
    return [x.requiresGrad ? gx : null, ...(weight ? [gw] : []), ...(bias ? [gb] : [])];
  });
}
