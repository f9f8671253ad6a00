// Optimizer: the base of every optimizer, after torch.optim.Optimizer (parameter groups with
// per-group options, lazily created state, step / zeroGrad / stateDict / loadStateDict), built on
// flat storage made for fused updates.
//
// Flat storage. When an optimizer is constructed, each group's parameters are copied into ONE flat
// Float32Array and each parameter tensor's `data` becomes a subarray view into it (the Tensor objects
// stay the same, so a Module still sees them). Likewise one flat gradient buffer per group, with each
// `param.grad` a view (autograd accumulates leaf gradients in place into an existing grad), and one
// flat Float32Array per state buffer (expAvg, momentumBuffer ...). zeroGrad is one fill, and a step
// is one fused native call per group over the flat buffers.
//
// When a parameter has no gradient (grad null: never produced, or zeroGrad(true)), it is skipped as
// PyTorch does, and that step falls back to multi-tensor apply (lists of per-parameter views, still one
// native call). Per-parameter step counts are kept, so parameters skipped in some steps get their own
// bias corrections. If someone replaces `param.data` or `param.grad` (autograd makes a fresh grad after
// zeroGrad(true); Module.loadStateDict copies in place), the new values are copied into the flat buffer
// and the view is put back at the next step or zeroGrad.
import { Tensor } from '../tensor/tensor';
import { enableGrad } from '../autograd/engine';
import { backend } from '../backend';
import type { Backend } from '../backend';
import { DTypeError, ShapeError, ValueError, describe } from '../errors';

/** A parameter group: its parameters and its options (lr, momentum, betas ... in camelCase). */
export interface ParamGroup {
  params: Tensor[];
  lr: number;
  /** Set by learning-rate schedules: the lr the schedule started from (PyTorch's initial_lr). */
  initialLr?: number;
  /** Check gradients for NaN/Inf before each step and throw instead of updating (default false). */
  checkFinite?: boolean;
  [option: string]: unknown;
}

/** What the constructor and addParamGroup accept: params plus any options that override the defaults. */
export interface ParamGroupInput {
  params: Tensor[] | Tensor;
  [option: string]: unknown;
}

/** Options shared by every optimizer. */
export interface BaseOptions {
  lr?: number;
  checkFinite?: boolean;
}

/** Per-parameter scalar state (a step count, NAdam's mu product ...) and state buffers. */
export interface ParamState {
  step: number;
  [name: string]: number | Float32Array;
}

/**
 * A JSON-able, copyable snapshot: per-group options (params as indices over all groups, in order),
 * and per-parameter state for parameters that have taken a step. Buffers are copies.
 */
export interface OptimizerStateDict {
  type: string;
  paramGroups: Record<string, unknown>[];
  state: Record<number, ParamState>;
}

/** Flat storage of one parameter group. */
export interface FlatGroup {
  /** All the group's parameter values, back to back, in `params` order. */
  params: Float32Array;
  /** All the group's gradients, same layout. */
  grads: Float32Array;
  /** offsets[i]..offsets[i+1] is parameter i's range. */
  offsets: number[];
  paramViews: Float32Array[];
  gradViews: Float32Array[];
  /** The grad Tensors the optimizer owns (param.grad points at them when a gradient exists). */
  gradTensors: Tensor[];
  /** State buffers by name, each as long as `params`; made at the group's first step. */
  buffers: Map<string, Float32Array>;
  /** Per-parameter scalars by name ('step' always). */
  scalars: Map<string, Float64Array>;
  /** Which parameters had a gradient at the last sync. */
  hasGrad: boolean[];
}

/**
 * What a subclass's update sees: the group's flat buffers and, when only some parameters take part
 * (others have no gradient, or a different step count), `segments` ([offset, length] pairs) to pass
 * on to the kernel; the scalars those parameters share, with `step` already incremented. Set scalars
 * with `set`.
 */
export interface StepContext {
  p: Float32Array;
  g: Float32Array;
  buffer(name: string): Float32Array;
  /** null: the whole group; else the ranges to update (multi-tensor apply in one call). */
  segments: Int32Array | null;
  step: number;
  scalar(name: string): number;
  set(name: string, value: number): void;
  backend: Backend;
}

export type Closure = () => Tensor | number;

export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  readonly defaults: Required<O> & Record<string, unknown>;
  paramGroups: ParamGroup[] = [];
  /** Flat storage, one per group (same order as paramGroups). */
  protected readonly flat: FlatGroup[] = [];
  private readonly owned = new Set<Tensor>();

  constructor(params: Tensor[] | ParamGroupInput[] | Iterable<Tensor>, defaults: Required<O>) {
    this.defaults = Object.assign({ checkFinite: false }, defaults) as Required<O> & Record<string, unknown>;
    this.validate(this.defaults as unknown as Record<string, unknown>, `${this.constructor.name}`);
    const list = Array.isArray(params) ? params : params && typeof (params as Iterable<Tensor>)[Symbol.iterator] === 'function' ? [...(params as Iterable<Tensor>)] : null;
    if (list === null) throw new DTypeError(`${this.constructor.name}: params must be an array of Tensors or of parameter groups, got ${describe(params)}`);
    if (list.length === 0) throw new ValueError(`${this.constructor.name}: got an empty parameter list`);
    if (list.every((p) => p instanceof Tensor)) {
      this.addParamGroup({ params: list as Tensor[] });
    } else {
      for (const g of list) {
        if (g instanceof Tensor) throw new DTypeError(`${this.constructor.name}: params mixes Tensors and parameter groups`);
        this.addParamGroup(g as ParamGroupInput);
      }
    }
  }

  /** The state buffers a group needs (e.g. ['expAvg', 'expAvgSq']), from its options. */
  protected abstract bufferNames(group: ParamGroup): string[];

  /** The update for one set of parameters (see StepContext). */
  protected abstract update(group: ParamGroup, ctx: StepContext): void;

  /**
   * Checks options (the merged options of a group, or the defaults), throwing ValueError naming the
   * option and value. Subclasses extend it (call super).
   */
  protected validate(o: Record<string, unknown>, where: string): void {
    checkNumber(where, 'lr', o.lr, { min: 0 });
    if (o.checkFinite !== undefined && typeof o.checkFinite !== 'boolean') {
      throw new DTypeError(`${where}: option 'checkFinite' must be a boolean, got ${describe(o.checkFinite)}`);
    }
  }

  /** Fills a new state buffer (zeros by default; Adagrad starts from initialAccumulatorValue). */
  protected initBuffer(_group: ParamGroup, _name: string, _buf: Float32Array): void {}

  /** Per-parameter scalars besides 'step', with their initial values (NAdam: { muProduct: 1 }). */
  protected extraScalars(): Record<string, number> {
    return {};
  }

  /** Adds a group; its options default to the optimizer's defaults. Parameters may be in one group only. */
  addParamGroup(input: ParamGroupInput): void {
    const where = `${this.constructor.name}.addParamGroup`;
    if (input === null || typeof input !== 'object' || !('params' in input)) {
      throw new DTypeError(`${where}: a parameter group must be an object with 'params', got ${describe(input)}`);
    }
    const params = input.params instanceof Tensor ? [input.params] : Array.isArray(input.params) ? input.params.slice() : null;
    if (params === null) throw new DTypeError(`${where}: 'params' must be a Tensor or an array of Tensors, got ${describe(input.params)}`);
    const seen = new Set<Tensor>();
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new DTypeError(`${where}: params[${i}] must be a Tensor, got ${describe(p)}`);
      if (!p.isLeaf) throw new ValueError(`${where}: params[${i}] is not a leaf tensor (it was computed); optimize leaves only`);
      if (seen.has(p)) throw new ValueError(`${where}: params[${i}] appears twice in the group`);
      if (this.owned.has(p)) throw new ValueError(`${where}: params[${i}] is already in another parameter group`);
      seen.add(p);
    });
    const group: ParamGroup = { ...this.defaults, ...input, params } as ParamGroup;
    for (const k of Object.keys(input)) {
      if (k !== 'params' && !(k in this.defaults) && k !== 'initialLr') {
        throw new ValueError(`${where}: unknown option '${k}' for ${this.constructor.name} (known: ${Object.keys(this.defaults).join(', ')})`);
      }
    }
    this.validate(group, where);
    for (const p of params) this.owned.add(p);
    this.paramGroups.push(group);
    this.flat.push(this.makeFlat(params));
  }

  private makeFlat(params: Tensor[]): FlatGroup {
    const offsets = [0];
    for (const p of params) offsets.push(offsets[offsets.length - 1] + p.size);
    const total = offsets[offsets.length - 1];
    const flatP = new Float32Array(total);
    const flatG = new Float32Array(total);
    const paramViews: Float32Array[] = [];
    const gradViews: Float32Array[] = [];
    const gradTensors: Tensor[] = [];
    params.forEach((p, i) => {
      const pv = flatP.subarray(offsets[i], offsets[i + 1]);
      const gv = flatG.subarray(offsets[i], offsets[i + 1]);
      pv.set(p.data);
      p.data = pv;
      const gt = new Tensor(gv, p.shape);
      if (p.grad) {
        gv.set(p.grad.data);
        p.grad = gt;
      }
      paramViews.push(pv);
      gradViews.push(gv);
      gradTensors.push(gt);
    });
    const scalars = new Map<string, Float64Array>([['step', new Float64Array(params.length)]]);
    for (const [k, v] of Object.entries(this.extraScalars())) scalars.set(k, new Float64Array(params.length).fill(v));
    return { params: flatP, grads: flatG, offsets, paramViews, gradViews, gradTensors, buffers: new Map(), scalars, hasGrad: params.map((p) => p.grad !== null) };
  }

  /** The flat buffers of group `i` (for optimizers that work on whole vectors, such as L-BFGS), after a sync. */
  groupBuffers(i = 0): FlatGroup {
    if (!Number.isInteger(i) || i < 0 || i >= this.flat.length) throw new ValueError(`groupBuffers: group index must be in [0, ${this.flat.length - 1}], got ${i}`);
    this.sync(i);
    return this.flat[i];
  }

  /**
   * Puts the views back where a parameter's data or grad was replaced (copying the new values in)
   * and records which parameters have a gradient.
   */
  protected sync(gi: number): void {
    const group = this.paramGroups[gi];
    const fg = this.flat[gi];
    group.params.forEach((p, i) => {
      const pv = fg.paramViews[i];
      if (p.data !== pv) {
        if (p.data.length !== pv.length) throw new ShapeError(`${this.constructor.name}: parameter ${i} of group ${gi} changed size from ${pv.length} to ${p.data.length}`);
        pv.set(p.data);
        p.data = pv;
      }
      const gt = fg.gradTensors[i];
      if (p.grad !== null && (p.grad !== gt || gt.data !== fg.gradViews[i])) {
        if (p.grad.data.length !== pv.length) throw new ShapeError(`${this.constructor.name}: the gradient of parameter ${i} of group ${gi} has ${p.grad.data.length} elements, the parameter ${pv.length}`);
        if (p.grad.data !== fg.gradViews[i]) fg.gradViews[i].set(p.grad.data);
        gt.data = fg.gradViews[i];
        p.grad = gt;
      }
      fg.hasGrad[i] = p.grad !== null;
    });
  }

  private ensureBuffers(gi: number): void {
    const group = this.paramGroups[gi];
    const fg = this.flat[gi];
    for (const name of this.bufferNames(group)) {
      if (!fg.buffers.has(name)) {
        const b = new Float32Array(fg.params.length);
        this.initBuffer(group, name, b);
        fg.buffers.set(name, b);
      }
    }
  }

  /**
   * Clears gradients: one fill of each group's flat gradient (parameters whose grad is null stay
   * null, as in PyTorch), or with setToNone every param.grad becomes null (the next backward makes
   * fresh ones, copied back into the flat buffer at the next step).
   */
  zeroGrad(setToNone = false): void {
    this.paramGroups.forEach((group, gi) => {
      this.sync(gi);
      const fg = this.flat[gi];
      fg.grads.fill(0);
      if (setToNone) {
        for (const p of group.params) p.grad = null;
        fg.hasGrad.fill(false);
      }
    });
  }

  /**
   * One update of every parameter that has a gradient. With a closure (which recomputes the loss,
   * calling zeroGrad and backward itself), the closure runs first with grad recording on and its
   * result is returned.
   */
  step(closure?: Closure): Tensor | number | undefined {
    let loss: Tensor | number | undefined;
    if (closure !== undefined) {
      if (typeof closure !== 'function') throw new DTypeError(`${this.constructor.name}.step: closure must be a function, got ${describe(closure)}`);
      loss = enableGrad(closure);
    }
    const be = backend();
    for (let gi = 0; gi < this.paramGroups.length; gi++) {
      this.sync(gi);
      if (this.paramGroups[gi].checkFinite) this.checkGradsFinite(gi, be);
    }
    for (let gi = 0; gi < this.paramGroups.length; gi++) this.stepGroup(gi, be);
    return loss;
  }

  private checkGradsFinite(gi: number, be: Backend): void {
    const fg = this.flat[gi];
    const all = fg.hasGrad.every(Boolean);
    if (all ? be.allFinite(fg.grads) : be.allFinite(fg.gradViews.filter((_, i) => fg.hasGrad[i]))) return;
    const bad = fg.gradViews.findIndex((g, i) => fg.hasGrad[i] && !be.allFinite(g));
    throw new ValueError(
      `${this.constructor.name}.step: the gradient of parameter ${bad} in group ${gi} (shape [${this.paramGroups[gi].params[bad].shape}]) holds NaN or Infinity; no parameter was updated`,
    );
  }

  private stepGroup(gi: number, be: Backend): void {
    const group = this.paramGroups[gi];
    const fg = this.flat[gi];
    const n = group.params.length;
    this.ensureBuffers(gi);
    const names = [...fg.scalars.keys()];
    const cols = names.map((k) => fg.scalars.get(k)!);
    // Parameters with a gradient, partitioned by their scalar state (normally one partition).
    const parts = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      if (!fg.hasGrad[i]) continue;
      const key = cols.length === 1 ? String(cols[0][i]) : cols.map((c) => c[i]).join(',');
      const part = parts.get(key);
      if (part) part.push(i);
      else parts.set(key, [i]);
    }
    for (const idx of parts.values()) {
      const whole = idx.length === n;
      const i0 = idx[0];
      const stepCol = fg.scalars.get('step')!;
      const step = stepCol[i0] + 1;
      const updates = new Map<string, number>();
      const ctx: StepContext = {
        p: fg.params,
        g: fg.grads,
        buffer: (name) => {
          const b = fg.buffers.get(name);
          if (!b) throw new Error(`${this.constructor.name}: no state buffer '${name}' (bufferNames must list it)`);
          return b;
        },
        segments: whole ? null : segmentsOf(fg, idx),
        step,
        scalar: (name) => {
          const c = fg.scalars.get(name);
          if (!c) throw new Error(`${this.constructor.name}: no per-parameter scalar '${name}'`);
          return c[i0];
        },
        set: (name, value) => {
          if (!fg.scalars.has(name)) throw new Error(`${this.constructor.name}: no per-parameter scalar '${name}'`);
          updates.set(name, value);
        },
        backend: be,
      };
      this.update(group, ctx);
      for (const i of idx) stepCol[i] = step;
      for (const [name, value] of updates) {
        const c = fg.scalars.get(name)!;
        for (const i of idx) c[i] = value;
      }
    }
  }

  /**
   * Per-parameter state as views into the flat buffers (PyTorch's optimizer.state[p]), for
   * parameters that have taken a step.
   */
  get state(): Map<Tensor, ParamState> {
    const out = new Map<Tensor, ParamState>();
    this.paramGroups.forEach((group, gi) => {
      const fg = this.flat[gi];
      group.params.forEach((p, i) => {
        const s = this.paramState(gi, i, false);
        if (s) out.set(p, s);
      });
      void fg;
    });
    return out;
  }

  private paramState(gi: number, i: number, copy: boolean): ParamState | undefined {
    const fg = this.flat[gi];
    const step = fg.scalars.get('step')![i];
    if (step === 0) return undefined;
    const s: ParamState = { step };
    for (const [k, c] of fg.scalars) if (k !== 'step') s[k] = c[i];
    for (const [k, b] of fg.buffers) {
      const v = b.subarray(fg.offsets[i], fg.offsets[i + 1]);
      s[k] = copy ? new Float32Array(v) : v;
    }
    return s;
  }

  /** A snapshot (copies) of the options and the state; loadStateDict restores it exactly. */
  stateDict(): OptimizerStateDict {
    const paramGroups: Record<string, unknown>[] = [];
    const state: Record<number, ParamState> = {};
    let index = 0;
    this.paramGroups.forEach((group, gi) => {
      const opts: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(group)) if (k !== 'params') opts[k] = Array.isArray(v) ? v.slice() : v;
      opts.params = group.params.map((_, i) => index + i);
      paramGroups.push(opts);
      group.params.forEach((_, i) => {
        const s = this.paramState(gi, i, true);
        if (s) state[index + i] = s;
      });
      index += group.params.length;
    });
    return { type: this.constructor.name, paramGroups, state };
  }

  /**
   * Restores options and state from stateDict() of an optimizer of the same type over parameters of
   * the same sizes in the same groups (the parameters' values are not part of it: load the model's).
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const where = `${this.constructor.name}.loadStateDict`;
    if (!sd || typeof sd !== 'object' || !Array.isArray(sd.paramGroups) || typeof sd.state !== 'object') {
      throw new DTypeError(`${where}: expected { type, paramGroups, state }, got ${describe(sd)}`);
    }
    if (sd.type !== undefined && sd.type !== this.constructor.name) throw new ValueError(`${where}: the state dict is for ${sd.type}, this is ${this.constructor.name}`);
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new ValueError(`${where}: the state dict has ${sd.paramGroups.length} parameter groups, this optimizer ${this.paramGroups.length}`);
    }
    let index = 0;
    // Check everything before changing anything.
    this.paramGroups.forEach((group, gi) => {
      const saved = sd.paramGroups[gi].params as number[];
      if (!Array.isArray(saved) || saved.length !== group.params.length) {
        throw new ValueError(`${where}: group ${gi} has ${group.params.length} parameters, the state dict ${Array.isArray(saved) ? saved.length : describe(saved)}`);
      }
      const merged = { ...group, ...sd.paramGroups[gi], params: group.params };
      this.validate(merged, where);
      group.params.forEach((p, i) => {
        const s = sd.state[saved[i]];
        if (!s) return;
        for (const [k, v] of Object.entries(s)) {
          if (v instanceof Float32Array && v.length !== p.size) {
            throw new ShapeError(`${where}: state '${k}' of parameter ${index + i} has ${v.length} elements, the parameter ${p.size}`);
          }
        }
      });
      index += group.params.length;
    });
    this.paramGroups.forEach((group, gi) => {
      const savedGroup = sd.paramGroups[gi];
      const saved = savedGroup.params as number[];
      for (const [k, v] of Object.entries(savedGroup)) if (k !== 'params') group[k] = Array.isArray(v) ? v.slice() : v;
      const fg = this.flat[gi];
      // Fresh state, then the saved entries on top.
      fg.buffers.clear();
      fg.scalars.get('step')!.fill(0);
      for (const [k, v] of Object.entries(this.extraScalars())) fg.scalars.get(k)!.fill(v);
      this.ensureBuffers(gi);
      group.params.forEach((_, i) => {
        const s = sd.state[saved[i]];
        if (!s) return;
        for (const [k, v] of Object.entries(s)) {
          if (v instanceof Float32Array) {
            let b = fg.buffers.get(k);
            if (!b) {
              b = new Float32Array(fg.params.length);
              this.initBuffer(group, k, b);
              fg.buffers.set(k, b);
            }
            b.set(v, fg.offsets[i]);
          } else if (typeof v === 'number') {
            const c = fg.scalars.get(k);
            if (!c) throw new ValueError(`${where}: unknown per-parameter state '${k}' for ${this.constructor.name}`);
            c[i] = v;
          }
        }
      });
    });
  }
}

/** [offset, length] pairs of the given parameters, adjacent ones merged. */
function segmentsOf(fg: FlatGroup, idx: number[]): Int32Array {
  const out: number[] = [];
  for (const i of idx) {
    const off = fg.offsets[i], len = fg.offsets[i + 1] - off;
    if (out.length && out[out.length - 2] + out[out.length - 1] === off) out[out.length - 1] += len;
    else out.push(off, len);
  }
  return Int32Array.from(out);
}

/**
 * A state dict as named Float32Arrays (for a safetensors file: 'state.<param>.<buffer>') plus a JSON
 * string of everything else; unflattenStateDict inverts it exactly.
 */
export function flattenStateDict(sd: OptimizerStateDict): { tensors: Record<string, Float32Array>; metadata: string } {
  const tensors: Record<string, Float32Array> = {};
  const scalars: Record<string, Record<string, number>> = {};
  for (const [idx, s] of Object.entries(sd.state)) {
    scalars[idx] = {};
    for (const [k, v] of Object.entries(s)) {
      if (v instanceof Float32Array) tensors[`state.${idx}.${k}`] = v;
      else scalars[idx][k] = v;
    }
  }
  return { tensors, metadata: JSON.stringify({ type: sd.type, paramGroups: sd.paramGroups, scalars }) };
}

export function unflattenStateDict(flat: { tensors: Record<string, Float32Array>; metadata: string }): OptimizerStateDict {
  const meta = JSON.parse(flat.metadata) as { type: string; paramGroups: Record<string, unknown>[]; scalars: Record<string, Record<string, number>> };
  const state: Record<number, ParamState> = {};
  for (const [idx, sc] of Object.entries(meta.scalars)) state[Number(idx)] = { ...sc } as ParamState;
  for (const [name, v] of Object.entries(flat.tensors)) {
    const m = /^state\.(\d+)\.(.+)$/.exec(name);
    if (!m) throw new ValueError(`unflattenStateDict: unexpected tensor name '${name}'`);
    (state[Number(m[1])] ??= { step: 0 })[m[2]] = v;
  }
  return { type: meta.type, paramGroups: meta.paramGroups, state };
}

/** Checks a numeric option: a finite number within the bounds, else ValueError naming it. */
export function checkNumber(
  where: string, name: string, v: unknown,
  b: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean } = {},
): number {
  if (typeof v !== 'number') throw new DTypeError(`${where}: option '${name}' must be a number, got ${describe(v)}`);
  const lo = b.min ?? -Infinity, hi = b.max ?? Infinity;
  const okLo = b.minExclusive ? v > lo : v >= lo;
  const okHi = b.maxExclusive ? v < hi : v <= hi;
  if (!Number.isFinite(v) || !okLo || !okHi) {
    const range = `${b.min !== undefined ? (b.minExclusive ? '> ' : '>= ') + lo : ''}${b.min !== undefined && b.max !== undefined ? ' and ' : ''}${b.max !== undefined ? (b.maxExclusive ? '< ' : '<= ') + hi : ''}`;
    throw new ValueError(`${where}: option '${name}' must be a finite number${range ? ' ' + range : ''}, got ${v}`);
  }
  return v;
}

export function checkBoolOption(where: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new DTypeError(`${where}: option '${name}' must be a boolean, got ${describe(v)}`);
  return v;
}

/** betas: a pair of numbers in [0, 1). */
export function checkBetas(where: string, v: unknown): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) throw new DTypeError(`${where}: option 'betas' must be a pair [beta1, beta2], got ${describe(v)}`);
  v.forEach((b, i) => {
    if (typeof b !== 'number' || !(b >= 0 && b < 1)) throw new ValueError(`${where}: option 'betas[${i}]' must be in [0, 1), got ${describe(b)}`);
  });
  return v as [number, number];
}
