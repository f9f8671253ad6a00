// A fixed, synthetic L2-regularised logistic regression (500 x 20 by default), shared by
// examples/newton-logreg.mjs and test/newton.test.ts. scripts/golden_newton.py generates the same data
// (same integer LCG, exact in both languages) and computes the optimum with PyTorch in float64.
//
// Features: uniform in [-1, 1) scaled by 1 + j/4 and chained to the previous feature (correlated;
// the Hessian's condition number at the optimum is about 210). Labels: a logistic model plus uniform
// noise, so the classes overlap and the optimum is finite.

/** Uniform numbers in [0, 1) from a 32-bit LCG (Numerical Recipes' constants). */
function lcg(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(1664525, state) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export function makeLogRegData({ n = 500, features = 20, seed = 12345 } = {}) {
  const next = lcg(seed);
  const X = new Float32Array(n * features);
  const y = new Float32Array(n);
  const wTrue = Array.from({ length: features }, (_, j) => ((j % 5) - 2) * 0.4);
  for (let i = 0; i < n; i++) {
    let prev = 0;
    for (let j = 0; j < features; j++) {
      const v = (2 * next() - 1) * (1 + j / 4) + 0.5 * prev;
      prev = v;
      X[i * features + j] = v;
    }
    let logit = 0.25;
    for (let j = 0; j < features; j++) logit += X[i * features + j] * wTrue[j];
    y[i] = logit + 3 * (next() - 0.5) > 0 ? 1 : 0;
  }
  return { X, y, n, features };
}

/**
 * Loss = mean binary cross-entropy of sigmoid(X w + b) + l2/2 |w|^2, in float64. Writes the gradient
 * into gw (features) and returns [loss, dLoss/db].
 */
export function logRegLossGrad(data, l2, w, b, gw) {
  const { X, y, n, features: f } = data;
  gw.fill(0);
  let loss = 0, gb = 0;
  for (let i = 0; i < n; i++) {
    let z = b;
    for (let j = 0; j < f; j++) z += X[i * f + j] * w[j];
    loss += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - y[i] * z; // softplus(z) - y z
    const r = 1 / (1 + Math.exp(-z)) - y[i];
    gb += r;
    for (let j = 0; j < f; j++) gw[j] += r * X[i * f + j];
  }
  let wsq = 0;
  for (let j = 0; j < f; j++) {
    wsq += w[j] * w[j];
    gw[j] = gw[j] / n + l2 * w[j];
  }
  return [loss / n + 0.5 * l2 * wsq, gb / n];
}

/**
 * The exact Hessian-vector product at (w, b) over theta = [w; b]: (1/n) A' D A v + l2 [v_w; 0], with
 * A = [X 1] and D = diag(s (1 - s)), s = sigmoid(X w + b).
 */
export function logRegHvp(data, l2, w, b, v, out) {
  const { X, n, features: f } = data;
  out.fill(0);
  for (let i = 0; i < n; i++) {
    let z = b, av = v[f];
    for (let j = 0; j < f; j++) {
      z += X[i * f + j] * w[j];
      av += X[i * f + j] * v[j];
    }
    const s = 1 / (1 + Math.exp(-z));
    const c = (s * (1 - s) * av) / n;
    for (let j = 0; j < f; j++) out[j] += c * X[i * f + j];
    out[f] += c;
  }
  for (let j = 0; j < f; j++) out[j] += l2 * v[j];
}

/** The explicit (features + 1)^2 Hessian at (w, b), row-major. */
export function logRegHessian(data, l2, w, b) {
  const m = data.features + 1;
  const H = new Float64Array(m * m);
  const e = new Float64Array(m);
  const col = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    e.fill(0);
    e[j] = 1;
    logRegHvp(data, l2, w, b, e, col);
    for (let i = 0; i < m; i++) H[i * m + j] = col[i];
  }
  return H;
}
