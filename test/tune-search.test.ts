// tune.search with plain objectives: persistence and resume, pruning, parallel workers, bad input.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tune, ValueError, DTypeError, FormatError } from '../src';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'fastgrad-tune-'));
const space = { x: tune.uniform(-1, 1), y: tune.logUniform(1e-3, 1) };
const f = (c: tune.Config) => ((c.x as number) - 0.2) ** 2 + Math.log10(c.y as number) ** 2;

describe('tune.search', () => {
  it('returns every trial and the best, reproducibly from the seed', async () => {
    const a = await tune.search(f, space, { trials: 12, seed: 4, direction: 'min' });
    const b = await tune.search(f, space, { trials: 12, seed: 4, direction: 'min' });
    expect(a.trials.map((t) => t.config)).toEqual(b.trials.map((t) => t.config));
    expect(a.trials.length).toBe(12);
    expect(a.best.score).toBe(Math.min(...a.trials.map((t) => t.score)));
    const maxed = await tune.search((c) => -f(c), space, { trials: 12, seed: 4, metric: 'valAccuracy' });
    expect(maxed.direction).toBe('max');
    expect(maxed.best.config).toEqual(a.best.config);
  });

  it('resumes from its results file after a crash: no finished trial lost or rerun, same sequence', async () => {
    const dir = tmp();
    const file = path.join(dir, 'trials.jsonl');
    const full = await tune.search(f, space, { searcher: 'bayes', trials: 10, seed: 9, direction: 'min' });

    // First run dies in its 7th trial (after 6 finished).
    let calls = 0;
    await expect(
      tune.search(
        (c) => {
          if (++calls === 7) throw new Error('simulated crash');
          return f(c);
        },
        space,
        { searcher: 'bayes', trials: 10, seed: 9, direction: 'min', storage: file },
      ),
    ).rejects.toThrow('simulated crash');
    // A kill in the middle of a write leaves a partial last line.
    fs.appendFileSync(file, '{"type":"trial","number":6,"con');
    expect(fs.readFileSync(file, 'utf8').trim().split('\n').length).toBe(1 + 6 + 1);

    const evaluated: tune.Config[] = [];
    const resumed = await tune.search(
      (c) => {
        evaluated.push(c);
        return f(c);
      },
      space,
      { searcher: 'bayes', trials: 10, seed: 9, direction: 'min', resumeFile: file },
    );
    expect(evaluated.length).toBe(4);
    expect(resumed.trials.map((t) => t.number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(resumed.trials.map((t) => t.config)).toEqual(full.trials.map((t) => t.config));
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0].type).toBe('header');
    expect(lines.slice(1).map((l) => l.number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    // Running again with the file complete runs nothing; another space is refused.
    const again = await tune.search(() => { throw new Error('must not run'); }, space, { searcher: 'bayes', trials: 10, seed: 9, direction: 'min', storage: file });
    expect(again.best).toEqual(resumed.best);
    await expect(tune.search(f, { x: tune.uniform(0, 1) }, { trials: 2, storage: file, direction: 'min' })).rejects.toThrow(/different space/);
    fs.writeFileSync(path.join(dir, 'junk.jsonl'), 'not json\n{}\n');
    await expect(tune.search(f, space, { trials: 2, storage: path.join(dir, 'junk.jsonl') })).rejects.toThrow(FormatError);
  });

  it('median pruner stops trials worse than the median at a step; successive halving keeps the best third', async () => {
    // Each trial reports 5 steps; its curve is its config value plus a decay, so bad configs are bad early.
    const curve = async (c: tune.Config, ctx: tune.TrialContext) => {
      let v = 0;
      for (let s = 0; s < 5; s++) {
        v = (c.x as number) + 1 / (s + 1);
        ctx.report(s, v);
      }
      return v;
    };
    const xs = [0.5, 0.4, 0.6, 0.9, 0.1, 0.95, 0.3, 0.99];
    const grid: tune.Searcher = { name: 'fixed', suggest: ({ trial }) => (trial < xs.length ? { x: xs[trial] } : null) };
    const r = await tune.search(curve, { x: tune.uniform(0, 1) }, { searcher: grid, trials: 8, pruner: 'median', direction: 'min' });
    const state = r.trials.map((t) => t.state);
    expect(state.slice(0, 3)).toEqual(['complete', 'complete', 'complete']);
    expect(state[3]).toBe('pruned'); // 0.9 is worse than the median of 0.5, 0.4, 0.6
    expect(state[4]).toBe('complete');
    expect(r.trials[3].intermediate.length).toBe(2); // warm-up step 0, pruned at step 1
    expect(r.best.config).toEqual({ x: 0.1 });

    const sh = await tune.search(curve, { x: tune.uniform(0, 1) }, { searcher: grid, trials: 8, pruner: 'successiveHalving', direction: 'min' });
    expect(sh.trials.filter((t) => t.state === 'pruned').length).toBeGreaterThanOrEqual(3);
    expect(sh.best.config).toEqual({ x: 0.1 });
  });

  it('evaluates enqueued configs first (e.g. the current default), then what the searcher proposes', async () => {
    const r = await tune.search(f, space, { trials: 5, seed: 1, searcher: 'bayes', direction: 'min', enqueue: [{ x: 0.2, y: 1 }] });
    expect(r.trials[0].config).toEqual({ x: 0.2, y: 1 });
    expect(r.best.config).toEqual({ x: 0.2, y: 1 }); // the exact minimum
    await expect(tune.search(f, space, { trials: 2, enqueue: [{ x: 5, y: 1 }] })).rejects.toThrow(/enqueue.*not in the search space/);
  });

  it('records a trial whose objective returns NaN as failed and goes on', async () => {
    const r = await tune.search((c) => ((c.x as number) > 0.5 ? NaN : (c.x as number)), { x: tune.uniform(0, 1) }, { trials: 10, seed: 2, searcher: 'bayes', direction: 'min' });
    expect(r.trials.some((t) => t.state === 'failed')).toBe(true);
    expect(r.best.score).toBeLessThanOrEqual(0.5);
  });

  it('runs objective modules in parallel worker threads, pruning across them', async () => {
    const file = path.join(tmp(), 'par.jsonl');
    const module = { module: path.join(__dirname, 'fixtures', 'tune-objective.cjs'), export: 'bowl' };
    const r = await tune.search(module, { x: tune.uniform(0, 1) }, { trials: 8, parallel: 2, seed: 5, searcher: 'bayes', direction: 'min', storage: file });
    expect(r.trials.length).toBe(8);
    expect(r.trials.every((t) => t.state === 'complete' && t.intermediate.length === 3)).toBe(true);
    // Every trial ran in a worker thread, never on the main thread. (How the trials spread over the
    // two workers depends on scheduling, so the test does not insist that both got one.)
    const threads = new Set(r.trials.map((t) => t.history!.thread[0]));
    expect(threads.size).toBeGreaterThanOrEqual(1);
    expect(threads.size).toBeLessThanOrEqual(2);
    expect(threads.has(0)).toBe(false);
    expect(Math.abs((r.best.config.x as number) - 0.3)).toBeLessThan(0.25);
    expect(fs.readFileSync(file, 'utf8').trim().split('\n').length).toBe(9);

    // Which trials are pruned depends on timing; every trial still ends complete or pruned.
    const pruned = await tune.search(module, { x: tune.uniform(0, 1) }, { trials: 8, parallel: 2, seed: 5, pruner: 'median', direction: 'min' });
    expect(pruned.trials.length).toBe(8);
    expect(pruned.trials.every((t) => t.state === 'complete' || t.state === 'pruned')).toBe(true);
  });

  it('stops starting trials once an objective throws, and rethrows its error', async () => {
    let calls = 0;
    const failing = async (c: tune.Config, ctx: tune.TrialContext) => {
      calls++;
      await new Promise((r) => setTimeout(r, 2));
      if (ctx.trial === 1) throw new RangeError('objective broke');
      return f(c);
    };
    await expect(tune.search(failing, space, { trials: 10, parallel: 2, seed: 1 })).rejects.toThrow('objective broke');
    expect(calls).toBeLessThanOrEqual(3);
  });

  it('rejects bad input with typed errors', async () => {
    await expect(tune.search(f, {}, {})).rejects.toThrow(ValueError);
    await expect(tune.search(f, { x: tune.uniform(1, 0) }, {})).rejects.toThrow(/'x'/);
    await expect(tune.search(f, space, { searcher: 'annealing' as never })).rejects.toThrow(/searcher/);
    await expect(tune.search(f, space, { trials: 0 })).rejects.toThrow(/trials/);
    await expect(tune.search(f, space, { pruner: 'hyperband' as never })).rejects.toThrow(/pruner/);
    await expect(tune.search(f, space, { direction: 'up' as never })).rejects.toThrow(/direction/);
    await expect(tune.search(42 as never, space, {})).rejects.toThrow(DTypeError);
    await expect(tune.search(() => 'x' as never, space, { trials: 1 })).rejects.toThrow(/must return a number/);
    await expect(tune.search(() => NaN, space, { trials: 2 })).rejects.toThrow(/no trial completed \(2 failed/);
  });
});
