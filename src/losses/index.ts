// Losses: each maps (prediction, target) to a scalar (reduction 'mean' or 'sum') or to one value
// per element / row ('none'). Pointwise losses are one forward loop and one backward loop; softmax
// cross-entropy (categorical and sparse) is one fused backend kernel that yields the loss and the
// logits' gradient together. getLoss resolves Keras-style names for fit().
import { Tensor, shapeString } from '../tensor/tensor';
import { record, needsGrad } from '../autograd/engine';
import { backend } from '../backend';
import { DTypeError, ShapeError, ValueError, checkFinite, describe } from '../errors';

export type Reduction = 'mean' | 'sum' | 'none';
export interface LossOptions {
  reduction?: Reduction;
}
/** A loss: (prediction, target) => a scalar Tensor (with the default reduction). */
export type LossFn = (pred: Tensor, target: Tensor) => Tensor;

function checkReduction(name: string, r: unknown): Reduction {
  if (r === undefined) return 'mean';
  if (r !== 'mean' && r !== 'sum' && r !== 'none') {
    throw new ValueError(`${name}: option 'reduction' must be 'mean', 'sum' or 'none', got ${describe(r)}`);
  }
  return r;
}

function checkTensorArg(name: string, v: unknown, arg: string): Tensor {
  if (!(v instanceof Tensor)) throw new DTypeError(`${name}: argument '${arg}' must be a Tensor, got ${describe(v)}`);
  return v;
}

/** Shapes equal once size-1 dimensions are dropped (so [n, 1] predictions meet [n] targets). */
function checkSameShape(name: string, pred: Tensor, target: Tensor): void {
  const squeeze = (s: readonly number[]) => s.filter((d) => d !== 1).join(',');
  if (pred.size !== target.size || squeeze(pred.shape) !== squeeze(target.shape)) {
    throw new ShapeError(`${name}: prediction shape ${shapeString(pred.shape)} and target shape ${shapeString(target.shape)} differ`);
  }
}

const enum Kind { Mse, L1, Huber, Bce, BceLogits }

/** Per-element loss. */
function pointLoss(kind: Kind, p: Float32Array, t: Float32Array, out: Float32Array, delta: number): void {
  const n = out.length;
  switch (kind) {
    case Kind.Mse:
      for (let i = 0; i < n; i++) {
        const d = p[i] - t[i];
        out[i] = d * d;
      }
      break;
    case Kind.L1:
      for (let i = 0; i < n; i++) out[i] = Math.abs(p[i] - t[i]);
      break;
    case Kind.Huber:
      for (let i = 0; i < n; i++) {
        const d = Math.abs(p[i] - t[i]);
        out[i] = d <= delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
      }
      break;
    case Kind.Bce:
      // PyTorch clamps each log at -100 so p = 0 or 1 gives a finite loss.
      for (let i = 0; i < n; i++) {
        const lp = Math.max(Math.log(p[i]), -100), l1p = Math.max(Math.log(1 - p[i]), -100);
        out[i] = -(t[i] * lp + (1 - t[i]) * l1p);
      }
      break;
    case Kind.BceLogits:
      // max(x, 0) - x t + log(1 + exp(-|x|)): no overflow for any x.
      for (let i = 0; i < n; i++) {
        const x = p[i];
        out[i] = Math.max(x, 0) - x * t[i] + Math.log1p(Math.exp(-Math.abs(x)));
      }
      break;
  }
}

/** d loss / d pred (which = 0) or d loss / d target (which = 1), times scale[i] (or scale0). */
function pointGrad(kind: Kind, which: 0 | 1, p: Float32Array, t: Float32Array, g: Float32Array | null, scale0: number,
  out: Float32Array, delta: number): void {
  const n = out.length;
  const sign = which === 0 ? 1 : -1;
  for (let i = 0; i < n; i++) {
    const s = g ? g[i] : scale0;
    let d: number;
    switch (kind) {
      case Kind.Mse: d = sign * 2 * (p[i] - t[i]); break;
      case Kind.L1: { const e = p[i] - t[i]; d = sign * (e > 0 ? 1 : e < 0 ? -1 : 0); break; }
      case Kind.Huber: { const e = p[i] - t[i]; d = sign * (e > delta ? delta : e < -delta ? -delta : e); break; }
      case Kind.Bce:
        d = which === 0
          ? (p[i] - t[i]) / Math.max((1 - p[i]) * p[i], 1e-12)
          : -(Math.max(Math.log(p[i]), -100) - Math.max(Math.log(1 - p[i]), -100));
        break;
      default: { // BceLogits
        const x = p[i];
        d = which === 0 ? (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))) - t[i] : -x;
      }
    }
    out[i] = d * s;
  }
}

function pointwise(name: string, kind: Kind, pred: Tensor, target: Tensor, opts: LossOptions, delta = 0): Tensor {
  checkTensorArg(name, pred, 'input');
  checkTensorArg(name, target, 'target');
  const reduction = checkReduction(name, opts.reduction);
  checkSameShape(name, pred, target);
  if (kind === Kind.Bce) {
    const p = pred.data;
    for (let i = 0; i < p.length; i++) {
      if (!(p[i] >= 0 && p[i] <= 1)) {
        throw new ValueError(`${name}: predictions must be probabilities in [0, 1], got ${p[i]} at index ${i} (use binaryCrossEntropyWithLogits for logits)`);
      }
    }
  }
  const n = pred.size;
  const per = new Float32Array(n);
  pointLoss(kind, pred.data, target.data, per, delta);
  let out: Tensor;
  if (reduction === 'none') out = new Tensor(per, pred.shape);
  else {
    let s = 0;
    for (let i = 0; i < n; i++) s += per[i];
    out = new Tensor(new Float32Array([reduction === 'mean' ? s / n : s]), []);
  }
  return record(out, name, [pred, target], (g) => {
    const gs = reduction === 'none' ? g : null;
    const scale0 = reduction === 'mean' ? g[0] / n : g[0];
    let gp: Float32Array | null = null, gt: Float32Array | null = null;
    if (pred.requiresGrad) pointGrad(kind, 0, pred.data, target.data, gs, scale0, (gp = new Float32Array(n)), delta);
    if (target.requiresGrad) pointGrad(kind, 1, pred.data, target.data, gs, scale0, (gt = new Float32Array(n)), delta);
    return [gp, gt];
  });
}

/** Mean squared error. */
export function mse(pred: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  return pointwise('mse', Kind.Mse, pred, target, opts);
}

/** Mean absolute error (L1). */
export function l1(pred: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  return pointwise('l1', Kind.L1, pred, target, opts);
}
export const mae = l1;

/** Huber loss: quadratic within `delta` (1 by default) of the target, linear beyond (PyTorch's HuberLoss). */
export function huber(pred: Tensor, target: Tensor, opts: LossOptions & { delta?: number } = {}): Tensor {
  const delta = checkFinite("huber: option 'delta'", opts.delta ?? 1);
  if (!(delta > 0)) throw new ValueError(`huber: option 'delta' must be > 0, got ${delta}`);
  return pointwise('huber', Kind.Huber, pred, target, opts, delta);
}

/** Binary cross-entropy on probabilities in [0, 1] (each log clamped at -100, as PyTorch). */
export function binaryCrossEntropy(pred: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  return pointwise('binaryCrossEntropy', Kind.Bce, pred, target, opts);
}

/** Binary cross-entropy on logits (sigmoid folded in, stable for any logit). */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  return pointwise('binaryCrossEntropyWithLogits', Kind.BceLogits, logits, target, opts);
}

export interface CrossEntropyOptions extends LossOptions {
  /** Whether the predictions are logits (default, as PyTorch) or probabilities (Keras's default). */
  fromLogits?: boolean;
  /**
   * Label smoothing in [0, 1] (PyTorch's label_smoothing, Keras's label_smoothing): the target becomes
   * (1 - labelSmoothing) * target + labelSmoothing / classes. Default 0.
   */
  labelSmoothing?: number;
}

function checkLabelSmoothing(name: string, v: unknown): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number') throw new DTypeError(`${name}: option 'labelSmoothing' must be a number in [0, 1], got ${describe(v)}`);
  if (!(v >= 0 && v <= 1)) throw new ValueError(`${name}: option 'labelSmoothing' must be in [0, 1], got ${v}`);
  return v;
}

/** Smoothed target distributions [n, c] from class ids: 1 - eps + eps / c at the label, eps / c elsewhere. */
function smoothedOneHot(name: string, labels: Tensor, n: number, c: number, eps: number): Tensor {
  const t = new Float32Array(n * c).fill(eps / c);
  for (let i = 0; i < n; i++) {
    const y = labels.data[i];
    if (!(Number.isInteger(y) && y >= 0 && y < c)) {
      throw new ValueError(`${name}: label ${y} at index ${i} is not a class id; labels must be integers in [0, ${c})`);
    }
    t[i * c + y] += 1 - eps;
  }
  return new Tensor(t, [n, c]);
}

/** Logits [n, c] checked; probabilities become log-probabilities, whose softmax renormalises them as Keras does. */
function logitsOf(name: string, pred: Tensor, opts: CrossEntropyOptions): Tensor {
  checkTensorArg(name, pred, 'input');
  if (pred.ndim !== 2) throw new ShapeError(`${name}: input must be [batch, classes], got shape ${shapeString(pred.shape)}`);
  if (pred.shape[1] === 0) throw new ShapeError(`${name}: input has no classes (shape ${shapeString(pred.shape)})`);
  if (opts.fromLogits === false) return pred.clamp(1e-7, 1).log();
  if (opts.fromLogits !== undefined && opts.fromLogits !== true) {
    throw new DTypeError(`${name}: option 'fromLogits' must be a boolean, got ${describe(opts.fromLogits)}`);
  }
  return pred;
}

/** The fused softmax cross-entropy op over labels (sparse) or target distributions. */
function softmaxCrossEntropy(name: string, logits: Tensor, labels: Tensor | null, targets: Tensor | null, reduction: Reduction): Tensor {
  const [n, c] = logits.shape;
  const losses = new Float32Array(n);
  const grad = needsGrad([logits]) ? new Float32Array(n * c) : null;
  const scale = reduction === 'mean' ? 1 / n : 1;
  const bad = backend().softmaxCrossEntropy(logits.data, labels ? labels.data : null, targets ? targets.data : null, n, c, losses, grad, scale);
  if (bad >= 0) {
    throw new ValueError(`${name}: label ${labels!.data[bad]} at index ${bad} is not a class id; labels must be integers in [0, ${c})`);
  }
  let out: Tensor;
  if (reduction === 'none') out = new Tensor(losses, [n]);
  else {
    let s = 0;
    for (let i = 0; i < n; i++) s += losses[i];
    out = new Tensor(new Float32Array([reduction === 'mean' ? s / n : s]), []);
  }
  return record(out, name, [logits], (g) => {
    const gl = grad!;
    if (reduction !== 'none') {
      if (g[0] === 1) return [gl];
      const r = new Float32Array(gl.length);
      for (let i = 0; i < gl.length; i++) r[i] = gl[i] * g[0];
      return [r];
    }
    const r = new Float32Array(gl.length);
    for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) r[i * c + j] = gl[i * c + j] * g[i];
    return [r];
  });
}

/**
 * Cross-entropy against integer class labels: pred [batch, classes] (logits unless fromLogits is
 * false), labels [batch] (a float tensor holding integers in [0, classes)).
 */
export function sparseCategoricalCrossEntropy(pred: Tensor, labels: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const name = 'sparseCategoricalCrossEntropy';
  const reduction = checkReduction(name, opts.reduction);
  const logits = logitsOf(name, pred, opts);
  checkTensorArg(name, labels, 'target');
  if (labels.size !== logits.shape[0] || labels.shape.filter((d) => d !== 1).length > 1) {
    throw new ShapeError(`${name}: target must hold one label per row, [${logits.shape[0]}], got shape ${shapeString(labels.shape)}`);
  }
  const eps = checkLabelSmoothing(name, opts.labelSmoothing);
  if (eps > 0) return softmaxCrossEntropy(name, logits, null, smoothedOneHot(name, labels, logits.shape[0], logits.shape[1], eps), reduction);
  return softmaxCrossEntropy(name, logits, labels, null, reduction);
}

/** Cross-entropy against one-hot or soft targets [batch, classes] (rows summing to 1). */
export function categoricalCrossEntropy(pred: Tensor, targets: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const name = 'categoricalCrossEntropy';
  const reduction = checkReduction(name, opts.reduction);
  const logits = logitsOf(name, pred, opts);
  checkTensorArg(name, targets, 'target');
  if (targets.ndim !== 2 || targets.shape[0] !== logits.shape[0] || targets.shape[1] !== logits.shape[1]) {
    throw new ShapeError(`${name}: target must be ${shapeString(logits.shape)} (one-hot or probabilities), got ${shapeString(targets.shape)}`);
  }
  const eps = checkLabelSmoothing(name, opts.labelSmoothing);
  if (eps > 0) {
    const c = logits.shape[1];
    const t = new Float32Array(targets.size);
    for (let i = 0; i < t.length; i++) t[i] = (1 - eps) * targets.data[i] + eps / c;
    targets = new Tensor(t, targets.shape);
  }
  return softmaxCrossEntropy(name, logits, null, targets, reduction);
}

/** PyTorch's F.cross_entropy: labels [batch] (integers) or target probabilities [batch, classes]. */
export function crossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  checkTensorArg('crossEntropy', target, 'target');
  return target.ndim === 2 && target.shape[1] === logits.shape?.[1] && logits.shape[1] !== 1
    ? categoricalCrossEntropy(logits, target, opts)
    : sparseCategoricalCrossEntropy(logits, target, opts);
}

function checkParams(name: string, params: unknown): Tensor[] {
  if (!Array.isArray(params)) throw new DTypeError(`${name}: argument 'params' must be an array of Tensors, got ${describe(params)}`);
  params.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new DTypeError(`${name}: params[${i}] must be a Tensor, got ${describe(p)}`);
  });
  return params as Tensor[];
}

function penalty(name: string, params: Tensor[], lambda: number, squared: boolean): Tensor {
  checkParams(name, params);
  const lam = checkFinite(`${name}: argument 'lambda'`, lambda);
  let s = 0;
  for (const p of params) {
    const d = p.data;
    if (squared) for (let i = 0; i < d.length; i++) s += d[i] * d[i];
    else for (let i = 0; i < d.length; i++) s += Math.abs(d[i]);
  }
  return record(new Tensor(new Float32Array([lam * s]), []), name, params, (g) =>
    params.map((p) => {
      if (!p.requiresGrad) return null;
      const d = p.data, gp = new Float32Array(d.length), k = lam * g[0];
      if (squared) for (let i = 0; i < d.length; i++) gp[i] = 2 * k * d[i];
      else for (let i = 0; i < d.length; i++) gp[i] = d[i] > 0 ? k : d[i] < 0 ? -k : 0;
      return gp;
    }),
  );
}

/** lambda * sum |p| over every parameter (an L1 term to add to a loss). */
export function l1Penalty(params: Tensor[], lambda = 0.01): Tensor {
  return penalty('l1Penalty', params, lambda, false);
}

/** lambda * sum p^2 over every parameter (Keras's L2 regulariser). */
export function l2Penalty(params: Tensor[], lambda = 0.01): Tensor {
  return penalty('l2Penalty', params, lambda, true);
}

const byName: Record<string, LossFn> = {
  mse: (p, t) => mse(p, t),
  meansquarederror: (p, t) => mse(p, t),
  mae: (p, t) => l1(p, t),
  l1: (p, t) => l1(p, t),
  meanabsoluteerror: (p, t) => l1(p, t),
  huber: (p, t) => huber(p, t),
  binarycrossentropy: (p, t) => binaryCrossEntropy(p, t),
  binarycrossentropywithlogits: (p, t) => binaryCrossEntropyWithLogits(p, t),
  categoricalcrossentropy: (p, t) => categoricalCrossEntropy(p, t),
  sparsecategoricalcrossentropy: (p, t) => sparseCategoricalCrossEntropy(p, t),
  crossentropy: (p, t) => crossEntropy(p, t),
};

/** The loss names getLoss accepts (Keras style; case, '_' and '-' are ignored). */
export const lossNames: readonly string[] = [
  'mse', 'mae', 'huber', 'binaryCrossentropy', 'binaryCrossentropyWithLogits', 'categoricalCrossentropy',
  'sparseCategoricalCrossentropy', 'crossEntropy', 'meanSquaredError', 'meanAbsoluteError', 'l1',
];

/**
 * A loss function from a Keras-style name ('mse', 'sparseCategoricalCrossentropy',
 * 'sparse_categorical_crossentropy' ...) or a function (pred, target) => scalar Tensor, returned as is.
 * Categorical losses take logits.
 */
export function getLoss(nameOrFn: string | LossFn): LossFn {
  if (typeof nameOrFn === 'function') return nameOrFn;
  if (typeof nameOrFn !== 'string') {
    throw new DTypeError(`getLoss: expected a loss name or a function (pred, target) => Tensor, got ${describe(nameOrFn)}`);
  }
  const fn = byName[nameOrFn.toLowerCase().replace(/[_\-\s]/g, '')];
  if (!fn) throw new ValueError(`getLoss: unknown loss '${nameOrFn}'; known: ${lossNames.join(', ')}`);
  return fn;
}
