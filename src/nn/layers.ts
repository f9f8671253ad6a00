// Layers: Linear (fused bias and optional ReLU), activation layers, Dropout, BatchNorm1d, Flatten,
// Identity. Each holds its parameters and buffers (Module), computes forward() with one op, and
// returns its constructor arguments from config() so nn.fromConfig can rebuild it.
import { Tensor } from '../tensor/tensor';
import { Generator, generatorFor } from '../tensor/random';
import { zeros, ones } from '../tensor/creation';
import { Module } from './module';
import { registerLayer } from './config';
import { kaimingUniform_, uniform_ } from './init';
import { linear } from '../autograd/ops/linear';
import { dropout, checkDropoutP } from '../autograd/ops/dropout';
import { batchNorm } from '../autograd/ops/batchnorm';
import { relu, leakyRelu, elu, gelu, sigmoid, tanh, type GeluApproximate } from '../autograd/ops/activation';
import { softmax, logSoftmax } from '../autograd/ops/softmax';
import { flatten } from '../autograd/ops/shape';
import { DTypeError, ShapeError, ValueError, checkBool, checkFinite, checkInt, describe } from '../errors';

export interface LinearOptions {
  /** Whether to learn an additive bias (default true). */
  bias?: boolean;
  /** 'relu' fuses a ReLU into the same kernel call. */
  activation?: 'relu' | null;
  /** Seed for the initial weights (or a generator to draw from); the global generator otherwise. */
  seed?: number;
  generator?: Generator;
}

/** y = x W^T + b with W [out, in] (PyTorch's layout and default initialisation). */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly activation: 'relu' | null;
  private readonly seed: number | undefined;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.inFeatures = checkInt("Linear: argument 'inFeatures'", inFeatures, 1);
    this.outFeatures = checkInt("Linear: argument 'outFeatures'", outFeatures, 1);
    const useBias = checkBool("Linear: option 'bias'", opts.bias ?? true);
    const act = opts.activation ?? null;
    if (act !== null && act !== 'relu') throw new ValueError(`Linear: option 'activation' must be 'relu' or null, got ${describe(act)}`);
    this.activation = act;
    this.seed = opts.seed;
    const g = opts.generator ?? generatorFor(opts.seed);
    // PyTorch's default: kaiming_uniform(a = sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)), bias likewise.
    const weight = kaimingUniform_(zeros([outFeatures, inFeatures]), { a: Math.sqrt(5), generator: g });
    this.registerParameter('weight', weight);
    if (useBias) {
      const bound = 1 / Math.sqrt(inFeatures);
      this.registerParameter('bias', uniform_(zeros([outFeatures]), -bound, bound, { generator: g }));
    }
  }

  /** The current weight tensor [out, in] (read each time: an optimizer may swap in a view of its flat buffer). */
  get weight(): Tensor {
    return this.getParameter('weight')!;
  }

  get bias(): Tensor | null {
    return this.getParameter('bias') ?? null;
  }

  forward(x: Tensor): Tensor {
    return this.forwardFused(x, this.activation === 'relu');
  }

  /** The layer followed by a ReLU in one kernel call (Sequential uses this for Linear, ReLU pairs). */
  forwardFused(x: Tensor, withRelu: boolean): Tensor {
    return linear(x, this.getParameter('weight')!, this.getParameter('bias') ?? null, { relu: withRelu });
  }

  config(): Record<string, unknown> {
    const c: Record<string, unknown> = { inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null };
    if (this.activation) c.activation = this.activation;
    if (this.seed !== undefined) c.seed = this.seed;
    return c;
  }
}

/** Element-wise activation layers. */
export class ReLU extends Module {
  forward(x: Tensor): Tensor { return relu(x); }
  config(): Record<string, unknown> { return {}; }
}

export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  constructor(negativeSlope = 0.01) {
    super();
    this.negativeSlope = checkFinite("LeakyReLU: argument 'negativeSlope'", negativeSlope);
  }
  forward(x: Tensor): Tensor { return leakyRelu(x, this.negativeSlope); }
  config(): Record<string, unknown> { return { negativeSlope: this.negativeSlope }; }
}

export class ELU extends Module {
  readonly alpha: number;
  constructor(alpha = 1) {
    super();
    this.alpha = checkFinite("ELU: argument 'alpha'", alpha);
  }
  forward(x: Tensor): Tensor { return elu(x, this.alpha); }
  config(): Record<string, unknown> { return { alpha: this.alpha }; }
}

export class GELU extends Module {
  readonly approximate: GeluApproximate;
  constructor(approximate: GeluApproximate = 'none') {
    super();
    if (approximate !== 'none' && approximate !== 'tanh') {
      throw new ValueError(`GELU: argument 'approximate' must be 'none' or 'tanh', got ${describe(approximate)}`);
    }
    this.approximate = approximate;
  }
  forward(x: Tensor): Tensor { return gelu(x, this.approximate); }
  config(): Record<string, unknown> { return { approximate: this.approximate }; }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor { return sigmoid(x); }
  config(): Record<string, unknown> { return {}; }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor { return tanh(x); }
  config(): Record<string, unknown> { return {}; }
}

export class Softmax extends Module {
  readonly dim: number;
  constructor(dim = -1) {
    super();
    this.dim = checkInt("Softmax: argument 'dim'", dim);
  }
  forward(x: Tensor): Tensor { return softmax(x, this.dim); }
  config(): Record<string, unknown> { return { dim: this.dim }; }
}

export class LogSoftmax extends Module {
  readonly dim: number;
  constructor(dim = -1) {
    super();
    this.dim = checkInt("LogSoftmax: argument 'dim'", dim);
  }
  forward(x: Tensor): Tensor { return logSoftmax(x, this.dim); }
  config(): Record<string, unknown> { return { dim: this.dim }; }
}

export interface DropoutLayerOptions {
  /** Seeds the layer's own generator, so the sequence of masks is reproducible. */
  seed?: number;
}

/** Zeroes each element with probability p in training (scaling the rest by 1/(1-p)); identity in eval. */
export class Dropout extends Module {
  readonly p: number;
  private readonly seed: number | undefined;
  private readonly generator: Generator | undefined;

  constructor(p = 0.5, opts: DropoutLayerOptions = {}) {
    super();
    this.p = checkDropoutP("Dropout: argument 'p'", p);
    this.seed = opts.seed;
    this.generator = opts.seed === undefined ? undefined : new Generator(opts.seed);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training, generator: this.generator });
  }

  config(): Record<string, unknown> {
    return this.seed === undefined ? { p: this.p } : { p: this.p, seed: this.seed };
  }
}

export interface BatchNormOptions {
  eps?: number;
  momentum?: number;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/**
 * Batch normalisation over [batch, features] or [batch, features, length] (PyTorch's BatchNorm1d):
 * batch statistics in training (updating running_mean/running_var with `momentum`, the variance
 * unbiased), running statistics in eval. Buffers carry PyTorch's names so state dicts line up.
 */
export class BatchNorm1d extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super();
    this.numFeatures = checkInt("BatchNorm1d: argument 'numFeatures'", numFeatures, 1);
    this.eps = checkFinite("BatchNorm1d: option 'eps'", opts.eps ?? 1e-5);
    if (this.eps < 0) throw new ValueError(`BatchNorm1d: option 'eps' must be >= 0, got ${this.eps}`);
    this.momentum = checkFinite("BatchNorm1d: option 'momentum'", opts.momentum ?? 0.1);
    if (this.momentum < 0 || this.momentum > 1) throw new ValueError(`BatchNorm1d: option 'momentum' must be in [0, 1], got ${this.momentum}`);
    this.affine = checkBool("BatchNorm1d: option 'affine'", opts.affine ?? true);
    this.trackRunningStats = checkBool("BatchNorm1d: option 'trackRunningStats'", opts.trackRunningStats ?? true);
    if (this.affine) {
      this.registerParameter('weight', ones([numFeatures]));
      this.registerParameter('bias', zeros([numFeatures]));
    }
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures]));
      this.registerBuffer('running_var', ones([numFeatures]));
      this.registerBuffer('num_batches_tracked', zeros([]));
    }
  }

  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) throw new DTypeError(`BatchNorm1d: input must be a Tensor, got ${describe(x)}`);
    if ((x.ndim !== 2 && x.ndim !== 3) || x.shape[1] !== this.numFeatures) {
      throw new ShapeError(`BatchNorm1d: input must be [batch, ${this.numFeatures}] or [batch, ${this.numFeatures}, length], got [${x.shape}]`);
    }
    const useBatchStats = this.training || !this.trackRunningStats;
    if (this.training && this.trackRunningStats) this.getBuffer('num_batches_tracked')!.data[0] += 1;
    return batchNorm(
      x, this.getBuffer('running_mean') ?? null, this.getBuffer('running_var') ?? null,
      this.getParameter('weight') ?? null, this.getParameter('bias') ?? null,
      { training: useBatchStats, momentum: this.momentum, eps: this.eps },
    );
  }

  config(): Record<string, unknown> {
    return { numFeatures: this.numFeatures, eps: this.eps, momentum: this.momentum, affine: this.affine, trackRunningStats: this.trackRunningStats };
  }
}

/** Merges dimensions startDim..endDim (default: all but the batch dimension). */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;
  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = checkInt("Flatten: argument 'startDim'", startDim);
    this.endDim = checkInt("Flatten: argument 'endDim'", endDim);
  }
  forward(x: Tensor): Tensor { return flatten(x, this.startDim, this.endDim); }
  config(): Record<string, unknown> { return { startDim: this.startDim, endDim: this.endDim }; }
}

export class Identity extends Module {
  forward(x: Tensor): Tensor { return x; }
  config(): Record<string, unknown> { return {}; }
}

const num = (c: Record<string, unknown>, k: string) => c[k] as number | undefined;
registerLayer('Linear', (c) => new Linear(c.inFeatures as number, c.outFeatures as number, {
  bias: c.bias as boolean | undefined, activation: c.activation as 'relu' | undefined, seed: num(c, 'seed'),
}));
registerLayer('ReLU', () => new ReLU());
registerLayer('LeakyReLU', (c) => new LeakyReLU(num(c, 'negativeSlope')));
registerLayer('ELU', (c) => new ELU(num(c, 'alpha')));
registerLayer('GELU', (c) => new GELU(c.approximate as GeluApproximate | undefined));
registerLayer('Sigmoid', () => new Sigmoid());
registerLayer('Tanh', () => new Tanh());
registerLayer('Softmax', (c) => new Softmax(num(c, 'dim')));
registerLayer('LogSoftmax', (c) => new LogSoftmax(num(c, 'dim')));
registerLayer('Dropout', (c) => new Dropout(num(c, 'p'), { seed: num(c, 'seed') }));
registerLayer('BatchNorm1d', (c) => new BatchNorm1d(c.numFeatures as number, c as BatchNormOptions));
registerLayer('Flatten', (c) => new Flatten(num(c, 'startDim'), num(c, 'endDim')));
registerLayer('Identity', () => new Identity());
