// Initialisers (in place, seeded), after torch.nn.init. Each takes { seed } for a fresh generator or
// { generator } to draw from one (a model built from one seed gets reproducible weights); without
// either the global generator is used (see manualSeed).
import { Tensor, shapeString } from '../tensor/tensor';
import { Generator, generatorFor } from '../tensor/random';
import { DTypeError, ShapeError, ValueError, checkFinite, describe } from '../errors';

export interface InitOptions {
  seed?: number;
  generator?: Generator;
}

export type FanMode = 'fanIn' | 'fanOut';
export type Nonlinearity = 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'selu';

function gen(opts: InitOptions): Generator {
  if (opts.generator !== undefined) {
    if (!(opts.generator instanceof Generator)) throw new DTypeError(`init: option 'generator' must be a Generator, got ${describe(opts.generator)}`);
    return opts.generator;
  }
  return generatorFor(opts.seed);
}

function checkT(where: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) throw new DTypeError(`${where}: argument 'tensor' must be a Tensor, got ${describe(t)}`);
  return t;
}

/** fanIn and fanOut of a weight [out, in, ...kernel] (PyTorch's convention). */
export function calculateFans(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) throw new ShapeError(`init: fan in and fan out need at least 2 dimensions, got shape ${shapeString(t.shape)}`);
  let receptive = 1;
  for (let i = 2; i < t.ndim; i++) receptive *= t.shape[i];
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leakyRelu': {
      const a = param ?? 0.01;
      return Math.sqrt(2 / (1 + a * a));
    }
    case 'selu': return 3 / 4;
    default: throw new ValueError(`calculateGain: unknown nonlinearity ${describe(nonlinearity)}`);
  }
}

export function uniform_(t: Tensor, low = 0, high = 1, opts: InitOptions = {}): Tensor {
  checkT('uniform_', t);
  checkFinite("uniform_: argument 'low'", low);
  checkFinite("uniform_: argument 'high'", high);
  if (!(high >= low)) throw new ValueError(`uniform_: 'high' must be >= 'low', got low=${low}, high=${high}`);
  const g = gen(opts), d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = low + (high - low) * g.uniform();
  return t;
}

export function normal_(t: Tensor, mean = 0, std = 1, opts: InitOptions = {}): Tensor {
  checkT('normal_', t);
  checkFinite("normal_: argument 'mean'", mean);
  checkFinite("normal_: argument 'std'", std);
  if (std < 0) throw new ValueError(`normal_: 'std' must be >= 0, got ${std}`);
  const g = gen(opts), d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = mean + std * g.normal();
  return t;
}

export function zeros_(t: Tensor): Tensor {
  return checkT('zeros_', t).fill_(0);
}

export function ones_(t: Tensor): Tensor {
  return checkT('ones_', t).fill_(1);
}

export function constant_(t: Tensor, value: number): Tensor {
  return checkT('constant_', t).fill_(checkFinite("constant_: argument 'value'", value));
}

export interface KaimingOptions extends InitOptions {
  /** The negative slope of the rectifier after this layer (leakyRelu); PyTorch's Linear uses sqrt(5). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

function kaimingStd(where: string, t: Tensor, opts: KaimingOptions): number {
  const { fanIn, fanOut } = calculateFans(t);
  const mode = opts.mode ?? 'fanIn';
  if (mode !== 'fanIn' && mode !== 'fanOut') throw new ValueError(`${where}: option 'mode' must be 'fanIn' or 'fanOut', got ${describe(mode)}`);
  const fan = mode === 'fanIn' ? fanIn : fanOut;
  if (fan === 0) throw new ShapeError(`${where}: cannot initialise a tensor with a zero fan (shape ${shapeString(t.shape)})`);
  const gain = calculateGain(opts.nonlinearity ?? 'leakyRelu', opts.a ?? 0);
  return gain / Math.sqrt(fan);
}

/** He/Kaiming uniform: U(-b, b) with b = gain * sqrt(3 / fan). */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  checkT('kaimingUniform_', t);
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform_', t, opts);
  return uniform_(t, -bound, bound, opts);
}

/** He/Kaiming normal: N(0, std^2) with std = gain / sqrt(fan). */
export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  checkT('kaimingNormal_', t);
  return normal_(t, 0, kaimingStd('kaimingNormal_', t, opts), opts);
}

export interface XavierOptions extends InitOptions {
  gain?: number;
}

/** Glorot/Xavier uniform: U(-b, b) with b = gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, opts: XavierOptions = {}): Tensor {
  checkT('xavierUniform_', t);
  const { fanIn, fanOut } = calculateFans(t);
  const bound = (opts.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound, opts);
}

/** Glorot/Xavier normal: N(0, std^2) with std = gain * sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, opts: XavierOptions = {}): Tensor {
  checkT('xavierNormal_', t);
  const { fanIn, fanOut } = calculateFans(t);
  return normal_(t, 0, (opts.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut)), opts);
}

// Names without the trailing underscore, as Keras and the issue spell them.
export {
  uniform_ as uniform, normal_ as normal, zeros_ as zeros, ones_ as ones, constant_ as constant,
  kaimingUniform_ as kaimingUniform, kaimingNormal_ as kaimingNormal, xavierUniform_ as xavierUniform,
  xavierNormal_ as xavierNormal,
};
