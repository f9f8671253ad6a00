// Activations: relu, leakyRelu, elu, gelu (exact erf or tanh approximation, as PyTorch's
// approximate='none'|'tanh'), sigmoid, tanh. Each backward reads the forward's input or output; no
// closures per element.
import { Tensor } from '../../tensor/tensor';
import { record } from '../engine';
import { ValueError, checkFinite } from '../../errors';
import { checkTensor } from './unary';

export type GeluApproximate = 'none' | 'tanh';

declare module '../../tensor/tensor' {
  interface Tensor {
    relu(): Tensor;
    /** x for x > 0, slope * x otherwise (slope 0.01 by default, as PyTorch). */
    leakyRelu(negativeSlope?: number): Tensor;
    /** x for x > 0, alpha * (exp(x) - 1) otherwise. */
    elu(alpha?: number): Tensor;
    /** x * Phi(x); approximate 'tanh' uses the tanh formula. */
    gelu(approximate?: GeluApproximate): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
  }
}

export function relu(x: Tensor): Tensor {
  checkTensor('relu', x);
  const d = x.data, out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = d[i] > 0 ? d[i] : 0;
  return record(new Tensor(out, x.shape), 'relu', [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) gx[i] = out[i] > 0 ? g[i] : 0;
    return [gx];
  });
}

export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  checkTensor('leakyRelu', x);
  const s = checkFinite("leakyRelu: argument 'negativeSlope'", negativeSlope);
  const d = x.data, out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = d[i] > 0 ? d[i] : s * d[i];
  return record(new Tensor(out, x.shape), 'leakyRelu', [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) gx[i] = d[i] > 0 ? g[i] : s * g[i];
    return [gx];
  });
}

export function elu(x: Tensor, alpha = 1): Tensor {
  checkTensor('elu', x);
  const a = checkFinite("elu: argument 'alpha'", alpha);
  const d = x.data, out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = d[i] > 0 ? d[i] : a * Math.expm1(d[i]);
  return record(new Tensor(out, x.shape), 'elu', [x], (g) => {
    const gx = new Float32Array(g.length);
    // For x <= 0: d/dx alpha*(e^x - 1) = alpha*e^x = out + alpha.
    for (let i = 0; i < g.length; i++) gx[i] = d[i] > 0 ? g[i] : g[i] * (out[i] + a);
    return [gx];
  });
}

/**
 * The error function, Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7, under float32's
 * resolution near 1), odd-extended.
 */
export function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * ax);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return s * (1 - poly * Math.exp(-ax * ax));
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

export function gelu(x: Tensor, approximate: GeluApproximate = 'none'): Tensor {
  checkTensor('gelu', x);
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new ValueError(`gelu: argument 'approximate' must be 'none' or 'tanh', got ${String(approximate)}`);
  }
  const d = x.data, out = new Float32Array(d.length);
  if (approximate === 'none') {
    for (let i = 0; i < d.length; i++) out[i] = 0.5 * d[i] * (1 + erf(d[i] * SQRT1_2));
  } else {
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      out[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + GELU_C * v * v * v)));
    }
  }
  return record(new Tensor(out, x.shape), 'gelu', [x], (g) => {
    const gx = new Float32Array(g.length);
    if (approximate === 'none') {
      // d/dx x*Phi(x) = Phi(x) + x*phi(x).
      for (let i = 0; i < g.length; i++) {
        const v = d[i];
        const cdf = 0.5 * (1 + erf(v * SQRT1_2));
        gx[i] = g[i] * (cdf + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
      }
    } else {
      for (let i = 0; i < g.length; i++) {
        const v = d[i];
        const t = Math.tanh(SQRT_2_OVER_PI * (v + GELU_C * v * v * v));
        gx[i] = g[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_C * v * v));
      }
    }
    return [gx];
  });
}

export function sigmoid(x: Tensor): Tensor {
  checkTensor('sigmoid', x);
  const d = x.data, out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) {
    // Stable on both tails: exp of a non-positive number only.
    const v = d[i];
    if (v >= 0) out[i] = 1 / (1 + Math.exp(-v));
    else {
      const e = Math.exp(v);
      out[i] = e / (1 + e);
    }
  }
  return record(new Tensor(out, x.shape), 'sigmoid', [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) gx[i] = g[i] * out[i] * (1 - out[i]);
    return [gx];
  });
}

export function tanh(x: Tensor): Tensor {
  checkTensor('tanh', x);
  const d = x.data, out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.tanh(d[i]);
  return record(new Tensor(out, x.shape), 'tanh', [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) gx[i] = g[i] * (1 - out[i] * out[i]);
    return [gx];
  });
}

Tensor.prototype.relu = function (this: Tensor) { return relu(this); };
Tensor.prototype.leakyRelu = function (this: Tensor, s?: number) { return leakyRelu(this, s); };
Tensor.prototype.elu = function (this: Tensor, a?: number) { return elu(this, a); };
Tensor.prototype.gelu = function (this: Tensor, approximate?: GeluApproximate) { return gelu(this, approximate); };
Tensor.prototype.sigmoid = function (this: Tensor) { return sigmoid(this); };
Tensor.prototype.tanh = function (this: Tensor) { return tanh(this); };
