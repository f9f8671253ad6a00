// Newton's method for models small enough for second derivatives: each iteration solves
// (H + damping I) d = -g and takes a backtracking (Armijo) line search along d.
//
// Two ways to solve for d:
//   'cg'      Newton-CG: conjugate gradients on H d = -g, needing only Hessian-vector products, stopped
//             at a residual of min(0.5, sqrt|g|) |g| (so steps become exact, and convergence
//             superlinear, near the optimum) or at negative curvature (then the last CG iterate, or -g,
//             which are still descent directions).
//   'direct'  the explicit n x n Hessian and a Cholesky factorisation (for tiny models); when H is not
//             positive definite, damping is raised (Levenberg-Marquardt style) until it is.
// Hessian-vector products come from `hvp` (exact, supplied by the user), else from `hessian` (an
// explicit matrix), else from central finite differences of gradients (two closure calls each).
//
// The point stays float32 like the parameters; gradients, directions and the linear algebra are float64.
import type { Tensor } from '../tensor/tensor';
import { enableGrad } from '../autograd/engine';
import { DTypeError, ValueError, describe } from '../errors';
import { Optimizer, checkNumber, type Closure, type OptimizerStateDict, type ParamGroupInput, type ParamState } from './optimizer';
import { mergeOptions } from './options';
import { FlatVector, dot, lossValue, maxAbs } from './vec';

/** Hessian times v at the current parameters (the point of the last closure call), into `out`. */
export type HvpFn = (v: Float64Array, out: Float64Array) => void;
/** The Hessian at the current parameters, n x n row-major. */
export type HessianFn = () => ArrayLike<number>;

export interface NewtonOptions {
  /** First trial step of the line search (default 1: the full Newton step). */
  lr?: number;
  /** Newton iterations per step() (default 1). */
  maxIter?: number;
  /** 'cg' (Newton-CG, Hessian-vector products only; default) or 'direct' (explicit Hessian, Cholesky). */
  solver?: 'cg' | 'direct';
  /** Exact Hessian-vector product; default: finite differences of gradients through the closure. */
  hvp?: HvpFn | null;
  /** Exact explicit Hessian (n x n row-major); used by 'direct', and by 'cg' when no hvp is given. */
  hessian?: HessianFn | null;
  /** Added to the Hessian's diagonal (default 0). */
  damping?: number;
  /** Armijo constant: accept t when f(x + t d) <= f(x) + c1 t g'd (default 1e-4). */
  c1?: number;
  /** Step shrink factor while backtracking, in (0, 1) (default 0.5). */
  backtrack?: number;
  /** Closure calls allowed per line search (default 40). */
  maxLineSearch?: number;
  /** Conjugate-gradient iterations per Newton step (default 0: as many as parameters, at most 500). */
  cgMaxIter?: number;
  /** Stop when max |gradient| <= toleranceGrad (default 1e-7). */
  toleranceGrad?: number;
  /** Stop when the loss changes by less than this (default 1e-12). */
  toleranceChange?: number;
  /** Relative finite-difference step for Hessian-vector products (default 5e-3 ~ cube root of float32 eps). */
  fdEps?: number;
  checkFinite?: boolean;
}

/** What the last step() did, for logging and tests. */
export interface NewtonInfo {
  /** Newton iterations taken in the last step(). */
  iterations: number;
  /** Loss and max |gradient| at the end of the last step(). */
  loss: number;
  gradMax: number;
  /** The accepted step length of the last iteration (0 when no step was accepted). */
  stepSize: number;
  /** Conjugate-gradient iterations in the last iteration. */
  cgIterations: number;
  /** Why the last step() stopped: 'maxIter', 'toleranceGrad', 'toleranceChange' or 'lineSearch'. */
  stopped: string;
}

export class Newton extends Optimizer<NewtonOptions> {
  /** Iterations, closure calls and Hessian-vector products since construction. */
  nIter = 0;
  funcEvals = 0;
  hvpEvals = 0;
  info: NewtonInfo = { iterations: 0, loss: NaN, gradMax: NaN, stepSize: 0, cgIterations: 0, stopped: '' };
  private readonly vec = new FlatVector(this);

  constructor(params: Tensor[] | ParamGroupInput[] | Iterable<Tensor>, options?: NewtonOptions) {
    const defaults: Required<NewtonOptions> = {
      lr: 1, maxIter: 1, solver: 'cg', hvp: null, hessian: null, damping: 0, c1: 1e-4, backtrack: 0.5, maxLineSearch: 40,
      cgMaxIter: 0, toleranceGrad: 1e-7, toleranceChange: 1e-12, fdEps: 5e-3, checkFinite: false,
    };
    super(params, mergeOptions('Newton', defaults, options));
  }

  protected validate(o: Record<string, unknown>, where: string): void {
    super.validate(o, where);
    checkNumber(where, 'lr', o.lr, { min: 0, minExclusive: true });
    for (const [name, min] of [['maxIter', 1], ['maxLineSearch', 1], ['cgMaxIter', 0]] as const) {
      const v = o[name];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
        throw new ValueError(`${where}: option '${name}' must be an integer >= ${min}, got ${describe(v)}`);
      }
    }
    if (o.solver !== 'cg' && o.solver !== 'direct') throw new ValueError(`${where}: option 'solver' must be 'cg' or 'direct', got ${describe(o.solver)}`);
    if (o.hvp !== null && typeof o.hvp !== 'function') throw new DTypeError(`${where}: option 'hvp' must be a function (v, out) => void, got ${describe(o.hvp)}`);
    if (o.hessian !== null && typeof o.hessian !== 'function') throw new DTypeError(`${where}: option 'hessian' must be a function returning n x n values, got ${describe(o.hessian)}`);
    checkNumber(where, 'damping', o.damping, { min: 0 });
    checkNumber(where, 'c1', o.c1, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
    checkNumber(where, 'backtrack', o.backtrack, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
    checkNumber(where, 'toleranceGrad', o.toleranceGrad, { min: 0 });
    checkNumber(where, 'toleranceChange', o.toleranceChange, { min: 0 });
    checkNumber(where, 'fdEps', o.fdEps, { min: 0, minExclusive: true });
  }

  addParamGroup(input: ParamGroupInput): void {
    if (this.paramGroups.length > 0) throw new ValueError('Newton: parameter groups are not supported (the Hessian couples all parameters)');
    super.addParamGroup(input);
  }

  protected bufferNames(): string[] {
    return [];
  }

  protected update(): void {
    throw new Error('Newton: update() is not used; step(closure) runs the whole iteration');
  }

  /**
   * Up to maxIter Newton iterations. `closure` zeroes the gradients, computes the loss, calls
   * backward and returns the loss. Returns what its first call returned.
   */
  step(closure?: Closure): Tensor | number {
    if (typeof closure !== 'function') throw new DTypeError(`Newton.step: argument 'closure' must be a function (Newton re-evaluates the loss), got ${describe(closure)}`);
    const g0 = this.paramGroups[0];
    const o = g0 as unknown as Required<NewtonOptions>;
    const vec = this.vec;
    const n = vec.size;
    let first: Tensor | number | undefined;
    const evaluate = (): number => {
      const r = enableGrad(closure);
      const f = lossValue('Newton.step', r);
      if (first === undefined) first = r;
      this.funcEvals++;
      return f;
    };
    const gradient = (): Float64Array => {
      const g = Float64Array.from(vec.grad());
      if (o.checkFinite && !Number.isFinite(maxAbs(g))) throw new ValueError('Newton.step: the gradient holds NaN or Infinity');
      return g;
    };

    let f = evaluate();
    let g = gradient();
    const info: NewtonInfo = { iterations: 0, loss: f, gradMax: maxAbs(g), stepSize: 0, cgIterations: 0, stopped: 'maxIter' };
    for (let it = 0; it < o.maxIter; it++) {
      if (maxAbs(g) <= o.toleranceGrad) {
        info.stopped = 'toleranceGrad';
        break;
      }
      const x = vec.read();
      const hv = this.hessianVectorProduct(o, x, evaluate, n);
      let d: Float64Array;
      if (o.solver === 'direct') {
        d = this.directSolve(o, hv, g, n);
        info.cgIterations = 0;
      } else {
        const r = conjugateGradient(hv, g, o.damping, o.cgMaxIter > 0 ? o.cgMaxIter : Math.min(n, 500));
        d = r.d;
        info.cgIterations = r.iterations;
      }
      let gtd = dot(g, d);
      if (!(gtd < 0)) {
        // Not a descent direction (an inexact or indefinite model): fall back to steepest descent.
        d = g.map((v) => -v);
        gtd = -dot(g, g);
      }
      // Backtracking line search (Armijo). The last closure call is at the accepted point, so the
      // parameters' gradients are the ones there.
      let t = o.lr;
      let fNew = NaN;
      let accepted = false;
      for (let k = 0; k < o.maxLineSearch; k++) {
        vec.write(x);
        vec.addScaled(t, d);
        fNew = evaluate();
        if (fNew <= f + o.c1 * t * gtd) {
          accepted = true;
          break;
        }
        t *= o.backtrack;
      }
      this.nIter++;
      info.iterations++;
      if (!accepted) {
        vec.write(x);
        f = evaluate();
        g = gradient();
        info.stepSize = 0;
        info.stopped = 'lineSearch';
        break;
      }
      info.stepSize = t;
      const change = Math.abs(f - fNew);
      f = fNew;
      g = gradient();
      if (change < o.toleranceChange) {
        info.stopped = 'toleranceChange';
        break;
      }
    }
    info.loss = f;
    info.gradMax = maxAbs(g);
    this.info = info;
    return first as Tensor | number;
  }

  /** v -> H v at point x (where the closure was last evaluated), from the cheapest exact source. */
  private hessianVectorProduct(o: Required<NewtonOptions>, x: Float32Array, evaluate: () => number, n: number): (v: Float64Array, out: Float64Array) => void {
    if (o.hvp) {
      return (v, out) => {
        this.hvpEvals++;
        o.hvp!(v, out);
      };
    }
    if (o.hessian) {
      const H = checkedHessian(o.hessian(), n);
      return (v, out) => {
        this.hvpEvals++;
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += H[i * n + j] * v[j];
          out[i] = s;
        }
      };
    }
    // Central differences of the gradient: H v ~ (g(x + e v) - g(x - e v)) / (2 e), with e scaled to
    // the point and the direction. The displaced points are rounded to float32, so the difference
    // uses the actual displacement along v (its projection), not the intended e.
    const xScale = Math.max(1, maxAbs(x));
    const vec = this.vec;
    return (v, out) => {
      this.hvpEvals++;
      const vMax = maxAbs(v);
      if (vMax === 0) {
        out.fill(0);
        return;
      }
      const e = (o.fdEps * xScale) / vMax;
      vec.write(x);
      vec.addScaled(e, v);
      const ePlus = displacement(vec.read(), x, v);
      evaluate();
      const gPlus = vec.grad();
      vec.write(x);
      vec.addScaled(-e, v);
      const eMinus = displacement(vec.read(), x, v);
      evaluate();
      const gMinus = vec.grad();
      vec.write(x);
      const denom = ePlus - eMinus;
      for (let i = 0; i < n; i++) out[i] = (gPlus[i] - gMinus[i]) / denom;
    };
  }

  /** Solves (H + damping I) d = -g through a Cholesky factorisation, raising damping until H + damping I is positive definite. */
  private directSolve(o: Required<NewtonOptions>, hv: (v: Float64Array, out: Float64Array) => void, g: Float64Array, n: number): Float64Array {
    let H: Float64Array;
    if (o.hessian) {
      H = Float64Array.from(checkedHessian(o.hessian(), n));
    } else {
      // Column by column from Hessian-vector products, then symmetrised (finite differences are not).
      H = new Float64Array(n * n);
      const e = new Float64Array(n);
      const col = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        e.fill(0);
        e[j] = 1;
        hv(e, col);
        for (let i = 0; i < n; i++) H[i * n + j] = col[i];
      }
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < i; j++) {
          const s = 0.5 * (H[i * n + j] + H[j * n + i]);
          H[i * n + j] = s;
          H[j * n + i] = s;
        }
      }
    }
    let maxDiag = 0;
    for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(H[i * n + i]));
    let damping = o.damping;
    for (let attempt = 0; attempt < 60; attempt++) {
      const L = cholesky(H, n, damping);
      if (L) return choleskySolve(L, n, g);
      damping = damping > 0 ? damping * 4 : Math.max(1e-10, 1e-8 * maxDiag);
    }
    return g.map((v) => -v);
  }

  stateDict(): OptimizerStateDict {
    const sd = super.stateDict();
    sd.state = this.nIter > 0 ? { 0: { step: this.nIter, funcEvals: this.funcEvals, hvpEvals: this.hvpEvals } as ParamState } : {};
    // Functions do not serialise: the user passes hvp / hessian again when constructing.
    for (const gr of sd.paramGroups) {
      gr.hvp = null;
      gr.hessian = null;
    }
    return sd;
  }

  loadStateDict(sd: OptimizerStateDict): void {
    const s = sd?.state?.[0];
    const group = this.paramGroups[0];
    const keep = { hvp: group.hvp, hessian: group.hessian };
    super.loadStateDict({ ...sd, state: {} });
    Object.assign(group, keep);
    this.nIter = s ? Number(s.step) : 0;
    this.funcEvals = s ? Number(s.funcEvals) : 0;
    this.hvpEvals = s ? Number(s.hvpEvals) : 0;
  }
}

/** (xDisplaced - x) projected on v, divided by |v|^2: the actual step length taken along v. */
function displacement(xd: Float32Array, x: Float32Array, v: Float64Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < x.length; i++) {
    num += (xd[i] - x[i]) * v[i];
    den += v[i] * v[i];
  }
  return num / den;
}

function checkedHessian(h: ArrayLike<number>, n: number): ArrayLike<number> {
  if (!h || typeof h.length !== 'number' || h.length !== n * n) {
    throw new ValueError(`Newton: option 'hessian' must return ${n} x ${n} = ${n * n} values (row-major), got ${describe(h)}`);
  }
  return h;
}

/**
 * Newton-CG inner solve of (H + damping I) d = -g (Nocedal & Wright, algorithm 7.1): stops at a
 * residual of min(0.5, sqrt|g|) |g|, or at negative curvature, returning the last iterate (-g when
 * that happens at once).
 */
export function conjugateGradient(
  hv: (v: Float64Array, out: Float64Array) => void,
  g: Float64Array,
  damping: number,
  maxIter: number,
): { d: Float64Array; iterations: number } {
  const n = g.length;
  const gNorm = Math.sqrt(dot(g, g));
  const tol = Math.min(0.5, Math.sqrt(gNorm)) * gNorm;
  const z = new Float64Array(n);
  const r = Float64Array.from(g); // residual of H z + g
  const p = r.map((v) => -v);
  const Hp = new Float64Array(n);
  let rr = dot(r, r);
  for (let j = 0; j < maxIter; j++) {
    hv(p, Hp);
    if (damping > 0) for (let i = 0; i < n; i++) Hp[i] += damping * p[i];
    const pHp = dot(p, Hp);
    if (pHp <= 0) return { d: j === 0 ? g.map((v) => -v) : z, iterations: j + 1 };
    const alpha = rr / pHp;
    for (let i = 0; i < n; i++) {
      z[i] += alpha * p[i];
      r[i] += alpha * Hp[i];
    }
    const rrNew = dot(r, r);
    if (Math.sqrt(rrNew) <= tol) return { d: z, iterations: j + 1 };
    const beta = rrNew / rr;
    rr = rrNew;
    for (let i = 0; i < n; i++) p[i] = -r[i] + beta * p[i];
  }
  return { d: z, iterations: maxIter };
}

/** Lower-triangular L with L L' = A + damping I, or null when that is not positive definite. */
function cholesky(A: Float64Array, n: number, damping: number): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let s = A[j * n + j] + damping;
    for (let k = 0; k < j; k++) s -= L[j * n + k] * L[j * n + k];
    if (!(s > 0)) return null;
    const ljj = Math.sqrt(s);
    L[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let t = A[i * n + j];
      for (let k = 0; k < j; k++) t -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = t / ljj;
    }
  }
  return L;
}

/** d = -(L L')^-1 g. */
function choleskySolve(L: Float64Array, n: number, g: Float64Array): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = -g[i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * y[k];
    y[i] = s / L[i * n + i];
  }
  const d = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * d[k];
    d[i] = s / L[i * n + i];
  }
  return d;
}
