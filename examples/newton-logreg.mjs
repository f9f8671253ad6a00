// Newton's method vs L-BFGS vs gradient descent on a fixed logistic regression (500 x 20).
//
//   npm run build:ts && node examples/newton-logreg.mjs
//
// Newton-CG needs only Hessian-vector products; here they come from finite differences of the
// gradient (two extra loss evaluations each), so the closure is all it needs. Pass `hvp` for exact
// products, or `solver: 'direct'` (with or without `hessian`) to factorise the full Hessian.
import { optim, zeros, Tensor } from '../dist/index.mjs';
import { makeLogRegData, logRegLossGrad, logRegHvp } from './logreg-problem.mjs';

const data = makeLogRegData();
const F = data.features;
const L2 = 1e-3;
const OPTIMAL_LOSS = 0.10116216512812466; // PyTorch, float64 (test/fixtures/newton.json)

function model() {
  const w = zeros([F], { requiresGrad: true });
  const b = zeros([1], { requiresGrad: true });
  const gw = new Float64Array(F);
  const closure = () => {
    const [loss, gb] = logRegLossGrad(data, L2, w.data, b.data[0], gw);
    w.grad ??= new Tensor(new Float32Array(F), [F]);
    b.grad ??= new Tensor(new Float32Array(1), [1]);
    w.grad.data.set(gw);
    b.grad.data[0] = gb;
    return loss;
  };
  return { w, b, closure };
}

function run(name, makeStep, cap) {
  const m = model();
  const step = makeStep(m);
  const t0 = process.hrtime.bigint();
  let k = 0, gap = Infinity;
  while (k < cap && gap > 1e-7) {
    step();
    k++;
    gap = m.closure() - OPTIMAL_LOSS;
    if (name === 'Newton-CG') console.log(`  Newton iteration ${k}: loss - optimum = ${gap.toExponential(2)}`);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`${name.padEnd(18)} ${String(k).padStart(5)} iterations  (loss within ${gap.toExponential(1)} of optimum, ${ms.toFixed(0)} ms)`);
}

run('Newton-CG', (m) => {
  const opt = new optim.Newton([m.w, m.b]);
  return () => opt.step(m.closure);
}, 50);
run('Newton, exact H v', (m) => {
  const opt = new optim.Newton([m.w, m.b], { hvp: (v, out) => logRegHvp(data, L2, m.w.data, m.b.data[0], v, out) });
  return () => opt.step(m.closure);
}, 50);
run('L-BFGS', (m) => {
  const opt = new optim.LBFGS([m.w, m.b], { lineSearch: 'strongWolfe', historySize: 10, maxIter: 1 });
  return () => opt.step(m.closure);
}, 1000);
run('gradient descent', (m) => {
  // Step 1/L with L the largest curvature (at w = 0), found by power iteration on exact H v.
  m.closure();
  let v = new Float64Array(F + 1).fill(1), hv = new Float64Array(F + 1), L = 0;
  for (let k = 0; k < 100; k++) {
    logRegHvp(data, L2, m.w.data, m.b.data[0], v, hv);
    L = Math.hypot(...hv);
    v = hv.map((x) => x / L);
  }
  const opt = new optim.SGD([m.w, m.b], { lr: 1 / L });
  return () => { m.closure(); opt.step(); };
}, 20000);
