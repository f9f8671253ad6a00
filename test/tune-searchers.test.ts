// The searchers on known functions (fixed seeds): GP-EI needs markedly fewer trials than random
// search to reach a given regret on Branin (2-D) and Hartmann-6.
import { describe, expect, it } from 'vitest';
import { tune } from '../src';

const { branin, hartmann6 } = tune.testFunctions;

/** Regret (best so far minus the known minimum) after each trial. */
async function regrets(fn: typeof branin, searcher: 'bayes' | 'random', trials: number, seed: number): Promise<number[]> {
  const r = await tune.search((cfg) => fn.f(cfg), fn.space, { searcher, trials, seed, direction: 'min' });
  let best = Infinity;
  return r.trials.map((t) => (best = Math.min(best, t.score)) - fn.minimum);
}

const median = (v: number[]) => v.slice().sort((a, b) => a - b)[v.length >> 1];

describe('tune searchers on test functions', () => {
  it('Bayesian search reaches random search\'s best-of-50 regret on Branin within 20 trials', async () => {
    const seeds = [1, 2, 3, 4, 5];
    const bayes20: number[] = [];
    const random50: number[] = [];
    for (const seed of seeds) {
      bayes20.push((await regrets(branin, 'bayes', 20, seed))[19]);
      random50.push((await regrets(branin, 'random', 50, seed))[49]);
    }
    console.log(`Branin regret: bayes@20 ${bayes20.map((v) => v.toFixed(3))}, random@50 ${random50.map((v) => v.toFixed(3))}`);
    expect(median(bayes20)).toBeLessThanOrEqual(median(random50));
    expect(bayes20.filter((v, i) => v <= random50[i]).length).toBeGreaterThanOrEqual(3);
  });

  it('Bayesian search needs fewer trials than random search to reach regret 0.5 on Hartmann-6', async () => {
    const firstBelow = (r: number[], level: number) => {
      const i = r.findIndex((v) => v <= level);
      return i < 0 ? Infinity : i + 1;
    };
    const bayes: number[] = [];
    const random: number[] = [];
    for (const seed of [1, 2, 3]) {
      bayes.push(firstBelow(await regrets(hartmann6, 'bayes', 30, seed), 0.5));
      random.push(firstBelow(await regrets(hartmann6, 'random', 200, seed), 0.5));
    }
    console.log(`Hartmann-6 trials to regret 0.5: bayes ${bayes}, random ${random} (Infinity: not within 30 / 200)`);
    expect(median(bayes)).toBeLessThan(median(random));
    expect(median(bayes)).toBeLessThanOrEqual(30);
  });

  it('a grid search visits every grid point once, in order, then stops', async () => {
    const seen: string[] = [];
    const r = await tune.search(
      (cfg) => {
        seen.push(`${cfg.a}/${cfg.b}`);
        return (cfg.a as number) + (cfg.b === 'x' ? 0 : 1);
      },
      { a: tune.uniform(0, 1), b: tune.choice(['x', 'y']) },
      { searcher: 'grid', gridResolution: 3, trials: 100, direction: 'min' },
    );
    expect(seen).toEqual(['0/x', '0/y', '0.5/x', '0.5/y', '1/x', '1/y']);
    expect(r.trials.length).toBe(6);
    expect(r.best.config).toEqual({ a: 0, b: 'x' });
  });

  it('handles categorical and conditional spaces in the Bayesian searcher', async () => {
    const r = await tune.search(
      (cfg) => (cfg.kind === 'a' ? ((cfg.u as number) - 0.7) ** 2 : 1 + (cfg.v as number)),
      { kind: tune.conditional({ a: { u: tune.uniform(0, 1) }, b: { v: tune.uniform(0, 1) } }) },
      { searcher: 'bayes', trials: 15, seed: 3, direction: 'min' },
    );
    expect(r.best.config.kind).toBe('a');
    expect(r.best.score).toBeLessThan(0.01);
  });
});
