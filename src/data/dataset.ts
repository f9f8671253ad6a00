// A Dataset is a pair of tensors whose first axis counts samples: inputs x and targets y (class ids
// as a Float32 [N], one-hot rows, or regression targets). No per-sample objects: every operation
// below copies whole rows with typed-array set().
import { Tensor, shapeString } from '../tensor/tensor';
import { generatorFor } from '../tensor/random';
import { DTypeError, ShapeError, ValueError, checkFinite, describe } from '../errors';

export interface Dataset {
  x: Tensor;
  y: Tensor;
}

/** Checks a dataset's shape contract and returns its number of samples. */
export function checkDataset(where: string, ds: unknown): number {
  if (typeof ds !== 'object' || ds === null) throw new DTypeError(`${where} must be a dataset { x, y }, got ${describe(ds)}`);
  const { x, y } = ds as Dataset;
  if (!(x instanceof Tensor)) throw new DTypeError(`${where}: x must be a Tensor, got ${describe(x)}`);
  if (!(y instanceof Tensor)) throw new DTypeError(`${where}: y must be a Tensor, got ${describe(y)}`);
  if (x.ndim === 0 || y.ndim === 0) throw new ShapeError(`${where}: x and y need a first (sample) axis, got x ${shapeString(x.shape)}, y ${shapeString(y.shape)}`);
  if (x.shape[0] !== y.shape[0]) {
    throw new ShapeError(`${where}: x has ${x.shape[0]} samples, y has ${y.shape[0]} (shapes ${shapeString(x.shape)} and ${shapeString(y.shape)})`);
  }
  return x.shape[0];
}

/** Copies rows `indices[from..to)` of `src` (rows of `row` elements) into `dst` starting at row 0. */
export function gatherRows(src: Float32Array, row: number, indices: ArrayLike<number>, from: number, to: number, dst: Float32Array): void {
  for (let i = from, o = 0; i < to; i++, o += row) {
    const s = indices[i] * row;
    dst.set(src.subarray(s, s + row), o);
  }
}

function rowsOf(t: Tensor): number {
  return t.shape[0] === 0 ? 0 : t.size / t.shape[0];
}

/** The samples at `indices`, copied, in that order. */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const n = checkDataset('subset: argument \'dataset\'', ds);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    if (!Number.isInteger(k) || k < 0 || k >= n) throw new ValueError(`subset: index ${k} at position ${i} is out of range for ${n} samples`);
  }
  const take = (t: Tensor): Tensor => {
    const row = rowsOf(t);
    const out = new Float32Array(indices.length * row);
    gatherRows(t.data, row, indices, 0, indices.length, out);
    return new Tensor(out, [indices.length, ...t.shape.slice(1)]);
  };
  return { x: take(ds.x), y: take(ds.y) };
}

export interface SplitOptions {
  /** Seed of the shuffle (the global generator when omitted). */
  seed?: number;
  /** Keep each class's share equal in both parts (y must hold class ids [N]). */
  stratify?: boolean;
}

/**
 * Splits a dataset into { train, val } with `fraction` of the samples (rounded) in val, after a
 * seeded shuffle. With stratify, each class is split on its own, so class shares match.
 */
export function trainValSplit(ds: Dataset, fraction: number, opts: SplitOptions = {}): { train: Dataset; val: Dataset } {
  const n = checkDataset('trainValSplit: argument \'dataset\'', ds);
  checkFinite('trainValSplit: argument \'fraction\'', fraction);
  if (!(fraction > 0 && fraction < 1)) throw new ValueError(`trainValSplit: argument 'fraction' must be in (0, 1), got ${fraction}`);
  const g = generatorFor(opts.seed);
  const trainIdx: number[] = [];
  const valIdx: number[] = [];
  if (opts.stratify) {
    if (ds.y.ndim !== 1) throw new ShapeError(`trainValSplit: stratify needs class ids y of shape [N], got ${shapeString(ds.y.shape)}`);
    const byClass = new Map<number, number[]>();
    const y = ds.y.data;
    for (let i = 0; i < n; i++) {
      const c = y[i];
      if (!Number.isInteger(c)) throw new ValueError(`trainValSplit: stratify needs integer class ids, got ${c} at index ${i}`);
      let list = byClass.get(c);
      if (!list) byClass.set(c, (list = []));
      list.push(i);
    }
    for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
      const list = g.shuffle(byClass.get(c)!);
      const k = Math.round(list.length * fraction);
      for (let i = 0; i < list.length; i++) (i < k ? valIdx : trainIdx).push(list[i]);
    }
    // Keep the parts shuffled across classes, not grouped by class.
    g.shuffle(trainIdx);
    g.shuffle(valIdx);
  } else {
    const perm = g.shuffle(Array.from({ length: n }, (_, i) => i));
    const k = Math.round(n * fraction);
    for (let i = 0; i < n; i++) (i < k ? valIdx : trainIdx).push(perm[i]);
  }
  if (trainIdx.length === 0 || valIdx.length === 0) {
    throw new ValueError(`trainValSplit: fraction ${fraction} of ${n} samples leaves an empty part (train ${trainIdx.length}, val ${valIdx.length})`);
  }
  return { train: subset(ds, trainIdx), val: subset(ds, valIdx) };
}
