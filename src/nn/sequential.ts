// Sequential: layers applied in order, as PyTorch's nn.Sequential (children named '0', '1', ...;
// indexable: seq[0], seq.at(-1)). A Linear, Conv2d or BatchNorm2d followed directly by a ReLU runs as one
// fused kernel call (the same result, one pass less), so `new Linear(784, 256), new ReLU()` costs what
// `new Linear(784, 256, { activation: 'relu' })` does. BatchNorm2d, ReLU, MaxPool2d run as one op, and
// with the Conv2d before them as one op too (conv2dBatchNorm2dReluMaxPool2d: a first block computes no
// full-size activation at all).
import type { Tensor } from '../tensor/tensor';
import { Module } from './module';
import { Linear, ReLU } from './layers';
import { Conv2d } from './conv';
import { BatchNorm2d } from './batchnorm2d';
import { MaxPool2d } from './pool';
import { fromConfig, registerLayer, toConfig, type LayerConfig } from './config';
import { DTypeError, FormatError, checkInt, describe } from '../errors';

export class Sequential extends Module {
  [index: number]: Module;
  private readonly layers: Module[] = [];
  /**
   * Per layer: 1 = run alone, 2 = fused with the ReLU after it (Linear, Conv2d, BatchNorm2d), 3 = a
   * BatchNorm2d fused with the ReLU and MaxPool2d after it, 4 = a Conv2d fused with the BatchNorm2d,
   * ReLU and MaxPool2d after it, 0 = already run (by a fused layer).
   */
  private plan: number[] | null = null;

  constructor(...layers: Module[]) {
    super();
    for (const l of layers) this.add(l);
  }

  /** Appends a layer; returns this. */
  add(layer: Module): this {
    if (!(layer instanceof Module)) throw new DTypeError(`Sequential.add: expected a Module, got ${describe(layer)}`);
    const i = this.layers.length;
    this.registerModule(String(i), layer);
    this.layers.push(layer);
    Object.defineProperty(this, i, { get: () => this.layers[i], enumerable: false, configurable: true });
    this.plan = null;
    return this;
  }

  /** The layer at index i (negative counts from the end). */
  at(i: number): Module {
    const n = this.layers.length;
    checkInt("Sequential.at: argument 'index'", i, -n, n - 1);
    return this.layers[i < 0 ? i + n : i];
  }

  get length(): number {
    return this.layers.length;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.layers[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    const plan = (this.plan ??= this.makePlan());
    const layers = this.layers;
    for (let i = 0; i < layers.length; i++) {
      const step = plan[i];
      if (step === 2) x = (layers[i] as Linear | Conv2d | BatchNorm2d).forwardFused(x, true);
      else if (step === 3) x = (layers[i] as BatchNorm2d).forwardReluMaxPool(x, layers[i + 2] as MaxPool2d);
      else if (step === 4) x = (layers[i + 1] as BatchNorm2d).forwardAfterConvReluMaxPool(x, layers[i] as Conv2d, layers[i + 3] as MaxPool2d);
      else if (step === 1) x = layers[i].forward(x);
    }
    return x;
  }

  private makePlan(): number[] {
    const plan = this.layers.map(() => 1);
    const is = (i: number, cls: unknown) => this.layers[i].constructor === cls;
    for (let i = 0; i + 3 < this.layers.length; i++) {
      if (is(i, Conv2d) && (this.layers[i] as Conv2d).activation === null && is(i + 1, BatchNorm2d) && is(i + 2, ReLU) && is(i + 3, MaxPool2d)) {
        plan.fill(0, i, i + 4);
        plan[i] = 4;
        i += 3;
      }
    }
    for (let i = 0; i + 2 < this.layers.length; i++) {
      const [a, b, c] = [this.layers[i], this.layers[i + 1], this.layers[i + 2]];
      if (plan[i] === 1 && a.constructor === BatchNorm2d && b.constructor === ReLU && c.constructor === MaxPool2d) {
        plan[i] = 3;
        plan[i + 1] = 0;
        plan[i + 2] = 0;
      }
    }
    for (let i = 0; i + 1 < this.layers.length; i++) {
      const a = this.layers[i], b = this.layers[i + 1];
      const fusable =
        ((a.constructor === Linear || a.constructor === Conv2d) && (a as Linear | Conv2d).activation === null) ||
        a.constructor === BatchNorm2d;
      if (plan[i] === 1 && fusable && b.constructor === ReLU) {
        plan[i] = 2;
        plan[i + 1] = 0;
      }
    }
    return plan;
  }

  config(): Record<string, unknown> {
    return { layers: this.layers.map(toConfig) };
  }
}

registerLayer('Sequential', (c) => {
  const layers = c.layers;
  if (layers !== undefined && !Array.isArray(layers)) {
    throw new FormatError(`fromConfig: 'layers' of a Sequential must be an array, got ${describe(layers)}`);
  }
  const seq = new Sequential();
  for (const l of (layers ?? []) as LayerConfig[]) seq.add(fromConfig(l));
  return seq;
});

