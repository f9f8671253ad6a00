// Elementwise maths: exp, log, sqrt, pow (number exponent), abs, clamp. Each a plain loop forward
// and a plain loop backward that reuses the forward's output where the derivative allows.
import { Tensor } from '../../tensor/tensor';
import { record } from '../engine';
import { DTypeError, ValueError, checkFinite, describe } from '../../errors';

declare module '../../tensor/tensor' {
  interface Tensor {
    exp(): Tensor;
    /** Natural logarithm. */
    log(): Tensor;
    sqrt(): Tensor;
    /** this ** exponent (a number). */
    pow(exponent: number): Tensor;
    abs(): Tensor;
    /** Limits values to [min, max] (either may be omitted); the gradient passes inside the range. */
    clamp(min?: number | null, max?: number | null): Tensor;
  }
}

export function checkTensor(op: string, x: unknown, name = 'x'): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`${op}: argument '${name}' must be a Tensor, got ${describe(x)}`);
  return x;
}

export function exp(x: Tensor): Tensor {
  checkTensor('exp', x);
  const d = x.data, out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.exp(d[i]);
  return record(new Tensor(out, x.shape), 'exp', [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) gx[i] = g[i] * out[i];
    return [gx];
  });
}

export function log(x: Tensor): Tensor {
  checkTensor('log', x);
  const d = x.data, out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.log(d[i]);
  return record(new Tensor(out, x.shape), 'log', [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) gx[i] = g[i] / d[i];
    return [gx];
  });
}

export function sqrt(x: Tensor): Tensor {
  checkTensor('sqrt', x);
  const d = x.data, out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.sqrt(d[i]);
  return record(new Tensor(out, x.shape), 'sqrt', [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) gx[i] = (0.5 * g[i]) / out[i];
    return [gx];
  });
}

export function pow(x: Tensor, exponent: number): Tensor {
  checkTensor('pow', x);
  const p = checkFinite("pow: argument 'exponent'", exponent);
  const d = x.data, out = new Float32Array(d.length);
  if (p === 2) for (let i = 0; i < d.length; i++) out[i] = d[i] * d[i];
  else for (let i = 0; i < d.length; i++) out[i] = Math.pow(d[i], p);
  return record(new Tensor(out, x.shape), 'pow', [x], (g) => {
    const gx = new Float32Array(g.length);
    if (p === 2) for (let i = 0; i < g.length; i++) gx[i] = 2 * d[i] * g[i];
    else if (p === 0) return [gx];
    else for (let i = 0; i < g.length; i++) gx[i] = p * Math.pow(d[i], p - 1) * g[i];
    return [gx];
  });
}

export function abs(x: Tensor): Tensor {
  checkTensor('abs', x);
  const d = x.data, out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.abs(d[i]);
  return record(new Tensor(out, x.shape), 'abs', [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) gx[i] = d[i] > 0 ? g[i] : d[i] < 0 ? -g[i] : 0;
    return [gx];
  });
}

export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  checkTensor('clamp', x);
  const lo = min === undefined || min === null ? -Infinity : checkNumber("clamp: argument 'min'", min);
  const hi = max === undefined || max === null ? Infinity : checkNumber("clamp: argument 'max'", max);
  if (lo === -Infinity && hi === Infinity) throw new ValueError('clamp: at least one of min and max must be given');
  if (lo > hi) throw new ValueError(`clamp: min must be <= max, got min=${lo}, max=${hi}`);
  const d = x.data, out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return record(new Tensor(out, x.shape), 'clamp', [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) gx[i] = d[i] >= lo && d[i] <= hi ? g[i] : 0;
    return [gx];
  });
}

function checkNumber(where: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new DTypeError(`${where} must be a number, got ${describe(v)}`);
  return v;
}

Tensor.prototype.exp = function (this: Tensor) { return exp(this); };
Tensor.prototype.log = function (this: Tensor) { return log(this); };
Tensor.prototype.sqrt = function (this: Tensor) { return sqrt(this); };
Tensor.prototype.pow = function (this: Tensor, e: number) { return pow(this, e); };
Tensor.prototype.abs = function (this: Tensor) { return abs(this); };
Tensor.prototype.clamp = function (this: Tensor, min?: number | null, max?: number | null) { return clamp(this, min, max); };
