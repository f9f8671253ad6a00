// A Gaussian-process regressor for the Bayesian searcher: Matern 5/2 kernel with one length scale per
// input column (ARD), a signal amplitude and a noise level, all chosen by maximising the log marginal
// likelihood (plus a weak log-normal prior on the length scales, which keeps a GP fitted to a handful
// of points from collapsing onto them). Everything is float64; n is at most a few hundred, so plain
// O(n^3) Cholesky is fine.

const SQRT5 = Math.sqrt(5);
const LOG_2PI = Math.log(2 * Math.PI);

export interface GpHyperparameters {
  lengthscales: Float64Array;
  amplitude: number;
  noise: number;
}

/** Matern 5/2 correlation at scaled distance r. */
function matern52(r: number): number {
  const s = SQRT5 * r;
  return (1 + s + (s * s) / 3) * Math.exp(-s);
}

function scaledDistance(a: Float64Array, b: Float64Array, inv: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) {
    const d = (a[j] - b[j]) * inv[j];
    s += d * d;
  }
  return Math.sqrt(s);
}

/** In-place lower Cholesky factor of a symmetric n x n matrix (row-major); false if not positive definite. */
export function cholesky(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) return false;
    const ljj = Math.sqrt(d);
    a[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / ljj;
    }
    for (let k = j + 1; k < n; k++) a[j * n + k] = 0;
  }
  return true;
}

/** Solves L x = b (L lower triangular) in place. */
function forwardSolve(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * b[k];
    b[i] = s / l[i * n + i];
  }
}

/** Solves L^T x = b in place. */
function backwardSolve(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * b[k];
    b[i] = s / l[i * n + i];
  }
}

interface Factor {
  l: Float64Array;
  alpha: Float64Array;
  logLik: number;
}

/** Factorises K + noise I for the given hyperparameters; null when it is numerically singular. */
function factor(x: Float64Array[], y: Float64Array, h: GpHyperparameters): Factor | null {
  const n = x.length;
  const inv = h.lengthscales.map((v) => 1 / v);
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    k[i * n + i] = h.amplitude + h.noise;
    for (let j = 0; j < i; j++) {
      const v = h.amplitude * matern52(scaledDistance(x[i], x[j], inv));
      k[i * n + j] = v;
      k[j * n + i] = v;
    }
  }
  // A little jitter beyond the fitted noise keeps near-duplicate points factorisable.
  for (let attempt = 0, jitter = 0; attempt < 4; attempt++, jitter = jitter ? jitter * 100 : 1e-8 * h.amplitude) {
    const a = k.slice();
    for (let i = 0; i < n; i++) a[i * n + i] += jitter;
    if (!cholesky(a, n)) continue;
    const alpha = y.slice();
    forwardSolve(a, n, alpha);
    let fit = 0;
    for (let i = 0; i < n; i++) fit += alpha[i] * alpha[i];
    backwardSolve(a, n, alpha);
    let logDet = 0;
    for (let i = 0; i < n; i++) logDet += Math.log(a[i * n + i]);
    return { l: a, alpha, logLik: -0.5 * fit - logDet - 0.5 * n * LOG_2PI };
  }
  return null;
}

// Bounds of the log hyperparameters (inputs live in the unit cube, outputs are standardised).
const LOG_LS = [Math.log(0.01), Math.log(20)];
const LOG_AMP = [Math.log(0.05), Math.log(20)];
const LOG_NOISE = [Math.log(1e-8), Math.log(1)];
// Weak prior on each log length scale: normal around log 0.5 with standard deviation 1.5.
const PRIOR_MEAN = Math.log(0.5);
const PRIOR_SD = 1.5;

function unpack(theta: Float64Array, d: number): GpHyperparameters {
  const c = (v: number, b: number[]) => Math.exp(Math.min(b[1], Math.max(b[0], v)));
  const lengthscales = new Float64Array(d);
  for (let j = 0; j < d; j++) lengthscales[j] = c(theta[j], LOG_LS);
  return { lengthscales, amplitude: c(theta[d], LOG_AMP), noise: c(theta[d + 1], LOG_NOISE) };
}

/** Minimises f by Nelder-Mead from x0 with initial step `step` (enough for a dozen parameters). */
export function nelderMead(f: (x: Float64Array) => number, x0: Float64Array, step: number, maxEvals: number): { x: Float64Array; fx: number } {
  const n = x0.length;
  const pts: Float64Array[] = [x0.slice()];
  for (let i = 0; i < n; i++) {
    const p = x0.slice();
    p[i] += step;
    pts.push(p);
  }
  const vals = pts.map(f);
  let evals = n + 1;
  const order = () => {
    const idx = vals.map((_, i) => i).sort((a, b) => vals[a] - vals[b]);
    const p2 = idx.map((i) => pts[i]);
    const v2 = idx.map((i) => vals[i]);
    for (let i = 0; i <= n; i++) {
      pts[i] = p2[i];
      vals[i] = v2[i];
    }
  };
  const along = (c: Float64Array, w: Float64Array, t: number) => c.map((ci, j) => ci + t * (w[j] - ci));
  while (evals < maxEvals) {
    order();
    if (Math.abs(vals[n] - vals[0]) < 1e-7 * (1 + Math.abs(vals[0]))) break;
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) c[j] += pts[i][j] / n;
    const xr = along(c, pts[n], -1);
    const fr = f(xr);
    evals++;
    if (fr < vals[0]) {
      const xe = along(c, pts[n], -2);
      const fe = f(xe);
      evals++;
      [pts[n], vals[n]] = fe < fr ? [xe, fe] : [xr, fr];
    } else if (fr < vals[n - 1]) {
      [pts[n], vals[n]] = [xr, fr];
    } else {
      const xc = fr < vals[n] ? along(c, xr, 0.5) : along(c, pts[n], 0.5);
      const fc = f(xc);
      evals++;
      if (fc < Math.min(fr, vals[n])) {
        [pts[n], vals[n]] = [xc, fc];
      } else {
        for (let i = 1; i <= n; i++) {
          pts[i] = along(pts[0], pts[i], 0.5);
          vals[i] = f(pts[i]);
          evals++;
        }
      }
    }
  }
  order();
  return { x: pts[0], fx: vals[0] };
}

export class GaussianProcess {
  readonly hyper: GpHyperparameters;
  private readonly f: Factor;
  private readonly inv: Float64Array;
  private readonly yMean: number;
  private readonly yStd: number;

  private constructor(
    private readonly x: Float64Array[],
    hyper: GpHyperparameters,
    f: Factor,
    yMean: number,
    yStd: number,
  ) {
    this.hyper = hyper;
    this.f = f;
    this.inv = hyper.lengthscales.map((v) => 1 / v);
    this.yMean = yMean;
    this.yStd = yStd;
  }

  /**
   * Fits a GP to points x (each in [0, 1]^d) with values y. Hyperparameters: the best of a small grid
   * of isotropic settings, then Nelder-Mead over all of them (ARD) from the two best grid points.
   */
  static fit(x: Float64Array[], yRaw: readonly number[]): GaussianProcess {
    const n = x.length;
    const d = x[0].length;
    let mean = 0;
    for (const v of yRaw) mean += v / n;
    let sd = 0;
    for (const v of yRaw) sd += ((v - mean) * (v - mean)) / n;
    sd = Math.sqrt(sd) || 1;
    const y = Float64Array.from(yRaw, (v) => (v - mean) / sd);

    const objective = (theta: Float64Array) => {
      const f = factor(x, y, unpack(theta, d));
      if (!f) return 1e30;
      let prior = 0;
      for (let j = 0; j < d; j++) prior += ((theta[j] - PRIOR_MEAN) / PRIOR_SD) ** 2;
      return -f.logLik + 0.5 * prior;
    };
    const starts: { theta: Float64Array; v: number }[] = [];
    for (const ls of [0.1, 0.25, 0.6, 1.5]) {
      for (const noise of [1e-6, 1e-3, 0.05]) {
        const theta = new Float64Array(d + 2).fill(Math.log(ls));
        theta[d] = 0;
        theta[d + 1] = Math.log(noise);
        starts.push({ theta, v: objective(theta) });
      }
    }
    starts.sort((a, b) => a.v - b.v);
    let best = starts[0];
    for (const s of starts.slice(0, 2)) {
      const r = nelderMead(objective, s.theta, 0.7, 60 * (d + 2));
      if (r.fx < best.v) best = { theta: r.x, v: r.fx };
    }
    const hyper = unpack(best.theta, d);
    // The grid always holds a factorisable setting (noise 0.05 is far from singular).
    const f = factor(x, y, hyper) ?? factor(x, y, { ...hyper, noise: 0.05 })!;
    return new GaussianProcess(x, hyper, f, mean, sd);
  }

  /** Posterior mean and standard deviation at z, in the units of the fitted y. */
  predict(z: Float64Array): { mean: number; std: number } {
    const n = this.x.length;
    const k = new Float64Array(n);
    let mu = 0;
    for (let i = 0; i < n; i++) {
      k[i] = this.hyper.amplitude * matern52(scaledDistance(z, this.x[i], this.inv));
      mu += k[i] * this.f.alpha[i];
    }
    forwardSolve(this.f.l, n, k);
    let v = this.hyper.amplitude;
    for (let i = 0; i < n; i++) v -= k[i] * k[i];
    return { mean: this.yMean + this.yStd * mu, std: this.yStd * Math.sqrt(Math.max(v, 1e-12)) };
  }
}

/** Standard normal cumulative distribution (erfc-based, accurate to about 1e-7). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(z) / Math.SQRT2);
  const y =
    t *
    Math.exp(
      -(z * z) / 2 -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return z >= 0 ? 1 - 0.5 * y : 0.5 * y;
}

export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/** Expected improvement below `best` (minimisation) for a normal posterior, with exploration margin xi. */
export function expectedImprovement(mean: number, std: number, best: number, xi: number): number {
  if (std <= 0) return Math.max(0, best - mean - xi);
  const z = (best - mean - xi) / std;
  return (best - mean - xi) * normalCdf(z) + std * normalPdf(z);
}
