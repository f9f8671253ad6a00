// Finite-difference gradient checks. The analytic gradient of sum(w * f(inputs)) (w a fixed random
// weight, so every output element matters) is compared with central differences; the loss is
// accumulated in float64 from the float32 outputs, and the step actually taken is measured after
// float32 rounding of the perturbed input.
import { expect } from 'vitest';
import * as fg from '../../src';
import type { Tensor } from '../../src';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Indices of the inputs to check (all that require grad by default). */
  check?: number[];
}

function weighted(out: Tensor, w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < out.size; i++) s += out.data[i] * w[i];
  return s;
}

export function gradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): void {
  const eps = opts.eps ?? 1e-2;
  const atol = opts.atol ?? 2e-3;
  const rtol = opts.rtol ?? 2e-2;
  const out0 = f(...inputs);
  const gen = new fg.Generator(123);
  const w = new Float64Array(out0.size);
  for (let i = 0; i < w.length; i++) w[i] = gen.uniform() * 2 - 1;
  for (const x of inputs) x.grad = null;
  out0.backward(fg.tensor(Float32Array.from(w), out0.shape));
  const which = opts.check ?? inputs.map((_, i) => i).filter((i) => inputs[i].requiresGrad);
  for (const idx of which) {
    const x = inputs[idx];
    expect(x.grad, `input ${idx} has a gradient`).not.toBeNull();
    const analytic = x.grad!.data;
    for (let j = 0; j < x.size; j++) {
      const orig = x.data[j];
      x.data[j] = orig + eps;
      const hi = x.data[j];
      const fp = fg.noGrad(() => weighted(f(...inputs), w));
      x.data[j] = orig - eps;
      const lo = x.data[j];
      const fm = fg.noGrad(() => weighted(f(...inputs), w));
      x.data[j] = orig;
      const numeric = (fp - fm) / (hi - lo);
      const a = analytic[j];
      const tol = atol + rtol * Math.max(Math.abs(numeric), Math.abs(a));
      if (!(Math.abs(a - numeric) <= tol)) {
        throw new Error(`gradcheck: input ${idx}, element ${j}: analytic ${a}, numeric ${numeric} (tol ${tol})`);
      }
    }
  }
}

/** A random tensor requiring grad, values in [lo, hi). */
export function param(shape: number[], seed: number, lo = -2, hi = 2): Tensor {
  return fg.rand(shape, { seed, low: lo, high: hi, requiresGrad: true });
}
