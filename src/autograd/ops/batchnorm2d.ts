// BatchNorm2d over NCHW: the general batchNorm (batchnorm.ts) for 4-D input, its fusion with a ReLU
// and max pooling, and that block's fusion with the convolution before it (a network's first block).
import { Tensor, shapeString } from '../../tensor/tensor';
import { record } from '../engine';
import { backend } from '../../backend';
import { checkConvBias, conv2d, conv2dGeometry, geomArgs, outputArray, type Conv2dGeometry, type Conv2dOptions } from './conv';
import { batchNormAs, checkBatchNormArgs, checkBatchNormArgsFor, type BatchNormOptions } from './batchnorm';
import { maxPool2d, maxPoolOutputs, poolGeometry, poolGeometryOf, type Pool2dOptions } from './pool';
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
  const f = bnReluPoolForward(x, weight, bias, runningMean, runningVar, opts, pool);
  const inputs = [x, ...(f.weight ? [f.weight] : []), ...(f.bias ? [f.bias] : [])];
  return record(new Tensor(f.out, f.outShape), 'batchNorm2dReluMaxPool2d', inputs, (grad) => {
    const g = f.backward(grad, outputArray(x.size));
    return [x.requiresGrad ? g.gx : null, ...(f.weight ? [g.gw] : []), ...(f.bias ? [g.gb] : [])];
  });
}

/**
 * The training-mode BatchNorm2d + ReLU + MaxPool2d forward of x (4-D, checked), and its backward
 * into gx (x's size): the kernels of batchNorm2dReluMaxPool2d, for the ops built on them.
 */
function bnReluPoolForward(
  x: Tensor, weight: Tensor | null, bias: Tensor | null,
  runningMean: Tensor | null, runningVar: Tensor | null, opts: BatchNorm2dOptions, pool: Pool2dOptions,
) {
  const checked = checkBatchNormArgs('batchNorm2d', x, runningMean, runningVar, weight, bias, opts);
  const { n, c, eps, momentum } = checked;
  [weight, bias, runningMean, runningVar] = [checked.w, checked.b, checked.rm, checked.rv];  // undefined as null
  const [, , h, w] = x.shape;
  const g = poolGeometry('maxPool2d', x, pool);
  const be = backend();
  const { out, indices } = maxPoolOutputs(g.outShape);
  const saveMean = new Float32Array(c), saveInvstd = new Float32Array(c);
  const [, , , , kh, kw, sh, sw, ph, pw] = g.args;
  be.batchNorm2dReluMaxPool2dForwardTrain(
    x.data, weight?.data ?? null, bias?.data ?? null, out, indices, saveMean, saveInvstd,
    runningMean?.data ?? null, runningVar?.data ?? null, n, c, h, w, kh, kw, sh, sw, ph, pw, eps, momentum,
  );
  const [bw, bb] = [weight, bias];
  return {
    out, outShape: g.outShape, weight: bw, bias: bb,
    backward(grad: Float32Array, gx: Float32Array) {
      const gw = bw ? new Float32Array(c) : null, gb = bb ? new Float32Array(c) : null;
      be.batchNorm2dReluMaxPool2dBackward(
        x.data, out, grad, indices, bw?.data ?? null, bb?.data ?? null, saveMean, saveInvstd, gx, gw, gb,
        n, c, h, w, kh, kw, sh, sw, ph, pw,
      );
      return { gx, gw, gb };
    },
  };
}

// The gradient between the BatchNorm and the convolution of a conv2dBatchNorm2dReluMaxPool2d run as
// separate kernels: written by one kernel and read by the next inside one backward, so one buffer,
// grown as needed, serves every call (a fresh 6.4 MB array per step for the CNN's second block would
// be garbage at once, and V8 collects on external-memory growth).
let bnInputGradScratch: Float32Array = new Float32Array(0);
function bnInputGrad(n: number): Float32Array {
  if (bnInputGradScratch.length < n) bnInputGradScratch = outputArray(n);
  return bnInputGradScratch.subarray(0, n);
}

/**
 * The most taps (inChannels * kh * kw) conv2dBatchNorm2dReluMaxPool2d fuses: its statistics cost
 * taps^2 per pixel (the patches' Gram matrix), which stays below the convolution's own work up to
 * about here. (The backends refuse more.)
 */
export const CONV_BN_POOL_MAX_TAPS = 32;

/**
 * conv2d, then batchNorm2d with ReLU, then maxPool2d, as one op: the result of the chain. In training,
 * for a convolution with one group, no fused ReLU and at most CONV_BN_POOL_MAX_TAPS taps whose input
 * needs no gradient (a network's first block, on the data), the convolution's full-size output is
 * never stored: its batch statistics come from the input patches' moments, and the backward reads
 * only the pooled tensors (native/kernels/conv/conv2d_bn_pool_impl.h). Other convolutions in
 * training run the conv and BatchNorm+ReLU+pool kernels in one node; in eval, or with a fused conv
 * ReLU, it runs the chain. The conv bias's gradient is zero (BatchNorm subtracts each channel's mean). (Sequential uses this
 * for Conv2d, BatchNorm2d, ReLU, MaxPool2d.)
 */
export function conv2dBatchNorm2dReluMaxPool2d(
  x: Tensor, convWeight: Tensor, convBias: Tensor | null, convOpts: Conv2dOptions,
  bnWeight: Tensor | null, bnBias: Tensor | null, runningMean: Tensor | null, runningVar: Tensor | null,
  bnOpts: BatchNorm2dOptions, pool: Pool2dOptions,
): Tensor {
  const g = conv2dGeometry(x, convWeight, convOpts);
  convBias = checkConvBias(convBias, g);
  if (!bnOpts?.training || convOpts.relu) {
    const y = conv2d(x, convWeight, convBias, convOpts);
    return batchNorm2dReluMaxPool2d(y, bnWeight, bnBias, runningMean, runningVar, bnOpts, pool);
  }
  if (x.requiresGrad || g.groups !== 1 || g.c * g.kh * g.kw > CONV_BN_POOL_MAX_TAPS) {
    return convThenBnReluPool(x, convWeight, convBias, g, bnWeight, bnBias, runningMean, runningVar, bnOpts, pool);
  }
  const convShape = [g.n, g.outChannels, g.outH, g.outW];
  const checked = checkBatchNormArgsFor('batchNorm2d', convShape, runningMean, runningVar, bnWeight, bnBias, bnOpts);
  const { eps, momentum } = checked;
  [bnWeight, bnBias, runningMean, runningVar] = [checked.w, checked.b, checked.rm, checked.rv];  // undefined as null
  const p = poolGeometryOf('maxPool2d', convShape, pool);
  const be = backend();
  const c = g.outChannels;
  const { out, indices } = maxPoolOutputs(p.outShape);
  const saveMean = new Float32Array(c), saveInvstd = new Float32Array(c);
  const taps = g.c * g.kh * g.kw, moments = new Float64Array(taps + taps * taps);
  const geom = geomArgs(g);
  const [, , , , pkh, pkw, psh, psw, pph, ppw] = p.args;
  be.conv2dBatchNorm2dReluMaxPool2dForwardTrain(
    x.data, convWeight.data, convBias?.data ?? null, bnWeight?.data ?? null, bnBias?.data ?? null, out, indices,
    saveMean, saveInvstd, moments, runningMean?.data ?? null, runningVar?.data ?? null, ...geom, pkh, pkw, psh, psw, pph, ppw, eps, momentum,
  );
  const params = [convWeight, convBias, bnWeight, bnBias].filter((t): t is Tensor => t !== null);
  return record(new Tensor(out, p.outShape), 'conv2dBatchNorm2dReluMaxPool2d', [x, ...params], (grad) => {
    const want = (t: Tensor | null, n: number) => (t && t.requiresGrad ? new Float32Array(n) : null);
    const gcw = want(convWeight, convWeight.size), gcb = want(convBias, c), gbw = want(bnWeight, c), gbb = want(bnBias, c);
    be.conv2dBatchNorm2dReluMaxPool2dBackward(
      x.data, convWeight.data, convBias?.data ?? null, bnWeight?.data ?? null, bnBias?.data ?? null, out, grad, indices,
      saveMean, saveInvstd, moments, gcw, gcb, gbw, gbb, ...geom, pkh, pkw, psh, psw, pph, ppw,
    );
    return [null, gcw, ...(convBias ? [gcb] : []), ...(bnWeight ? [gbw] : []), ...(bnBias ? [gbb] : [])];
  });
}

// Training-mode conv2d then BatchNorm2d + ReLU + MaxPool2d as separate kernels in one node (for the
// convolutions the fused kernel does not take): the chain's result, with the gradient between the
// two in a reused buffer, and the conv bias's gradient exactly zero, as in the fused kernel.
function convThenBnReluPool(
  x: Tensor, convWeight: Tensor, convBias: Tensor | null, g: Conv2dGeometry,
  bnWeight: Tensor | null, bnBias: Tensor | null, runningMean: Tensor | null, runningVar: Tensor | null,
  bnOpts: BatchNorm2dOptions, pool: Pool2dOptions,
): Tensor {
  const be = backend();
  const geom = geomArgs(g);
  const y = new Tensor(outputArray(g.n * g.outChannels * g.outH * g.outW), [g.n, g.outChannels, g.outH, g.outW]);
  be.conv2dForward(x.data, convWeight.data, convBias?.data ?? null, y.data, ...geom, false);
  const f = bnReluPoolForward(y, bnWeight, bnBias, runningMean, runningVar, bnOpts, pool);
  const params = [convWeight, convBias, f.weight, f.bias].filter((t): t is Tensor => t !== null);
  return record(new Tensor(f.out, f.outShape), 'conv2dBatchNorm2dReluMaxPool2d', [x, ...params], (grad) => {
    const bn = f.backward(grad, bnInputGrad(y.size));
    const gx = x.requiresGrad ? outputArray(x.size) : null;
    const gw = convWeight.requiresGrad ? new Float32Array(convWeight.size) : null;
    if (gx || gw) be.conv2dBackward(x.data, bn.gx, convWeight.data, gx, gw, null, ...geom);
    const gcb = convBias ? new Float32Array(g.outChannels) : null;
    return [gx, gw, ...(convBias ? [gcb] : []), ...(f.weight ? [bn.gw] : []), ...(f.bias ? [bn.gb] : [])];
  });
}
