// Classification metrics over class ids, after scikit-learn's definitions (zero_division = 0):
// a confusion matrix counted in one typed-array pass, and precision, recall, F1 per class and
// averaged (macro: unweighted mean over classes; weighted: mean weighted by support; micro: from the
// pooled counts, which for single-label problems equals accuracy).
import { Tensor, shapeString } from '../tensor/tensor';
import { DTypeError, ShapeError, ValueError, checkInt, describe } from '../errors';

/** Class ids as integers [N], scores [N, C] (argmax per row), or probabilities [N, 1] (>= 0.5 is 1). */
export type Labels = Tensor | ArrayLike<number>;

export type Average = 'macro' | 'micro' | 'weighted' | 'none';

export interface MetricOptions {
  /**
   * The number of classes; ids are 0..numClasses-1. When omitted: the largest id seen + 1, and
   * averages run over the classes present in yTrue or yPred (as scikit-learn without `labels`).
   */
  numClasses?: number;
}

/** Argmax of each row of a [n, cols] row-major array into out[0..n). One column: threshold at 0.5. */
export function argmaxRows(data: Float32Array, n: number, cols: number, out: Int32Array): void {
  if (cols === 1) {
    for (let i = 0; i < n; i++) out[i] = data[i] >= 0.5 ? 1 : 0;
    return;
  }
  for (let i = 0, o = 0; i < n; i++, o += cols) {
    let best = 0;
    let bv = data[o];
    for (let j = 1; j < cols; j++) {
      const v = data[o + j];
      if (v > bv) {
        bv = v;
        best = j;
      }
    }
    out[i] = best;
  }
}

/** Class ids from labels, checked to be non-negative integers. */
export function toClassIds(where: string, labels: Labels): Int32Array {
  if (labels instanceof Tensor) {
    if (labels.ndim === 2) {
      const [n, cols] = labels.shape;
      const out = new Int32Array(n);
      argmaxRows(labels.data, n, cols, out);
      return out;
    }
    if (labels.ndim !== 1) throw new ShapeError(`${where} must be class ids [N] or scores [N, C], got shape ${shapeString(labels.shape)}`);
    labels = labels.data;
  }
  if (typeof labels !== 'object' || labels === null || typeof (labels as ArrayLike<number>).length !== 'number') {
    throw new DTypeError(`${where} must be a Tensor or an array of class ids, got ${describe(labels)}`);
  }
  const a = labels as ArrayLike<number>;
  const out = new Int32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (!Number.isInteger(v) || v < 0) throw new ValueError(`${where} must hold non-negative integer class ids, got ${v} at index ${i}`);
    out[i] = v;
  }
  return out;
}

export class ConfusionMatrix {
  /** counts[t * numClasses + p]: samples of true class t predicted as p. */
  readonly counts: Float64Array;
  /** Whether the class set was given (averages then run over all classes). */
  readonly explicitClasses: boolean;

  constructor(readonly numClasses: number, explicitClasses = true) {
    this.counts = new Float64Array(numClasses * numClasses);
    this.explicitClasses = explicitClasses;
  }

  /** Adds n samples (ids must be in range; callers check). */
  add(trueIds: ArrayLike<number>, predIds: ArrayLike<number>, n = trueIds.length): void {
    const c = this.counts, k = this.numClasses;
    for (let i = 0; i < n; i++) c[trueIds[i] * k + predIds[i]]++;
  }

  /** Rows of true classes, columns of predicted classes. */
  toArray(): number[][] {
    const k = this.numClasses;
    return Array.from({ length: k }, (_, t) => Array.from(this.counts.subarray(t * k, t * k + k)));
  }

  get total(): number {
    let s = 0;
    for (let i = 0; i < this.counts.length; i++) s += this.counts[i];
    return s;
  }

  accuracy(): number {
    const k = this.numClasses;
    let diag = 0;
    for (let t = 0; t < k; t++) diag += this.counts[t * k + t];
    const total = this.total;
    return total === 0 ? 0 : diag / total;
  }

  /** Per-class precision, recall, F1 and support, and their macro, micro and weighted averages. */
  report(): ClassificationReport {
    const k = this.numClasses, c = this.counts;
    const precision = new Float64Array(k), recall = new Float64Array(k), f1 = new Float64Array(k);
    const support = new Float64Array(k), predicted = new Float64Array(k);
    let tpSum = 0, total = 0;
    for (let t = 0; t < k; t++) {
      for (let p = 0; p < k; p++) {
        const v = c[t * k + p];
        support[t] += v;
        predicted[p] += v;
      }
      tpSum += c[t * k + t];
    }
    for (let j = 0; j < k; j++) total += support[j];
    let used = 0;
    const macro = { precision: 0, recall: 0, f1: 0 };
    const weighted = { precision: 0, recall: 0, f1: 0 };
    for (let j = 0; j < k; j++) {
      const tp = c[j * k + j];
      precision[j] = predicted[j] ? tp / predicted[j] : 0;
      recall[j] = support[j] ? tp / support[j] : 0;
      f1[j] = precision[j] + recall[j] ? (2 * precision[j] * recall[j]) / (precision[j] + recall[j]) : 0;
      if (this.explicitClasses || support[j] || predicted[j]) {
        used++;
        macro.precision += precision[j];
        macro.recall += recall[j];
        macro.f1 += f1[j];
      }
      weighted.precision += precision[j] * support[j];
      weighted.recall += recall[j] * support[j];
      weighted.f1 += f1[j] * support[j];
    }
    for (const key of ['precision', 'recall', 'f1'] as const) {
      macro[key] = used ? macro[key] / used : 0;
      weighted[key] = total ? weighted[key] / total : 0;
    }
    // Single-label: pooled false positives = pooled false negatives, so micro P = R = F1 = accuracy.
    const m = total ? tpSum / total : 0;
    return { precision, recall, f1, support, macro, micro: { precision: m, recall: m, f1: m }, weighted, accuracy: m };
  }
}

export interface Averages {
  precision: number;
  recall: number;
  f1: number;
}

export interface ClassificationReport {
  precision: Float64Array;
  recall: Float64Array;
  f1: Float64Array;
  support: Float64Array;
  macro: Averages;
  micro: Averages;
  weighted: Averages;
  accuracy: number;
}

/** The confusion matrix of true against predicted classes. */
export function confusionMatrix(yTrue: Labels, yPred: Labels, opts: MetricOptions = {}): ConfusionMatrix {
  const t = toClassIds("argument 'yTrue'", yTrue);
  const p = toClassIds("argument 'yPred'", yPred);
  if (t.length !== p.length) throw new ShapeError(`yTrue has ${t.length} samples, yPred has ${p.length}`);
  let k: number;
  if (opts.numClasses !== undefined) {
    k = checkInt("option 'numClasses'", opts.numClasses, 1);
    for (let i = 0; i < t.length; i++) {
      if (t[i] >= k || p[i] >= k) throw new ValueError(`class id ${Math.max(t[i], p[i])} at index ${i} is out of range for numClasses ${k}`);
    }
  } else {
    k = 1;
    for (let i = 0; i < t.length; i++) k = Math.max(k, t[i] + 1, p[i] + 1);
  }
  const cm = new ConfusionMatrix(k, opts.numClasses !== undefined);
  cm.add(t, p);
  return cm;
}

/** The fraction of samples whose predicted class equals the true class. */
export function accuracy(yTrue: Labels, yPred: Labels): number {
  const t = toClassIds("accuracy: argument 'yTrue'", yTrue);
  const p = toClassIds("accuracy: argument 'yPred'", yPred);
  if (t.length !== p.length) throw new ShapeError(`accuracy: yTrue has ${t.length} samples, yPred has ${p.length}`);
  if (t.length === 0) throw new ValueError('accuracy: no samples');
  let ok = 0;
  for (let i = 0; i < t.length; i++) if (t[i] === p[i]) ok++;
  return ok / t.length;
}

function averaged(key: 'precision' | 'recall' | 'f1', yTrue: Labels, yPred: Labels, opts: MetricOptions & { average?: Average }): number | Float64Array {
  const avg = opts.average ?? 'macro';
  if (!['macro', 'micro', 'weighted', 'none'].includes(avg)) {
    throw new ValueError(`${key}: option 'average' must be 'macro', 'micro', 'weighted' or 'none', got ${describe(avg)}`);
  }
  const r = confusionMatrix(yTrue, yPred, opts).report();
  return avg === 'none' ? r[key] : r[avg][key];
}

/** Precision tp / (tp + fp): per class with average 'none', else averaged (default 'macro'). */
export function precision(yTrue: Labels, yPred: Labels, opts: MetricOptions & { average?: 'none' }): Float64Array;
export function precision(yTrue: Labels, yPred: Labels, opts?: MetricOptions & { average?: Exclude<Average, 'none'> }): number;
export function precision(yTrue: Labels, yPred: Labels, opts: MetricOptions & { average?: Average } = {}): number | Float64Array {
  return averaged('precision', yTrue, yPred, opts);
}

/** Recall tp / (tp + fn): per class with average 'none', else averaged (default 'macro'). */
export function recall(yTrue: Labels, yPred: Labels, opts: MetricOptions & { average?: 'none' }): Float64Array;
export function recall(yTrue: Labels, yPred: Labels, opts?: MetricOptions & { average?: Exclude<Average, 'none'> }): number;
export function recall(yTrue: Labels, yPred: Labels, opts: MetricOptions & { average?: Average } = {}): number | Float64Array {
  return averaged('recall', yTrue, yPred, opts);
}

/** F1, the harmonic mean of precision and recall: per class with average 'none', else averaged (default 'macro'). */
export function f1(yTrue: Labels, yPred: Labels, opts: MetricOptions & { average?: 'none' }): Float64Array;
export function f1(yTrue: Labels, yPred: Labels, opts?: MetricOptions & { average?: Exclude<Average, 'none'> }): number;
export function f1(yTrue: Labels, yPred: Labels, opts: MetricOptions & { average?: Average } = {}): number | Float64Array {
  return averaged('f1', yTrue, yPred, opts);
}

/** Everything at once: per-class precision, recall, F1, support, and the three averages. */
export function classificationReport(yTrue: Labels, yPred: Labels, opts: MetricOptions = {}): ClassificationReport {
  return confusionMatrix(yTrue, yPred, opts).report();
}
