// nn.BatchNorm2d: per-channel normalisation of NCHW activations with running statistics (PyTorch's
// options, defaults and state-dict names: weight, bias, running_mean, running_var).
import { Module } from './module';
import { Tensor } from '../tensor/tensor';
import { ones, zeros } from '../tensor/creation';
import { batchNorm2d, batchNorm2dReluMaxPool2d, conv2dBatchNorm2dReluMaxPool2d, type BatchNorm2dOptions } from '../autograd/ops/batchnorm2d';
import type { MaxPool2d } from './pool';
import type { Conv2d } from './conv';
import { ShapeError, ValueError, checkBool, checkFinite, checkInt } from '../errors';
import { shapeString } from '../tensor/tensor';
import { registerLayer } from './config';

export interface BatchNorm2dLayerOptions {
  eps?: number;
  /** Weight of the new batch statistic in the running average (PyTorch's default 0.1). */
  momentum?: number;
  /** Learnable per-channel scale and shift. */
  affine?: boolean;
  /** Keep running statistics for eval mode (else eval uses batch statistics too). */
  trackRunningStats?: boolean;
}

export class BatchNorm2d extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(numFeatures: number, opts: BatchNorm2dLayerOptions = {}) {
    super();
    this.numFeatures = checkInt("BatchNorm2d: argument 'numFeatures'", numFeatures, 1);
    this.eps = checkFinite("BatchNorm2d: option 'eps'", opts.eps ?? 1e-5);
    this.momentum = checkFinite("BatchNorm2d: option 'momentum'", opts.momentum ?? 0.1);
    if (!(this.eps > 0)) throw new ValueError(`BatchNorm2d: option 'eps' must be > 0, got ${this.eps}`);
    if (this.momentum < 0 || this.momentum > 1) throw new ValueError(`BatchNorm2d: option 'momentum' must be in [0, 1], got ${this.momentum}`);
    this.affine = checkBool("BatchNorm2d: option 'affine'", opts.affine ?? true);
    this.trackRunningStats = checkBool("BatchNorm2d: option 'trackRunningStats'", opts.trackRunningStats ?? true);
    if (this.affine) {
      this.registerParameter('weight', ones([numFeatures]));
      this.registerParameter('bias', zeros([numFeatures]));
    }
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures]));
      this.registerBuffer('running_var', ones([numFeatures]));
      // PyTorch's state dicts have it (so theirs load here); files saved before it existed load too.
      this.registerBuffer('num_batches_tracked', zeros([]), { optional: true });
    }
  }

  forward(x: Tensor): Tensor {
    return this.forwardFused(x, false);
  }

  /** The normalisation followed by a ReLU in one pass (Sequential uses this for BatchNorm2d, ReLU pairs). */
  forwardFused(x: Tensor, relu: boolean): Tensor {
    this.checkChannels(x);
    return this.run((w, b, rm, rv, opts) => batchNorm2d(x, w, b, rm, rv, { ...opts, relu }));
  }

  /** This layer, a ReLU and `pool` in one op (Sequential uses this for BatchNorm2d, ReLU, MaxPool2d). */
  forwardReluMaxPool(x: Tensor, pool: MaxPool2d): Tensor {
    this.checkChannels(x);
    return this.run((w, b, rm, rv, opts) => batchNorm2dReluMaxPool2d(x, w, b, rm, rv, opts, poolWindow(pool)));
  }

  /**
   * `conv`, this layer, a ReLU and `pool` in one op, x being the convolution's input (Sequential uses
   * this for Conv2d, BatchNorm2d, ReLU, MaxPool2d).
   */
  forwardAfterConvReluMaxPool(x: Tensor, conv: Conv2d, pool: MaxPool2d): Tensor {
    if (conv.outChannels !== this.numFeatures) {
      throw new ShapeError(`BatchNorm2d: expected ${this.numFeatures} channels, got the ${conv.outChannels} output channels of the Conv2d before it`);
    }
    return this.run((w, b, rm, rv, opts) =>
      conv2dBatchNorm2dReluMaxPool2d(x, conv.weight, conv.bias, conv.convOptions(), w, b, rm, rv, opts, poolWindow(pool)));
  }

  private checkChannels(x: Tensor): void {
    if (x instanceof Tensor && x.ndim === 4 && x.shape[1] !== this.numFeatures) {
      throw new ShapeError(`BatchNorm2d: expected ${this.numFeatures} channels, got input ${shapeString(x.shape)}`);
    }
  }

  /**
   * Runs `op` with this layer's tensors and options, and counts the batch as PyTorch does
   * (num_batches_tracked: one more per training batch; momentum stays fixed).
   */
  private run(
    op: (w: Tensor | null, b: Tensor | null, rm: Tensor | null, rv: Tensor | null, opts: BatchNorm2dOptions) => Tensor,
  ): Tensor {
    const y = op(
      this.getParameter('weight') ?? null, this.getParameter('bias') ?? null,
      this.getBuffer('running_mean') ?? null, this.getBuffer('running_var') ?? null,
      { training: this.training || !this.trackRunningStats, momentum: this.momentum, eps: this.eps },
    );
    if (this.training && this.trackRunningStats) this.getBuffer('num_batches_tracked')!.data[0] += 1;
    return y;
  }

  config(): Record<string, unknown> {
    return { numFeatures: this.numFeatures, eps: this.eps, momentum: this.momentum, affine: this.affine, trackRunningStats: this.trackRunningStats };
  }
}

function poolWindow(pool: MaxPool2d) {
  return { kernelSize: pool.kernelSize, stride: pool.stride, padding: pool.padding };
}

registerLayer('BatchNorm2d', (c) => new BatchNorm2d(c.numFeatures as number, c as BatchNorm2dLayerOptions));
