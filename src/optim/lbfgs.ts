// L-BFGS with PyTorch's closure API and algorithm (torch.optim.LBFGS, 1.13): the two-loop recursion
// over the last `historySize` (s, y) pairs, an initial inverse Hessian scaled by s'y / y'y, and an
// optional strong-Wolfe line search (bracketing, then zoom with safeguarded cubic interpolation).
//
// The algorithm (lbfgsStep) is a plain function over a vector type: the LBFGS class runs it on float32
// vectors like the parameters, with every reduction (dot products, norms) accumulated in float64 and
// the scalars (step, curvature) in float64; tests also run it in float64 against PyTorch in double.
import type { Tensor } from '../tensor/tensor';
import { enableGrad } from '../autograd/engine';
import { ValueError, DTypeError, describe } from '../errors';
import { Optimizer, checkNumber, type Closure, type OptimizerStateDict, type ParamGroup, type ParamGroupInput, type ParamState } from './optimizer';
import { mergeOptions } from './options';
import { FlatVector, axpy, dot, lossValue, maxAbs, sumAbs } from './vec';

export interface LBFGSOptions {
  /** Step length: the line search's first trial, or the fixed step without one (default 1). */
  lr?: number;
  /** Iterations per step() (default 20). */
  maxIter?: number;
  /** Closure calls per step() (default floor(maxIter * 5 / 4)). */
  maxEval?: number;
  /** Stop when max |gradient| <= toleranceGrad (default 1e-7). */
  toleranceGrad?: number;
  /** Stop when the loss or the step changes by less than this (default 1e-9). */
  toleranceChange?: number;
  /** (s, y) pairs remembered (default 100). */
  historySize?: number;
  /** 'strongWolfe', or null for fixed steps of lr (default null, as PyTorch). */
  lineSearch?: 'strongWolfe' | null;
  checkFinite?: boolean;
}

/** The settings lbfgsStep reads. */
export interface LbfgsSettings {
  lr: number;
  maxIter: number;
  maxEval: number;
  toleranceGrad: number;
  toleranceChange: number;
  historySize: number;
  lineSearch: 'strongWolfe' | null;
}

/** What persists between step() calls (PyTorch keeps the same in the first parameter's state). */
export type LBFGSState = LbfgsState<Float32Array>;

function checkInteger(where: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number') throw new DTypeError(`${where}: option '${name}' must be an integer, got ${describe(v)}`);
  if (!Number.isInteger(v) || v < min) throw new ValueError(`${where}: option '${name}' must be an integer >= ${min}, got ${v}`);
  return v;
}

/**
 * L-BFGS over one parameter group (as PyTorch: no per-parameter options). step(closure) is required:
 * the closure is re-evaluated at every trial point.
 */
export class LBFGS extends Optimizer<LBFGSOptions> {
  /** History and counters; see LbfgsState. */
  lbfgsState: LBFGSState = freshLbfgsState<Float32Array>();
  private readonly vec = new FlatVector(this);

  constructor(params: Tensor[] | ParamGroupInput[] | Iterable<Tensor>, options?: LBFGSOptions) {
    const maxIter = (options?.maxIter ?? 20) as number;
    const defaults: Required<LBFGSOptions> = {
      lr: 1, maxIter: 20,
      maxEval: typeof maxIter === 'number' ? Math.floor((maxIter * 5) / 4) : 25,
      toleranceGrad: 1e-7, toleranceChange: 1e-9, historySize: 100, lineSearch: null, checkFinite: false,
    };
    super(params, mergeOptions('LBFGS', defaults, options));
  }

  protected validate(o: Record<string, unknown>, where: string): void {
    super.validate(o, where);
    checkNumber(where, 'lr', o.lr, { min: 0, minExclusive: true });
    checkInteger(where, 'maxIter', o.maxIter, 1);
    checkInteger(where, 'maxEval', o.maxEval, 1);
    checkNumber(where, 'toleranceGrad', o.toleranceGrad, { min: 0 });
    checkNumber(where, 'toleranceChange', o.toleranceChange, { min: 0 });
    checkInteger(where, 'historySize', o.historySize, 1);
    if (o.lineSearch !== null && o.lineSearch !== 'strongWolfe') {
      throw new ValueError(`${where}: option 'lineSearch' must be 'strongWolfe' or null, got ${describe(o.lineSearch)}`);
    }
  }

  addParamGroup(input: ParamGroupInput): void {
    if (this.paramGroups.length > 0) {
      throw new ValueError("LBFGS: parameter groups are not supported (one set of options for all parameters, as PyTorch's LBFGS)");
    }
    super.addParamGroup(input);
  }

  protected bufferNames(): string[] {
    return [];
  }

  protected update(): void {
    throw new Error('LBFGS: update() is not used; step(closure) runs the whole iteration');
  }

  /**
   * Runs up to maxIter iterations. `closure` zeroes the gradients, computes the loss, calls backward
   * and returns the loss; it is called once at the start and once per trial point. Returns what the
   * first call returned (the loss before this step).
   */
  step(closure?: Closure): Tensor | number {
    if (typeof closure !== 'function') throw new DTypeError(`LBFGS.step: argument 'closure' must be a function (L-BFGS re-evaluates the loss), got ${describe(closure)}`);
    const vec = this.vec;
    const group = this.paramGroups[0];
    let first: Tensor | number | undefined;
    const problem: LbfgsProblem<Float32Array> = {
      evaluate: () => {
        const r = enableGrad(closure);
        const f = lossValue('LBFGS.step', r);
        if (first === undefined) first = r;
        if (group.checkFinite) {
          const g = vec.grad();
          if (!Number.isFinite(maxAbs(g))) throw new ValueError('LBFGS.step: the gradient holds NaN or Infinity');
        }
        return f;
      },
      grad: () => vec.grad(),
      read: () => vec.read(),
      write: (x) => vec.write(x),
      addScaled: (t, d) => vec.addScaled(t, d),
      alloc: (n) => new Float32Array(n),
    };
    lbfgsStep(problem, this.lbfgsState, group as ParamGroup & LbfgsSettings);
    return first as Tensor | number;
  }

  /**
   * Options, and the history as the first parameter's state (as PyTorch keeps it): scalars, and the
   * vectors d, prevFlatGrad, oldDirs.<i>, oldStps.<i> (Float32Array, so flattenStateDict can store
   * them in a safetensors file).
   */
  stateDict(): OptimizerStateDict {
    const sd = super.stateDict();
    const st = this.lbfgsState;
    if (st.nIter > 0 && st.d && st.prevFlatGrad) {
      const s: ParamState = {
        step: st.nIter, funcEvals: st.funcEvals, t: st.t, hDiag: st.hDiag, prevLoss: st.prevLoss,
        historyLength: st.oldDirs.length, d: new Float32Array(st.d), prevFlatGrad: new Float32Array(st.prevFlatGrad),
      };
      st.oldDirs.forEach((v, i) => {
        s[`oldDirs.${i}`] = new Float32Array(v);
        s[`oldStps.${i}`] = new Float32Array(st.oldStps[i]);
        s[`ro.${i}`] = st.ro[i];
      });
      sd.state = { 0: s };
    } else {
      sd.state = {};
    }
    return sd;
  }

  loadStateDict(sd: OptimizerStateDict): void {
    const where = 'LBFGS.loadStateDict';
    const s = sd?.state?.[0];
    const n = this.vec.size;
    let next = freshLbfgsState<Float32Array>();
    if (s) {
      const vecAt = (k: string): Float32Array => {
        const v = s[k];
        if (!(v instanceof Float32Array) || v.length !== n) throw new ValueError(`${where}: state '${k}' must be a Float32Array of ${n} elements, got ${describe(v)}`);
        return new Float32Array(v);
      };
      const num = (k: string): number => {
        const v = s[k];
        if (typeof v !== 'number') throw new ValueError(`${where}: state '${k}' must be a number, got ${describe(v)}`);
        return v;
      };
      const m = num('historyLength');
      next = {
        funcEvals: num('funcEvals'), nIter: num('step'), t: num('t'), hDiag: num('hDiag'),
        // JSON turns NaN into null; prevLoss is only read after being set in a step.
        prevLoss: typeof s.prevLoss === 'number' ? s.prevLoss : NaN,
        d: vecAt('d'), prevFlatGrad: vecAt('prevFlatGrad'),
        oldDirs: Array.from({ length: m }, (_, i) => vecAt(`oldDirs.${i}`)),
        oldStps: Array.from({ length: m }, (_, i) => vecAt(`oldStps.${i}`)),
        ro: Array.from({ length: m }, (_, i) => num(`ro.${i}`)),
      };
    }
    // The base restores (and checks) the options; the history lives only here.
    super.loadStateDict({ ...sd, state: {} });
    this.lbfgsState = next;
  }
}

/**
 * Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to `bounds` (default: the
 * interval between the points); the midpoint when the cubic has no minimum.
 */
export function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2sq = d1 * d1 - g1 * g2;
  if (d2sq >= 0) {
    const d2 = Math.sqrt(d2sq);
    const minPos = x1 <= x2
      ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
      : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return Math.min(Math.max(minPos, lo), hi);
  }
  return (lo + hi) / 2;
}

interface LineSearchResult<V extends Vec> {
  f: number;
  g: V;
  t: number;
  evals: number;
}

/**
 * A step t along d satisfying the strong Wolfe conditions (sufficient decrease c1, curvature c2),
 * from the initial trial t: bracket a minimiser, then shrink the bracket by cubic interpolation,
 * kept at least a tenth of the bracket away from its ends. `objective(t)` returns f and g at x + t d.
 */
export function strongWolfe<V extends Vec>(
  objective: (t: number) => [number, V],
  t: number,
  d: V,
  f: number,
  g: V,
  gtd: number,
  toleranceChange = 1e-9,
  c1 = 1e-4,
  c2 = 0.9,
  maxLs = 25,
): LineSearchResult<V> {
  const dNorm = maxAbs(d);
  let [fNew, gNew] = objective(t);
  let evals = 1;
  let gtdNew = dot(gNew, d);

  // Bracketing phase.
  let tPrev = 0, fPrev = f, gPrev = g, gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: number[] = [], bf: number[] = [], bg: V[] = [], bgtd: number[] = [];
  while (lsIter < maxLs) {
    if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
      bracket = [tPrev, t]; bf = [fPrev, fNew]; bg = [gPrev, gNew]; bgtd = [gtdPrev, gtdNew];
      break;
    }
    if (Math.abs(gtdNew) <= -c2 * gtd) {
      bracket = [t]; bf = [fNew]; bg = [gNew];
      done = true;
      break;
    }
    if (gtdNew >= 0) {
      bracket = [tPrev, t]; bf = [fPrev, fNew]; bg = [gPrev, gNew]; bgtd = [gtdPrev, gtdNew];
      break;
    }
    // Still going down: extrapolate, at least 1% past t and at most 10 t.
    const minStep = t + 0.01 * (t - tPrev);
    const maxStep = t * 10;
    const tmp = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    tPrev = tmp; fPrev = fNew; gPrev = gNew; gtdPrev = gtdNew;
    [fNew, gNew] = objective(t);
    evals++;
    gtdNew = dot(gNew, d);
    lsIter++;
  }
  if (lsIter === maxLs) {
    bracket = [0, t]; bf = [f, fNew]; bg = [g, gNew];
  }

  // Zoom phase: shrink the bracket until a point satisfies both conditions.
  let insufficientProgress = false;
  let lowPos = bf[0] <= bf[bf.length - 1] ? 0 : 1;
  let highPos = 1 - lowPos;
  while (!done && lsIter < maxLs) {
    if (Math.abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) break;
    t = cubicInterpolate(bracket[0], bf[0], bgtd[0], bracket[1], bf[1], bgtd[1]);
    // A trial too near an end of the bracket makes little progress: push it a tenth inside.
    const bMax = Math.max(bracket[0], bracket[1]), bMin = Math.min(bracket[0], bracket[1]);
    const eps = 0.1 * (bMax - bMin);
    if (Math.min(bMax - t, t - bMin) < eps) {
      if (insufficientProgress || t >= bMax || t <= bMin) {
        t = Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - eps : bMin + eps;
        insufficientProgress = false;
      } else {
        insufficientProgress = true;
      }
    } else {
      insufficientProgress = false;
    }
    [fNew, gNew] = objective(t);
    evals++;
    gtdNew = dot(gNew, d);
    lsIter++;
    if (fNew > f + c1 * t * gtd || fNew >= bf[lowPos]) {
      // Not sufficiently lower: the trial becomes the high end.
      bracket[highPos] = t; bf[highPos] = fNew; bg[highPos] = gNew; bgtd[highPos] = gtdNew;
      lowPos = bf[0] <= bf[1] ? 0 : 1;
      highPos = 1 - lowPos;
    } else {
      if (Math.abs(gtdNew) <= -c2 * gtd) {
        done = true;
      } else if (gtdNew * (bracket[highPos] - bracket[lowPos]) >= 0) {
        // The minimiser lies between the trial and the old low end.
        bracket[highPos] = bracket[lowPos]; bf[highPos] = bf[lowPos]; bg[highPos] = bg[lowPos]; bgtd[highPos] = bgtd[lowPos];
      }
      bracket[lowPos] = t; bf[lowPos] = fNew; bg[lowPos] = gNew; bgtd[lowPos] = gtdNew;
    }
  }
  return { f: bf[lowPos], g: bg[lowPos], t: bracket[lowPos], evals };
}

// ---------------------------------------------------------------------------------------------
// The algorithm, over any vector type: float32 for parameters, float64 for checking the algorithm
// itself against PyTorch run in double precision (test/lbfgs.test.ts).

export type Vec = Float32Array | Float64Array;

/** The objective as L-BFGS sees it: the point, a step along a direction, f and its gradient. */
export interface LbfgsProblem<V extends Vec> {
  /** f at the current point (for a model: the closure, which also leaves the gradient behind). */
  evaluate(): number;
  /** The gradient at the point of the last evaluate(), as a new vector. */
  grad(): V;
  /** A copy of the current point. */
  read(): V;
  write(x: V): void;
  /** point += t d */
  addScaled(t: number, d: V): void;
  alloc(n: number): V;
}

export interface LbfgsState<V extends Vec = Float32Array> {
  funcEvals: number;
  nIter: number;
  d: V | null;
  t: number;
  oldDirs: V[];
  oldStps: V[];
  ro: number[];
  hDiag: number;
  prevFlatGrad: V | null;
  prevLoss: number;
}

export function freshLbfgsState<V extends Vec>(): LbfgsState<V> {
  return { funcEvals: 0, nIter: 0, d: null, t: 0, oldDirs: [], oldStps: [], ro: [], hDiag: 1, prevFlatGrad: null, prevLoss: NaN };
}

/** One step() of PyTorch's L-BFGS: up to maxIter iterations, updating `st` in place. */
export function lbfgsStep<V extends Vec>(problem: LbfgsProblem<V>, st: LbfgsState<V>, opts: LbfgsSettings): void {
  const { lr, maxIter, maxEval, toleranceGrad, toleranceChange, historySize, lineSearch } = opts;
  let loss = problem.evaluate();
  let currentEvals = 1;
  st.funcEvals++;
  let flatGrad = problem.grad();
  if (maxAbs(flatGrad) <= toleranceGrad) return;

  let d = st.d;
  let t = st.t;
  let nIter = 0;
  while (nIter < maxIter) {
    nIter++;
    st.nIter++;

    // Direction: steepest descent on the very first iteration, else the L-BFGS direction.
    if (st.nIter === 1 || d === null || st.prevFlatGrad === null) {
      d = negated(problem, flatGrad);
      st.oldDirs = [];
      st.oldStps = [];
      st.ro = [];
      st.hDiag = 1;
    } else {
      updateHistory(problem, st, flatGrad, d, t, historySize);
      d = twoLoop(problem, st, flatGrad);
    }
    if (st.prevFlatGrad === null) {
      st.prevFlatGrad = problem.alloc(flatGrad.length);
    }
    st.prevFlatGrad.set(flatGrad);
    st.prevLoss = loss;

    // Step length: the first step ever is scaled so that it moves at most lr in l1 terms.
    t = st.nIter === 1 ? Math.min(1, 1 / sumAbs(flatGrad)) * lr : lr;
    const gtd = dot(flatGrad, d);
    if (gtd > -toleranceChange) break; // not a descent direction any more

    let lsEvals = 0;
    let optimal = false;
    if (lineSearch === 'strongWolfe') {
      const x0 = problem.read();
      const dir = d;
      const objective = (step: number): [number, V] => {
        problem.addScaled(step, dir);
        const f = problem.evaluate();
        const g = problem.grad();
        problem.write(x0);
        return [f, g];
      };
      const res = strongWolfe(objective, t, d, loss, flatGrad, gtd, toleranceChange);
      loss = res.f;
      flatGrad = res.g;
      t = res.t;
      lsEvals = res.evals;
      problem.addScaled(t, d);
      optimal = maxAbs(flatGrad) <= toleranceGrad;
    } else {
      problem.addScaled(t, d);
      if (nIter !== maxIter) {
        // Re-evaluate only when another iteration follows (in a stochastic setting the last
        // evaluation would be wasted).
        loss = problem.evaluate();
        flatGrad = problem.grad();
        optimal = maxAbs(flatGrad) <= toleranceGrad;
        lsEvals = 1;
      }
    }
    currentEvals += lsEvals;
    st.funcEvals += lsEvals;

    if (nIter === maxIter) break;
    if (currentEvals >= maxEval) break;
    if (optimal) break;
    if (maxAbs(d) * Math.abs(t) <= toleranceChange) break; // the step no longer moves anything
    if (Math.abs(loss - st.prevLoss) < toleranceChange) break;
  }
  st.d = d;
  st.t = t;
}

function negated<V extends Vec>(problem: LbfgsProblem<V>, g: V): V {
  const out = problem.alloc(g.length);
  for (let i = 0; i < g.length; i++) out[i] = -g[i];
  return out;
}

/** Adds the pair s = t d, y = g - gPrev when it has positive curvature; rescales the initial H. */
function updateHistory<V extends Vec>(problem: LbfgsProblem<V>, st: LbfgsState<V>, flatGrad: V, d: V, t: number, historySize: number): void {
  const prev = st.prevFlatGrad as V;
  const n = flatGrad.length;
  const y = problem.alloc(n);
  const s = problem.alloc(n);
  for (let i = 0; i < n; i++) {
    y[i] = flatGrad[i] - prev[i];
    s[i] = d[i] * t;
  }
  const ys = dot(y, s);
  if (ys > 1e-10) {
    if (st.oldDirs.length === historySize) {
      st.oldDirs.shift();
      st.oldStps.shift();
      st.ro.shift();
    }
    st.oldDirs.push(y);
    st.oldStps.push(s);
    st.ro.push(1 / ys);
    st.hDiag = ys / dot(y, y);
  }
}

/** -H g by the two-loop recursion over the stored pairs. */
function twoLoop<V extends Vec>(problem: LbfgsProblem<V>, st: LbfgsState<V>, flatGrad: V): V {
  const { oldDirs, oldStps, ro, hDiag } = st;
  const m = oldDirs.length;
  const al = new Float64Array(m);
  const q = negated(problem, flatGrad);
  for (let i = m - 1; i >= 0; i--) {
    al[i] = dot(oldStps[i], q) * ro[i];
    axpy(-al[i], oldDirs[i], q);
  }
  for (let i = 0; i < q.length; i++) q[i] *= hDiag;
  for (let i = 0; i < m; i++) {
    const be = dot(oldDirs[i], q) * ro[i];
    axpy(al[i] - be, oldStps[i], q);
  }
  return q;
}
