// Splits for model evaluation: k folds (stratified by class when the targets are class ids) or one
// holdout split. Splits are index lists drawn once per search from its seed, so every trial is
// scored on the same folds and scores compare fairly.
import { Generator } from '../tensor/random';
import type { Tensor } from '../tensor/tensor';
import { ValueError, checkInt } from '../errors';

export interface Split {
  train: Int32Array;
  val: Int32Array;
}

/** Class ids of y when it holds them ([N] of small non-negative integers), else undefined. */
export function classIds(y: Tensor): Int32Array | undefined {
  if (y.ndim !== 1) return undefined;
  const out = new Int32Array(y.size);
  for (let i = 0; i < y.size; i++) {
    const v = y.data[i];
    if (!Number.isInteger(v) || v < 0 || v > 65535) return undefined;
    out[i] = v;
  }
  return out;
}

/** Sample indices in a seeded order; with labels, grouped so that dealing them out round-robin stratifies. */
function dealingOrder(n: number, labels: Int32Array | undefined, rng: Generator): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  rng.shuffle(order);
  if (!labels) return order;
  // A stable sort by class after the shuffle: each class's samples in random order, classes one after
  // another. Dealing position p to fold p % k then gives every fold an equal share of each class.
  return Int32Array.from(Array.from(order).sort((a, b) => labels[a] - labels[b]));
}

/** k folds: fold i validates on its share and trains on the rest. */
export function kFold(n: number, k: number, options: { labels?: Int32Array; seed?: number } = {}): Split[] {
  checkInt("cross-validation: option 'cv' (folds)", k, 2);
  if (k > n) throw new ValueError(`cross-validation: option 'cv' asks for ${k} folds but the data has only ${n} samples (need cv <= ${n})`);
  const order = dealingOrder(n, options.labels, new Generator(options.seed ?? 0));
  const fold = new Int32Array(n);
  order.forEach((idx, p) => (fold[idx] = p % k));
  const splits: Split[] = [];
  for (let f = 0; f < k; f++) {
    const train: number[] = [];
    const val: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? val : train).push(i);
    splits.push({ train: Int32Array.from(train), val: Int32Array.from(val) });
  }
  return splits;
}

/** One split with `fraction` of the samples held out for validation (stratified when labels are given). */
export function holdout(n: number, fraction: number, options: { labels?: Int32Array; seed?: number } = {}): Split {
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction < 1)) {
    throw new ValueError(`holdout: option 'holdout' must be a fraction in (0, 1), got ${String(fraction)}`);
  }
  const nVal = Math.round(n * fraction);
  if (nVal < 1 || nVal >= n) throw new ValueError(`holdout: a fraction of ${fraction} of ${n} samples leaves ${nVal} for validation and ${n - nVal} for training; both need at least one`);
  const order = dealingOrder(n, options.labels, new Generator(options.seed ?? 0));
  // Every step-th sample of the class-grouped order is held out: the classes keep their shares.
  const isVal = new Uint8Array(n);
  for (let j = 0; j < nVal; j++) isVal[order[Math.floor((j * n) / nVal)]] = 1;
  const train: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < n; i++) (isVal[i] ? val : train).push(i);
  return { train: Int32Array.from(train), val: Int32Array.from(val) };
}
