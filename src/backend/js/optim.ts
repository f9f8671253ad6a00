// Pure-JS twins of the fused optimizer kernels (native/kernels/optim/): the same per-element maths,
// in double precision rounded to float32 on store. They are the oracle the native kernels are tested
// against and the baseline the optimizer benchmark divides by.
import type { OptimBuffer, OptimOps } from '../optim';
import { ShapeError, ValueError } from '../../errors';

type Seg = Float32Array | null;

/** Splits buffer arguments into per-segment lists, checking counts and lengths agree. */
function splitSegments(fn: string, names: string[], bufs: (OptimBuffer | null)[], ranges?: Int32Array | null): Seg[][] {
  if (ranges) {
    if (bufs.some((b) => Array.isArray(b))) throw new ValueError(`${fn}: 'segments' needs one Float32Array per buffer, not lists`);
    const whole = splitSegments(fn, names, bufs)[0];
    const n = whole[0]!.length;
    if (!(ranges instanceof Int32Array) || ranges.length % 2) throw new ValueError(`${fn}: 'segments' must be an Int32Array of [offset, length] pairs`);
    const out: Seg[][] = [];
    for (let k = 0; k < ranges.length; k += 2) {
      const off = ranges[k], len = ranges[k + 1];
      if (off < 0 || len < 0 || off + len > n) throw new ShapeError(`${fn}: 'segments' pair ${k / 2} [${off}, ${len}] is outside the buffers of ${n} elements`);
      out.push(whole.map((b) => (b ? b.subarray(off, off + len) : null)));
    }
    return out;
  }
  const first = bufs[0]!;
  const list = Array.isArray(first);
  const count = list ? first.length : 1;
  const out: Seg[][] = [];
  for (let s = 0; s < count; s++) out.push([]);
  bufs.forEach((b, k) => {
    if (b === null) {
      for (let s = 0; s < count; s++) out[s].push(null);
      return;
    }
    if (Array.isArray(b) !== list) throw new ValueError(`${fn}: '${names[k]}' must be ${list ? 'a list' : 'one Float32Array'} like '${names[0]}'`);
    const arr = list ? (b as Float32Array[]) : [b as Float32Array];
    if (arr.length !== count) throw new ShapeError(`${fn}: '${names[k]}' has ${arr.length} entries, '${names[0]}' has ${count}`);
    arr.forEach((a, s) => {
      if (!(a instanceof Float32Array)) throw new ValueError(`${fn}: '${names[k]}' entries must be Float32Arrays`);
      if (out[s][0] && a.length !== out[s][0]!.length) {
        throw new ShapeError(`${fn}: '${names[k]}'[${s}] has ${a.length} elements, '${names[0]}'[${s}] has ${out[s][0]!.length}`);
      }
      out[s].push(a);
    });
  });
  return out;
}

function sgdSeg(p: Float32Array, g: Float32Array, buf: Seg, lr: number, mom: number, damp: number, wd: number,
  nesterov: boolean, sign: number, first: boolean, thr: number): void {
  for (let i = 0; i < p.length; i++) {
    let d = Math.fround(sign * g[i] + wd * p[i]);
    if (buf) {
      const b = first ? d : Math.fround(mom * buf[i] + (1 - damp) * d);
      buf[i] = b;
      d = nesterov ? Math.fround(d + mom * b) : b;
    }
    let x = Math.fround(p[i] - lr * d);
    if (thr > 0) {
      const a = Math.abs(x) - thr;
      x = a > 0 ? (x > 0 ? a : -a) : 0 * x;
    }
    p[i] = x;
  }
}

function adamSeg(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, vmax: Seg,
  b1: number, b2: number, eps: number, wd: number, decay: number, stepSize: number, bc2Sqrt: number, sign: number): void {
  const invBc2 = 1 / bc2Sqrt;
  for (let i = 0; i < p.length; i++) {
    const x = Math.fround(p[i] * decay);
    const gi = Math.fround(sign * g[i] + wd * x);
    const mi = Math.fround(b1 * m[i] + (1 - b1) * gi);
    let vi = Math.fround(b2 * v[i] + (1 - b2) * gi * gi);
    m[i] = mi;
    v[i] = vi;
    if (vmax) {
      vi = Math.max(vmax[i], vi);
      vmax[i] = vi;
    }
    const denom = Math.fround(Math.sqrt(vi) * invBc2 + eps);
    p[i] = x - stepSize * (mi / denom);
  }
}

export const jsOptim: OptimOps = {
  sgdStep(p, g, momentumBuf, lr, momentum, dampening, weightDecay, nesterov, maximize, firstStep, l1, segments) {
    for (const [ps, gs, bs] of splitSegments('sgdStep', ['p', 'g', 'momentumBuf'], [p, g, momentumBuf], segments)) {
      sgdSeg(ps!, gs!, bs, lr, momentum, dampening, weightDecay, nesterov, maximize ? -1 : 1, firstStep, lr * l1);
    }
  },

  adagradStep(p, g, sum, clr, eps, weightDecay, maximize, segments) {
    const sign = maximize ? -1 : 1;
    for (const [ps, gs, ss] of splitSegments('adagradStep', ['p', 'g', 'sum'], [p, g, sum], segments)) {
      const pp = ps!, gg = gs!, s = ss!;
      for (let i = 0; i < pp.length; i++) {
        const gi = Math.fround(sign * gg[i] + weightDecay * pp[i]);
        const si = Math.fround(s[i] + gi * gi);
        s[i] = si;
        pp[i] = pp[i] - clr * (gi / Math.fround(Math.sqrt(si) + eps));
      }
    }
  },

  rmspropStep(p, g, squareAvg, gradAvg, momentumBuf, lr, alpha, eps, weightDecay, momentum, maximize, segments) {
    const sign = maximize ? -1 : 1;
    const segs = splitSegments('rmspropStep', ['p', 'g', 'squareAvg', 'gradAvg', 'momentumBuf'], [p, g, squareAvg, gradAvg, momentumBuf], segments);
    for (const [ps, gs, sq, ga, mb] of segs) {
      const pp = ps!, gg = gs!, s = sq!;
      for (let i = 0; i < pp.length; i++) {
        const gi = Math.fround(sign * gg[i] + weightDecay * pp[i]);
        const si = Math.fround(alpha * s[i] + (1 - alpha) * gi * gi);
        s[i] = si;
        let avg: number;
        if (ga) {
          const a = Math.fround(alpha * ga[i] + (1 - alpha) * gi);
          ga[i] = a;
          avg = Math.fround(Math.sqrt(Math.fround(si - a * a)) + eps);
        } else {
          avg = Math.fround(Math.sqrt(si) + eps);
        }
        if (mb) {
          const b = Math.fround(momentum * mb[i] + gi / avg);
          mb[i] = b;
          pp[i] = pp[i] - lr * b;
        } else {
          pp[i] = pp[i] - lr * (gi / avg);
        }
      }
    }
  },

  adadeltaStep(p, g, squareAvg, accDelta, lr, rho, eps, weightDecay, maximize, segments) {
    const sign = maximize ? -1 : 1;
    for (const [ps, gs, sq, ad] of splitSegments('adadeltaStep', ['p', 'g', 'squareAvg', 'accDelta'], [p, g, squareAvg, accDelta], segments)) {
      const pp = ps!, gg = gs!, s = sq!, a = ad!;
      for (let i = 0; i < pp.length; i++) {
        const gi = Math.fround(sign * gg[i] + weightDecay * pp[i]);
        const si = Math.fround(rho * s[i] + (1 - rho) * gi * gi);
        s[i] = si;
        const d = Math.fround(Math.sqrt((a[i] + eps) / (si + eps)) * gi);
        a[i] = rho * a[i] + (1 - rho) * d * d;
        pp[i] = pp[i] - lr * d;
      }
    }
  },

  adamStep(p, g, expAvg, expAvgSq, maxExpAvgSq, beta1, beta2, eps, weightDecay, decayFactor, stepSize, bc2Sqrt, maximize, segments) {
    const segs = splitSegments('adamStep', ['p', 'g', 'expAvg', 'expAvgSq', 'maxExpAvgSq'], [p, g, expAvg, expAvgSq, maxExpAvgSq], segments);
    for (const [ps, gs, m, v, vm] of segs) {
      adamSeg(ps!, gs!, m!, v!, vm, beta1, beta2, eps, weightDecay, decayFactor, stepSize, bc2Sqrt, maximize ? -1 : 1);
    }
  },

  adamaxStep(p, g, expAvg, expInf, beta1, beta2, eps, weightDecay, clr, maximize, segments) {
    const sign = maximize ? -1 : 1;
    for (const [ps, gs, ms, us] of splitSegments('adamaxStep', ['p', 'g', 'expAvg', 'expInf'], [p, g, expAvg, expInf], segments)) {
      const pp = ps!, gg = gs!, m = ms!, u = us!;
      for (let i = 0; i < pp.length; i++) {
        const gi = Math.fround(sign * gg[i] + weightDecay * pp[i]);
        const mi = Math.fround(beta1 * m[i] + (1 - beta1) * gi);
        const ui = Math.max(Math.fround(beta2 * u[i]), Math.fround(Math.abs(gi) + eps));
        m[i] = mi;
        u[i] = ui;
        pp[i] = pp[i] - clr * (mi / ui);
      }
    }
  },

  nadamStep(p, g, expAvg, expAvgSq, beta1, beta2, eps, weightDecay, bc2, cGrad, cAvg, maximize, segments) {
    const sign = maximize ? -1 : 1;
    for (const [ps, gs, ms, vs] of splitSegments('nadamStep', ['p', 'g', 'expAvg', 'expAvgSq'], [p, g, expAvg, expAvgSq], segments)) {
      const pp = ps!, gg = gs!, m = ms!, v = vs!;
      for (let i = 0; i < pp.length; i++) {
        const gi = Math.fround(sign * gg[i] + weightDecay * pp[i]);
        const mi = Math.fround(beta1 * m[i] + (1 - beta1) * gi);
        const vi = Math.fround(beta2 * v[i] + (1 - beta2) * gi * gi);
        m[i] = mi;
        v[i] = vi;
        const r = 1 / Math.fround(Math.sqrt(vi / bc2) + eps);
        const x = Math.fround(pp[i] + cGrad * (gi * r));
        pp[i] = x + cAvg * (mi * r);
      }
    }
  },

  radamStep(p, g, expAvg, expAvgSq, beta1, beta2, eps, weightDecay, lr, bc1, bc2Sqrt, rect, adaptive, maximize, segments) {
    const sign = maximize ? -1 : 1;
    const coef = adaptive ? (lr * rect * bc2Sqrt) / bc1 : lr / bc1;
    for (const [ps, gs, ms, vs] of splitSegments('radamStep', ['p', 'g', 'expAvg', 'expAvgSq'], [p, g, expAvg, expAvgSq], segments)) {
      const pp = ps!, gg = gs!, m = ms!, v = vs!;
      for (let i = 0; i < pp.length; i++) {
        const gi = Math.fround(sign * gg[i] + weightDecay * pp[i]);
        const mi = Math.fround(beta1 * m[i] + (1 - beta1) * gi);
        const vi = Math.fround(beta2 * v[i] + (1 - beta2) * gi * gi);
        m[i] = mi;
        v[i] = vi;
        pp[i] = adaptive ? pp[i] - (coef * mi) / Math.fround(Math.sqrt(vi) + eps) : pp[i] - coef * mi;
      }
    }
  },

  lionStep(p, g, expAvg, lr, beta1, beta2, weightDecay, maximize, segments) {
    const sign = maximize ? -1 : 1;
    const decay = 1 - lr * weightDecay;
    for (const [ps, gs, ms] of splitSegments('lionStep', ['p', 'g', 'expAvg'], [p, g, expAvg], segments)) {
      const pp = ps!, gg = gs!, m = ms!;
      for (let i = 0; i < pp.length; i++) {
        const gi = sign * gg[i];
        const c = beta1 * m[i] + (1 - beta1) * gi;
        pp[i] = Math.fround(pp[i] * decay) - lr * Math.sign(c);
        m[i] = beta2 * m[i] + (1 - beta2) * gi;
      }
    }
  },

  gradNorm(x, normType) {
    let acc = 0;
    for (const [xs] of splitSegments('gradNorm', ['x'], [x])) {
      const a = xs!;
      if (normType === Infinity) {
        for (let i = 0; i < a.length; i++) {
          const v = Math.abs(a[i]);
          if (v !== v) return NaN;
          if (v > acc) acc = v;
        }
      } else if (normType === 2) {
        for (let i = 0; i < a.length; i++) acc += a[i] * a[i];
      } else if (normType === 1) {
        for (let i = 0; i < a.length; i++) acc += Math.abs(a[i]);
      } else {
        for (let i = 0; i < a.length; i++) acc += Math.abs(a[i]) ** normType;
      }
    }
    if (normType === Infinity || normType === 1) return acc;
    if (normType === 2) return Math.sqrt(acc);
    return acc ** (1 / normType);
  },

  scaleInPlace(x, scale) {
    scale = Math.fround(scale);
    for (const [xs] of splitSegments('scaleInPlace', ['x'], [x])) {
      const a = xs!;
      for (let i = 0; i < a.length; i++) a[i] *= scale;
    }
  },

  clampInPlace(x, lo, hi) {
    lo = Math.fround(lo);
    hi = Math.fround(hi);
    for (const [xs] of splitSegments('clampInPlace', ['x'], [x])) {
      const a = xs!;
      for (let i = 0; i < a.length; i++) {
        const v = a[i];
        a[i] = v < lo ? lo : v > hi ? hi : v;
      }
    }
  },

  allFinite(x) {
    for (const [xs] of splitSegments('allFinite', ['x'], [x])) {
      const a = xs!;
      for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
    }
    return true;
  },

  roofline(rw, r, s) {
    for (const a of rw) {
      for (let i = 0; i < a.length; i++) a[i] += s * r[i];
    }
  },
};
