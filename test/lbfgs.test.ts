// L-BFGS against PyTorch 1.13's trajectories (test/fixtures/lbfgs.json, written by
// scripts/golden_lbfgs.py), plus the closure contract, state round trips and bad options.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { optim, Tensor, ValueError, tensor, zeros } from '../src';
import { freshLbfgsState, lbfgsStep, type LbfgsProblem } from '../src/optim/lbfgs';

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'lbfgs.json'), 'utf8'));

/** Writes g into p.grad, creating it when absent (what backward() would do). */
function setGrad(p: Tensor, g: ArrayLike<number>): void {
  if (!p.grad) p.grad = new Tensor(new Float32Array(p.size), p.shape);
  p.grad.data.set(g);
}

/** f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 as a closure over a 2-vector parameter. */
function rosenbrockClosure(p: Tensor): () => number {
  return () => {
    const x = p.data[0], y = p.data[1];
    const r = y - x * x;
    setGrad(p, [-2 * (1 - x) - 400 * x * r, 200 * r]);
    return (1 - x) ** 2 + 100 * r * r;
  };
}

/** Mean binary cross-entropy with logits plus l2/2 |w|^2, as in the golden script. */
function logregClosure(w: Tensor, b: Tensor, X: Float32Array, y: Float32Array, n: number, f: number, l2: number): () => number {
  const gw = new Float64Array(f);
  return () => {
    gw.fill(0);
    let loss = 0, gb = 0;
    for (let i = 0; i < n; i++) {
      let z = b.data[0];
      for (let j = 0; j < f; j++) z += X[i * f + j] * w.data[j];
      // softplus(z) - y z, computed stably
      loss += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - y[i] * z;
      const r = 1 / (1 + Math.exp(-z)) - y[i];
      gb += r;
      for (let j = 0; j < f; j++) gw[j] += r * X[i * f + j];
    }
    let wsq = 0;
    for (let j = 0; j < f; j++) {
      wsq += w.data[j] * w.data[j];
      gw[j] = gw[j] / n + l2 * w.data[j];
    }
    setGrad(w, gw);
    setGrad(b, [gb / n]);
    return loss / n + 0.5 * l2 * wsq;
  };
}

function setup(c: any): { params: Tensor[]; closure: () => number; calls: () => number } {
  let calls = 0;
  let inner: () => number;
  let params: Tensor[];
  if (c.problem === 'rosenbrock') {
    const p = tensor(c.start, undefined, { requiresGrad: true });
    params = [p];
    inner = rosenbrockClosure(p);
  } else {
    const { X, y, n, features } = fixture.logreg;
    const w = zeros([features], { requiresGrad: true });
    const b = zeros([1], { requiresGrad: true });
    params = [w, b];
    inner = logregClosure(w, b, new Float32Array(X), new Float32Array(y), n, features, fixture.l2);
  }
  return { params, closure: () => (calls++, inner()), calls: () => calls };
}

function flat(params: Tensor[]): number[] {
  return params.flatMap((p) => Array.from(p.data));
}

// Tolerances.
// - float64: our algorithm against PyTorch run in double precision. Same operations, so the paths
//   agree to ~1e-15 on logistic regression; Rosenbrock's narrow valley amplifies last-bit differences
//   (summation order) to ~1e-9 over 50 iterations. 1e-7 relative to max(1, |x|) leaves room for that
//   and still catches any wrong branch, history update or interpolation (those move iterates by
//   1e-3 or more). The number of closure calls must be identical at every step.
// - float32: PyTorch's own float32 run departs from its float64 run by up to 1e-4 on logistic
//   regression (the optimum is flat: float32 losses cannot tell points 1e-4 apart) and by up to 0.2
//   on Rosenbrock (rounding amplified along the valley). So per step we require our float32 iterate
//   to be as close to the exact (float64) path as PyTorch's float32 iterate is, within a factor of
//   10, or within 1e-4 relative to max(1, |x|) (~1000 float32 ulps), whichever is larger; and where
//   the problem converged, the final loss must equal PyTorch's to 1e-6.
const TOL64 = 1e-7;
const TOL32 = 1e-4;
const ENVELOPE = 10;

/** The fixture problems over a float64 point (no tensors), for checking the algorithm itself. */
function problem64(c: any): { problem: LbfgsProblem<Float64Array>; x: Float64Array; calls: () => number } {
  let calls = 0;
  let g = new Float64Array(0);
  let x: Float64Array;
  let f: () => number;
  if (c.problem === 'rosenbrock') {
    x = Float64Array.from(c.start);
    g = new Float64Array(2);
    f = () => {
      const r = x[1] - x[0] * x[0];
      g[0] = -2 * (1 - x[0]) - 400 * x[0] * r;
      g[1] = 200 * r;
      return (1 - x[0]) ** 2 + 100 * r * r;
    };
  } else {
    const { X, y, n, features: nf } = fixture.logreg;
    x = new Float64Array(nf + 1);
    g = new Float64Array(nf + 1);
    f = () => {
      g.fill(0);
      let loss = 0, wsq = 0;
      for (let i = 0; i < n; i++) {
        let z = x[nf];
        for (let j = 0; j < nf; j++) z += X[i * nf + j] * x[j];
        loss += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - y[i] * z;
        const r = 1 / (1 + Math.exp(-z)) - y[i];
        g[nf] += r;
        for (let j = 0; j < nf; j++) g[j] += r * X[i * nf + j];
      }
      for (let j = 0; j < nf; j++) {
        wsq += x[j] * x[j];
        g[j] = g[j] / n + fixture.l2 * x[j];
      }
      g[nf] /= n;
      return loss / n + 0.5 * fixture.l2 * wsq;
    };
  }
  const problem: LbfgsProblem<Float64Array> = {
    evaluate: () => (calls++, f()),
    grad: () => new Float64Array(g),
    read: () => new Float64Array(x),
    write: (v) => x.set(v),
    addScaled: (t, d) => { for (let i = 0; i < x.length; i++) x[i] += t * d[i]; },
    alloc: (n) => new Float64Array(n),
  };
  return { problem, x, calls: () => calls };
}

const SETTINGS = { lr: 1, maxIter: 20, toleranceGrad: 1e-7, toleranceChange: 1e-9, historySize: 100, lineSearch: null };
function settings(o: any): any {
  const s = { ...SETTINGS, ...o };
  return { ...s, maxEval: o.maxEval ?? Math.floor((s.maxIter * 5) / 4) };
}

describe('the L-BFGS algorithm matches PyTorch 1.13 run in float64', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const { problem, x, calls } = problem64(c);
      const st = freshLbfgsState<Float64Array>();
      let worst = 0;
      c.trajectory64.forEach((want: any, k: number) => {
        lbfgsStep(problem, st, settings(c.options));
        x.forEach((v, i) => {
          const err = Math.abs(v - want.params[i]) / Math.max(1, Math.abs(want.params[i]));
          worst = Math.max(worst, err);
          if (!(err <= TOL64)) throw new Error(`${c.name}: step ${k} param ${i}: got ${v}, PyTorch ${want.params[i]}`);
        });
        expect(calls()).toBe(want.calls);
      });
    });
  }
});

describe('L-BFGS in float32 stays as close to the exact path as PyTorch float32 does', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const { params, closure } = setup(c);
      const opt = new optim.LBFGS(params, c.options);
      let worstRatio = 0;
      c.trajectory.forEach((want32: any, k: number) => {
        const loss = opt.step(closure) as number;
        expect(Number.isFinite(loss)).toBe(true);
        const exact = c.trajectory64[k].params;
        flat(params).forEach((v, i) => {
          const scale = Math.max(1, Math.abs(exact[i]));
          const ours = Math.abs(v - exact[i]) / scale;
          const torch32 = Math.abs(want32.params[i] - exact[i]) / scale;
          const allowed = Math.max(TOL32, ENVELOPE * torch32);
          worstRatio = Math.max(worstRatio, ours / allowed);
          if (!(ours <= allowed)) {
            throw new Error(`${c.name}: step ${k} param ${i}: ours ${v}, PyTorch float32 ${want32.params[i]}, float64 ${exact[i]}`);
          }
        });
      });
      if (Math.abs(c.finalLoss - c.finalLoss64) < 1e-6) {
        // Converged (PyTorch float32 and float64 agree on the end): we must end at the same loss.
        const final = closure();
        expect(Math.abs(final - c.finalLoss)).toBeLessThanOrEqual(1e-6);
      }
    });
  }
});

describe('L-BFGS behaviour', () => {
  it('accepts a closure returning a loss tensor, and zeroGrad clears gradients', () => {
    const p = tensor([-1.2, 1], undefined, { requiresGrad: true });
    const f = rosenbrockClosure(p);
    const opt = new optim.LBFGS([p], { lineSearch: 'strongWolfe', maxIter: 100, toleranceGrad: 1e-6 });
    const ret = opt.step(() => tensor([f()]));
    expect(ret).toBeInstanceOf(Tensor);
    expect(p.data[0]).toBeCloseTo(1, 3);
    expect(p.data[1]).toBeCloseTo(1, 3);
    opt.zeroGrad();
    expect(Array.from(p.grad!.data)).toEqual([0, 0]);
  });

  it('stateDict / loadStateDict resume bit-identically', () => {
    const c = fixture.cases[1];
    const a = setup(c);
    const optA = new optim.LBFGS(a.params, c.options);
    for (let k = 0; k < 8; k++) optA.step(a.closure);

    const b = setup(c);
    const optB = new optim.LBFGS(b.params, c.options);
    for (let k = 0; k < 4; k++) optB.step(b.closure);
    const saved = optB.stateDict();
    const weights = flat(b.params);
    const b2 = setup(c);
    b2.params[0].data.set(weights);
    const optB2 = new optim.LBFGS(b2.params, c.options);
    optB2.loadStateDict(saved);
    for (let k = 0; k < 4; k++) optB2.step(b2.closure);
    expect(flat(b2.params)).toEqual(flat(a.params));
  });

  it('its state survives flattenStateDict (safetensors layout) and JSON metadata', () => {
    const c = fixture.cases[3];
    const a = setup(c);
    const optA = new optim.LBFGS(a.params, c.options);
    for (let k = 0; k < 6; k++) optA.step(a.closure);

    const b = setup(c);
    const optB = new optim.LBFGS(b.params, c.options);
    for (let k = 0; k < 3; k++) optB.step(b.closure);
    const flatSd = optim.flattenStateDict(optB.stateDict());
    const weights = flat(b.params);
    const b2 = setup(c);
    let o = 0;
    for (const p of b2.params) { p.data.set(weights.slice(o, o + p.size)); o += p.size; }
    const optB2 = new optim.LBFGS(b2.params, c.options);
    optB2.loadStateDict(optim.unflattenStateDict({ tensors: flatSd.tensors, metadata: flatSd.metadata }));
    for (let k = 0; k < 3; k++) optB2.step(b2.closure);
    expect(flat(b2.params)).toEqual(flat(a.params));
  });

  it('a parameter without a gradient counts as zero gradient and is left alone', () => {
    const p = tensor([-1.2, 1], undefined, { requiresGrad: true });
    const frozen = tensor([5, 6, 7], undefined, { requiresGrad: true });
    const opt = new optim.LBFGS([p, frozen], { lineSearch: 'strongWolfe' });
    opt.step(rosenbrockClosure(p));
    expect(Array.from(frozen.data)).toEqual([5, 6, 7]);
  });

  const bad: [string, () => unknown, RegExp][] = [
    ['lr < 0', () => new optim.LBFGS([zeros([2])], { lr: -1 }), /'lr' must be a finite number >= 0, got -1/],
    ['lr 0', () => new optim.LBFGS([zeros([2])], { lr: 0 }), /'lr' must be a finite number > 0, got 0/],
    ['parameter groups', () => new optim.LBFGS([{ params: [zeros([2])] }, { params: [zeros([2])], lr: 0.1 }]), /parameter groups are not supported/],
    ['unknown option', () => new optim.LBFGS([zeros([2])], { history: 3 } as any), /unknown option 'history'/],
    ['historySize < 1', () => new optim.LBFGS([zeros([2])], { historySize: 0 }), /'historySize' must be an integer >= 1, got 0/],
    ['maxIter 0', () => new optim.LBFGS([zeros([2])], { maxIter: 0 }), /'maxIter'.*got 0/],
    ['maxEval 2.5', () => new optim.LBFGS([zeros([2])], { maxEval: 2.5 }), /'maxEval'.*got 2.5/],
    ['toleranceGrad -1', () => new optim.LBFGS([zeros([2])], { toleranceGrad: -1 }), /'toleranceGrad'.*-1/],
    ['lineSearch', () => new optim.LBFGS([zeros([2])], { lineSearch: 'armijo' as any }), /'lineSearch'.*'armijo'/],
    ['no params', () => new optim.LBFGS([]), /empty/],
  ];
  for (const [name, f, re] of bad) {
    it(`rejects ${name}`, () => {
      expect(f).toThrow(ValueError);
      expect(f).toThrow(re);
    });
  }
});

describe('L-BFGS on a model through autograd', () => {
  it('minimises a softmax regression with a closure that calls backward()', async () => {
    const { TinyLinear, blobs, crossEntropy } = await import('./helpers/standins');
    const { x, y } = blobs(90, 4);
    const model = new TinyLinear(2, 3, 1);
    const opt = new optim.LBFGS(model.parameters(), { lineSearch: 'strongWolfe', maxIter: 20 });
    const closure = () => {
      opt.zeroGrad();
      const loss = crossEntropy(model.forward(x), y);
      loss.backward();
      return loss;
    };
    const first = (opt.step(closure) as Tensor).item();
    for (let k = 0; k < 4; k++) opt.step(closure);
    const last = (closure() as Tensor).item();
    expect(first).toBeGreaterThan(0.5);
    expect(last).toBeLessThan(0.05 * first);
    // The gradients live in the optimizer's flat buffer, as views.
    const fgp = opt.groupBuffers(0);
    expect(model.weight.grad!.data.buffer).toBe(fgp.grads.buffer);
  });
});
