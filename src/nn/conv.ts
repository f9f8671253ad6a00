// nn.Conv2d: a 2-D convolution layer with PyTorch's options, weight layout and initialisation.
import { Module } from './module';
import { Tensor } from '../tensor/tensor';
import { zeros } from '../tensor/creation';
import { generatorFor, type Generator } from '../tensor/random';
import { conv2d, pair, resolvePadding, type Conv2dOptions, type Size2 } from '../autograd/ops/conv';
import { uniform_ } from './init';
import { registerLayer } from './config';
import { checkBool, checkInt, ValueError } from '../errors';

export interface Conv2dLayerOptions {
  stride?: Size2;
  padding?: Size2 | 'same' | 'valid';
  dilation?: Size2;
  groups?: number;
  bias?: boolean;
  /** Fuses a ReLU after the bias (one pass less). */
  activation?: 'relu' | null;
  /** Seed for the initial weights (or a generator to draw from); the global generator otherwise. */
  seed?: number;
  generator?: Generator;
}

export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  readonly activation: 'relu' | null;
  private readonly paddingOption: Size2 | 'same' | 'valid';
  private readonly seed: number | undefined;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, opts: Conv2dLayerOptions = {}) {
    super();
    this.inChannels = checkInt("Conv2d: argument 'inChannels'", inChannels, 1);
    this.outChannels = checkInt("Conv2d: argument 'outChannels'", outChannels, 1);
    this.kernelSize = pair("Conv2d: argument 'kernelSize'", kernelSize, 1);
    this.stride = pair("Conv2d: option 'stride'", opts.stride ?? 1, 1);
    this.dilation = pair("Conv2d: option 'dilation'", opts.dilation ?? 1, 1);
    this.groups = checkInt("Conv2d: option 'groups'", opts.groups ?? 1, 1);
    this.paddingOption = opts.padding ?? 0;
    this.padding = resolvePadding('Conv2d', this.paddingOption, this.kernelSize, this.dilation, this.stride);
    const hasBias = checkBool("Conv2d: option 'bias'", opts.bias ?? true);
    const act = opts.activation ?? null;
    if (act !== null && act !== 'relu') throw new ValueError(`Conv2d: option 'activation' must be 'relu' or null, got ${String(act)}`);
    this.activation = act;
    this.seed = opts.seed;
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new ValueError(`Conv2d: inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${this.groups})`);
    }
    // PyTorch's default: kaiming_uniform(a = sqrt(5)) = U(-1/sqrt(fanIn), 1/sqrt(fanIn)), bias likewise.
    const [kh, kw] = this.kernelSize;
    const fanIn = (inChannels / this.groups) * kh * kw;
    const bound = 1 / Math.sqrt(fanIn);
    const g = opts.generator ?? generatorFor(opts.seed);
    this.registerParameter('weight', uniform_(zeros([outChannels, inChannels / this.groups, kh, kw]), -bound, bound, { generator: g }));
    if (hasBias) this.registerParameter('bias', uniform_(zeros([outChannels]), -bound, bound, { generator: g }));
  }

  /** The current weight [out, in / groups, kh, kw] (read each time: an optimizer may swap in a view of its flat buffer). */
  get weight(): Tensor {
    return this.getParameter('weight')!;
  }

  get bias(): Tensor | null {
    return this.getParameter('bias') ?? null;
  }

  forward(x: Tensor): Tensor {
    return this.forwardFused(x, this.activation === 'relu');
  }

  /** The convolution followed by a ReLU in the same kernel call (Sequential uses this for Conv2d, ReLU pairs). */
  forwardFused(x: Tensor, withRelu: boolean): Tensor {
    return conv2d(x, this.weight, this.bias, this.convOptions(withRelu));
  }

  /** The options of conv2d that this layer runs. */
  convOptions(relu = this.activation === 'relu'): Conv2dOptions {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups, relu };
  }

  config(): Record<string, unknown> {
    return {
      inChannels: this.inChannels, outChannels: this.outChannels, kernelSize: this.kernelSize,
      stride: this.stride, padding: this.paddingOption, dilation: this.dilation, groups: this.groups,
      bias: this.bias !== null,
      ...(this.activation ? { activation: this.activation } : {}),
      ...(this.seed !== undefined ? { seed: this.seed } : {}),
    };
  }
}

registerLayer('Conv2d', (c) => new Conv2d(c.inChannels as number, c.outChannels as number, c.kernelSize as Size2, c as Conv2dLayerOptions));
