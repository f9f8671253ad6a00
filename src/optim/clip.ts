// Gradient clipping, after torch.nn.utils.clip_grad_norm_ / clip_grad_value_. The global norm is one
// native pass (float64 accumulation) over the gradients; when the parameters' gradients lie back to
// back in one optimizer's flat buffer, that pass is over one contiguous span.
import { Tensor } from '../tensor/tensor';
import { backend } from '../backend';
import { DTypeError, ValueError, describe } from '../errors';

function gradsOf(where: string, params: Tensor[] | Tensor | Iterable<Tensor>): Float32Array[] {
  const list = params instanceof Tensor ? [params] : Array.isArray(params) ? params : params && typeof (params as Iterable<Tensor>)[Symbol.iterator] === 'function' ? [...params] : null;
  if (list === null) throw new DTypeError(`${where}: params must be a Tensor or an array of Tensors, got ${describe(params)}`);
  const out: Float32Array[] = [];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new DTypeError(`${where}: params[${i}] must be a Tensor, got ${describe(p)}`);
    if (p.grad) out.push(p.grad.data);
  });
  return coalesce(out);
}

/**
 * Merges views that lie back to back in the same ArrayBuffer into one span (an optimizer's flat
 * gradient buffer becomes one Float32Array), so the native pass has one long loop. A view that
 * overlaps another is kept separate (each element must be counted once per view, as PyTorch does).
 */
export function coalesce(views: Float32Array[]): Float32Array[] {
  if (views.length <= 1) return views;
  const out: Float32Array[] = [];
  let cur = views[0];
  for (let i = 1; i < views.length; i++) {
    const v = views[i];
    if (v.buffer === cur.buffer && v.byteOffset === cur.byteOffset + cur.byteLength) {
      cur = new Float32Array(cur.buffer, cur.byteOffset, cur.length + v.length);
    } else {
      out.push(cur);
      cur = v;
    }
  }
  out.push(cur);
  return out;
}

export interface ClipGradNormOptions {
  /** Throw when the total norm is NaN or Infinity (gradients left unchanged). Default false. */
  errorIfNonfinite?: boolean;
}

/**
 * Scales the gradients in place so their global normType-norm is at most maxNorm; returns the total
 * norm before clipping (PyTorch: clip_coef = maxNorm / (norm + 1e-6), applied when < 1).
 */
export function clipGradNorm(params: Tensor[] | Tensor | Iterable<Tensor>, maxNorm: number, normType: number = 2, options: ClipGradNormOptions = {}): number {
  const where = 'clipGradNorm';
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0) || !Number.isFinite(maxNorm)) throw new ValueError(`${where}: maxNorm must be a finite number >= 0, got ${describe(maxNorm)}`);
  if (typeof normType !== 'number' || !(normType > 0)) throw new ValueError(`${where}: normType must be a number > 0 (or Infinity), got ${describe(normType)}`);
  const grads = gradsOf(where, params);
  if (grads.length === 0) return 0;
  const be = backend();
  const total = be.gradNorm(grads.length === 1 ? grads[0] : grads, normType);
  if (!Number.isFinite(total) && options.errorIfNonfinite) {
    throw new ValueError(`${where}: the total norm of the gradients is ${total}; gradients left unchanged`);
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) be.scaleInPlace(grads.length === 1 ? grads[0] : grads, Math.fround(coef));
  return total;
}

/** Clamps every gradient element into [-clipValue, clipValue], in place. */
export function clipGradValue(params: Tensor[] | Tensor | Iterable<Tensor>, clipValue: number): void {
  const where = 'clipGradValue';
  if (typeof clipValue !== 'number' || !(clipValue >= 0) || !Number.isFinite(clipValue)) throw new ValueError(`${where}: clipValue must be a finite number >= 0, got ${describe(clipValue)}`);
  const grads = gradsOf(where, params);
  if (grads.length === 0) return;
  backend().clampInPlace(grads.length === 1 ? grads[0] : grads, -clipValue, clipValue);
}
