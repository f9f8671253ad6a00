// The search task of `fastgrad tune --model mlp`: the MLP 784-256-128-10 with dropout after each
// hidden layer, on a seeded, class-balanced subset of Fashion-MNIST's training set, scored by
// validation accuracy (holdout or k-fold). It is a module so that worker threads can load it
// (tune.search with { module, export: 'createMlpObjective', args }).
import * as nn from '../../nn';
import * as data from '../../data';
import '../../train';
import { Generator } from '../../tensor/random';
import { evaluateModel } from '../evaluate';
import { subset, type Dataset } from '../../data/dataset';
import { classIds } from '../cv';
import { choice, logUniform, uniform, type Config, type Space } from '../space';
import type { Objective } from '../types';

/** What `fastgrad tune --model mlp` searches. */
export function mlpSpace(): Space {
  return {
    lr: logUniform(1e-4, 1e-2),
    batchSize: choice([32, 64, 128, 256]),
    weightDecay: logUniform(1e-8, 1e-3),
    dropout: uniform(0, 0.5),
  };
}

/** The configuration `fastgrad train` uses, to compare the tuned one against. */
export const MLP_DEFAULT_CONFIG: Config = { lr: 1e-3, batchSize: 128, weightDecay: 0, dropout: 0 };

/**
 * The default as a point of the space, evaluated first: weight decay at the space's floor, 1e-8
 * (a pull of 1e-8 * w on gradients of about 1e-3: no effect), since a log range cannot hold 0.
 */
export const MLP_DEFAULT_TRIAL: Config = { ...MLP_DEFAULT_CONFIG, weightDecay: 1e-8 };

/** 784-256-128-10 with ReLU, and dropout after each hidden layer when config.dropout > 0. */
export function mlp(config: Config): nn.Module {
  const p = Number(config.dropout ?? 0);
  const layers: nn.Module[] = [new nn.Linear(784, 256), new nn.ReLU()];
  if (p > 0) layers.push(new nn.Dropout(p));
  layers.push(new nn.Linear(256, 128), new nn.ReLU());
  if (p > 0) layers.push(new nn.Dropout(p));
  layers.push(new nn.Linear(128, 10));
  return new nn.Sequential(...layers);
}

export interface MlpTaskArgs {
  /** Folder of the Fashion-MNIST IDX files (default: the bundled copy). */
  dataDir?: string;
  /** Training samples searched on, class-balanced (default 0: all 60000). */
  subset?: number;
  cv?: number;
  holdout?: number;
  epochs: number;
  seed: number;
  earlyStopping?: boolean;
}

/** A class-balanced random subset of n samples (every class in proportion). */
export function balancedSubset(ds: Dataset, n: number, seed: number): Dataset {
  const total = ds.x.shape[0];
  if (!n || n >= total) return ds;
  const labels = classIds(ds.y);
  const order = new Generator(seed).shuffle(Int32Array.from({ length: total }, (_, i) => i));
  if (!labels) return subset(ds, order.slice(0, n));
  // Taking from each class in turn keeps the class shares of the full set.
  const byClass = new Map<number, number[]>();
  for (const i of order) (byClass.get(labels[i]) ?? byClass.set(labels[i], []).get(labels[i])!).push(i);
  const picked: number[] = [];
  const lists = [...byClass.values()];
  for (let k = 0; picked.length < n; k++) for (const l of lists) if (k < l.length && picked.length < n) picked.push(l[k]);
  return subset(ds, Int32Array.from(picked.sort((a, b) => a - b)));
}

let cached: { key: string; data: Promise<data.TrainTest> } | undefined;

/** Fashion-MNIST, loaded once per thread. */
export function loadFashionMnist(dir?: string): Promise<data.TrainTest> {
  const key = dir ?? '';
  if (!cached || cached.key !== key) cached = { key, data: data.fashionMnist(dir ? { dir } : {}) };
  return cached.data;
}

/**
 * The objective for a search of the MLP's hyperparameters. Score: validation accuracy, the mean of
 * the last 3 epochs (the last epoch alone swings by about 0.5% from one epoch to the next).
 */
export async function createMlpObjective(args: MlpTaskArgs): Promise<Objective> {
  const { train } = await loadFashionMnist(args.dataDir);
  const searchData = balancedSubset(train, args.subset ?? 0, args.seed);
  const prepared = evaluateModel.prepare(
    { data: searchData, cv: args.cv, holdout: args.cv === undefined ? (args.holdout ?? 0.2) : undefined, epochs: args.epochs, metric: 'valAccuracy', earlyStopping: args.earlyStopping, scoreEpochs: 3 },
    args.seed,
  );
  return (config, ctx) => evaluateModel(mlp, config, prepared, ctx);
}
