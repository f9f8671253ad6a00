// Scoring a config by training models: a factory builds a fresh model per fold, the config picks the
// optimizer and its settings, fit trains it with validation on the fold's held-out part, and the
// trial's score is the mean over folds of the metric at each fold's best epoch (the epoch that early
// stopping with restoreBestWeights would keep).
//
// Config keys read here: optimizer ('adam' default, 'sgd', or any src/optim class by name), lr,
// weightDecay, momentum, nesterov, batchSize, epochs. Every other key is for the factory.
import { Tensor } from '../tensor/tensor';
import { manualSeed } from '../tensor/random';
import type { Module } from '../nn/module';
import * as optimModule from '../optim';
import { earlyStopping, type Callback, type Logs } from '../train/callbacks';
import { subset, type Dataset } from '../data/dataset';
import '../train'; // installs Module.fit
import type { LossFn, Metric } from '../train';
import { kFold, holdout, classIds, type Split } from './cv';
import type { Config } from './space';
import type { Curves, TrialContext } from './types';
import { DTypeError, ShapeError, ValueError, checkInt, describe } from '../errors';

/** What fit needs of an optimizer. */
interface OptimizerLike {
  step(): unknown;
  zeroGrad(): void;
}

/** A model for a config, or the model with its own optimizer and fit settings. */
export type ModelFactory = (
  config: Config,
  info: { seed: number; fold: number },
) => Module | { model: Module; optimizer?: OptimizerLike; batchSize?: number; loss?: unknown };

export interface ModelSearchOptions {
  /** The training data; folds or the holdout split are drawn from it. */
  data: Dataset;
  /** k-fold cross-validation (k >= 2); stratified when y holds class ids. */
  cv?: number;
  /** Or: a holdout fraction (default 0.2 when cv is not given). */
  holdout?: number;
  /** Keep class shares equal across folds (default: when y holds class ids). */
  stratify?: boolean;
  /** Epochs per fit (default 5; a config key 'epochs' overrides). */
  epochs?: number;
  /** Batch size (default 128; a config key 'batchSize' overrides). */
  batchSize?: number;
  /** Loss name or function (default 'sparseCategoricalCrossentropy'). */
  loss?: unknown;
  /** The History key that scores a fold ('valAccuracy', 'valLoss', ...). */
  metric: string;
  direction?: 'min' | 'max';
  /**
   * Which epochs score a fold: 'best' (default; what early stopping with restoreBestWeights keeps),
   * 'last' (what a fixed-length retraining gives), or k: the mean of the last k epochs (the last
   * epoch's value, less its epoch-to-epoch noise).
   */
  scoreEpochs?: 'best' | 'last' | number;
  /** Early stopping on the metric: true (patience 2) or { patience, minDelta }. */
  earlyStopping?: boolean | { patience?: number; minDelta?: number };
}

/** Validated options with the splits materialised once. */
export interface PreparedEvaluation {
  options: ModelSearchOptions;
  folds: { train: Dataset; val: Dataset }[];
  fitMetrics: Metric[];
  direction: 'min' | 'max';
}

const FIT_METRICS = ['accuracy', 'precision', 'recall', 'f1'];

function prepare(options: ModelSearchOptions, seed: number): PreparedEvaluation {
  const { data, metric } = options;
  if (data === null || typeof data !== 'object' || !(data.x instanceof Tensor) || !(data.y instanceof Tensor)) {
    throw new DTypeError(`tune.search: option 'data' must be a dataset { x: Tensor, y: Tensor }, got ${describe(data)}`);
  }
  const n = data.x.shape[0];
  if (data.y.shape[0] !== n) throw new ShapeError(`tune.search: option 'data' has ${n} inputs but ${data.y.shape[0]} targets`);
  if (n < 2) throw new ValueError(`tune.search: option 'data' needs at least 2 samples to validate on, got ${n}`);
  // fit logs 'loss' and each requested metric, and the same prefixed 'val' for validation data.
  const base = metric.startsWith('val') ? metric[3].toLowerCase() + metric.slice(4) : metric;
  if (base !== 'loss' && !FIT_METRICS.includes(base)) {
    throw new ValueError(
      `tune.search: metric '${metric}' is not produced by fit; use one of ${['loss', ...FIT_METRICS].flatMap((m) => [`'val${m[0].toUpperCase()}${m.slice(1)}'`, `'${m}'`]).join(', ')}`,
    );
  }
  const direction = options.direction ?? (base === 'loss' ? 'min' : 'max');
  checkInt("tune.search: option 'epochs'", options.epochs ?? 5, 1);
  checkInt("tune.search: option 'batchSize'", options.batchSize ?? 128, 1);
  const se = options.scoreEpochs;
  if (se !== undefined && se !== 'best' && se !== 'last' && !(typeof se === 'number' && Number.isInteger(se) && se >= 1)) {
    throw new ValueError(`tune.search: option 'scoreEpochs' must be 'best', 'last' or a number of last epochs >= 1, got ${describe(se)}`);
  }
  if (options.cv !== undefined && options.holdout !== undefined) throw new ValueError("tune.search: give option 'cv' or option 'holdout', not both");
  const labels = options.stratify === false ? undefined : classIds(data.y);
  if (options.stratify === true && !labels) throw new ValueError('tune.search: stratify needs class ids in y (shape [N], non-negative integers)');
  let splits: Split[];
  if (options.cv !== undefined) {
    if (typeof options.cv !== 'number' || !Number.isInteger(options.cv)) throw new DTypeError(`tune.search: option 'cv' must be an integer number of folds, got ${describe(options.cv)}`);
    if (options.cv < 2) throw new ValueError(`tune.search: option 'cv' must be at least 2 folds, got ${options.cv} (for a single split use 'holdout')`);
    splits = kFold(n, options.cv, { labels, seed });
  } else {
    splits = [holdout(n, options.holdout ?? 0.2, { labels, seed })];
  }
  const folds = splits.map((s) => ({ train: subset(data, s.train), val: subset(data, s.val) }));
  return { options, folds, fitMetrics: base === 'loss' ? [] : [base as Metric], direction };
}

/** Builds the config's optimizer over the model's parameters. */
export function makeOptimizer(model: Module, config: Config): OptimizerLike {
  const name = String(config.optimizer ?? 'adam');
  const classes = optimModule as unknown as Record<string, new (params: Tensor[], opts: Record<string, unknown>) => OptimizerLike>;
  const key = Object.keys(classes).find((k) => k.toLowerCase() === name.toLowerCase() && typeof classes[k] === 'function');
  if (!key) throw new ValueError(`tune: config 'optimizer' names no optimizer in fastgrad's optim: '${name}'`);
  const opts: Record<string, unknown> = { lr: config.lr ?? 1e-3 };
  for (const k of ['weightDecay', 'momentum', 'nesterov', 'beta1', 'beta2', 'eps']) if (config[k] !== undefined) opts[k] = config[k];
  if (config.beta1 !== undefined || config.beta2 !== undefined) {
    opts.betas = [config.beta1 ?? 0.9, config.beta2 ?? 0.999];
    delete opts.beta1;
    delete opts.beta2;
  }
  return new classes[key](model.parameters(), opts);
}

/** Trains one model per fold and returns the mean of the folds' scores. */
export async function evaluateModel(
  factory: ModelFactory,
  config: Config,
  prepared: PreparedEvaluation,
  ctx: TrialContext,
): Promise<{ score: number; history: Curves; foldScores: number[] }> {
  const { options, folds, fitMetrics, direction } = prepared;
  const metric = options.metric;
  const epochs = Number(config.epochs ?? options.epochs ?? 5);
  const foldScores: number[] = [];
  let firstHistory: Curves = {};
  for (let f = 0; f < folds.length; f++) {
    const seed = ctx.seed + 1000 * f;
    manualSeed(seed);
    const made = factory(config, { seed, fold: f });
    const model = (typeof made === 'object' && made !== null && 'model' in made ? made.model : made) as Module;
    const extra = (made !== model ? made : {}) as { optimizer?: OptimizerLike; batchSize?: number; loss?: unknown };
    if (typeof model?.fit !== 'function') {
      throw new DTypeError(`tune.search: the model factory must return a Module with fit (or { model, optimizer }), got ${describe(model)}`);
    }
    const optimizer = extra.optimizer ?? makeOptimizer(model, config);
    const curves: Curves = {};
    const callbacks: Callback[] = [
      {
        onEpochEnd(epoch: number, logs: Logs) {
          for (const [k, v] of Object.entries(logs)) (curves[k] ??= []).push(v);
          // Only the first fold reports per-epoch values: pruning compares like with like across trials.
          if (f === 0 && metric in logs) ctx.report(epoch, logs[metric]);
        },
      },
    ];
    if (options.earlyStopping) {
      const es = options.earlyStopping === true ? {} : options.earlyStopping;
      callbacks.push(earlyStopping({ monitor: metric, mode: direction, patience: es.patience ?? 2, minDelta: es.minDelta ?? 0 }));
    }
    await model.fit(folds[f].train, {
      epochs,
      batchSize: Number(config.batchSize ?? extra.batchSize ?? options.batchSize ?? 128),
      optimizer,
      loss: (extra.loss ?? options.loss ?? 'sparseCategoricalCrossentropy') as string | LossFn,
      metrics: fitMetrics,
      validationData: folds[f].val,
      callbacks,
      seed,
      verbose: 0,
    });
    const values = curves[metric];
    if (!values) {
      throw new ValueError(`tune.search: metric '${metric}' is not produced by fit (it logs: ${Object.keys(curves).join(', ') || 'nothing'})`);
    }
    const finite = values.filter(Number.isFinite);
    // A diverged fit (NaN loss) fails the trial; the search records it and goes on.
    const se = options.scoreEpochs === 'last' ? 1 : options.scoreEpochs;
    let score: number;
    if (typeof se === 'number') {
      const tail = values.slice(-se);
      score = tail.reduce((a, b) => a + b, 0) / tail.length;
    } else {
      score = finite.length === 0 ? NaN : direction === 'max' ? Math.max(...finite) : Math.min(...finite);
    }
    foldScores.push(score);
    if (f === 0) firstHistory = curves;
    if (!Number.isFinite(score)) break;
  }
  const score = foldScores.reduce((a, b) => a + b, 0) / foldScores.length;
  return { score, history: firstHistory, foldScores };
}

evaluateModel.prepare = prepare;
