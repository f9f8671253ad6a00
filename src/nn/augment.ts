// Data-augmentation layers after Keras's RandomFlip and RandomTranslation: put them first in a model;
// in training each sample of a batch gets its own random flip or shift, in eval they pass the input
// through untouched (so evaluation, predict and a saved model see the images as they are). Inputs
// are NCHW images [batch, channels, height, width]; every channel of a sample moves the same way.
import { Tensor, shapeString } from '../tensor/tensor';
import { Generator, globalGenerator } from '../tensor/random';
import { record } from '../autograd/engine';
import { Module } from './module';
import { registerLayer } from './config';
import { DTypeError, ShapeError, ValueError, checkFinite, checkInt, describe } from '../errors';

export type FlipMode = 'horizontal' | 'vertical' | 'horizontalAndVertical';
export type FillMode = 'reflect' | 'wrap' | 'nearest' | 'constant';

export interface AugmentLayerOptions {
  /** Seeds this layer's own generator (the global generator otherwise). */
  seed?: number;
}

export interface RandomTranslationOptions extends AugmentLayerOptions {
  /**
   * How pixels shifted in from outside are filled (Keras's names): 'reflect' (default, d c b a | a b c d),
   * 'wrap' (a b c d | a b c d), 'nearest' (a a a a | a b c d) or 'constant' (fillValue).
   */
  fillMode?: FillMode;
  /** The value of pixels shifted in when fillMode is 'constant' (default 0). */
  fillValue?: number;
}

function checkImages(where: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`${where}: input must be a Tensor, got ${describe(x)}`);
  if (x.ndim !== 4) throw new ShapeError(`${where}: input must be 4-D [batch, channels, height, width], got shape ${shapeString(x.shape)}`);
  return x;
}

function checkSeed(where: string, seed: unknown): number | undefined {
  return seed === undefined ? undefined : checkInt(`${where}: option 'seed'`, seed, 0);
}

/**
 * out[b, c, i, j] = x[b, c, rows[b*h + i], cols[b*w + j]], or fillValue where either index is -1.
 * The backward adds each output gradient into the input pixel it came from.
 */
function remap(name: string, x: Tensor, rows: Int32Array, cols: Int32Array, fillValue: number): Tensor {
  const [n, c, h, w] = x.shape;
  const src = x.data;
  const out = new Float32Array(x.size);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const plane = (b * c + ch) * h * w;
      for (let i = 0; i < h; i++) {
        const r = rows[b * h + i];
        const o = plane + i * w;
        if (r < 0) {
          out.fill(fillValue, o, o + w);
          continue;
        }
        const s = plane + r * w;
        for (let j = 0; j < w; j++) {
          const col = cols[b * w + j];
          out[o + j] = col < 0 ? fillValue : src[s + col];
        }
      }
    }
  }
  return record(new Tensor(out, x.shape), name, [x], (g) => {
    const gx = new Float32Array(x.size);
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        const plane = (b * c + ch) * h * w;
        for (let i = 0; i < h; i++) {
          const r = rows[b * h + i];
          if (r < 0) continue;
          const o = plane + i * w, s = plane + r * w;
          for (let j = 0; j < w; j++) {
            const col = cols[b * w + j];
            if (col >= 0) gx[s + col] += g[o + j];
          }
        }
      }
    }
    return [gx];
  });
}

/** The source index of position `p` shifted by `shift` in a line of `len` pixels (-1: fill). */
function sourceIndex(p: number, shift: number, len: number, mode: FillMode): number {
  const s = p - shift;
  if (s >= 0 && s < len) return s;
  switch (mode) {
    case 'constant': return -1;
    case 'nearest': return s < 0 ? 0 : len - 1;
    case 'wrap': return ((s % len) + len) % len;
    case 'reflect': {
      // Mirror about the edges, the edge pixel repeated (d c b a | a b c d | d c b a): period 2 len.
      const m = ((s % (2 * len)) + 2 * len) % (2 * len);
      return m < len ? m : 2 * len - 1 - m;
    }
  }
}

/**
 * Flips each training sample left-right ('horizontal'), top-bottom ('vertical') or both
 * independently ('horizontalAndVertical', Keras's default), each with probability 1/2.
 */
export class RandomFlip extends Module {
  readonly mode: FlipMode;
  private readonly seed: number | undefined;
  private readonly generator: Generator | undefined;

  constructor(mode: FlipMode = 'horizontalAndVertical', opts: AugmentLayerOptions = {}) {
    super();
    if (mode !== 'horizontal' && mode !== 'vertical' && mode !== 'horizontalAndVertical') {
      throw new ValueError(`RandomFlip: argument 'mode' must be 'horizontal', 'vertical' or 'horizontalAndVertical', got ${describe(mode)}`);
    }
    this.mode = mode;
    this.seed = checkSeed('RandomFlip', opts.seed);
    this.generator = this.seed === undefined ? undefined : new Generator(this.seed);
  }

  forward(x: Tensor): Tensor {
    checkImages('RandomFlip', x);
    if (!this.training) return x;
    const [n, , h, w] = x.shape;
    const g = this.generator ?? globalGenerator;
    const rows = new Int32Array(n * h), cols = new Int32Array(n * w);
    const horizontal = this.mode !== 'vertical', vertical = this.mode !== 'horizontal';
    for (let b = 0; b < n; b++) {
      const flipW = horizontal && g.uniform() < 0.5;
      const flipH = vertical && g.uniform() < 0.5;
      for (let i = 0; i < h; i++) rows[b * h + i] = flipH ? h - 1 - i : i;
      for (let j = 0; j < w; j++) cols[b * w + j] = flipW ? w - 1 - j : j;
    }
    return remap('randomFlip', x, rows, cols, 0);
  }

  config(): Record<string, unknown> {
    return this.seed === undefined ? { mode: this.mode } : { mode: this.mode, seed: this.seed };
  }
}

function checkFactor(where: string, f: unknown): [number, number] {
  const pair = typeof f === 'number' ? [-Math.abs(f), Math.abs(f)] : f;
  if (!Array.isArray(pair) || pair.length !== 2 || pair.some((v) => typeof v !== 'number')) {
    throw new DTypeError(`${where} must be a number or a [lower, upper] pair of numbers, got ${describe(f)}`);
  }
  const [lo, hi] = pair as [number, number];
  checkFinite(`${where} (lower)`, lo);
  checkFinite(`${where} (upper)`, hi);
  if (lo < -1 || hi > 1 || lo > hi) throw new ValueError(`${where} must lie in [-1, 1] with lower <= upper, got [${lo}, ${hi}]`);
  return [lo, hi];
}

/**
 * Shifts each training sample by a random whole number of pixels: vertically by one drawn uniformly
 * from [round(lower * height), round(upper * height)] (heightFactor f alone means [-f, f]), and
 * horizontally likewise with widthFactor. Keras shifts by fractions of a pixel with bilinear
 * interpolation; whole pixels keep the images sharp (as torchvision's RandomCrop with padding does).
 */
export class RandomTranslation extends Module {
  readonly heightFactor: [number, number];
  readonly widthFactor: [number, number];
  readonly fillMode: FillMode;
  readonly fillValue: number;
  private readonly seed: number | undefined;
  private readonly generator: Generator | undefined;

  constructor(heightFactor: number | [number, number], widthFactor: number | [number, number], opts: RandomTranslationOptions = {}) {
    super();
    this.heightFactor = checkFactor("RandomTranslation: argument 'heightFactor'", heightFactor);
    this.widthFactor = checkFactor("RandomTranslation: argument 'widthFactor'", widthFactor);
    const mode = opts.fillMode ?? 'reflect';
    if (mode !== 'reflect' && mode !== 'wrap' && mode !== 'nearest' && mode !== 'constant') {
      throw new ValueError(`RandomTranslation: option 'fillMode' must be 'reflect', 'wrap', 'nearest' or 'constant', got ${describe(mode)}`);
    }
    this.fillMode = mode;
    this.fillValue = checkFinite("RandomTranslation: option 'fillValue'", opts.fillValue ?? 0);
    this.seed = checkSeed('RandomTranslation', opts.seed);
    this.generator = this.seed === undefined ? undefined : new Generator(this.seed);
  }

  forward(x: Tensor): Tensor {
    checkImages('RandomTranslation', x);
    if (!this.training) return x;
    const [n, , h, w] = x.shape;
    const g = this.generator ?? globalGenerator;
    const [dyLo, dyHi] = this.heightFactor.map((f) => Math.round(f * h));
    const [dxLo, dxHi] = this.widthFactor.map((f) => Math.round(f * w));
    const rows = new Int32Array(n * h), cols = new Int32Array(n * w);
    for (let b = 0; b < n; b++) {
      const dy = dyLo + g.int(dyHi - dyLo + 1);
      const dx = dxLo + g.int(dxHi - dxLo + 1);
      for (let i = 0; i < h; i++) rows[b * h + i] = sourceIndex(i, dy, h, this.fillMode);
      for (let j = 0; j < w; j++) cols[b * w + j] = sourceIndex(j, dx, w, this.fillMode);
    }
    return remap('randomTranslation', x, rows, cols, this.fillValue);
  }

  config(): Record<string, unknown> {
    return {
      heightFactor: this.heightFactor, widthFactor: this.widthFactor, fillMode: this.fillMode, fillValue: this.fillValue,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }
}

registerLayer('RandomFlip', (c) => new RandomFlip(c.mode as FlipMode, c as AugmentLayerOptions));
registerLayer('RandomTranslation', (c) => new RandomTranslation(
  c.heightFactor as [number, number], c.widthFactor as [number, number], c as RandomTranslationOptions,
));
