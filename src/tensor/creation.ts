// Creation helpers: tensor(), zeros, ones, full, arange, rand, randn (seedable).
import { Tensor, shapeSize, type Shape } from './tensor';
import { generatorFor } from './random';
import { DTypeError, ShapeError, ValueError, checkFinite, describe } from '../errors';

export interface CreateOptions {
  requiresGrad?: boolean;
}

export interface RandomOptions extends CreateOptions {
  /** A seed makes the draw reproducible; without one the global generator (manualSeed) is used. */
  seed?: number;
}

/** Flattens nested number arrays, checking they are rectangular; returns values and shape. */
function flattenNested(value: unknown): { values: number[]; shape: number[] } {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const values: number[] = [];
  const walk = (v: unknown, dim: number) => {
    if (dim === shape.length) {
      if (typeof v !== 'number') throw new DTypeError(`tensor: elements must be numbers, got ${describe(v)}`);
      values.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new ShapeError(`tensor: nested arrays must be rectangular; expected length ${shape[dim]} at depth ${dim}, got ${describe(v)}`);
    }
    for (const x of v) walk(x, dim + 1);
  };
  walk(value, 0);
  return { values, shape };
}

/**
 * A tensor from nested arrays, a number, or a typed array (with a shape; a Float32Array is used
 * without copying).
 */
export function tensor(value: number | number[] | any[] | ArrayLike<number>, shape?: Shape, opts: CreateOptions = {}): Tensor {
  if (typeof value === 'number') return new Tensor(new Float32Array([value]), shape ?? [], opts.requiresGrad);
  if (ArrayBuffer.isView(value)) {
    const data = value instanceof Float32Array ? value : Float32Array.from(value as ArrayLike<number>);
    return new Tensor(data, shape ?? [data.length], opts.requiresGrad);
  }
  if (!Array.isArray(value)) throw new DTypeError(`tensor: expected a number, nested arrays or a typed array, got ${describe(value)}`);
  const { values, shape: inferred } = flattenNested(value);
  const data = Float32Array.from(values);
  if (shape && shapeSize(shape, 'tensor: shape') !== data.length) {
    throw new ShapeError(`tensor: shape [${shape}] needs ${shapeSize(shape)} elements, got ${data.length}`);
  }
  return new Tensor(data, shape ?? inferred, opts.requiresGrad);
}

export function full(shape: Shape, value: number, opts: CreateOptions = {}): Tensor {
  checkFinite("full: argument 'value'", value);
  const data = new Float32Array(shapeSize(shape, 'full: shape'));
  if (value !== 0) data.fill(value);
  return new Tensor(data, shape, opts.requiresGrad);
}

export function zeros(shape: Shape, opts: CreateOptions = {}): Tensor {
  return new Tensor(new Float32Array(shapeSize(shape, 'zeros: shape')), shape, opts.requiresGrad);
}

export function ones(shape: Shape, opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}

export function zerosLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return zeros(t.shape, opts);
}

export function onesLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return ones(t.shape, opts);
}

/** [start, end) by step, like torch.arange; arange(n) is [0, n). */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  checkFinite("arange: argument 'start'", start);
  checkFinite("arange: argument 'end'", end);
  checkFinite("arange: argument 'step'", step);
  if (step === 0) throw new ValueError("arange: argument 'step' must be non-zero, got 0");
  const n = Math.max(0, Math.ceil((end - start) / step));
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data, [n], opts.requiresGrad);
}

/** Normal samples with the given mean and standard deviation. */
export function randn(shape: Shape, opts: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  const mean = checkFinite("randn: option 'mean'", opts.mean ?? 0);
  const std = checkFinite("randn: option 'std'", opts.std ?? 1);
  if (std < 0) throw new ValueError(`randn: option 'std' must be >= 0, got ${std}`);
  const g = generatorFor(opts.seed);
  const data = new Float32Array(shapeSize(shape, 'randn: shape'));
  for (let i = 0; i < data.length; i++) data[i] = mean + std * g.normal();
  return new Tensor(data, shape, opts.requiresGrad);
}

/** Uniform samples in [low, high). */
export function rand(shape: Shape, opts: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  const low = checkFinite("rand: option 'low'", opts.low ?? 0);
  const high = checkFinite("rand: option 'high'", opts.high ?? 1);
  if (!(high > low)) throw new ValueError(`rand: option 'high' must be greater than 'low', got low=${low}, high=${high}`);
  const g = generatorFor(opts.seed);
  const data = new Float32Array(shapeSize(shape, 'rand: shape'));
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * g.uniform();
  return new Tensor(data, shape, opts.requiresGrad);
}
