// Learning-rate schedules with PyTorch's semantics (torch.optim.lr_scheduler, 1.13) and its option
// names in camelCase. A schedule only reads and writes `group.lr` (and, for OneCycleLR, the group's
// momentum or betas[0]) of an optimizer's parameter groups, so it composes with every optimizer.
//
// Like PyTorch, a schedule takes its first step in the constructor (lastEpoch goes from -1 to 0) and
// most schedules use the *recursive* ("chainable") form: the next lr is computed from the group's
// current lr, so two schedules on one optimizer multiply. `step(epoch)` with an explicit epoch uses
// the closed form where one exists (SequentialLR relies on that at its milestones).
import { ValueError, DTypeError, describe } from '../errors';

/** What a schedule needs from an optimizer: its parameter groups, each with a learning rate. */
export interface SchedulableOptimizer {
  readonly paramGroups: ReadonlyArray<{ lr: number }>;
  /** Per-optimizer defaults (PyTorch's `optimizer.defaults`); consulted by OneCycleLR's cycleMomentum. */
  readonly defaults?: object;
}

/** A parameter group as a schedule sees it: `lr`, `initialLr` (written here) and whatever else. */
export interface LrGroup {
  lr: number;
  initialLr?: number;
  [key: string]: unknown;
}

/** A plain, JSON-friendly snapshot of a schedule's state. */
export type SchedulerState = Record<string, unknown>;

/** Anything with PyTorch's scheduler surface (ReduceLROnPlateau's step takes the metric). */
export interface LrSchedule {
  readonly optimizer: SchedulableOptimizer;
  getLastLr(): number[];
  stateDict(): SchedulerState;
  loadStateDict(state: SchedulerState): void;
}

// ---------------------------------------------------------------------------------------------
// Option checks: every message names the schedule, the option and the value given.

/** Throws a ValueError; `v` is the value given, or (when `shown`) already formatted for the message. */
function fail(where: string, name: string, expected: string, v: unknown, shown = false): never {
  const given = shown ? String(v) : typeof v === 'number' ? String(v) : describe(v);
  throw new ValueError(`${where}: option '${name}' must be ${expected}, got ${given}`);
}

function num(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number') throw new DTypeError(`${where}: option '${name}' must be a number, got ${describe(v)}`);
  if (!Number.isFinite(v)) fail(where, name, 'finite', v);
  return v;
}

function positive(where: string, name: string, v: unknown): number {
  if (num(where, name, v) <= 0) fail(where, name, '> 0', v);
  return v as number;
}

function nonNegative(where: string, name: string, v: unknown): number {
  if (num(where, name, v) < 0) fail(where, name, '>= 0', v);
  return v as number;
}

function int(where: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new DTypeError(`${where}: option '${name}' must be an integer, got ${describe(v)}`);
  }
  if (v < min) fail(where, name, `an integer >= ${min}`, v);
  return v;
}

function inRange(where: string, name: string, v: unknown, lo: number, hi: number, loOpen: boolean, hiOpen: boolean): number {
  const x = num(where, name, v);
  if ((loOpen ? x <= lo : x < lo) || (hiOpen ? x >= hi : x > hi)) {
    fail(where, name, `in ${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}`, v);
  }
  return x;
}

function oneOf<T extends string>(where: string, name: string, v: unknown, choices: readonly T[]): T {
  if (typeof v !== 'string' || !choices.includes(v as T)) {
    fail(where, name, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, v);
  }
  return v as T;
}

/** A number for every group, from one number or an array with one per group. */
function perGroup(where: string, name: string, v: unknown, nGroups: number, check: (w: string, n: string, x: unknown) => number): number[] {
  if (Array.isArray(v)) {
    if (v.length !== nGroups) fail(where, name, `one value per parameter group (${nGroups})`, `Array(${v.length})`, true);
    return v.map((x, i) => check(where, `${name}[${i}]`, x));
  }
  const x = check(where, name, v);
  return new Array(nGroups).fill(x);
}

function groupsOf(where: string, optimizer: SchedulableOptimizer): LrGroup[] {
  if (!optimizer || typeof optimizer !== 'object' || !Array.isArray((optimizer as { paramGroups?: unknown }).paramGroups)) {
    throw new DTypeError(`${where}: argument 'optimizer' must have paramGroups, got ${describe(optimizer)}`);
  }
  const groups = optimizer.paramGroups as unknown as LrGroup[];
  if (groups.length === 0) throw new ValueError(`${where}: the optimizer has no parameter groups`);
  groups.forEach((g, i) => {
    if (typeof g.lr !== 'number' || !(g.lr >= 0)) {
      throw new ValueError(`${where}: paramGroups[${i}].lr must be a number >= 0, got ${describe(g.lr)}`);
    }
  });
  return groups;
}

function copyValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copyValue);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = copyValue(x);
    return out;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------

export interface SchedulerOptions {
  /** The index of the last epoch when resuming (-1 starts fresh; otherwise groups need initialLr). */
  lastEpoch?: number;
}

/**
 * The base of every epoch-indexed schedule (PyTorch's _LRScheduler). Subclasses give `computeLr()`
 * (the recursive form, reading `this.groups[i].lr` and `this.lastEpoch`) and, where one exists,
 * `closedFormLr()`.
 */
export abstract class LRScheduler implements LrSchedule {
  readonly optimizer: SchedulableOptimizer;
  protected readonly groups: LrGroup[];
  /** Each group's initialLr when the schedule started. */
  baseLrs: number[];
  lastEpoch: number;
  /** How many times step() ran (the constructor's first step included). */
  protected stepCount = 0;
  protected lastLr: number[] = [];
  protected readonly name: string;

  constructor(optimizer: SchedulableOptimizer, opts: SchedulerOptions = {}, name = new.target.name) {
    this.name = name;
    this.optimizer = optimizer;
    this.groups = groupsOf(name, optimizer);
    const lastEpoch = int(name, 'lastEpoch', opts.lastEpoch ?? -1, -1);
    if (lastEpoch === -1) {
      for (const g of this.groups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      this.groups.forEach((g, i) => {
        if (typeof g.initialLr !== 'number') {
          throw new ValueError(`${name}: resuming with lastEpoch ${lastEpoch} needs paramGroups[${i}].initialLr, which is not set`);
        }
      });
    }
    this.baseLrs = this.groups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
  }

  /** The first step, taken at the end of each subclass's constructor (after its options are set). */
  protected initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** Advances one epoch (or, given `epoch`, jumps there using the closed form where there is one). */
  step(epoch?: number): void {
    this.stepCount++;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch++;
      values = this.computeLr();
    } else {
      this.lastEpoch = int(this.name, 'epoch', epoch, 0);
      values = this.closedFormLr() ?? this.computeLr();
    }
    this.applyLr(values);
  }

  protected applyLr(values: number[]): void {
    for (let i = 0; i < this.groups.length; i++) this.groups[i].lr = values[i];
    this.lastLr = this.groups.map((g) => g.lr);
  }

  /** The learning rates the last step set, one per group. */
  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  protected abstract computeLr(): number[];

  protected closedFormLr(): number[] | null {
    return null;
  }

  protected currentLrs(): number[] {
    return this.groups.map((g) => g.lr);
  }

  /** The fields stateDict() saves: the counters, and the options (as PyTorch saves its __dict__). */
  protected stateKeys(): string[] {
    return ['lastEpoch', 'stepCount', 'baseLrs', 'lastLr'];
  }

  stateDict(): SchedulerState {
    const out: SchedulerState = {};
    const self = this as unknown as Record<string, unknown>;
    for (const k of this.stateKeys()) out[k] = copyValue(self[k]);
    return out;
  }

  loadStateDict(state: SchedulerState): void {
    if (!state || typeof state !== 'object') throw new DTypeError(`${this.name}.loadStateDict: expected an object, got ${describe(state)}`);
    const self = this as unknown as Record<string, unknown>;
    for (const k of this.stateKeys()) {
      if (!(k in state)) throw new ValueError(`${this.name}.loadStateDict: the state has no '${k}'`);
      self[k] = copyValue(state[k]);
    }
  }
}

// ---------------------------------------------------------------------------------------------

export type LrLambda = (epoch: number) => number;

function checkLambdas(where: string, f: unknown, nGroups: number): LrLambda[] {
  const fns = Array.isArray(f) ? f : new Array(nGroups).fill(f);
  if (fns.length !== nGroups) fail(where, 'lrLambda', `one function per parameter group (${nGroups})`, `Array(${fns.length})`, true);
  fns.forEach((fn, i) => {
    if (typeof fn !== 'function') fail(where, Array.isArray(f) ? `lrLambda[${i}]` : 'lrLambda', 'a function of the epoch', fn);
  });
  return fns;
}

export interface LambdaLROptions extends SchedulerOptions {
  /** lr = initialLr * lrLambda(epoch); one function, or one per group. */
  lrLambda: LrLambda | LrLambda[];
}

/** lr = initialLr * lrLambda(epoch). The functions are not part of stateDict (as in PyTorch). */
export class LambdaLR extends LRScheduler {
  readonly lrLambdas: LrLambda[];

  constructor(optimizer: SchedulableOptimizer, opts: LambdaLROptions) {
    super(optimizer, opts);
    this.lrLambdas = checkLambdas(this.name, opts?.lrLambda, this.groups.length);
    this.initialStep();
  }

  protected computeLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lrLambdas[i](this.lastEpoch));
  }
}

export interface MultiplicativeLROptions extends SchedulerOptions {
  /** lr = lr * lrLambda(epoch) at every step after the first; one function, or one per group. */
  lrLambda: LrLambda | LrLambda[];
}

/** Multiplies the lr by lrLambda(epoch) every epoch. */
export class MultiplicativeLR extends LRScheduler {
  readonly lrLambdas: LrLambda[];

  constructor(optimizer: SchedulableOptimizer, opts: MultiplicativeLROptions) {
    super(optimizer, opts);
    this.lrLambdas = checkLambdas(this.name, opts?.lrLambda, this.groups.length);
    this.initialStep();
  }

  protected computeLr(): number[] {
    if (this.lastEpoch > 0) return this.groups.map((g, i) => g.lr * this.lrLambdas[i](this.lastEpoch));
    return this.currentLrs();
  }
}

export interface ConstantLROptions extends SchedulerOptions {
  /** The lr is initialLr * factor until totalIters, then initialLr; factor in (0, 1] (default 1/3). */
  factor?: number;
  /** Default 5. */
  totalIters?: number;
}

/** A constant reduced lr for the first totalIters epochs (a simple warm-up). */
export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;

  constructor(optimizer: SchedulableOptimizer, opts: ConstantLROptions = {}) {
    super(optimizer, opts);
    this.factor = inRange(this.name, 'factor', opts.factor ?? 1 / 3, 0, 1, true, false);
    this.totalIters = int(this.name, 'totalIters', opts.totalIters ?? 5, 1);
    this.initialStep();
  }

  protected computeLr(): number[] {
    if (this.lastEpoch === 0) return this.currentLrs().map((lr) => lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * (1 / this.factor));
  }

  protected closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (this.factor + (this.lastEpoch >= this.totalIters ? 1 - this.factor : 0)));
  }

  protected stateKeys(): string[] {
    return [...super.stateKeys(), 'factor', 'totalIters'];
  }
}

export interface StepLROptions extends SchedulerOptions {
  /** Epochs between decays. */
  stepSize: number;
  /** Decay factor (default 0.1). */
  gamma?: number;
}

/** Multiplies the lr by gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: SchedulableOptimizer, opts: StepLROptions) {
    super(optimizer, opts);
    this.stepSize = int(this.name, 'stepSize', opts?.stepSize, 1);
    this.gamma = positive(this.name, 'gamma', opts.gamma ?? 0.1);
    this.initialStep();
  }

  protected computeLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * this.gamma);
  }

  protected closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }

  protected stateKeys(): string[] {
    return [...super.stateKeys(), 'stepSize', 'gamma'];
  }
}

export interface MultiStepLROptions extends SchedulerOptions {
  /** Strictly increasing epoch indices at which the lr is multiplied by gamma. */
  milestones: number[];
  gamma?: number;
}

/** Multiplies the lr by gamma at each milestone. */
export class MultiStepLR extends LRScheduler {
  milestones: number[];
  gamma: number;

  constructor(optimizer: SchedulableOptimizer, opts: MultiStepLROptions) {
    super(optimizer, opts);
    this.milestones = checkMilestones(this.name, opts?.milestones, 1);
    this.gamma = positive(this.name, 'gamma', opts.gamma ?? 0.1);
    this.initialStep();
  }

  protected computeLr(): number[] {
    if (!this.milestones.includes(this.lastEpoch)) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * this.gamma);
  }

  protected closedFormLr(): number[] {
    const passed = bisectRight(this.milestones, this.lastEpoch);
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }

  protected stateKeys(): string[] {
    return [...super.stateKeys(), 'milestones', 'gamma'];
  }
}

function checkMilestones(where: string, v: unknown, minLength: number): number[] {
  if (!Array.isArray(v)) throw new DTypeError(`${where}: option 'milestones' must be an array of integers, got ${describe(v)}`);
  if (v.length < minLength) fail(where, 'milestones', `an array of at least ${minLength} epoch(s)`, `[${v.join(', ')}]`, true);
  v.forEach((m, i) => {
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 1) fail(where, 'milestones', 'positive integers', `[${v.join(', ')}]`, true);
    if (i > 0 && m <= v[i - 1]) fail(where, 'milestones', 'strictly increasing', `[${v.join(', ')}]`, true);
  });
  return v.slice();
}

/** Number of elements of sorted `a` that are <= x (Python's bisect_right). */
function bisectRight(a: readonly number[], x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < a[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export interface ExponentialLROptions extends SchedulerOptions {
  gamma: number;
}

/** Multiplies the lr by gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  constructor(optimizer: SchedulableOptimizer, opts: ExponentialLROptions) {
    super(optimizer, opts);
    this.gamma = positive(this.name, 'gamma', opts?.gamma);
    this.initialStep();
  }

  protected computeLr(): number[] {
    if (this.lastEpoch === 0) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * this.gamma);
  }

  protected closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }

  protected stateKeys(): string[] {
    return [...super.stateKeys(), 'gamma'];
  }
}

export interface CosineAnnealingLROptions extends SchedulerOptions {
  /** Half-period in epochs. */
  tMax: number;
  /** Lowest lr (default 0). */
  etaMin?: number;
}

/**
 * Cosine annealing from initialLr to etaMin over tMax epochs, continuing as a cosine beyond it. Uses
 * PyTorch's recursive form, so it composes with other schedules changing the lr.
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  constructor(optimizer: SchedulableOptimizer, opts: CosineAnnealingLROptions) {
    super(optimizer, opts);
    this.tMax = positive(this.name, 'tMax', opts?.tMax);
    this.etaMin = nonNegative(this.name, 'etaMin', opts.etaMin ?? 0);
    this.initialStep();
  }

  protected computeLr(): number[] {
    const { lastEpoch: e, tMax: T, etaMin } = this;
    if (e === 0) return this.currentLrs();
    if (this.stepCount === 1 && e > 0) {
      // Resuming: nothing to recurse from.
      return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((e * Math.PI) / T))) / 2);
    }
    if ((e - 1 - T) % (2 * T) === 0) {
      // At the trough the ratio below is 0/0: step up by the cosine's first increment instead.
      return this.groups.map((g, i) => g.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    const ratio = (1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T));
    return this.groups.map((g) => ratio * (g.lr - etaMin) + etaMin);
  }

  protected closedFormLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }

  protected stateKeys(): string[] {
    return [...super.stateKeys(), 'tMax', 'etaMin'];
  }
}

export interface CosineAnnealingWarmRestartsOptions extends SchedulerOptions {
  /** Epochs until the first restart. */
  t0: number;
  /** Each period is tMult times the one before (default 1). */
  tMult?: number;
  etaMin?: number;
}

/** SGDR: cosine annealing that restarts at initialLr, with periods t0, t0*tMult, t0*tMult^2 ... */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  t0: number;
  tMult: number;
  etaMin: number;
  /** The current period and the epochs (possibly fractional) since the last restart. */
  tI: number;
  tCur: number;

  constructor(optimizer: SchedulableOptimizer, opts: CosineAnnealingWarmRestartsOptions) {
    super(optimizer, opts);
    this.t0 = int(this.name, 't0', opts?.t0, 1);
    this.tMult = int(this.name, 'tMult', opts.tMult ?? 1, 1);
    this.etaMin = nonNegative(this.name, 'etaMin', opts.etaMin ?? 0);
    this.tI = this.t0;
    this.tCur = this.lastEpoch;
    this.initialStep();
  }

  protected computeLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2);
  }

  /** Advances one epoch, or goes to `epoch`, which may be fractional (e.g. epoch + batch / batches). */
  step(epoch?: number): void {
    this.stepCount++;
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.tCur = this.tCur + 1;
      if (this.tCur >= this.tI) {
        this.tCur = this.tCur - this.tI;
        this.tI = this.tI * this.tMult;
      }
    } else {
      if (typeof epoch !== 'number' || !(epoch >= 0) || !Number.isFinite(epoch)) {
        throw new ValueError(`${this.name}.step: argument 'epoch' must be a finite number >= 0, got ${describe(epoch)}`);
      }
      if (epoch >= this.t0) {
        if (this.tMult === 1) {
          this.tCur = epoch % this.t0;
        } else {
          const n = Math.floor(Math.log((epoch / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult));
          this.tCur = epoch - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1);
          this.tI = this.t0 * this.tMult ** n;
        }
      } else {
        this.tI = this.t0;
        this.tCur = epoch;
      }
    }
    this.lastEpoch = Math.floor(epoch);
    this.applyLr(this.computeLr());
  }

  protected stateKeys(): string[] {
    return [...super.stateKeys(), 't0', 'tMult', 'etaMin', 'tI', 'tCur'];
  }
}

export interface LinearLROptions extends SchedulerOptions {
  /** Factor at epoch 0, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** Factor from totalIters on, in [0, 1] (default 1). */
  endFactor?: number;
  /** Epochs of the linear ramp (default 5). */
  totalIters?: number;
}

/** Linear change of the lr's factor from startFactor to endFactor over totalIters epochs (warm-up). */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  constructor(optimizer: SchedulableOptimizer, opts: LinearLROptions = {}) {
    super(optimizer, opts);
    this.startFactor = inRange(this.name, 'startFactor', opts.startFactor ?? 1 / 3, 0, 1, true, false);
    this.endFactor = inRange(this.name, 'endFactor', opts.endFactor ?? 1, 0, 1, false, false);
    this.totalIters = int(this.name, 'totalIters', opts.totalIters ?? 5, 1);
    this.initialStep();
  }

  protected computeLr(): number[] {
    const { lastEpoch: e, startFactor: s, endFactor: f, totalIters: n } = this;
    if (e === 0) return this.currentLrs().map((lr) => lr * s);
    if (e > n) return this.currentLrs();
    const factor = 1 + (f - s) / (n * s + (e - 1) * (f - s));
    return this.currentLrs().map((lr) => lr * factor);
  }

  protected closedFormLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: n } = this;
    return this.baseLrs.map((b) => b * (s + ((f - s) * Math.min(n, this.lastEpoch)) / n));
  }

  protected stateKeys(): string[] {
    return [...super.stateKeys(), 'startFactor', 'endFactor', 'totalIters'];
  }
}

export interface PolynomialLROptions extends SchedulerOptions {
  /** Epochs until the lr reaches 0 (default 5). */
  totalIters?: number;
  /** Power of the polynomial (default 1: linear). */
  power?: number;
}

/** lr = initialLr * (1 - epoch / totalIters)^power, then 0. */
export class PolynomialLR extends LRScheduler {
  totalIters: number;
  power: number;

  constructor(optimizer: SchedulableOptimizer, opts: PolynomialLROptions = {}) {
    super(optimizer, opts);
    this.totalIters = int(this.name, 'totalIters', opts.totalIters ?? 5, 1);
    this.power = nonNegative(this.name, 'power', opts.power ?? 1);
    this.initialStep();
  }

  protected computeLr(): number[] {
    const { lastEpoch: e, totalIters: n } = this;
    if (e === 0 || e > n) return this.currentLrs();
    const decay = ((1 - e / n) / (1 - (e - 1) / n)) ** this.power;
    return this.currentLrs().map((lr) => lr * decay);
  }

  protected closedFormLr(): number[] {
    const { totalIters: n } = this;
    return this.baseLrs.map((b) => b * (1 - Math.min(n, this.lastEpoch) / n) ** this.power);
  }

  protected stateKeys(): string[] {
    return [...super.stateKeys(), 'totalIters', 'power'];
  }
}

// ---------------------------------------------------------------------------------------------

export interface OneCycleLROptions extends SchedulerOptions {
  /** Peak lr, one number or one per group. */
  maxLr: number | number[];
  /** Steps in the cycle; or give epochs and stepsPerEpoch. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the lr, in (0, 1) (default 0.3). */
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  /** Cycle the momentum (SGD's momentum, or betas[0] for Adam-like optimizers) inversely (default true). */
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  /** initialLr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** minLr = initialLr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down to initialLr, then to minLr) instead of two (default false). */
  threePhase?: boolean;
}

interface OneCyclePhase {
  endStep: number;
  startLr: 'initialLr' | 'maxLr' | 'minLr';
  endLr: 'initialLr' | 'maxLr' | 'minLr';
  startMomentum: 'maxMomentum' | 'baseMomentum';
  endMomentum: 'maxMomentum' | 'baseMomentum';
}

/**
 * The 1cycle policy: lr from maxLr/divFactor up to maxLr over pctStart of totalSteps, then down to
 * initialLr/finalDivFactor; momentum cycles the other way. Step it once per batch.
 */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  pctStart: number;
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  threePhase: boolean;
  /** Whether momentum lives in betas[0] (Adam family) rather than `momentum` (SGD, RMSprop). */
  useBeta1 = false;
  private phases: OneCyclePhase[] = [];

  constructor(optimizer: SchedulableOptimizer, opts: OneCycleLROptions) {
    // The base constructor must not record initialLr before maxLr/divFactor is written: do it first.
    const where = 'OneCycleLR';
    const groups = groupsOf(where, optimizer);
    if (!opts || typeof opts !== 'object') throw new DTypeError(`${where}: options with maxLr are required, got ${describe(opts)}`);
    const lastEpoch = int(where, 'lastEpoch', opts.lastEpoch ?? -1, -1);
    const maxLrs = perGroup(where, 'maxLr', opts.maxLr, groups.length, positive);
    let totalSteps: number;
    if (opts.totalSteps !== undefined) {
      totalSteps = int(where, 'totalSteps', opts.totalSteps, 1);
    } else if (opts.epochs !== undefined || opts.stepsPerEpoch !== undefined) {
      totalSteps = int(where, 'epochs', opts.epochs, 1) * int(where, 'stepsPerEpoch', opts.stepsPerEpoch, 1);
    } else {
      throw new ValueError(`${where}: give option 'totalSteps', or 'epochs' and 'stepsPerEpoch'`);
    }
    const pctStart = inRange(where, 'pctStart', opts.pctStart ?? 0.3, 0, 1, true, true);
    const annealStrategy = oneOf(where, 'annealStrategy', opts.annealStrategy ?? 'cos', ['cos', 'linear'] as const);
    const divFactor = positive(where, 'divFactor', opts.divFactor ?? 25);
    const finalDivFactor = positive(where, 'finalDivFactor', opts.finalDivFactor ?? 1e4);
    const cycleMomentum = opts.cycleMomentum ?? true;
    if (typeof cycleMomentum !== 'boolean') fail(where, 'cycleMomentum', 'a boolean', cycleMomentum);
    const threePhase = opts.threePhase ?? false;
    if (typeof threePhase !== 'boolean') fail(where, 'threePhase', 'a boolean', threePhase);

    if (lastEpoch === -1) {
      groups.forEach((g, i) => {
        g.initialLr = maxLrs[i] / divFactor;
        g.maxLr = maxLrs[i];
        g.minLr = g.initialLr / finalDivFactor;
      });
    }
    let useBeta1 = false;
    if (cycleMomentum) {
      const defaults = (optimizer.defaults ?? groups[0]) as Record<string, unknown>;
      const hasBetas = Array.isArray(defaults.betas) || Array.isArray(groups[0].betas);
      const hasMomentum = 'momentum' in defaults || 'momentum' in groups[0];
      if (!hasBetas && !hasMomentum) {
        throw new ValueError(`${where}: option 'cycleMomentum' is true but the optimizer has no momentum or betas; pass cycleMomentum: false`);
      }
      useBeta1 = hasBetas;
      const maxM = perGroup(where, 'maxMomentum', opts.maxMomentum ?? 0.95, groups.length, nonNegative);
      const baseM = perGroup(where, 'baseMomentum', opts.baseMomentum ?? 0.85, groups.length, nonNegative);
      if (lastEpoch === -1) {
        groups.forEach((g, i) => {
          if (useBeta1) g.betas = [maxM[i], ...(g.betas as number[]).slice(1)];
          else g.momentum = maxM[i];
          g.maxMomentum = maxM[i];
          g.baseMomentum = baseM[i];
        });
      }
    }
    super(optimizer, opts, where);
    this.totalSteps = totalSteps;
    this.pctStart = pctStart;
    this.annealStrategy = annealStrategy;
    this.cycleMomentum = cycleMomentum;
    this.threePhase = threePhase;
    this.useBeta1 = useBeta1;
    this.buildPhases();
    this.initialStep();
  }

  private buildPhases(): void {
    const n = this.totalSteps, p = this.pctStart;
    this.phases = this.threePhase
      ? [
          { endStep: p * n - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: 2 * p * n - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
          { endStep: n - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
        ]
      : [
          { endStep: p * n - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: n - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
        ];
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'cos') return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
    return (end - start) * pct + start;
  }

  protected computeLr(): number[] {
    const step = this.lastEpoch;
    if (step > this.totalSteps) {
      throw new ValueError(`OneCycleLR: stepped ${step + 1} times, but option 'totalSteps' is ${this.totalSteps}`);
    }
    return this.groups.map((g) => {
      let start = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const ph = this.phases[i];
        if (step <= ph.endStep || i === this.phases.length - 1) {
          const pct = (step - start) / (ph.endStep - start);
          const lr = this.anneal(g[ph.startLr] as number, g[ph.endLr] as number, pct);
          if (this.cycleMomentum) {
            const m = this.anneal(g[ph.startMomentum] as number, g[ph.endMomentum] as number, pct);
            if (this.useBeta1) g.betas = [m, ...(g.betas as number[]).slice(1)];
            else g.momentum = m;
          }
          return lr;
        }
        start = ph.endStep;
      }
      /* c8 ignore next */
      return g.lr;
    });
  }

  protected closedFormLr(): number[] {
    return this.computeLr();
  }

  protected stateKeys(): string[] {
    return [...super.stateKeys(), 'totalSteps', 'pctStart', 'annealStrategy', 'cycleMomentum', 'threePhase', 'useBeta1'];
  }

  loadStateDict(state: SchedulerState): void {
    super.loadStateDict(state);
    this.buildPhases();
  }
}

// ---------------------------------------------------------------------------------------------

export interface CyclicLROptions extends SchedulerOptions {
  /** Lower and upper lr of the cycle, one number or one per group. */
  baseLr: number | number[];
  maxLr: number | number[];
  /** Steps from baseLr up to maxLr (default 2000), and back down (default: the same). */
  stepSizeUp?: number;
  stepSizeDown?: number;
  /** 'triangular' (constant amplitude), 'triangular2' (halved each cycle), 'expRange' (times gamma^step). */
  mode?: 'triangular' | 'triangular2' | 'expRange';
  gamma?: number;
  /** Your own amplitude scale in place of mode's: f(cycle) or f(step), per scaleMode. */
  scaleFn?: ((x: number) => number) | null;
  scaleMode?: 'cycle' | 'iterations';
  /** Cycle `momentum` inversely between baseMomentum and maxMomentum (default true). */
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
}

/** The cyclical learning rate policy (Smith 2017): lr oscillates between baseLr and maxLr. Step per batch. */
export class CyclicLR extends LRScheduler {
  maxLrs: number[];
  totalSize: number;
  stepRatio: number;
  mode: 'triangular' | 'triangular2' | 'expRange';
  gamma: number;
  scaleMode: 'cycle' | 'iterations';
  cycleMomentum: boolean;
  baseMomentums: number[] = [];
  maxMomentums: number[] = [];
  private readonly scaleFn: ((x: number) => number) | null;

  constructor(optimizer: SchedulableOptimizer, opts: CyclicLROptions) {
    const where = 'CyclicLR';
    const groups = groupsOf(where, optimizer);
    if (!opts || typeof opts !== 'object') throw new DTypeError(`${where}: options with baseLr and maxLr are required, got ${describe(opts)}`);
    const lastEpoch = int(where, 'lastEpoch', opts.lastEpoch ?? -1, -1);
    const baseLrs = perGroup(where, 'baseLr', opts.baseLr, groups.length, nonNegative);
    const maxLrs = perGroup(where, 'maxLr', opts.maxLr, groups.length, positive);
    if (lastEpoch === -1) groups.forEach((g, i) => (g.lr = baseLrs[i]));
    const cycleMomentum = opts.cycleMomentum ?? true;
    if (typeof cycleMomentum !== 'boolean') fail(where, 'cycleMomentum', 'a boolean', cycleMomentum);
    let baseM: number[] = [], maxM: number[] = [];
    if (cycleMomentum) {
      const defaults = (optimizer.defaults ?? groups[0]) as Record<string, unknown>;
      if (!('momentum' in defaults) && !('momentum' in groups[0])) {
        throw new ValueError(`${where}: option 'cycleMomentum' is true but the optimizer has no momentum; pass cycleMomentum: false`);
      }
      baseM = perGroup(where, 'baseMomentum', opts.baseMomentum ?? 0.8, groups.length, nonNegative);
      maxM = perGroup(where, 'maxMomentum', opts.maxMomentum ?? 0.9, groups.length, nonNegative);
      if (lastEpoch === -1) groups.forEach((g, i) => (g.momentum = baseM[i]));
      baseM = groups.map((g) => g.momentum as number);
    }
    super(optimizer, opts, where);
    const up = positive(where, 'stepSizeUp', opts.stepSizeUp ?? 2000);
    const down = opts.stepSizeDown === undefined ? up : positive(where, 'stepSizeDown', opts.stepSizeDown);
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    this.mode = oneOf(where, 'mode', opts.mode ?? 'triangular', ['triangular', 'triangular2', 'expRange'] as const);
    this.gamma = positive(where, 'gamma', opts.gamma ?? 1);
    if (opts.scaleFn !== undefined && opts.scaleFn !== null && typeof opts.scaleFn !== 'function') fail(where, 'scaleFn', 'a function', opts.scaleFn);
    this.scaleFn = opts.scaleFn ?? null;
    this.scaleMode = this.scaleFn
      ? oneOf(where, 'scaleMode', opts.scaleMode ?? 'cycle', ['cycle', 'iterations'] as const)
      : this.mode === 'expRange' ? 'iterations' : 'cycle';
    this.maxLrs = maxLrs;
    this.cycleMomentum = cycleMomentum;
    this.baseMomentums = baseM;
    this.maxMomentums = maxM;
    this.initialStep();
    this.baseLrs = baseLrs;
  }

  private scale(x: number): number {
    if (this.scaleFn) return this.scaleFn(x);
    if (this.mode === 'triangular') return 1;
    if (this.mode === 'triangular2') return 1 / 2 ** (x - 1);
    return this.gamma ** x;
  }

  protected computeLr(): number[] {
    const cycle = Math.floor(1 + this.lastEpoch / this.totalSize);
    const x = 1 + this.lastEpoch / this.totalSize - cycle;
    const factor = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const s = this.scale(this.scaleMode === 'cycle' ? cycle : this.lastEpoch);
    if (this.cycleMomentum) {
      this.groups.forEach((g, i) => (g.momentum = this.maxMomentums[i] - (this.maxMomentums[i] - this.baseMomentums[i]) * factor * s));
    }
    return this.baseLrs.map((b, i) => b + (this.maxLrs[i] - b) * factor * s);
  }

  protected stateKeys(): string[] {
    return [...super.stateKeys(), 'maxLrs', 'totalSize', 'stepRatio', 'mode', 'gamma', 'scaleMode', 'cycleMomentum', 'baseMomentums', 'maxMomentums'];
  }
}

/** Steps several schedules together every step (their effects multiply, through the recursive forms). */
export class ChainedScheduler implements LrSchedule {
  readonly optimizer: SchedulableOptimizer;
  readonly schedulers: LRScheduler[];
  private lastLr: number[];

  constructor(schedulers: LRScheduler[]) {
    const where = 'ChainedScheduler';
    if (!Array.isArray(schedulers) || schedulers.length === 0) fail(where, 'schedulers', 'a non-empty array of schedules', schedulers);
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) fail(where, `schedulers[${i}]`, 'an epoch-indexed schedule', s);
      if (s.optimizer !== schedulers[0].optimizer) throw new ValueError(`${where}: schedulers[${i}] belongs to a different optimizer than schedulers[0]`);
    });
    this.schedulers = schedulers.slice();
    this.optimizer = schedulers[0].optimizer;
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  stateDict(): SchedulerState {
    return { lastLr: this.lastLr.slice(), schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  loadStateDict(state: SchedulerState): void {
    const subs = state.schedulers;
    if (!Array.isArray(subs) || subs.length !== this.schedulers.length) {
      throw new ValueError(`ChainedScheduler.loadStateDict: expected ${this.schedulers.length} scheduler states, got ${describe(subs)}`);
    }
    this.lastLr = (state.lastLr as number[]).slice();
    subs.forEach((s, i) => this.schedulers[i].loadStateDict(s as SchedulerState));
  }
}

export interface SequentialLROptions extends SchedulerOptions {
  /** The schedules, in order, all on this optimizer. */
  schedulers: LRScheduler[];
  /** Epochs at which to switch to the next schedule (one fewer than schedulers, increasing). */
  milestones: number[];
}

/** Runs schedules one after another, switching at the milestones (e.g. LinearLR warm-up, then cosine). */
export class SequentialLR implements LrSchedule {
  readonly optimizer: SchedulableOptimizer;
  readonly schedulers: LRScheduler[];
  milestones: number[];
  lastEpoch: number;
  private lastLr: number[];

  constructor(optimizer: SchedulableOptimizer, opts: SequentialLROptions) {
    const where = 'SequentialLR';
    const groups = groupsOf(where, optimizer);
    const scheds = opts?.schedulers;
    if (!Array.isArray(scheds) || scheds.length === 0) fail(where, 'schedulers', 'a non-empty array of schedules', scheds);
    scheds.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) fail(where, `schedulers[${i}]`, 'an epoch-indexed schedule (not ReduceLROnPlateau or SequentialLR)', s);
      if (s.optimizer !== optimizer) throw new ValueError(`${where}: schedulers[${i}] belongs to a different optimizer than the one given`);
    });
    if (!Array.isArray(opts.milestones) || opts.milestones.length !== scheds.length - 1) {
      fail(where, 'milestones', `${scheds.length - 1} epoch(s), one fewer than the schedulers`, opts.milestones);
    }
    this.milestones = checkMilestones(where, opts.milestones, 0);
    this.optimizer = optimizer;
    this.schedulers = scheds.slice();
    this.lastEpoch = int(where, 'lastEpoch', opts.lastEpoch ?? -1, -1) + 1;
    // Each schedule already took its first step in its constructor: undo those, restart the first.
    for (const g of groups) g.lr = g.initialLr as number;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    (this.schedulers[0] as unknown as { initialStep(): void }).initialStep();
    this.lastLr = this.schedulers[0].getLastLr();
  }

  step(): void {
    this.lastEpoch++;
    const idx = bisectRight(this.milestones, this.lastEpoch);
    const s = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }

  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  stateDict(): SchedulerState {
    return {
      lastEpoch: this.lastEpoch,
      milestones: this.milestones.slice(),
      lastLr: this.lastLr.slice(),
      schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }

  loadStateDict(state: SchedulerState): void {
    const subs = state.schedulers;
    if (!Array.isArray(subs) || subs.length !== this.schedulers.length) {
      throw new ValueError(`SequentialLR.loadStateDict: expected ${this.schedulers.length} scheduler states, got ${describe(subs)}`);
    }
    this.lastEpoch = state.lastEpoch as number;
    this.milestones = (state.milestones as number[]).slice();
    this.lastLr = (state.lastLr as number[]).slice();
    subs.forEach((s, i) => this.schedulers[i].loadStateDict(s as SchedulerState));
  }
}

// ---------------------------------------------------------------------------------------------

export interface ReduceLROnPlateauOptions {
  /** 'min': the metric should fall (a loss); 'max': rise (an accuracy). Default 'min'. */
  mode?: 'min' | 'max';
  /** new lr = lr * factor, in (0, 1) (default 0.1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** How much better counts as better (default 1e-4). */
  threshold?: number;
  /** 'rel': better than best * (1 -/+ threshold); 'abs': best -/+ threshold. Default 'rel'. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again (default 0). */
  cooldown?: number;
  /** Lower bound on the lr, one number or one per group (default 0). */
  minLr?: number | number[];
  /** Reductions smaller than eps are skipped (default 1e-8). */
  eps?: number;
}

/** Reduces the lr by `factor` when a monitored metric has stopped improving for `patience` epochs. */
export class ReduceLROnPlateau implements LrSchedule {
  readonly optimizer: SchedulableOptimizer;
  private readonly groups: LrGroup[];
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLrs: number[];
  eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  private lastLr: number[];

  constructor(optimizer: SchedulableOptimizer, opts: ReduceLROnPlateauOptions = {}) {
    const where = 'ReduceLROnPlateau';
    this.optimizer = optimizer;
    this.groups = groupsOf(where, optimizer);
    this.mode = oneOf(where, 'mode', opts.mode ?? 'min', ['min', 'max'] as const);
    this.factor = inRange(where, 'factor', opts.factor ?? 0.1, 0, 1, true, true);
    this.patience = int(where, 'patience', opts.patience ?? 10, 0);
    this.threshold = nonNegative(where, 'threshold', opts.threshold ?? 1e-4);
    this.thresholdMode = oneOf(where, 'thresholdMode', opts.thresholdMode ?? 'rel', ['rel', 'abs'] as const);
    this.cooldown = int(where, 'cooldown', opts.cooldown ?? 0, 0);
    this.minLrs = perGroup(where, 'minLr', opts.minLr ?? 0, this.groups.length, nonNegative);
    this.eps = nonNegative(where, 'eps', opts.eps ?? 1e-8);
    this.best = this.worst();
    this.lastLr = this.groups.map((g) => g.lr);
  }

  private worst(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number, best: number): boolean {
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === 'rel' ? a > best * (1 + this.threshold) : a > best + this.threshold;
  }

  /** Records one epoch's value of the monitored metric; reduces the lr when it has plateaued. */
  step(metric: number): void {
    if (typeof metric !== 'number' || Number.isNaN(metric)) {
      throw new ValueError(`ReduceLROnPlateau.step: argument 'metric' must be a number, got ${describe(metric)}`);
    }
    this.lastEpoch++;
    if (this.isBetter(metric, this.best)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.groups.forEach((g, i) => {
        const newLr = Math.max(g.lr * this.factor, this.minLrs[i]);
        if (g.lr - newLr > this.eps) g.lr = newLr;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.groups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  stateDict(): SchedulerState {
    return {
      mode: this.mode, factor: this.factor, patience: this.patience, threshold: this.threshold,
      thresholdMode: this.thresholdMode, cooldown: this.cooldown, minLrs: this.minLrs.slice(), eps: this.eps,
      // JSON has no Infinity: the "nothing seen yet" best is stored as null.
      best: Number.isFinite(this.best) ? this.best : null,
      numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter, lastEpoch: this.lastEpoch,
      lastLr: this.lastLr.slice(),
    };
  }

  loadStateDict(state: SchedulerState): void {
    const s = state as Record<string, any>;
    for (const k of ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'eps', 'numBadEpochs', 'cooldownCounter', 'lastEpoch']) {
      if (!(k in s)) throw new ValueError(`ReduceLROnPlateau.loadStateDict: the state has no '${k}'`);
      (this as any)[k] = s[k];
    }
    this.minLrs = (s.minLrs as number[]).slice();
    this.best = s.best === null || s.best === undefined ? this.worst() : s.best;
    this.lastLr = (s.lastLr as number[]).slice();
  }
}
