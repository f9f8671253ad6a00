// tune.search: proposes configs with a searcher, evaluates them (one after another, or several at
// once), prunes hopeless ones, appends each finished trial to a results file, and resumes from it.
import { SearchSpace, type Config, type Space } from './space';
import { makeSearcher, type BayesOptions, type Observation, type Searcher, type SearcherName } from './searchers';
import { makePruner, type PeerTrial, type Pruner, type PrunerName } from './pruners';
import { TrialStorage } from './storage';
import { TrialPruned, type BestTrial, type Direction, type Objective, type ObjectiveResult, type SearchResult, type Trial, type TrialContext } from './types';
import { evaluateModel, type ModelFactory, type ModelSearchOptions } from './evaluate';
import { WorkerLane, type ObjectiveModule } from './parallel';
import { Generator } from '../tensor/random';
import { getBackend } from '../backend';
import { DTypeError, ValueError, checkInt, describe } from '../errors';

export interface SearchOptions extends Partial<ModelSearchOptions> {
  /** 'grid', 'random' (default) or 'bayes', or a Searcher. */
  searcher?: SearcherName | Searcher;
  /** Trials to run, counting those already in the results file (default 20; a grid stops at its size). */
  trials?: number;
  /** The score's name: a History key for model searches ('valAccuracy', 'valLoss' ...). */
  metric?: string;
  /** 'max' or 'min'; by default 'min' for losses and errors, else 'max'. */
  direction?: Direction;
  seed?: number;
  pruner?: PrunerName | Pruner;
  /** Trials at once (default 1). Objective modules run in worker threads; functions run concurrently in this thread. */
  parallel?: number;
  /** A JSONL results file: appended as trials finish, resumed from when it exists. */
  storage?: string;
  /** Alias of storage. */
  resumeFile?: string;
  /** Called after each trial finishes (after it is saved). */
  onTrial?: (trial: Trial) => void;
  /**
   * Configs to evaluate first, as trials 0, 1, ... (e.g. the current default, so the search can only
   * report a config that scored at least as well); the searcher proposes the rest.
   */
  enqueue?: Config[];
  /** Grid points per continuous range (default 5). */
  gridResolution?: number;
  bayes?: BayesOptions;
}

/** A pure objective, a model factory (with options.data) or an objective module (for worker threads). */
export type SearchTarget = Objective | ModelFactory | ObjectiveModule;

function defaultDirection(metric: string): Direction {
  return /loss|error|mse|mae|regret/i.test(metric) ? 'min' : 'max';
}

/** The generator for trial t's proposal: a function of the seed and t alone, so resumes repeat it. */
function trialSeed(seed: number, t: number): number {
  return (seed ^ Math.imul(t + 1, 0x9e3779b1)) | 0;
}

function normaliseResult(r: ObjectiveResult): { score: number; history?: Trial['history']; foldScores?: number[] } {
  if (typeof r === 'number') return { score: r };
  if (r !== null && typeof r === 'object' && typeof r.score === 'number') return r;
  throw new DTypeError(`tune.search: the objective must return a number or { score, history }, got ${describe(r)}`);
}

/** Runs one trial somewhere: in this thread or in a worker. */
interface Executor {
  run(trial: number, seed: number, config: Config, report: (step: number, value: number) => boolean): Promise<ObjectiveResult>;
  close(): Promise<void>;
}

function inThread(objective: Objective): Executor {
  return {
    async run(trial, seed, config, report) {
      const ctx: TrialContext = {
        trial,
        seed,
        report(step, value) {
          if (report(step, value)) throw new TrialPruned(step);
        },
      };
      return objective(config, ctx);
    },
    async close() {},
  };
}

// One overload per kind of target: TypeScript types a lambda's parameters from an overload, not from
// a union of function types, so `search((c) => ...)` gets c: Config.
export async function search(target: Objective, space: Space, options?: SearchOptions): Promise<SearchResult>;
export async function search(target: ModelFactory, space: Space, options?: SearchOptions): Promise<SearchResult>;
export async function search(target: ObjectiveModule, space: Space, options?: SearchOptions): Promise<SearchResult>;
export async function search(target: SearchTarget, space: Space, options?: SearchOptions): Promise<SearchResult>;
export async function search(target: SearchTarget, space: Space, options: SearchOptions = {}): Promise<SearchResult> {
  if (options === null || typeof options !== 'object') throw new DTypeError(`tune.search: options must be an object, got ${describe(options)}`);
  const sp = new SearchSpace(space);
  const isModule = target !== null && typeof target === 'object' && typeof (target as ObjectiveModule).module === 'string';
  if (typeof target !== 'function' && !isModule) {
    throw new DTypeError(`tune.search: the first argument must be an objective (config, ctx) => score, a model factory, or { module, export }, got ${describe(target)}`);
  }
  const modelSearch = typeof target === 'function' && options.data !== undefined;
  const metric = options.metric ?? (modelSearch ? 'valLoss' : 'objective');
  if (typeof metric !== 'string' || metric === '') throw new DTypeError(`tune.search: option 'metric' must be a non-empty string, got ${describe(metric)}`);
  const direction = options.direction ?? defaultDirection(metric);
  if (direction !== 'min' && direction !== 'max') throw new ValueError(`tune.search: option 'direction' must be 'min' or 'max', got ${describe(direction)}`);
  const sign = direction === 'max' ? -1 : 1;
  const seed = checkInt("tune.search: option 'seed'", options.seed ?? 0);
  const parallel = checkInt("tune.search: option 'parallel'", options.parallel ?? 1, 1, 256);
  const searcher = makeSearcher(options.searcher, sp, { gridResolution: options.gridResolution, bayes: options.bayes });
  const gridSize = 'points' in searcher ? (searcher as { points: Config[] }).points.length : Infinity;
  const nTrials = checkInt("tune.search: option 'trials'", options.trials ?? Math.min(20, gridSize), 1);
  const pruner = makePruner(options.pruner);
  const enqueued = options.enqueue ?? [];
  if (!Array.isArray(enqueued)) throw new DTypeError(`tune.search: option 'enqueue' must be an array of configs, got ${describe(enqueued)}`);
  enqueued.forEach((c, i) => {
    if (c === null || typeof c !== 'object' || !sp.contains(c)) {
      throw new ValueError(`tune.search: option 'enqueue': config ${i} (${JSON.stringify(c)}) is not in the search space`);
    }
  });
  if (options.onTrial !== undefined && typeof options.onTrial !== 'function') throw new DTypeError(`tune.search: option 'onTrial' must be a function, got ${describe(options.onTrial)}`);

  // Model searches check their options (data, k, metric) before the first trial, not inside it.
  let objective: Objective | undefined;
  if (modelSearch) {
    const modelOptions = { ...options, metric } as ModelSearchOptions;
    const factory = target as ModelFactory;
    const prepared = evaluateModel.prepare(modelOptions, seed);
    objective = (config, ctx) => evaluateModel(factory, config, prepared, ctx);
  } else if (typeof target === 'function') {
    objective = target as Objective;
  }

  const file = options.storage ?? options.resumeFile;
  const storage = file
    ? TrialStorage.open(file, { type: 'header', version: 1, space: sp.signature(), metric, direction, searcher: searcher.name })
    : undefined;
  const trials: Trial[] = storage ? storage.trials.filter((t) => sp.contains(t.config)) : [];
  // Values reported so far by every trial, finished or running, for the pruner.
  const reported = new Map<number, { values: number[]; complete: boolean }>();
  for (const t of trials) reported.set(t.number, { values: t.intermediate.map((v) => sign * v), complete: t.state === 'complete' });

  const running = new Map<number, Config>();
  let next = trials.reduce((m, t) => Math.max(m, t.number + 1), 0);
  let exhausted = false;
  const observations = (): Observation[] =>
    trials.map((t) => {
      // A pruned trial is known only up to where it stopped; its last value is the searcher's best guess.
      const v = t.state === 'complete' ? t.score : t.state === 'pruned' ? t.intermediate[t.intermediate.length - 1] ?? NaN : NaN;
      return { config: t.config, loss: sign * v };
    });

  const executors: Executor[] = [];
  const makeExecutor = (): Executor => {
    if (objective) return inThread(objective);
    return new WorkerLane(target as ObjectiveModule, parallel);
  };

  const runLane = async (exec: Executor) => {
    for (;;) {
      if (exhausted || trials.length + running.size >= nTrials) return;
      const number = next++;
      const config =
        number < enqueued.length
          ? { ...enqueued[number] }
          : searcher.suggest({ trial: number, done: observations(), pending: [...running.values()], rng: new Generator(trialSeed(seed, number)) });
      if (config === null) {
        exhausted = true;
        return;
      }
      running.set(number, config);
      const mine = { values: [] as number[], complete: false };
      reported.set(number, mine);
      let prunedAt = -1;
      const report = (step: number, value: number): boolean => {
        if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) throw new ValueError(`TrialContext.report: step must be an integer >= 0, got ${describe(step)}`);
        mine.values[step] = sign * value;
        if (!pruner) return false;
        const peers: PeerTrial[] = [];
        for (const [n, p] of reported) if (n !== number) peers.push(p);
        if (pruner.shouldPrune(step, sign * value, peers)) prunedAt = step;
        return prunedAt >= 0;
      };
      const t0 = performance.now();
      let trial: Trial;
      try {
        const r = normaliseResult(await exec.run(number, trialSeed(seed + 1, number), config, report));
        const ok = Number.isFinite(r.score);
        trial = {
          number, config, state: prunedAt >= 0 ? 'pruned' : ok ? 'complete' : 'failed', score: r.score,
          intermediate: mine.values.map((v) => sign * v), seconds: 0,
          ...(r.history ? { history: r.history } : {}), ...(r.foldScores ? { foldScores: r.foldScores } : {}),
          ...(ok ? {} : { error: `the objective returned ${r.score}` }),
        };
      } catch (e) {
        if (prunedAt < 0 && !(e instanceof TrialPruned)) {
          // An objective that throws stops the search: the other lanes finish their trials, start no more.
          running.delete(number);
          exhausted = true;
          throw e;
        }
        trial = { number, config, state: 'pruned', score: NaN, intermediate: mine.values.map((v) => sign * v), seconds: 0 };
      }
      trial.seconds = (performance.now() - t0) / 1000;
      if (trial.state === 'pruned') trial.score = trial.intermediate[trial.intermediate.length - 1] ?? NaN;
      mine.complete = trial.state === 'complete';
      running.delete(number);
      storage?.append(trial);
      trials.push(trial);
      options.onTrial?.(trial);
    }
  };

  // Worker lanes share the process's one native thread pool: give each its share of the cores.
  const native = !objective && parallel > 1 ? getBackend('native') : undefined;
  const threadsBefore = native?.numThreads();
  if (native && threadsBefore !== undefined) native.setNumThreads(Math.max(1, Math.floor(threadsBefore / parallel)));
  try {
    const lanes = [];
    for (let i = 0; i < parallel; i++) {
      const exec = makeExecutor();
      executors.push(exec);
      lanes.push(runLane(exec));
    }
    const outcomes = await Promise.allSettled(lanes);
    const failed = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) throw failed.reason;
  } finally {
    await Promise.all(executors.map((e) => e.close()));
    if (native && threadsBefore !== undefined) native.setNumThreads(threadsBefore);
  }

  trials.sort((a, b) => a.number - b.number);
  return { trials, space, best: bestOf(trials, direction, metric), metric, direction };
}

/** The best complete trial. */
export function bestOf(trials: readonly Trial[], direction: Direction, metric = 'score'): BestTrial {
  let best: Trial | undefined;
  for (const t of trials) {
    if (t.state !== 'complete') continue;
    if (!best || (direction === 'max' ? t.score > best.score : t.score < best.score)) best = t;
  }
  if (!best) {
    const count = (s: string) => trials.filter((t) => t.state === s).length;
    throw new ValueError(`tune.search: no trial completed (${count('failed')} failed, ${count('pruned')} pruned) so there is no best ${metric}`);
  }
  return { number: best.number, config: best.config, score: best.score, ...(best.history ? { history: best.history } : {}) };
}

