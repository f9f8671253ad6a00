// nn.Conv2d: a 2-D convolution layer with PyTorch's options, weight layout and initialisation.
import { Module } from './module';
import { Tensor } from '../tensor/tensor';
import { rand } from '../tensor/creation';
import { conv2d, pair, resolvePadding, type Size2 } from '../autograd/ops/conv';
import { checkBool, checkInt, ValueError } from '../errors';

export interface Conv2dLayerOptions {
  stride?: Size2;
  padding?: Size2 | 'same' | 'valid';
  dilation?: Size2;
  groups?: number;
  bias?: boolean;
  /** Seeds the initial weights (the global generator otherwise). */
  seed?: number;
}

export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  private readonly paddingOption: Size2 | 'same' | 'valid';

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
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new ValueError(`Conv2d: inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${this.groups})`);
    }
    // PyTorch's default: kaiming_uniform(a = sqrt(5)) = U(-1/sqrt(fanIn), 1/sqrt(fanIn)), bias likewise.
    const [kh, kw] = this.kernelSize;
    const fanIn = (inChannels / this.groups) * kh * kw;
    const bound = 1 / Math.sqrt(fanIn);
    const seed = opts.seed;
    this.registerParameter('weight', rand([outChannels, inChannels / this.groups, kh, kw], { low: -bound, high: bound, seed }));
    if (hasBias) {
      this.registerParameter('bias', rand([outChannels], { low: -bound, high: bound, seed: seed === undefined ? undefined : seed + 1 }));
    }
  }

  get weight(): Tensor {
    return this.stateDict().weight;
  }

  get bias(): Tensor | null {
    return this.stateDict().bias ?? null;
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  config(): Record<string, unknown> {
    return {
      inChannels: this.inChannels, outChannels: this.outChannels, kernelSize: this.kernelSize,
      stride: this.stride, padding: this.paddingOption, dilation: this.dilation, groups: this.groups,
      bias: this.bias !== null,
    };
  }
}
