// Small local stand-ins for tests of the training loop: a linear model, cross-entropy from autograd
// ops and plain SGD, so these tests do not depend on the layers, losses and optimizers under test
// elsewhere.
import { Tensor, randn, zeros, noGrad, Generator } from '../../src';
import { Module } from '../../src/nn/module';

export class TinyLinear extends Module {
  weight: Tensor;
  bias: Tensor;
  constructor(readonly inFeatures: number, readonly outFeatures: number, seed = 1) {
    super();
    this.weight = this.registerParameter('weight', randn([inFeatures, outFeatures], { std: 0.1, seed }));
    this.bias = this.registerParameter('bias', zeros([outFeatures]));
  }
  forward(x: Tensor): Tensor {
    return x.matmul(this.weight).add(this.bias);
  }
  config(): Record<string, unknown> {
    return { inFeatures: this.inFeatures, outFeatures: this.outFeatures };
  }
}

/** Mean cross-entropy of logits [n, C] against class ids [n]. */
export function crossEntropy(logits: Tensor, y: Tensor): Tensor {
  const [n, c] = logits.shape;
  const onehot = new Float32Array(n * c);
  for (let i = 0; i < n; i++) onehot[i * c + y.data[i]] = 1;
  return logits.logSoftmax().mul(new Tensor(onehot, [n, c])).sum().neg().div(n);
}

export function sgd(params: Tensor[], lr: number) {
  return {
    paramGroups: [{ lr }],
    zeroGrad() {
      for (const p of params) p.grad?.data.fill(0);
    },
    step() {
      noGrad(() => {
        for (const p of params) {
          if (!p.grad) continue;
          const d = p.data, g = p.grad.data;
          for (let i = 0; i < d.length; i++) d[i] -= lr * g[i];
        }
      });
    },
  };
}

/** Three well-separated Gaussian blobs in 2-D: x [n, 2], y class ids [n]. */
export function blobs(n: number, seed = 1): { x: Tensor; y: Tensor } {
  const g = new Generator(seed);
  const centers = [[-2, 0], [2, 0], [0, 2.5]];
  const x = new Float32Array(2 * n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    y[i] = c;
    x[2 * i] = centers[c][0] + 0.5 * g.normal();
    x[2 * i + 1] = centers[c][1] + 0.5 * g.normal();
  }
  return { x: new Tensor(x, [n, 2]), y: new Tensor(y, [n]) };
}
