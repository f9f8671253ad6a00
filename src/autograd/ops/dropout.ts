// Inverted dropout on the backend's counter-based mask: the mask is a hash of (seed, index), so
// backward applies the same call to the gradient and nothing is stored.
import { Tensor } from '../../tensor/tensor';
import { record } from '../engine';
import { backend } from '../../backend';
import { globalGenerator, type Generator } from '../../tensor/random';
import { DTypeError, ValueError, checkInt, describe } from '../../errors';

export interface DropoutOptions {
  /** Identity when false (eval mode). Default true. */
  training?: boolean;
  /** The mask's 32-bit seed; drawn from `generator` (or the global one) when omitted. */
  seed?: number;
  generator?: Generator;
}

export function checkDropoutP(where: string, p: unknown): number {
  if (typeof p !== 'number') throw new DTypeError(`${where} must be a number, got ${describe(p)}`);
  if (!(p >= 0 && p <= 1)) throw new ValueError(`${where} must be in [0, 1], got ${p}`);
  return p;
}

export function dropout(x: Tensor, p = 0.5, opts: DropoutOptions = {}): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`dropout: argument 'input' must be a Tensor, got ${describe(x)}`);
  checkDropoutP("dropout: argument 'p'", p);
  if (opts.training === false || p === 0) return x;
  const seed = opts.seed !== undefined
    ? checkInt("dropout: option 'seed'", opts.seed, 0, 4294967295)
    : (opts.generator ?? globalGenerator).nextUint32();
  const be = backend();
  const out = new Float32Array(x.size);
  be.dropout(x.data, out, x.size, p, seed);
  return record(new Tensor(out, x.shape), 'dropout', [x], (g) => {
    const gx = new Float32Array(g.length);
    be.dropout(g, gx, g.length, p, seed);
    return [gx];
  });
}
