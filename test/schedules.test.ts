// Learning-rate schedules against PyTorch 1.13's values (test/fixtures/schedules.json, written by
// scripts/golden_schedules.py), plus state round trips, the fit callback and bad options.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fg from '../src';
import { optim, ValueError } from '../src';

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'schedules.json'), 'utf8'));

interface Group { lr: number; [k: string]: unknown }
interface FakeOptimizer { paramGroups: Group[]; defaults: Record<string, unknown> }

/** Stands in for any optimizer: schedules only touch the groups. */
function fakeOptimizer(groups: { lr: number }[], kind: 'sgd' | 'adam' = 'sgd', momentum = 0): FakeOptimizer {
  const defaults: Record<string, unknown> = kind === 'adam' ? { lr: 0.1, betas: [0.9, 0.999] } : { lr: 0.1, momentum };
  const paramGroups = groups.map((g) => (kind === 'adam' ? { lr: g.lr, betas: [0.9, 0.999] } : { lr: g.lr, momentum }));
  return { paramGroups, defaults };
}

const LAMBDAS: Record<string, (e: number) => number> = {
  pow095: (e) => 0.95 ** e,
  inverse: (e) => 1 / (1 + e),
  warmup10: (e) => Math.min(1, (e + 1) / 10),
  times098: () => 0.98,
  alternate: (e) => (e % 2 ? 1.05 : 0.9),
};

function build(name: string, opt: FakeOptimizer, options: any): any {
  if (name === 'SequentialLR') {
    const schedulers = options.schedulers.map((s: any) => build(s.scheduler, opt, s.options));
    return new optim.SequentialLR(opt, { schedulers, milestones: options.milestones });
  }
  if (name === 'ChainedScheduler') return new optim.ChainedScheduler(options.schedulers.map((s: any) => build(s.scheduler, opt, s.options)));
  const opts = { ...options };
  if (opts.lrLambda !== undefined) opts.lrLambda = Array.isArray(opts.lrLambda) ? opts.lrLambda.map((n: string) => LAMBDAS[n]) : LAMBDAS[opts.lrLambda];
  const Cls = (optim as any)[name];
  return new Cls(opt, opts);
}

function momenta(opt: FakeOptimizer): number[] {
  return opt.paramGroups.map((g) => (Array.isArray(g.betas) ? (g.betas as number[])[0] : (g.momentum as number)));
}

function expectClose(got: number[], want: number[], where: string): void {
  expect(got.length, where).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const tol = 1e-6 * Math.abs(want[i]) + 1e-15;
    if (!(Math.abs(got[i] - want[i]) <= tol)) throw new Error(`${where}, group ${i}: got ${got[i]}, PyTorch ${want[i]}`);
  }
}

/** Runs a fixture case, returning per-step lrs and momenta; optionally saves/restores state midway. */
function runCase(c: any, restartAt = -1): { lrs: number[][]; moms: number[][] } {
  let opt = fakeOptimizer(c.groups, c.optimizer === 'adam' ? 'adam' : 'sgd', c.momentum ?? 0);
  let sched = build(c.scheduler, opt, c.options);
  const lrs = [opt.paramGroups.map((g) => g.lr)];
  const moms = [momenta(opt)];
  const n = c.metrics ? c.metrics.length : c.stepArgs ? c.stepArgs.length : (c.steps ?? 100);
  for (let t = 0; t < n; t++) {
    if (t === restartAt) {
      // A new process: fresh optimizer groups and schedule, then both states loaded from JSON.
      const groupsState = JSON.parse(JSON.stringify(opt.paramGroups));
      const state = JSON.parse(JSON.stringify(sched.stateDict()));
      opt = fakeOptimizer(c.groups, c.optimizer === 'adam' ? 'adam' : 'sgd', c.momentum ?? 0);
      sched = build(c.scheduler, opt, c.options);
      opt.paramGroups.forEach((g, i) => Object.assign(g, groupsState[i]));
      sched.loadStateDict(state);
    }
    if (c.metrics) sched.step(c.metrics[t]);
    else if (c.stepArgs) sched.step(c.stepArgs[t]);
    else sched.step();
    lrs.push(opt.paramGroups.map((g) => g.lr));
    moms.push(momenta(opt));
    expect(sched.getLastLr()).toEqual(lrs[lrs.length - 1]);
  }
  return { lrs, moms };
}

describe('schedules match PyTorch 1.13', () => {
  it('has the fixture', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(20);
  });
  for (const c of fixture.cases) {
    it(c.name, () => {
      const { lrs, moms } = runCase(c);
      expect(lrs.length).toBe(c.lrs.length);
      lrs.forEach((row, t) => expectClose(row, c.lrs[t], `${c.name}: step ${t} lr`));
      if (c.momenta) moms.forEach((row, t) => expectClose(row, c.momenta[t], `${c.name}: step ${t} momentum`));
    });
  }
});

describe('stateDict / loadStateDict', () => {
  for (const c of fixture.cases) {
    it(`resumes ${c.name} exactly`, () => {
      const straight = runCase(c);
      const resumed = runCase(c, Math.floor(c.lrs.length / 2) - 1);
      expect(resumed.lrs).toEqual(straight.lrs);
      expect(resumed.moms).toEqual(straight.moms);
    });
  }

  it('resumes from lastEpoch with initialLr set (recursive forms continue from the group lr)', () => {
    const a = fakeOptimizer([{ lr: 0.1 }]);
    const s = new optim.StepLR(a, { stepSize: 3, gamma: 0.5 });
    for (let i = 0; i < 4; i++) s.step();
    const b = fakeOptimizer([{ lr: a.paramGroups[0].lr }]);
    b.paramGroups[0].initialLr = 0.1;
    const s2 = new optim.StepLR(b, { stepSize: 3, gamma: 0.5, lastEpoch: 4 });
    // The constructor's step takes it to epoch 5, as the fifth step() did for s.
    s.step();
    expect(s2.getLastLr()).toEqual(s.getLastLr());
    for (let i = 0; i < 10; i++) {
      s.step();
      s2.step();
      expect(s2.getLastLr()).toEqual(s.getLastLr());
    }
    expect(() => new optim.StepLR(fakeOptimizer([{ lr: 0.1 }]), { stepSize: 3, lastEpoch: 4 })).toThrow(/initialLr/);
  });

  it('two schedules on one optimizer compose (chainable form)', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    const a = new optim.ExponentialLR(opt, { gamma: 0.9 });
    const b = new optim.StepLR(opt, { stepSize: 2, gamma: 0.1 });
    for (let i = 0; i < 4; i++) {
      a.step();
      b.step();
    }
    expect(opt.paramGroups[0].lr).toBeCloseTo(0.9 ** 4 * 0.01, 12);
  });
});

describe('lrSchedulerCallback', () => {
  it('steps per epoch by default and per batch when asked', () => {
    const opt = fakeOptimizer([{ lr: 0.1 }]);
    const cb = optim.lrSchedulerCallback(new optim.ExponentialLR(opt, { gamma: 0.5 }));
    cb.onBatchEnd(0, { loss: 1 });
    cb.onBatchEnd(1, { loss: 1 });
    expect(opt.paramGroups[0].lr).toBe(0.1);
    cb.onEpochEnd(0, { loss: 1 });
    expect(opt.paramGroups[0].lr).toBe(0.05);

    const opt2 = fakeOptimizer([{ lr: 0.1 }], 'sgd', 0.9);
    const cb2 = optim.lrSchedulerCallback(new optim.OneCycleLR(opt2, { maxLr: 1, totalSteps: 10 }), { perBatch: true });
    const seen = [opt2.paramGroups[0].lr];
    for (let b = 0; b < 9; b++) {
      cb2.onBatchEnd(b, { loss: 1 });
      seen.push(opt2.paramGroups[0].lr);
    }
    cb2.onEpochEnd(0, { loss: 1 });
    expect(Math.max(...seen)).toBeCloseTo(1, 12);
    expect(seen[9]).toBeCloseTo(0.04 / 1e4, 12);
    expect(cb2.getLastLr()).toEqual([seen[9]]);
  });

  it('feeds ReduceLROnPlateau the monitored metric (valLoss, falling back to loss)', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    const cb = optim.lrSchedulerCallback(new optim.ReduceLROnPlateau(opt, { patience: 0, factor: 0.5 }));
    cb.onEpochEnd(0, { loss: 5, valLoss: 1 });
    cb.onEpochEnd(1, { loss: 0.1, valLoss: 2 });
    expect(opt.paramGroups[0].lr).toBe(0.5);
    const opt2 = fakeOptimizer([{ lr: 1 }]);
    const cb2 = optim.lrSchedulerCallback(new optim.ReduceLROnPlateau(opt2, { patience: 0, factor: 0.5 }));
    cb2.onEpochEnd(0, { loss: 1 });
    cb2.onEpochEnd(1, { loss: 2 });
    expect(opt2.paramGroups[0].lr).toBe(0.5);
    const cb3 = optim.lrSchedulerCallback(new optim.ReduceLROnPlateau(fakeOptimizer([{ lr: 1 }]), { mode: 'max' }), { monitor: 'valAccuracy' });
    expect(() => cb3.onEpochEnd(0, { loss: 1 })).toThrow(/valAccuracy/);
  });
});

describe('bad options are rejected at construction, naming option and value', () => {
  const opt = () => fakeOptimizer([{ lr: 0.1 }], 'sgd', 0.9);
  const cases: [string, () => unknown, RegExp][] = [
    ['negative lr in a group', () => new optim.StepLR(fakeOptimizer([{ lr: -1 }]), { stepSize: 1 }), /lr must be a number >= 0, got number -1/],
    ['StepLR gamma 0', () => new optim.StepLR(opt(), { stepSize: 2, gamma: 0 }), /'gamma' must be > 0, got 0/],
    ['StepLR stepSize 0', () => new optim.StepLR(opt(), { stepSize: 0 }), /'stepSize'.*got 0/],
    ['ExponentialLR gamma -0.5', () => new optim.ExponentialLR(opt(), { gamma: -0.5 }), /'gamma' must be > 0, got -0.5/],
    ['MultiStepLR milestones not increasing', () => new optim.MultiStepLR(opt(), { milestones: [10, 5] }), /'milestones' must be strictly increasing, got \[10, 5\]/],
    ['CosineAnnealingLR tMax 0', () => new optim.CosineAnnealingLR(opt(), { tMax: 0 }), /'tMax' must be > 0, got 0/],
    ['CosineAnnealingLR etaMin -1', () => new optim.CosineAnnealingLR(opt(), { tMax: 5, etaMin: -1 }), /'etaMin'.*-1/],
    ['CosineAnnealingWarmRestarts t0 0', () => new optim.CosineAnnealingWarmRestarts(opt(), { t0: 0 }), /'t0'.*got 0/],
    ['CosineAnnealingWarmRestarts tMult 0', () => new optim.CosineAnnealingWarmRestarts(opt(), { t0: 2, tMult: 0 }), /'tMult'.*got 0/],
    ['LinearLR startFactor 0', () => new optim.LinearLR(opt(), { startFactor: 0 }), /'startFactor' must be in \(0, 1\], got 0/],
    ['LinearLR endFactor 2', () => new optim.LinearLR(opt(), { endFactor: 2 }), /'endFactor'.*got 2/],
    ['OneCycleLR maxLr 0', () => new optim.OneCycleLR(opt(), { maxLr: 0, totalSteps: 10 }), /'maxLr' must be > 0, got 0/],
    ['OneCycleLR pctStart 1', () => new optim.OneCycleLR(opt(), { maxLr: 1, totalSteps: 10, pctStart: 1 }), /'pctStart' must be in \(0, 1\), got 1/],
    ['OneCycleLR no totalSteps', () => new optim.OneCycleLR(opt(), { maxLr: 1 }), /totalSteps/],
    ['OneCycleLR annealStrategy', () => new optim.OneCycleLR(opt(), { maxLr: 1, totalSteps: 5, annealStrategy: 'exp' as any }), /'annealStrategy'.*'exp'/],
    ['OneCycleLR cycleMomentum without momentum', () => new optim.OneCycleLR({ paramGroups: [{ lr: 1 }] }, { maxLr: 1, totalSteps: 5 }), /cycleMomentum/],
    ['ConstantLR factor 0', () => new optim.ConstantLR(opt(), { factor: 0 }), /'factor' must be in \(0, 1\], got 0/],
    ['CyclicLR maxLr -1', () => new optim.CyclicLR(opt(), { baseLr: 0.1, maxLr: -1 }), /'maxLr' must be > 0, got -1/],
    ['CyclicLR mode', () => new optim.CyclicLR(opt(), { baseLr: 0.1, maxLr: 1, mode: 'sine' as any }), /'mode'.*'sine'/],
    ['CyclicLR cycleMomentum without momentum', () => new optim.CyclicLR({ paramGroups: [{ lr: 1 }] }, { baseLr: 0.1, maxLr: 1 }), /cycleMomentum/],
    ['MultiplicativeLR lrLambda count', () => new optim.MultiplicativeLR(opt(), { lrLambda: [() => 1, () => 1] }), /'lrLambda'/],
    ['PolynomialLR totalIters 0', () => new optim.PolynomialLR(opt(), { totalIters: 0 }), /'totalIters'.*got 0/],
    ['ReduceLROnPlateau factor 1', () => new optim.ReduceLROnPlateau(opt(), { factor: 1 }), /'factor' must be in \(0, 1\), got 1/],
    ['ReduceLROnPlateau mode', () => new optim.ReduceLROnPlateau(opt(), { mode: 'up' as any }), /'mode'.*'up'/],
    ['ReduceLROnPlateau patience -1', () => new optim.ReduceLROnPlateau(opt(), { patience: -1 }), /'patience'.*-1/],
    ['ReduceLROnPlateau minLr per group count', () => new optim.ReduceLROnPlateau(opt(), { minLr: [0, 0] }), /'minLr'/],
    ['LambdaLR not a function', () => new optim.LambdaLR(opt(), { lrLambda: 3 as any }), /'lrLambda'/],
    ['SequentialLR milestones count', () => {
      const o = opt();
      return new optim.SequentialLR(o, { schedulers: [new optim.StepLR(o, { stepSize: 1 }), new optim.StepLR(o, { stepSize: 2 })], milestones: [] });
    }, /'milestones'/],
    ['SequentialLR other optimizer', () => {
      const o = opt();
      return new optim.SequentialLR(o, { schedulers: [new optim.StepLR(opt(), { stepSize: 1 })], milestones: [] });
    }, /different optimizer/],
  ];
  for (const [name, f, re] of cases) {
    it(name, () => {
      expect(f).toThrow(ValueError);
      expect(f).toThrow(re);
    });
  }

  it('OneCycleLR refuses to step past totalSteps', () => {
    const s = new optim.OneCycleLR(opt(), { maxLr: 1, totalSteps: 3 });
    for (let i = 0; i < 3; i++) s.step();
    expect(() => s.step()).toThrow(/totalSteps/);
  });
});

describe('schedules drive the real optimizers', () => {
  it('SGD takes each step with the lr the schedule set', () => {
    const p = fg.tensor([1, 2, 3], undefined, { requiresGrad: true });
    const opt = new optim.SGD([p], { lr: 0.5 });
    const sched = new optim.StepLR(opt, { stepSize: 2, gamma: 0.1 });
    const lrs: number[] = [];
    for (let k = 0; k < 5; k++) {
      p.grad = fg.ones([3]);
      const before = p.data[0];
      opt.step();
      lrs.push(before - p.data[0]);
      sched.step();
    }
    [0.5, 0.5, 0.05, 0.05, 0.005].forEach((lr, k) => expect(lrs[k]).toBeCloseTo(lr, 6));
  });

  it('OneCycleLR cycles SGD momentum and Adam beta1 in the optimizer groups', () => {
    const sgd = new optim.SGD([fg.zeros([2], { requiresGrad: true })], { lr: 0.1, momentum: 0.9 });
    const s1 = new optim.OneCycleLR(sgd, { maxLr: 1, totalSteps: 10 });
    expect(sgd.paramGroups[0].momentum).toBeCloseTo(0.95, 12);
    for (let k = 0; k < 3; k++) s1.step();
    expect(sgd.paramGroups[0].momentum as number).toBeLessThan(0.95);
    const adam = new optim.Adam([fg.zeros([2], { requiresGrad: true })], { lr: 0.1 });
    const s2 = new optim.OneCycleLR(adam, { maxLr: 1, totalSteps: 10 });
    expect((adam.paramGroups[0].betas as number[])[0]).toBeCloseTo(0.95, 12);
    s2.step();
    expect((adam.paramGroups[0].betas as number[])[1]).toBe(0.999);
    // The optimizer still steps and saves its state with the schedule's keys in the groups.
    adam.paramGroups[0].params[0].grad = fg.ones([2]);
    adam.step();
    const sd = adam.stateDict();
    const adam2 = new optim.Adam([fg.zeros([2], { requiresGrad: true })], { lr: 0.1 });
    adam2.loadStateDict(sd);
    expect(adam2.paramGroups[0].lr).toBe(adam.paramGroups[0].lr);
  });
});

describe('callbacks.lrScheduler inside fit', () => {
  it('steps per epoch (StepLR), per batch (OneCycleLR) and on the monitored metric (ReduceLROnPlateau)', async () => {
    const { TinyLinear, blobs, crossEntropy } = await import('./helpers/standins');
    const train = blobs(60, 1);

    let model = new TinyLinear(2, 3, 1);
    let opt: any = new optim.SGD(model.parameters(), { lr: 0.2 });
    let h = await model.fit(train, {
      epochs: 4, batchSize: 20, optimizer: opt, loss: crossEntropy, verbose: 0, seed: 1,
      callbacks: [fg.callbacks.lrScheduler(new optim.StepLR(opt, { stepSize: 2, gamma: 0.5 }))],
    });
    // The logged lr is the one each epoch trained with.
    h.history.lr.forEach((lr: number, e: number) => expect(lr).toBeCloseTo([0.2, 0.2, 0.1, 0.1][e], 12));

    model = new TinyLinear(2, 3, 1);
    opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const oneCycle = new optim.OneCycleLR(opt, { maxLr: 0.5, epochs: 3, stepsPerEpoch: 3 });
    const seen: number[] = [];
    await model.fit(train, {
      epochs: 3, batchSize: 20, optimizer: opt, loss: crossEntropy, verbose: 0, seed: 1,
      callbacks: [{ onBatchBegin: () => void seen.push(opt.paramGroups[0].lr) }, fg.callbacks.lrScheduler(oneCycle, { perBatch: true })],
    });
    const ref = new optim.OneCycleLR(fakeOptimizer([{ lr: 0.1 }], 'sgd', 0.9), { maxLr: 0.5, totalSteps: 9 });
    const want = [ref.getLastLr()[0]];
    for (let k = 1; k < 9; k++) { ref.step(); want.push(ref.getLastLr()[0]); }
    seen.forEach((lr, k) => expect(lr).toBeCloseTo(want[k], 12));

    model = new TinyLinear(2, 3, 1);
    opt = new optim.SGD(model.parameters(), { lr: 0.2 });
    const scripted = [1, 0.5, 0.6, 0.7, 0.8];
    h = await model.fit(train, {
      epochs: 5, batchSize: 20, optimizer: opt, loss: crossEntropy, verbose: 0, seed: 1, validationData: blobs(30, 2),
      callbacks: [
        { onEpochEnd: (e: number, logs: Record<string, number>) => void (logs.valLoss = scripted[e]) },
        fg.callbacks.lrScheduler(new optim.ReduceLROnPlateau(opt, { patience: 1, factor: 0.5 })),
      ],
    });
    expect(h.history.lr).toEqual([0.2, 0.2, 0.2, 0.2, 0.1]);
  });
});
