// Searchers propose the next config from what has been observed. They are stateless between calls:
// everything they need (finished trials, trials still running, the trial number, a generator seeded
// for that trial) comes in each call, so a resumed search proposes exactly what an uninterrupted one
// would have.
import { GaussianProcess, expectedImprovement } from './gp';
import type { Config, SearchSpace } from './space';
import type { Generator } from '../tensor/random';
import { ValueError, checkInt, describe } from '../errors';

/** A finished trial as a searcher sees it: lower `loss` is better (scores to maximise are negated). */
export interface Observation {
  config: Config;
  /** NaN for a trial that failed (e.g. diverged); searchers treat it as the worst seen. */
  loss: number;
}

export interface SuggestContext {
  /** The number of the trial being proposed (0-based). */
  trial: number;
  done: readonly Observation[];
  /** Configs proposed but not finished (parallel search). */
  pending: readonly Config[];
  rng: Generator;
}

export interface Searcher {
  readonly name: string;
  /** The next config, or null when the searcher has nothing left (a finished grid). */
  suggest(ctx: SuggestContext): Config | null;
}

/** Every point of the grid in order (trial t gets point t); `resolution` points per continuous range. */
export class GridSearcher implements Searcher {
  readonly name = 'grid';
  readonly points: Config[];
  constructor(space: SearchSpace, resolution = 5) {
    checkInt("grid searcher: option 'resolution'", resolution, 1, 1000);
    this.points = space.grid(resolution);
  }
  suggest(ctx: SuggestContext): Config | null {
    return ctx.trial < this.points.length ? { ...this.points[ctx.trial] } : null;
  }
}

export class RandomSearcher implements Searcher {
  readonly name = 'random';
  constructor(private readonly space: SearchSpace) {}
  suggest(ctx: SuggestContext): Config {
    return this.space.sample(ctx.rng);
  }
}

export interface BayesOptions {
  /** Random trials before the GP takes over (default max(5, number of dimensions + 1)). */
  initialTrials?: number;
  /** Random candidates scored by EI per proposal (default 1000). */
  candidates?: number;
  /** EI's exploration margin, in units of the standardised loss (default 0.01). */
  xi?: number;
}

/**
 * GP-EI: a Gaussian process over the encoded configs, and the candidate of highest expected
 * improvement, found by scoring random configs and configs near the best seen, then refining the
 * few best by a shrinking local random walk. Configs still running are added at the mean of the
 * observed losses (a "constant liar"), so parallel trials spread out.
 */
export class BayesSearcher implements Searcher {
  readonly name = 'bayes';
  private readonly initial: number;
  private readonly candidates: number;
  private readonly xi: number;

  constructor(private readonly space: SearchSpace, options: BayesOptions = {}) {
    this.initial = checkInt("bayes searcher: option 'initialTrials'", options.initialTrials ?? Math.max(5, space.dims.length + 1), 1);
    this.candidates = checkInt("bayes searcher: option 'candidates'", options.candidates ?? 1000, 1);
    this.xi = options.xi ?? 0.01;
  }

  suggest(ctx: SuggestContext): Config {
    const { done, pending, rng } = ctx;
    const finite = done.filter((o) => Number.isFinite(o.loss));
    if (finite.length < Math.min(this.initial, 2) || done.length + pending.length < this.initial) return this.space.sample(rng);

    // Failed trials count as the worst finite loss, so the GP learns to avoid their region.
    const worst = Math.max(...finite.map((o) => o.loss));
    const ys = done.map((o) => (Number.isFinite(o.loss) ? o.loss : worst));
    const xs = done.map((o) => this.space.encode(o.config));
    if (pending.length) {
      const lie = ys.reduce((a, b) => a + b, 0) / ys.length;
      for (const p of pending) {
        xs.push(this.space.encode(p));
        ys.push(lie);
      }
    }
    const gp = GaussianProcess.fit(xs, ys);
    const bestY = Math.min(...done.map((o) => o.loss).filter(Number.isFinite));
    const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
    const xi = this.xi * Math.sqrt(ys.reduce((a, b) => a + (b - mean) ** 2, 0) / ys.length);
    const seen = xs.map((x) => x.join(','));
    const ei = (c: Config) => {
      const z = this.space.encode(c);
      if (seen.includes(z.join(','))) return -1;
      const p = gp.predict(z);
      return expectedImprovement(p.mean, p.std, bestY, xi);
    };

    // Candidates: random over the space, plus neighbours of the best few trials (local exploitation).
    const pool: { c: Config; v: number }[] = [];
    for (let i = 0; i < this.candidates; i++) {
      const c = this.space.sample(rng);
      pool.push({ c, v: ei(c) });
    }
    const ranked = done.filter((o) => Number.isFinite(o.loss)).sort((a, b) => a.loss - b.loss).slice(0, 5);
    for (const o of ranked) {
      for (let i = 0; i < 40; i++) {
        const c = this.space.neighbour(o.config, rng, 0.05, 0.1);
        pool.push({ c, v: ei(c) });
      }
    }
    pool.sort((a, b) => b.v - a.v);
    let best = pool[0];
    for (const start of pool.slice(0, 5)) {
      let cur = start;
      let step = 0.1;
      for (let it = 0; it < 40 && step > 1e-3; it++) {
        const c = this.space.neighbour(cur.c, rng, step, 0.05);
        const v = ei(c);
        if (v > cur.v) cur = { c, v };
        else if (it % 4 === 3) step /= 2;
      }
      if (cur.v > best.v) best = cur;
    }
    // Every candidate duplicates a seen config (a tiny, exhausted space): fall back to a random one.
    return best.v < 0 ? this.space.sample(rng) : best.c;
  }
}

export type SearcherName = 'grid' | 'random' | 'bayes';

/** A searcher from its name (or an instance, returned as is). */
export function makeSearcher(
  spec: SearcherName | Searcher | undefined,
  space: SearchSpace,
  options: { gridResolution?: number; bayes?: BayesOptions } = {},
): Searcher {
  if (spec !== undefined && typeof spec === 'object' && typeof spec.suggest === 'function') return spec;
  switch (spec ?? 'random') {
    case 'grid':
      return new GridSearcher(space, options.gridResolution);
    case 'random':
      return new RandomSearcher(space);
    case 'bayes':
      return new BayesSearcher(space, options.bayes);
    default:
      throw new ValueError(`tune.search: option 'searcher' must be 'grid', 'random', 'bayes' or a Searcher, got ${describe(spec)}`);
  }
}
