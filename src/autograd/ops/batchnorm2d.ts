// BatchNorm2d over NCHW: the general batchNorm (batchnorm.ts) for 4-D input, and its fusion with a
// ReLU and max pooling.
import { Tensor, shapeString } from '../../tensor/tensor';
import { record } from '../engine';
import { backend } from '../../backend';
import { outputArray } from './conv';
import { batchNormAs, checkBatchNormArgs, type BatchNormOptions } from './batchnorm';
import { maxPool2d, poolGeometry, type Pool2dOptions } from './pool';
import { DTypeError, ShapeError, describe } from '../../errors';

export interface BatchNorm2dOptions extends BatchNormOptions {
  /** Batch statistics (and running statistics updated) when true; running statistics when false. */
  training: boolean;
}

function check4d(x: Tensor): void {
  if (!(x instanceof Tensor)) throw new DTypeError(`batchNorm2d: argument 'input' must be a Tensor, got ${describe(x)}`);
  if (x.ndim !== 4) throw new ShapeError(`batchNorm2d: input must be 4-D [batch, channels, height, width], got shape ${shapeString(x.shape)}`);
}

/**
 * y = (x - mean) / sqrt(var + eps) * weight + bias per channel of NCHW input (then ReLU with
 * opts.relu). In training the batch statistics are used and runningMean/runningVar (when given) move
 * by momentum (unbiased variance); in eval the running statistics are used.
 */
export function batchNorm2d(
  x: Tensor, weight: Tensor | null, bias: Tensor | null,
  runningMean: Tensor | null, runningVar: Tensor | null, opts: BatchNorm2dOptions,
): Tensor {
  check4d(x);
  return batchNormAs('batchNorm2d', x, runningMean ?? null, runningVar ?? null, weight ?? null, bias ?? null, opts);
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
  check4d(x);
  const { n, c, eps, momentum } = checkBatchNormArgs('batchNorm2d', x, runningMean, runningVar, weight, bias, opts);
  const [, , h, w] = x.shape;
  weight = weight ?? null;
  bias = bias ?? null;
  runningMean = runningMean ?? null;
  runningVar = runningVar ?? null;
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
