// A few training steps of a tiny MLP on random data, through fastgrad's public API, as a user's
// project would run it after `npm install fastgrad`. Copied next to an installed fastgrad by
// pack-install-test.sh (and run from the repository by the Node-version and arm64 checks).
//
//   node smoke-train.cjs [expected backend: native|js]
//
// Prints one JSON line: { backend, isa, lossBefore, lossAfter }; exits 1 when the backend is not the
// expected one or the loss did not go down. (FASTGRAD_MODULE=<path> loads fastgrad from a path.)
'use strict';
const fg = require(process.env.FASTGRAD_MODULE || 'fastgrad');

const expectBackend = process.argv[2];
const batch = 32, inputs = 20, hidden = 24, classes = 4, steps = 30;

// Learnable random data: the labels come from a fixed random linear "teacher".
const x = fg.randn([batch * 4, inputs], { seed: 1 });
const teacher = fg.randn([inputs, classes], { seed: 2 });
const labels = x.matmul(teacher).argmax(1).data;
const oneHot = fg.zeros([batch * 4, classes]);
labels.forEach((c, i) => { oneHot.data[i * classes + c] = 1; });

const w1 = fg.randn([inputs, hidden], { std: 0.3, seed: 3, requiresGrad: true });
const w2 = fg.randn([hidden, classes], { std: 0.3, seed: 4, requiresGrad: true });
const params = [w1, w2];

function loss(xb, yb) {
  // Mean cross-entropy: -sum(onehot * logSoftmax(logits)) / batch.
  const logits = xb.matmul(w1).relu().matmul(w2);
  return logits.logSoftmax(1).mul(yb).sum().mul(-1 / xb.shape[0]);
}

const full = () => fg.noGrad(() => loss(x, oneHot).item());
const lossBefore = full();
for (let step = 0; step < steps; step++) {
  const b = step % 4;
  const l = loss(x.slice(b * batch, (b + 1) * batch), oneHot.slice(b * batch, (b + 1) * batch));
  for (const p of params) p.grad = null;
  l.backward();
  fg.noGrad(() => {
    for (const p of params) {
      const g = p.grad.data, d = p.data;
      for (let i = 0; i < d.length; i++) d[i] -= 0.5 * g[i];
    }
  });
}
const lossAfter = full();

const info = fg.backendInfo();
const result = { backend: info.backend, isa: info.isa, lossBefore, lossAfter };
console.log(JSON.stringify(result));
let ok = Number.isFinite(lossAfter) && lossAfter < 0.8 * lossBefore;
if (expectBackend && info.backend !== expectBackend) ok = false;
if (!ok) {
  console.error(`smoke-train: FAILED (expected backend ${expectBackend ?? 'any'} and the loss going down)`);
  process.exit(1);
}
