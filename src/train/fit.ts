// fit, evaluate and predict on every Module, after Keras. Importing this file installs them (the
// package entry does). The loop allocates nothing per batch beyond what the model's forward and
// backward allocate: batches are copied into reused buffers, metrics accumulate into typed arrays.
//
// fit is async: it yields to the event loop after every batch (setImmediate), so a server that trains
// keeps answering requests; the longest the loop is blocked is one batch's forward, backward and step.
import { Module } from '../nn/module';
import { Tensor, shapeString } from '../tensor/tensor';
import { noGrad } from '../autograd/engine';
import { DataLoader } from '../data/loader';
import { checkDataset, trainValSplit, type Dataset } from '../data/dataset';
import { ConfusionMatrix, argmaxRows } from '../metrics/classification';
import { getLoss } from '../losses';
import { DTypeError, ShapeError, ValueError, checkFinite, checkInt, describe } from '../errors';
import type { Callback, FitContext, Logs, OptimizerLike } from './callbacks';
import { ProgressBar } from './progress';

/** A loss: predictions and targets to a scalar tensor (mean over the batch). */
export type LossFn = (pred: Tensor, target: Tensor) => Tensor;

/** Classification metrics computed from a confusion matrix (precision, recall, f1 are macro averages). */
export type MetricName = 'accuracy' | 'precision' | 'recall' | 'f1';

/** A custom metric: its batch values are averaged, weighted by batch size. */
export interface MetricFn {
  name: string;
  fn: (yTrue: Tensor, yPred: Tensor) => number;
}

export type Metric = MetricName | MetricFn;

export interface FitOptions {
  /** Passes over the training data (default 1). */
  epochs?: number;
  /** Samples per batch (default 32). */
  batchSize?: number;
  /** An optimizer over the model's parameters (src/optim). */
  optimizer: OptimizerLike;
  /** A loss name ('sparseCategoricalCrossentropy', 'mse', ...) or function. */
  loss: string | LossFn;
  /** Metrics logged per epoch, e.g. ['accuracy']. */
  metrics?: Metric[];
  /** Evaluated at the end of each epoch; logged with the prefix 'val' (valLoss, valAccuracy). */
  validationData?: Dataset;
  /** Or: hold out this fraction of the training data (seeded shuffle, see data.trainValSplit). */
  validationSplit?: number;
  callbacks?: Callback[];
  /** Reshuffle the training data every epoch (default true). */
  shuffle?: boolean;
  /** Seed of the shuffling (and of the validation split). */
  seed?: number;
  /**
   * 'auto' (default): a progress bar when stdout is a TTY, else nothing. 1: the bar on a TTY, else one
   * line per epoch. 2: one line per epoch. 0: nothing.
   */
  verbose?: 0 | 1 | 2 | 'auto';
  /** The epoch to start counting from (to resume; default 0). */
  initialEpoch?: number;
  /**
   * Applied to each training batch's inputs before the model, in training mode: data augmentation
   * such as nn.RandomFlip / nn.RandomTranslation (or a Sequential of them). Not applied to the
   * validation data, and not part of the model (so not saved with it).
   */
  augment?: Module;
}

export interface EvaluateOptions {
  batchSize?: number;
  loss?: string | LossFn;
  metrics?: Metric[];
}

/** What fit returns: the epochs run and, per logged name, one value per epoch. */
export class History {
  epoch: number[] = [];
  history: Record<string, number[]> = {};

  /** Appends one epoch's logs. */
  record(epoch: number, logs: Logs): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }
}

declare module '../nn/module' {
  interface Module {
    /** Trains the model on `data` (see FitOptions); resolves to the History. */
    fit(data: Dataset, opts: FitOptions): Promise<History>;
    /** Loss and metrics on `data` in eval mode, without gradients: { loss, accuracy, ... }. */
    evaluate(data: Dataset, opts?: EvaluateOptions): Promise<Logs>;
    /** The model's outputs for `x` in eval mode, without gradients, computed in batches. */
    predict(x: Tensor, opts?: { batchSize?: number }): Tensor;
  }
}

/** Resolves a loss name or function. */
export function resolveLoss(where: string, loss: unknown): LossFn {
  if (typeof loss === 'function') return loss as LossFn;
  if (typeof loss === 'string') return getLoss(loss) as LossFn;
  throw new DTypeError(`${where}: option 'loss' must be a loss name or a function, got ${describe(loss)}`);
}

const METRIC_NAMES: readonly string[] = ['accuracy', 'precision', 'recall', 'f1'];

function checkMetrics(where: string, metrics: unknown): Metric[] {
  if (metrics === undefined) return [];
  if (!Array.isArray(metrics)) throw new DTypeError(`${where}: option 'metrics' must be an array, got ${describe(metrics)}`);
  for (const m of metrics) {
    if (typeof m === 'string') {
      if (!METRIC_NAMES.includes(m)) throw new ValueError(`${where}: unknown metric '${m}' (known: ${METRIC_NAMES.join(', ')}, or { name, fn })`);
    } else if (typeof m !== 'object' || m === null || typeof m.name !== 'string' || typeof m.fn !== 'function') {
      throw new DTypeError(`${where}: a metric must be a name or { name, fn }, got ${describe(m)}`);
    }
  }
  return metrics as Metric[];
}

/**
 * Running loss and metrics over an epoch (or an evaluation): sums weighted by batch size, and a
 * confusion matrix for the classification metrics, filled from scratch buffers kept between batches.
 */
class Accumulator {
  private lossSum = 0;
  private samples = 0;
  private cm: ConfusionMatrix | undefined;
  private predIds = new Int32Array(0);
  private trueIds = new Int32Array(0);
  private readonly custom: Float64Array;
  private readonly classification: boolean;

  constructor(private readonly where: string, private readonly metrics: Metric[]) {
    this.classification = metrics.some((m) => typeof m === 'string');
    this.custom = new Float64Array(metrics.length);
  }

  reset(): void {
    this.lossSum = 0;
    this.samples = 0;
    this.cm?.counts.fill(0);
    this.custom.fill(0);
  }

  add(pred: Tensor, y: Tensor, loss: number): void {
    const n = pred.shape[0];
    this.lossSum += loss * n;
    this.samples += n;
    if (this.classification) this.addClasses(pred, y, n);
    for (let i = 0; i < this.metrics.length; i++) {
      const m = this.metrics[i];
      if (typeof m !== 'string') this.custom[i] += m.fn(y, pred) * n;
    }
  }

  private addClasses(pred: Tensor, y: Tensor, n: number): void {
    const cols = pred.ndim === 1 ? 1 : pred.size / n;
    const k = cols === 1 ? 2 : cols;
    if (!this.cm || this.cm.numClasses !== k) this.cm = new ConfusionMatrix(k);
    if (this.predIds.length < n) {
      this.predIds = new Int32Array(n);
      this.trueIds = new Int32Array(n);
    }
    argmaxRows(pred.data, n, cols, this.predIds);
    if (y.size === n) {
      const yd = y.data;
      for (let i = 0; i < n; i++) {
        const c = yd[i];
        if (!(c >= 0 && c < k && Number.isInteger(c))) {
          throw new ValueError(`${this.where}: label ${c} is not a class id in [0, ${k}) (the model outputs ${k === 2 && cols === 1 ? 'one probability' : `${k} classes`})`);
        }
        this.trueIds[i] = c;
      }
    } else if (y.size === n * cols) {
      argmaxRows(y.data, n, cols, this.trueIds); // one-hot targets
    } else {
      throw new ShapeError(`${this.where}: targets of shape ${shapeString(y.shape)} do not fit outputs of shape ${shapeString(pred.shape)}`);
    }
    this.cm.add(this.trueIds, this.predIds, n);
  }

  /** { loss, <metric>: value, ... }, names prefixed when `prefix` is given ('val' -> valLoss). */
  logs(prefix = ''): Logs {
    const name = (k: string) => (prefix ? prefix + k[0].toUpperCase() + k.slice(1) : k);
    const out: Logs = { [name('loss')]: this.samples ? this.lossSum / this.samples : NaN };
    const report = this.classification && this.cm ? this.cm.report() : undefined;
    this.metrics.forEach((m, i) => {
      if (typeof m !== 'string') out[name(m.name)] = this.custom[i] / this.samples;
      else if (m === 'accuracy') out[name(m)] = report ? report.accuracy : NaN;
      else out[name(m)] = report ? report.macro[m] : NaN;
    });
    return out;
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Calls one hook on every callback, awaiting only the ones that return a promise. */
async function fire<K extends keyof Callback>(cbs: Callback[], hook: K, ...args: Parameters<NonNullable<Callback[K]>>): Promise<void> {
  for (const cb of cbs) {
    const f = cb[hook] as ((...a: unknown[]) => void | Promise<void>) | undefined;
    if (f) {
      const r = f.apply(cb, args);
      if (r) await r;
    }
  }
}

/** Loss and metrics over a loader, in eval mode and without gradients, yielding between batches. */
async function evaluateLoader(model: Module, loader: DataLoader, lossFn: LossFn, acc: Accumulator): Promise<void> {
  acc.reset();
  for (const { x, y } of loader) {
    noGrad(() => {
      const out = model.forward(x);
      acc.add(out, y, lossFn(out, y).item());
    });
    await yieldToEventLoop();
  }
}

Module.prototype.fit = async function fit(this: Module, data: Dataset, opts: FitOptions): Promise<History> {
  const where = 'fit';
  if (typeof opts !== 'object' || opts === null) throw new DTypeError(`fit: argument 'opts' must be an object, got ${describe(opts)}`);
  let train = data;
  let n = checkDataset("fit: argument 'data'", train);
  if (n === 0) throw new ValueError('fit: the training data set is empty');
  const epochs = checkInt("fit: option 'epochs'", opts.epochs ?? 1, 0);
  const initialEpoch = checkInt("fit: option 'initialEpoch'", opts.initialEpoch ?? 0, 0);
  const batchSize = checkInt("fit: option 'batchSize'", opts.batchSize ?? 32, 1);
  const optimizer = opts.optimizer;
  if (typeof optimizer !== 'object' || optimizer === null || typeof optimizer.step !== 'function' || typeof optimizer.zeroGrad !== 'function') {
    throw new DTypeError(`fit: option 'optimizer' must be an optimizer (with step() and zeroGrad()), got ${describe(optimizer)}`);
  }
  const lossFn = resolveLoss(where, opts.loss);
  const metrics = checkMetrics(where, opts.metrics);
  const verbose = opts.verbose ?? 'auto';
  if (![0, 1, 2, 'auto'].includes(verbose)) throw new ValueError(`fit: option 'verbose' must be 0, 1, 2 or 'auto', got ${describe(verbose)}`);
  if (opts.seed !== undefined) checkInt("fit: option 'seed'", opts.seed);
  const augment = opts.augment;
  if (augment !== undefined && !(augment instanceof Module)) throw new DTypeError(`fit: option 'augment' must be a Module (e.g. nn.RandomFlip), got ${describe(augment)}`);
  if (augment === this) throw new ValueError("fit: option 'augment' must not be the model itself");

  let validation = opts.validationData;
  if (validation !== undefined && opts.validationSplit !== undefined) {
    throw new ValueError("fit: give 'validationData' or 'validationSplit', not both");
  }
  if (opts.validationSplit !== undefined) {
    const split = trainValSplit(train, checkFinite("fit: option 'validationSplit'", opts.validationSplit), { seed: opts.seed });
    train = split.train;
    validation = split.val;
    n = train.x.shape[0];
  }
  if (validation !== undefined && checkDataset("fit: option 'validationData'", validation) === 0) {
    throw new ValueError('fit: the validation data set is empty');
  }

  if (!Array.isArray(opts.callbacks ?? [])) throw new DTypeError(`fit: option 'callbacks' must be an array, got ${describe(opts.callbacks)}`);
  const callbacks = [...(opts.callbacks ?? [])];
  if (verbose !== 0) {
    callbacks.push(new ProgressBar({ notTTY: verbose === 'auto' ? 'silent' : 'epoch' }));
  }

  const loader = new DataLoader(train, { batchSize, shuffle: opts.shuffle ?? true, seed: opts.seed, reuseBuffers: true });
  const valLoader = validation ? new DataLoader(validation, { batchSize: Math.max(batchSize, 256) }) : undefined;
  const trainAcc = new Accumulator(where, metrics);
  const valAcc = new Accumulator(where, metrics);
  const ctx: FitContext = {
    model: this,
    optimizer,
    params: {
      epochs: initialEpoch + epochs,
      steps: loader.length,
      samples: loader.size,
      batchSize,
      validation: validation !== undefined,
      metrics: ['loss', ...metrics.map((m) => (typeof m === 'string' ? m : m.name))],
    },
    stopTraining: false,
  };
  const history = new History();
  const batchLogs: Logs = { loss: 0, size: 0 };
  const wasTraining = this.training;
  let lastLogs: Logs = {};

  await fire(callbacks, 'onTrainBegin', ctx);
  try {
    for (let epoch = initialEpoch; epoch < initialEpoch + epochs && !ctx.stopTraining; epoch++) {
      await fire(callbacks, 'onEpochBegin', epoch);
      this.train();
      augment?.train();
      trainAcc.reset();
      let batch = 0;
      for (const { x, y } of loader) {
        await fire(callbacks, 'onBatchBegin', batch);
        optimizer.zeroGrad();
        const out = this.forward(augment ? augment.forward(x) : x);
        const loss = lossFn(out, y);
        loss.backward();
        optimizer.step();
        const lossValue = loss.item();
        trainAcc.add(out, y, lossValue);
        batchLogs.loss = lossValue;
        batchLogs.size = x.shape[0];
        await fire(callbacks, 'onBatchEnd', batch, batchLogs);
        batch++;
        if (ctx.stopTraining) break;
        await yieldToEventLoop();
      }
      const logs = trainAcc.logs();
      if (valLoader) {
        this.eval();
        await evaluateLoader(this, valLoader, lossFn, valAcc);
        Object.assign(logs, valAcc.logs('val'));
      }
      const lr = optimizer.paramGroups?.[0]?.lr;
      if (typeof lr === 'number') logs.lr = lr;
      // Recorded after the callbacks, so what they add to the logs is kept.
      await fire(callbacks, 'onEpochEnd', epoch, logs);
      history.record(epoch, logs);
      lastLogs = logs;
    }
  } finally {
    this.train(wasTraining);
  }
  await fire(callbacks, 'onTrainEnd', lastLogs);
  return history;
};

Module.prototype.evaluate = async function evaluate(this: Module, data: Dataset, opts: EvaluateOptions = {}): Promise<Logs> {
  const n = checkDataset("evaluate: argument 'data'", data);
  if (n === 0) throw new ValueError('evaluate: the data set is empty');
  const batchSize = checkInt("evaluate: option 'batchSize'", opts.batchSize ?? 256, 1);
  const lossFn = resolveLoss('evaluate', opts.loss ?? 'sparseCategoricalCrossentropy');
  const acc = new Accumulator('evaluate', checkMetrics('evaluate', opts.metrics ?? ['accuracy']));
  const wasTraining = this.training;
  this.eval();
  try {
    await evaluateLoader(this, new DataLoader(data, { batchSize }), lossFn, acc);
  } finally {
    this.train(wasTraining);
  }
  return acc.logs();
};

Module.prototype.predict = function predict(this: Module, x: Tensor, opts: { batchSize?: number } = {}): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`predict: argument 'x' must be a Tensor, got ${describe(x)}`);
  if (x.ndim === 0) throw new ShapeError('predict: x needs a first (sample) axis, got a 0-d tensor');
  const batchSize = checkInt("predict: option 'batchSize'", opts.batchSize ?? 256, 1);
  const n = x.shape[0];
  const wasTraining = this.training;
  this.eval();
  try {
    return noGrad(() => {
      let out: Float32Array | undefined;
      let outShape: number[] = [];
      for (let from = 0; from < n; from += batchSize) {
        const y = this.forward(x.slice(from, Math.min(from + batchSize, n)));
        if (!out) {
          const row = y.size / y.shape[0];
          outShape = [n, ...y.shape.slice(1)];
          out = new Float32Array(n * row);
        }
        out.set(y.data, (from * out.length) / n);
      }
      return new Tensor(out ?? new Float32Array(0), out ? outShape : [0]);
    });
  } finally {
    this.train(wasTraining);
  }
};
