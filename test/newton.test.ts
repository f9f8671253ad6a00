// Newton's method on a fixed logistic regression (500 x 20, condition number ~210), against the
// optimum PyTorch computes in float64 (test/fixtures/newton.json, scripts/golden_newton.py), and
// against L-BFGS and gradient descent on the same problem.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { optim, Tensor, ValueError, zeros } from '../src';
// @ts-expect-error: a plain ES module shared with the example
import { makeLogRegData, logRegLossGrad, logRegHvp, logRegHessian } from '../examples/logreg-problem.mjs';

const golden = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'newton.json'), 'utf8'));
const data = makeLogRegData({ n: golden.n, features: golden.features, seed: golden.seed });
const F = golden.features;
const L2 = golden.l2;
/** Converged: within 1e-7 of PyTorch's optimal loss, or max |gradient| below 1e-6. */
const LOSS_TOL = 1e-7;
const GRAD_TOL = 1e-6;

function setGrad(p: Tensor, g: ArrayLike<number>): void {
  if (!p.grad) p.grad = new Tensor(new Float32Array(p.size), p.shape);
  p.grad.data.set(g);
}

function problem() {
  const w = zeros([F], { requiresGrad: true });
  const b = zeros([1], { requiresGrad: true });
  const gw = new Float64Array(F);
  let lastGradMax = Infinity;
  const closure = (): number => {
    const [loss, gb] = logRegLossGrad(data, L2, w.data, b.data[0], gw);
    setGrad(w, gw);
    setGrad(b, [gb]);
    lastGradMax = Math.max(gb < 0 ? -gb : gb, ...Array.from(gw, Math.abs));
    return loss;
  };
  const converged = (): boolean => {
    const loss = closure();
    return loss - golden.loss <= LOSS_TOL || lastGradMax <= GRAD_TOL;
  };
  const hvp = (v: Float64Array, out: Float64Array): void => logRegHvp(data, L2, w.data, b.data[0], v, out);
  const hessian = (): Float64Array => logRegHessian(data, L2, w.data, b.data[0]);
  return { w, b, closure, converged, hvp, hessian };
}

/** Iterations until converged (or cap), calling one iteration at a time. */
function iterationsToConverge(iterate: () => void, converged: () => boolean, cap: number): number {
  for (let k = 1; k <= cap; k++) {
    iterate();
    if (converged()) return k;
  }
  return Infinity;
}

describe('the shared data set is the one PyTorch optimised', () => {
  it('has the same checksums', () => {
    let sum = 0, sumAbs = 0, pos = 0;
    for (const v of data.X) { sum += v; sumAbs += Math.abs(v); }
    for (const v of data.y) pos += v;
    expect(sum).toBeCloseTo(golden.checksumX, 6);
    expect(sumAbs).toBeCloseTo(golden.checksumAbsX, 6);
    expect(pos).toBe(golden.positives);
  });
});

describe('Newton on logistic regression', () => {
  const variants: [string, (p: ReturnType<typeof problem>) => optim.NewtonOptions][] = [
    ['Newton-CG, finite-difference Hessian-vector products', () => ({})],
    ['Newton-CG, exact Hessian-vector products', (p) => ({ hvp: p.hvp })],
    ['direct, explicit Hessian', (p) => ({ solver: 'direct', hessian: p.hessian })],
    ['direct, Hessian from finite differences', () => ({ solver: 'direct' })],
  ];
  for (const [name, opts] of variants) {
    it(`${name}: converges in <= 10 iterations`, () => {
      const p = problem();
      const opt = new optim.Newton([p.w, p.b], opts(p));
      const k = iterationsToConverge(() => opt.step(p.closure), p.converged, 50);
      expect(k).toBeLessThanOrEqual(10);
      // Two more iterations land on the optimum PyTorch found, to float32 resolution.
      opt.step(p.closure);
      opt.step(p.closure);
      golden.optimum.slice(0, F).forEach((v: number, j: number) => expect(Math.abs(p.w.data[j] - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v))));
      expect(Math.abs(p.b.data[0] - golden.optimum[F])).toBeLessThan(1e-5);
    });
  }

  it('needs far fewer iterations than L-BFGS and gradient descent', () => {
    const pn = problem();
    const newton = new optim.Newton([pn.w, pn.b]);
    const kNewton = iterationsToConverge(() => newton.step(pn.closure), pn.converged, 50);

    const pl = problem();
    const lbfgs = new optim.LBFGS([pl.w, pl.b], { lineSearch: 'strongWolfe', historySize: 10, maxIter: 1 });
    const kLbfgs = iterationsToConverge(() => lbfgs.step(pl.closure), pl.converged, 1000);

    // Gradient descent with the best constant step for this problem: 1/L, L = the largest Hessian
    // eigenvalue at w = 0 (where the logistic curvature s(1 - s) is largest), by power iteration.
    const pg = problem();
    pg.closure();
    let v: Float64Array = new Float64Array(F + 1).fill(1);
    const hv = new Float64Array(F + 1);
    let L = 0;
    for (let k = 0; k < 100; k++) {
      pg.hvp(v, hv);
      L = Math.sqrt(hv.reduce((s, x) => s + x * x, 0));
      v = hv.map((x) => x / L);
    }
    const gd = new optim.SGD([pg.w, pg.b], { lr: 1 / L });
    const kGd = iterationsToConverge(() => { pg.closure(); gd.step(); }, pg.converged, 20000);

    console.log(`iterations to converge: Newton ${kNewton}, L-BFGS ${kLbfgs}, gradient descent ${kGd}`);
    expect(kNewton).toBeLessThanOrEqual(10);
    expect(kLbfgs).toBeGreaterThan(2 * kNewton);
    expect(kGd).toBeGreaterThan(20 * kNewton);
  });

  it('reports what it did and keeps counters in its state dict', () => {
    const p = problem();
    const opt = new optim.Newton([p.w, p.b], { maxIter: 20, hvp: p.hvp });
    opt.step(p.closure);
    expect(['toleranceGrad', 'toleranceChange']).toContain(opt.info.stopped);
    expect(opt.info.loss - golden.loss).toBeLessThan(LOSS_TOL);
    const sd = JSON.parse(JSON.stringify(opt.stateDict()));
    const q = problem();
    const opt2 = new optim.Newton([q.w, q.b], { hvp: q.hvp });
    opt2.loadStateDict(sd);
    expect(opt2.nIter).toBe(opt.nIter);
    expect(opt2.paramGroups[0].maxIter).toBe(20);
    expect(opt2.paramGroups[0].hvp).toBe(q.hvp);
  });

  it('handles indefinite Hessians (Rosenbrock from a saddle-ish start) by damping / CG fallback', () => {
    for (const solver of ['cg', 'direct'] as const) {
      const x = zeros([2], { requiresGrad: true });
      x.data.set([-1.2, 1]);
      const closure = (): number => {
        const [a, c] = x.data;
        const r = c - a * a;
        setGrad(x, [-2 * (1 - a) - 400 * a * r, 200 * r]);
        return (1 - a) ** 2 + 100 * r * r;
      };
      const opt = new optim.Newton([x], { solver, maxIter: 100 });
      opt.step(closure);
      expect(x.data[0]).toBeCloseTo(1, 3);
      expect(x.data[1]).toBeCloseTo(1, 3);
    }
  });

  const bad: [string, () => unknown, RegExp][] = [
    ['lr 0', () => new optim.Newton([zeros([2])], { lr: 0 }), /'lr'.*> 0, got 0/],
    ['solver', () => new optim.Newton([zeros([2])], { solver: 'lu' as any }), /'solver'.*'lu'/],
    ['damping < 0', () => new optim.Newton([zeros([2])], { damping: -1 }), /'damping'.*-1/],
    ['backtrack 1', () => new optim.Newton([zeros([2])], { backtrack: 1 }), /'backtrack'.*got 1/],
    ['c1 0', () => new optim.Newton([zeros([2])], { c1: 0 }), /'c1'.*got 0/],
    ['maxIter 0', () => new optim.Newton([zeros([2])], { maxIter: 0 }), /'maxIter'.*got number 0/],
    ['groups', () => new optim.Newton([{ params: [zeros([2])] }, { params: [zeros([1])] }]), /groups are not supported/],
  ];
  for (const [name, f, re] of bad) {
    it(`rejects ${name}`, () => {
      expect(f).toThrow(ValueError);
      expect(f).toThrow(re);
    });
  }
});

describe('Newton on a model through autograd', () => {
  it('minimises a small softmax regression with only the closure (finite-difference Hessian products)', async () => {
    const { TinyLinear, blobs, crossEntropy } = await import('./helpers/standins');
    const { x, y } = blobs(90, 5);
    const model = new TinyLinear(2, 3, 1);
    const opt = new optim.Newton(model.parameters(), { damping: 1e-3 });
    const closure = () => {
      opt.zeroGrad();
      const loss = crossEntropy(model.forward(x), y);
      loss.backward();
      return loss;
    };
    const first = (opt.step(closure) as Tensor).item();
    for (let k = 0; k < 9; k++) opt.step(closure);
    expect(opt.info.loss).toBeLessThan(0.05 * first);
  });
});
