// Pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d(1) and GlobalAvgPool2d.
import { Module } from './module';
import { Tensor } from '../tensor/tensor';
import { maxPool2d, avgPool2d, globalAvgPool2d } from '../autograd/ops/pool';
import { pair, type Size2 } from '../autograd/ops/conv';
import { registerLayer } from './config';
import { checkBool, ValueError } from '../errors';

export interface Pool2dLayerOptions {
  /** Defaults to kernelSize. */
  stride?: Size2;
  padding?: Size2;
}

export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(kernelSize: Size2, opts: Pool2dLayerOptions = {}) {
    super();
    this.kernelSize = pair("MaxPool2d: argument 'kernelSize'", kernelSize, 1);
    this.stride = pair("MaxPool2d: option 'stride'", opts.stride ?? this.kernelSize, 1);
    this.padding = pair("MaxPool2d: option 'padding'", opts.padding ?? 0, 0);
    if (2 * this.padding[0] > this.kernelSize[0] || 2 * this.padding[1] > this.kernelSize[1]) {
      throw new ValueError(`MaxPool2d: padding [${this.padding}] must be at most half the kernel [${this.kernelSize}]`);
    }
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding });
  }

  config(): Record<string, unknown> {
    return { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding };
  }
}

export interface AvgPool2dLayerOptions extends Pool2dLayerOptions {
  countIncludePad?: boolean;
}

export class AvgPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly countIncludePad: boolean;

  constructor(kernelSize: Size2, opts: AvgPool2dLayerOptions = {}) {
    super();
    this.kernelSize = pair("AvgPool2d: argument 'kernelSize'", kernelSize, 1);
    this.stride = pair("AvgPool2d: option 'stride'", opts.stride ?? this.kernelSize, 1);
    this.padding = pair("AvgPool2d: option 'padding'", opts.padding ?? 0, 0);
    this.countIncludePad = checkBool("AvgPool2d: option 'countIncludePad'", opts.countIncludePad ?? true);
    if (2 * this.padding[0] > this.kernelSize[0] || 2 * this.padding[1] > this.kernelSize[1]) {
      throw new ValueError(`AvgPool2d: padding [${this.padding}] must be at most half the kernel [${this.kernelSize}]`);
    }
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, countIncludePad: this.countIncludePad });
  }

  config(): Record<string, unknown> {
    return { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, countIncludePad: this.countIncludePad };
  }
}

/** PyTorch's AdaptiveAvgPool2d for an output size of 1: [n, c, h, w] -> [n, c, 1, 1]. */
export class AdaptiveAvgPool2d extends Module {
  constructor(outputSize: Size2 = 1) {
    super();
    const [oh, ow] = pair("AdaptiveAvgPool2d: argument 'outputSize'", outputSize, 1);
    if (oh !== 1 || ow !== 1) throw new ValueError(`AdaptiveAvgPool2d: only an output size of 1 is supported, got [${oh}, ${ow}]`);
  }

  forward(x: Tensor): Tensor {
    return globalAvgPool2d(x, true);
  }

  config(): Record<string, unknown> {
    return { outputSize: 1 };
  }
}

/** Global average pooling as Keras: [n, c, h, w] -> [n, c], ready for a Linear layer. */
export class GlobalAvgPool2d extends Module {
  forward(x: Tensor): Tensor {
    return globalAvgPool2d(x, false);
  }

  config(): Record<string, unknown> {
    return {};
  }
}

registerLayer('MaxPool2d', (c) => new MaxPool2d(c.kernelSize as Size2, c as Pool2dLayerOptions));
registerLayer('AvgPool2d', (c) => new AvgPool2d(c.kernelSize as Size2, c as AvgPool2dLayerOptions));
registerLayer('AdaptiveAvgPool2d', (c) => new AdaptiveAvgPool2d((c.outputSize ?? 1) as Size2));
registerLayer('GlobalAvgPool2d', () => new GlobalAvgPool2d());
