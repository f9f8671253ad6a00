// tune.search over models: k-fold (stratified) and holdout evaluation through fit, pruning through
// per-epoch reports, and the errors for bad data, folds and metrics.
import { describe, expect, it } from 'vitest';
import { tune, nn, Tensor, Generator, ValueError, DTypeError } from '../src';

/** Three Gaussian blobs in 8 dimensions, classes 0, 1, 2 in proportions 1:1:2. */
function blobs(n: number, seed: number): { x: Tensor; y: Tensor } {
  const g = new Generator(seed);
  const x = new Float32Array(n * 8);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 4 === 3 ? 2 : i % 4 === 2 ? 2 : i % 2;
    y[i] = c;
    for (let j = 0; j < 8; j++) x[i * 8 + j] = g.normal() * 0.8 + (j % 3 === c ? 1.5 : 0);
  }
  return { x: new Tensor(x, [n, 8]), y: new Tensor(y, [n]) };
}

const factory = (cfg: tune.Config) => new nn.Sequential(new nn.Linear(8, Number(cfg.hidden ?? 16)), new nn.ReLU(), new nn.Linear(Number(cfg.hidden ?? 16), 3));

describe('tune.search with a model factory', () => {
  it('cross-validates each config with stratified folds and returns curves of the best', async () => {
    const data = blobs(240, 1);
    const r = await tune.search(factory, { lr: tune.logUniform(1e-3, 3e-2), hidden: tune.choice([8, 16]) }, {
      data, cv: 3, epochs: 4, batchSize: 32, trials: 4, metric: 'valAccuracy', seed: 2,
    });
    expect(r.direction).toBe('max');
    for (const t of r.trials) {
      expect(t.foldScores!.length).toBe(3);
      expect(t.score).toBeCloseTo(t.foldScores!.reduce((a, b) => a + b) / 3, 10);
      expect(t.intermediate.length).toBe(4);
    }
    expect(r.best.score).toBeGreaterThan(0.8);
    expect(Object.keys(r.best.history!)).toEqual(expect.arrayContaining(['loss', 'accuracy', 'valLoss', 'valAccuracy']));
    expect(r.best.history!.valAccuracy.length).toBe(4);

    // Scored by the mean of the last 2 epochs of each fold instead of the best epoch.
    const tail = await tune.search(factory, { lr: tune.logUniform(1e-3, 3e-2) }, { data, cv: 2, epochs: 3, batchSize: 32, trials: 1, metric: 'valAccuracy', seed: 2, scoreEpochs: 2 });
    const t = tail.trials[0];
    const h = t.history!.valAccuracy;
    expect(t.foldScores![0]).toBeCloseTo((h[1] + h[2]) / 2, 10);
  });

  it('stratified folds keep each class share; holdout likewise', () => {
    const { y } = blobs(240, 1);
    const labels = Int32Array.from(y.data);
    const folds = tune.kFold(240, 4, { labels, seed: 3 });
    const seen = new Set<number>();
    for (const f of folds) {
      expect(f.val.length).toBe(60);
      const twos = Array.from(f.val).filter((i) => labels[i] === 2).length;
      expect(twos).toBe(30);
      for (const i of f.val) seen.add(i);
      expect(f.train.length + f.val.length).toBe(240);
    }
    expect(seen.size).toBe(240);
    const h = tune.holdout(240, 0.25, { labels, seed: 3 });
    expect(h.val.length).toBe(60);
    expect(Array.from(h.val).filter((i) => labels[i] === 2).length).toBe(30);
  });

  it('prunes with per-epoch validation values and stops stalled fits early', async () => {
    const data = blobs(200, 4);
    const r = await tune.search(factory, { lr: tune.logUniform(1e-5, 3e-2) }, {
      data, holdout: 0.25, epochs: 6, batchSize: 32, trials: 8, metric: 'valLoss', seed: 5, pruner: 'median', earlyStopping: { patience: 1 },
    });
    expect(r.direction).toBe('min');
    expect(r.trials.some((t) => t.state === 'pruned')).toBe(true);
    expect(r.best.score).toBeLessThan(0.6);
  });

  it('rejects bad data, folds and metrics before the first trial', async () => {
    const data = blobs(20, 1);
    const space = { lr: tune.logUniform(1e-3, 1e-2) };
    let built = 0;
    const counting = (cfg: tune.Config) => {
      built++;
      return factory(cfg);
    };
    await expect(tune.search(counting, space, { data, cv: 1, metric: 'valAccuracy' })).rejects.toThrow(/at least 2 folds/);
    await expect(tune.search(counting, space, { data, cv: 21, metric: 'valAccuracy' })).rejects.toThrow(/21 folds but the data has only 20 samples/);
    await expect(tune.search(counting, space, { data, cv: 2.5 as never })).rejects.toThrow(DTypeError);
    await expect(tune.search(counting, space, { data, metric: 'valAUC' })).rejects.toThrow(/metric 'valAUC' is not produced by fit/);
    await expect(tune.search(counting, space, { data, holdout: 1.5 })).rejects.toThrow(/holdout/);
    await expect(tune.search(counting, space, { data, scoreEpochs: 0 })).rejects.toThrow(/scoreEpochs/);
    await expect(tune.search(counting, space, { data, cv: 3, holdout: 0.2 })).rejects.toThrow(/not both/);
    await expect(tune.search(counting, space, { data: { x: data.x, y: blobs(10, 1).y }, cv: 2 })).rejects.toThrow(/20 inputs but 10 targets/);
    await expect(tune.search(counting, space, { data: [1, 2] as never })).rejects.toThrow(DTypeError);
    expect(built).toBe(0);
    await expect(tune.search(() => 'not a model' as never, space, { data, trials: 1 })).rejects.toThrow(/must return a Module/);
    await expect(tune.search(factory, { optimizer: tune.choice(['simulatedAnnealing']) }, { data, trials: 1 })).rejects.toThrow(/names no optimizer/);
    expect(() => tune.kFold(5, 2.5)).toThrow(DTypeError);
    expect(() => tune.kFold(5, 6)).toThrow(ValueError);
  });
});
