// Search spaces: what each hyperparameter may be, how to draw it, and how to place it in the unit
// cube that the Bayesian searcher models.
//
// A space is a plain object of domains: { lr: logUniform(1e-4, 1e-1), batchSize: choice([64, 128]) }.
// A conditional domain is a choice of named branches, each with its own sub-space, active only when
// its branch is chosen: { optimizer: conditional({ sgd: { momentum: uniform(0, 0.99) }, adam: {} }) }
// gives configs { optimizer: 'sgd', momentum: 0.42 } or { optimizer: 'adam' } (flat, so a model
// factory reads cfg.momentum without knowing about branches).
//
// The space is flattened once into a list of dimensions, each knowing its config key, its domain and
// the branch choices that make it active. Everything else (sampling, grids, encoding) walks that list.
import { ValueError, DTypeError, describe } from '../errors';
import type { Generator } from '../tensor/random';

export type Value = number | string | boolean;
export type Config = Record<string, Value>;

export type Domain = Choice | IntRange | Uniform | Conditional;
export type Space = Record<string, Domain>;

export interface Choice {
  readonly kind: 'choice';
  readonly values: readonly Value[];
}
export interface IntRange {
  readonly kind: 'int';
  readonly low: number;
  readonly high: number;
  readonly step: number;
  readonly log: boolean;
}
export interface Uniform {
  readonly kind: 'uniform';
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
}
export interface Conditional {
  readonly kind: 'conditional';
  readonly branches: Readonly<Record<string, Space>>;
}

/** One of a list of values (numbers, strings or booleans); unordered for the searchers. */
export function choice(values: readonly Value[]): Choice {
  return { kind: 'choice', values: Array.isArray(values) ? values.slice() : (values as never) };
}

/** An integer in [low, high] (both included), on a grid of `step` from low; `log` spaces it geometrically. */
export function intRange(low: number, high: number, options: { step?: number; log?: boolean } = {}): IntRange {
  return { kind: 'int', low, high, step: options.step ?? 1, log: options.log ?? false };
}

/** A float uniform in [low, high]. */
export function uniform(low: number, high: number): Uniform {
  return { kind: 'uniform', low, high, log: false };
}

/** A float whose logarithm is uniform in [log low, log high] (learning rates, weight decay). */
export function logUniform(low: number, high: number): Uniform {
  return { kind: 'uniform', low, high, log: true };
}

/** A choice of named branches, each with its own sub-space (active only when chosen). */
export function conditional(branches: Record<string, Space>): Conditional {
  return { kind: 'conditional', branches };
}

/** One leaf of a flattened space. `when` lists the branch choices that make it active. */
export interface Dim {
  /** Unique id: the key, prefixed by its branches (`optimizer=sgd/momentum`). */
  readonly id: string;
  /** The config key it sets. */
  readonly key: string;
  readonly domain: Choice | IntRange | Uniform;
  /** For a conditional's selector: the branch names (its domain is then a choice of them). */
  readonly branchOf?: Conditional;
  readonly when: readonly { key: string; value: Value }[];
  /** First column of this dimension in the encoded vector, and how many columns it takes. */
  readonly offset: number;
  readonly width: number;
}

/** A validated, flattened space. */
export class SearchSpace {
  readonly dims: Dim[] = [];
  /** Length of an encoded config (one column per number, one per category). */
  readonly width: number;

  constructor(readonly space: Space) {
    if (space === null || typeof space !== 'object' || Array.isArray(space)) {
      throw new DTypeError(`search space must be an object of domains, got ${describe(space)}`);
    }
    if (Object.keys(space).length === 0) throw new ValueError('search space is empty: give at least one hyperparameter');
    let offset = 0;
    const walk = (sp: Space, when: Dim['when'], prefix: string) => {
      for (const [key, domain] of Object.entries(sp)) {
        validateDomain(key, domain);
        const id = prefix + key;
        if (domain.kind === 'conditional') {
          const names = Object.keys(domain.branches);
          const selector = choice(names);
          this.dims.push({ id, key, domain: selector, branchOf: domain, when, offset, width: names.length });
          offset += names.length;
          for (const name of names) walk(domain.branches[name], [...when, { key, value: name }], `${id}=${name}/`);
        } else {
          const width = domain.kind === 'choice' ? domain.values.length : 1;
          this.dims.push({ id, key, domain, when, offset, width });
          offset += width;
        }
      }
    };
    walk(space, [], '');
    this.width = offset;
  }

  /** Whether a dimension is active in a (possibly partial) config. */
  active(d: Dim, cfg: Config): boolean {
    return d.when.every((w) => cfg[w.key] === w.value);
  }

  /** A random config, every active dimension drawn from its domain. */
  sample(rng: Generator): Config {
    const cfg: Config = {};
    for (const d of this.dims) if (this.active(d, cfg)) cfg[d.key] = fromUnit(d.domain, rng.uniform());
    return cfg;
  }

  /** The config in [0, 1]^width: numbers mapped linearly (or in log), categories one-hot, inactive 0. */
  encode(cfg: Config): Float64Array {
    const v = new Float64Array(this.width);
    for (const d of this.dims) {
      if (!this.active(d, cfg)) continue;
      const x = cfg[d.key];
      if (d.domain.kind === 'choice') {
        const i = d.domain.values.indexOf(x);
        if (i >= 0) v[d.offset + i] = 1;
      } else {
        v[d.offset] = toUnit(d.domain, x as number);
      }
    }
    return v;
  }

  /**
   * A config near `cfg`: each active number moves by a normal step of `scale` in unit coordinates,
   * each category switches with probability `switchProb` (for local refinement of the acquisition).
   */
  neighbour(cfg: Config, rng: Generator, scale: number, switchProb: number): Config {
    const out: Config = {};
    for (const d of this.dims) {
      if (!this.active(d, out)) continue;
      const old = cfg[d.key];
      if (d.domain.kind === 'choice') {
        const keep = old !== undefined && d.domain.values.includes(old) && rng.uniform() >= switchProb;
        out[d.key] = keep ? old : d.domain.values[rng.int(d.domain.values.length)];
      } else if (old === undefined || typeof old !== 'number') {
        out[d.key] = fromUnit(d.domain, rng.uniform());
      } else {
        const u = Math.min(1, Math.max(0, toUnit(d.domain, old) + scale * rng.normal()));
        out[d.key] = fromUnit(d.domain, u);
      }
    }
    return out;
  }

  /** Checks a config (e.g. one read back from a results file) belongs to this space. */
  contains(cfg: Config): boolean {
    for (const d of this.dims) {
      if (!this.active(d, cfg)) continue;
      const x = cfg[d.key];
      if (d.domain.kind === 'choice') {
        if (!d.domain.values.includes(x)) return false;
      } else if (typeof x !== 'number' || x < d.domain.low - 1e-12 * Math.abs(d.domain.low) || x > d.domain.high * (1 + 1e-12) + 1e-12) {
        return false;
      }
    }
    return true;
  }

  /**
   * Every point of the grid: categories in full, integer ranges in full when they have at most
   * `resolution` values, and otherwise (and for floats) `resolution` evenly spaced values, ends included.
   */
  grid(resolution: number): Config[] {
    const expand = (i: number, cfg: Config): Config[] => {
      if (i === this.dims.length) return [{ ...cfg }];
      const d = this.dims[i];
      if (!this.active(d, cfg)) return expand(i + 1, cfg);
      const out: Config[] = [];
      for (const v of gridValues(d.domain, resolution)) {
        cfg[d.key] = v;
        out.push(...expand(i + 1, cfg));
      }
      delete cfg[d.key];
      return out;
    };
    return expand(0, {});
  }

  /** A stable description, to check that a resumed results file was made with the same space. */
  signature(): string {
    return JSON.stringify(this.dims.map((d) => [d.id, d.domain, d.when]));
  }
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function validateDomain(key: string, d: Domain): void {
  const where = `search space: parameter '${key}'`;
  if (d === null || typeof d !== 'object' || typeof (d as { kind?: unknown }).kind !== 'string') {
    throw new DTypeError(`${where} must be a domain (tune.choice, intRange, uniform, logUniform, conditional), got ${describe(d)}`);
  }
  switch (d.kind) {
    case 'choice': {
      if (!Array.isArray(d.values)) throw new DTypeError(`${where}: choice needs an array of values, got ${describe(d.values)}`);
      if (d.values.length === 0) throw new ValueError(`${where}: choice needs at least one value, got an empty list`);
      for (const v of d.values) {
        if (!(isNum(v) || typeof v === 'string' || typeof v === 'boolean')) {
          throw new DTypeError(`${where}: choice values must be finite numbers, strings or booleans, got ${describe(v)}`);
        }
      }
      if (new Set(d.values).size !== d.values.length) throw new ValueError(`${where}: choice values must be distinct, got [${d.values.join(', ')}]`);
      return;
    }
    case 'int': {
      if (!Number.isInteger(d.low) || !Number.isInteger(d.high)) {
        throw new DTypeError(`${where}: intRange bounds must be integers, got low ${describe(d.low)}, high ${describe(d.high)}`);
      }
      if (!(d.low < d.high)) throw new ValueError(`${where}: intRange needs low < high, got low ${d.low}, high ${d.high}`);
      if (!Number.isInteger(d.step) || d.step < 1) throw new ValueError(`${where}: intRange step must be a positive integer, got ${describe(d.step)}`);
      if (d.log && d.low <= 0) throw new ValueError(`${where}: a log intRange needs low > 0, got low ${d.low}`);
      if (d.log && d.step !== 1) throw new ValueError(`${where}: a log intRange takes no step (got step ${d.step})`);
      return;
    }
    case 'uniform': {
      const name = d.log ? 'logUniform' : 'uniform';
      if (!isNum(d.low) || !isNum(d.high)) {
        throw new DTypeError(`${where}: ${name} bounds must be finite numbers, got low ${describe(d.low)}, high ${describe(d.high)}`);
      }
      if (!(d.low < d.high)) throw new ValueError(`${where}: ${name} needs low < high, got low ${d.low}, high ${d.high}`);
      if (d.log && d.low <= 0) throw new ValueError(`${where}: logUniform needs low > 0, got low ${d.low}`);
      return;
    }
    case 'conditional': {
      const b = d.branches;
      if (b === null || typeof b !== 'object' || Object.keys(b).length === 0) {
        throw new ValueError(`${where}: conditional needs at least one branch, got ${describe(b)}`);
      }
      for (const [name, sub] of Object.entries(b)) {
        if (sub === null || typeof sub !== 'object' || Array.isArray(sub)) {
          throw new DTypeError(`${where}: branch '${name}' must be an object of domains ({} for none), got ${describe(sub)}`);
        }
      }
      return;
    }
    default:
      throw new DTypeError(`${where}: unknown domain kind '${String((d as { kind: unknown }).kind)}'`);
  }
}

/** Position of a value of a numeric domain in [0, 1]. */
export function toUnit(d: IntRange | Uniform, x: number): number {
  // Integers cover [low - 0.5, high + 0.5] so that each value owns an equal share of the unit interval.
  const [lo, hi] = d.kind === 'int' ? [d.low - 0.5 * d.step, d.high + 0.5 * d.step] : [d.low, d.high];
  if (d.log) {
    const l = d.kind === 'int' ? Math.max(lo, d.low * 0.5) : lo;
    return clamp01((Math.log(x) - Math.log(l)) / (Math.log(hi) - Math.log(l)));
  }
  return clamp01((x - lo) / (hi - lo));
}

/** The value of a domain at unit position u (choices: the u-th share; integers rounded onto the step grid). */
export function fromUnit(d: Choice | IntRange | Uniform, u: number): Value {
  u = clamp01(u);
  if (d.kind === 'choice') return d.values[Math.min(d.values.length - 1, Math.floor(u * d.values.length))];
  if (d.kind === 'uniform') {
    const x = d.log ? Math.exp(Math.log(d.low) + u * (Math.log(d.high) - Math.log(d.low))) : d.low + u * (d.high - d.low);
    return Math.min(d.high, Math.max(d.low, x));
  }
  let x: number;
  if (d.log) {
    const lo = Math.max(d.low - 0.5, d.low * 0.5);
    x = Math.exp(Math.log(lo) + u * (Math.log(d.high + 0.5) - Math.log(lo)));
  } else {
    x = d.low - 0.5 * d.step + u * (d.high - d.low + d.step);
  }
  const k = Math.round((x - d.low) / d.step);
  return Math.min(d.high - ((d.high - d.low) % d.step), Math.max(d.low, d.low + k * d.step));
}

function clamp01(u: number): number {
  return u < 0 ? 0 : u > 1 ? 1 : u;
}

/** The grid values of one domain. */
export function gridValues(d: Choice | IntRange | Uniform, resolution: number): Value[] {
  if (d.kind === 'choice') return d.values.slice();
  if (d.kind === 'int') {
    const all: number[] = [];
    for (let x = d.low; x <= d.high; x += d.step) all.push(x);
    if (all.length <= resolution) return all;
  }
  const out: Value[] = [];
  for (let i = 0; i < resolution; i++) {
    const u = resolution === 1 ? 0.5 : i / (resolution - 1);
    if (d.kind === 'uniform') {
      out.push(d.log ? Math.exp(Math.log(d.low) + u * (Math.log(d.high) - Math.log(d.low))) : d.low + u * (d.high - d.low));
    } else {
      const x = d.log ? Math.exp(Math.log(d.low) + u * (Math.log(d.high) - Math.log(d.low))) : d.low + u * (d.high - d.low);
      const v = Math.min(d.high, d.low + Math.round((x - d.low) / d.step) * d.step);
      if (!out.includes(v)) out.push(v);
    }
  }
  return out;
}
