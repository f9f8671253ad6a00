import { describe, expect, it } from 'vitest';
import * as fg from '../src';
import { losses } from '../src';
import { gradcheck, param } from './helpers/gradcheck';
import fixture from './fixtures/nncore_torch.json';

const backends = (['js', 'native'] as const).filter((b) => {
  const be = fg.getBackend(b);
  return be && typeof be.softmaxCrossEntropy === 'function';
});

/** Runs fn with each backend that has the fused kernels selected. */
function eachBackend(fn: (name: string) => void): void {
  const prev = fg.backendInfo().backend;
  for (const b of backends) {
    fg.useBackend(b);
    try {
      fn(b);
    } finally {
      fg.useBackend(prev);
    }
  }
}

function close(got: ArrayLike<number>, want: number[], tol = 1e-5): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])))) {
      throw new Error(`element ${i}: got ${got[i]}, want ${want[i]}`);
    }
  }
}

const inp = fixture.inputs;
const shape = inp.shape;
const T = (v: number[], s = shape) => fg.tensor(Float32Array.from(v), s);

describe('losses match PyTorch (values and gradients)', () => {
  const call: Record<string, (p: fg.Tensor, r: losses.Reduction) => fg.Tensor> = {
    mse: (p, r) => losses.mse(p, T(inp.target), { reduction: r }),
    l1: (p, r) => losses.l1(p, T(inp.target), { reduction: r }),
    huber: (p, r) => losses.huber(p, T(inp.target), { reduction: r, delta: 0.5 }),
    binaryCrossEntropy: (p, r) => losses.binaryCrossEntropy(p, T(inp.binTarget), { reduction: r }),
    binaryCrossEntropyWithLogits: (p, r) => losses.binaryCrossEntropyWithLogits(p, T(inp.binTarget), { reduction: r }),
    sparseCategoricalCrossEntropy: (p, r) => losses.sparseCategoricalCrossEntropy(p, T(inp.labels, [shape[0]]), { reduction: r }),
    categoricalCrossEntropy: (p, r) => losses.categoricalCrossEntropy(p, T(inp.soft), { reduction: r }),
  };
  for (const [key, ref] of Object.entries(fixture.losses)) {
    const [name, red] = key.split('/') as [string, losses.Reduction];
    it(`${key}`, () => {
      eachBackend(() => {
        const p = fg.tensor(Float32Array.from(name === 'binaryCrossEntropy' ? inp.probs : inp.pred), shape, { requiresGrad: true });
        const v = call[name](p, red);
        close(v.data, ref.value);
        v.backward(fg.onesLike(v));
        close(p.grad!.data, ref.grad);
      });
    });
  }
});

describe('loss gradients by finite differences', () => {
  const reductions: losses.Reduction[] = ['mean', 'sum', 'none'];
  it('pointwise losses, in the prediction and in the target', () => {
    for (const r of reductions) {
      const away = (t: fg.Tensor) => {
        // keep |pred - target| away from the kinks (0 for l1, delta for huber)
        for (let i = 0; i < t.size; i++) t.data[i] = Math.sign(t.data[i] || 1) * (0.3 + Math.abs(t.data[i]));
        return t;
      };
      const p = param([3, 4], 1), t = param([3, 4], 2);
      gradcheck((a, b) => losses.mse(a, b, { reduction: r }), [p, t]);
      const d = away(param([3, 4], 3));
      gradcheck((a, b) => losses.l1(a.add(b), b, { reduction: r }), [d, t]);
      gradcheck((a, b) => losses.huber(a.add(b), b, { reduction: r, delta: 0.7 }), [d.mul(1).detach().requiresGrad_(), t]);
      gradcheck((a, b) => losses.huber(a, b, { reduction: r, delta: 5 }), [p, t]);
      const probs = param([3, 4], 4, 0.05, 0.95), soft = param([3, 4], 5, 0, 1);
      gradcheck((a, b) => losses.binaryCrossEntropy(a, b, { reduction: r }), [probs, soft], { eps: 1e-3 });
      gradcheck((a, b) => losses.binaryCrossEntropyWithLogits(a, b, { reduction: r }), [param([3, 4], 6, -5, 5), soft]);
    }
  });

  it('softmax cross-entropy (fused), sparse and soft, logits and probabilities, on every backend', () => {
    eachBackend(() => {
      for (const r of reductions) {
        const labels = fg.tensor([2, 0, 3, 1, 3]);
        gradcheck((a) => losses.sparseCategoricalCrossEntropy(a, labels, { reduction: r }), [param([5, 4], 7)]);
        const soft = fg.rand([5, 4], { seed: 8 }).softmax();
        gradcheck((a) => losses.categoricalCrossEntropy(a, soft, { reduction: r }), [param([5, 4], 9)]);
        gradcheck((a) => losses.sparseCategoricalCrossEntropy(a.softmax(), labels, { reduction: r, fromLogits: false }), [param([5, 4], 10)]);
        gradcheck((a) => losses.crossEntropy(a, labels, { reduction: r }).mul(2), [param([5, 4], 11)]);
      }
    });
  });

  it('penalties', () => {
    const a = param([3, 4], 12), b = param([5], 13);
    for (let i = 0; i < a.size; i++) if (Math.abs(a.data[i]) < 0.05) a.data[i] = 0.1;
    for (let i = 0; i < b.size; i++) if (Math.abs(b.data[i]) < 0.05) b.data[i] = -0.1;
    gradcheck((x, y) => losses.l1Penalty([x, y], 0.3), [a, b]);
    gradcheck((x, y) => losses.l2Penalty([x, y], 0.3), [a, b]);
    expect(losses.l2Penalty([fg.tensor([1, 2]), fg.tensor([3])], 0.5).item()).toBeCloseTo(7);
    expect(losses.l1Penalty([fg.tensor([1, -2])], 1).item()).toBeCloseTo(3);
  });
});

describe('cross-entropy is stable and checks its labels', () => {
  it('is finite for huge logits', () => {
    eachBackend(() => {
      const logits = fg.tensor([[1000, -1000, 0], [-1e30, 1e30, 5]], undefined, { requiresGrad: true });
      const l = losses.sparseCategoricalCrossEntropy(logits, fg.tensor([0, 1]));
      expect(l.item()).toBeCloseTo(0, 5);
      l.backward();
      expect(Array.from(logits.grad!.data).every(Number.isFinite)).toBe(true);
    });
  });

  it('rejects labels out of range or not integral, naming the value, with a ValueError', () => {
    eachBackend(() => {
      const logits = fg.zeros([3, 4]);
      expect(() => losses.sparseCategoricalCrossEntropy(logits, fg.tensor([0, 4, 1]))).toThrow(fg.ValueError);
      expect(() => losses.sparseCategoricalCrossEntropy(logits, fg.tensor([0, 4, 1]))).toThrow(/label 4 at index 1/);
      expect(() => losses.sparseCategoricalCrossEntropy(logits, fg.tensor([0, 1.5, 1]))).toThrow(/label 1.5/);
      expect(() => losses.sparseCategoricalCrossEntropy(logits, fg.tensor([-1, 0, 1]))).toThrow(/label -1/);
      expect(() => losses.sparseCategoricalCrossEntropy(logits, fg.tensor([NaN, 0, 1]))).toThrow(/label NaN/);
    });
  });

  it('rejects mismatched shapes and wrong types', () => {
    expect(() => losses.sparseCategoricalCrossEntropy(fg.zeros([3, 4]), fg.tensor([0, 1]))).toThrow(fg.ShapeError);
    expect(() => losses.sparseCategoricalCrossEntropy(fg.zeros([12]), fg.tensor([0, 1]))).toThrow(fg.ShapeError);
    expect(() => losses.categoricalCrossEntropy(fg.zeros([3, 4]), fg.zeros([3, 5]))).toThrow(fg.ShapeError);
    expect(() => losses.mse(fg.zeros([3, 4]), fg.zeros([4, 3]))).toThrow(fg.ShapeError);
    expect(() => losses.mse(fg.zeros([3, 4]), [1, 2] as any)).toThrow(fg.DTypeError);
    expect(() => losses.mse(fg.zeros([3]), fg.zeros([3]), { reduction: 'avg' as any })).toThrow(fg.ValueError);
    expect(() => losses.binaryCrossEntropy(fg.tensor([1.5]), fg.tensor([1]))).toThrow(/probabilities/);
    expect(() => losses.huber(fg.zeros([1]), fg.zeros([1]), { delta: 0 })).toThrow(fg.ValueError);
    // [n, 1] predictions against [n] targets are accepted (regression heads).
    expect(losses.mse(fg.zeros([3, 1]), fg.ones([3])).item()).toBe(1);
  });
});

describe('getLoss', () => {
  it('resolves Keras-style names and passes functions through', () => {
    const p = fg.tensor([[2, 1, 0]]), y = fg.tensor([0]);
    for (const name of ['sparseCategoricalCrossentropy', 'sparse_categorical_crossentropy', 'SparseCategoricalCrossentropy']) {
      expect(losses.getLoss(name)(p, y).item()).toBeCloseTo(losses.sparseCategoricalCrossEntropy(p, y).item());
    }
    const a = fg.tensor([1, 2]), b = fg.tensor([0, 0]);
    expect(losses.getLoss('mse')(a, b).item()).toBeCloseTo(2.5);
    expect(losses.getLoss('mae')(a, b).item()).toBeCloseTo(1.5);
    expect(losses.getLoss('huber')(a, b).item()).toBeCloseTo((0.5 + 1.5) / 2);
    expect(losses.getLoss('binaryCrossentropy')(fg.tensor([0.5]), fg.tensor([1])).item()).toBeCloseTo(Math.LN2);
    expect(losses.getLoss('categoricalCrossentropy')(fg.tensor([[0, 0]]), fg.tensor([[1, 0]])).item()).toBeCloseTo(Math.LN2);
    const f = (x: fg.Tensor) => x.sum();
    expect(losses.getLoss(f as any)).toBe(f);
    expect(() => losses.getLoss('nope')).toThrow(fg.ValueError);
    expect(() => losses.getLoss(3 as any)).toThrow(fg.DTypeError);
  });
});

describe('activations match PyTorch', () => {
  it('values and gradients', () => {
    const acts = fixture.activations as Record<string, any>;
    const run: Record<string, (t: fg.Tensor) => fg.Tensor> = {
      gelu: (t) => t.gelu(), geluTanh: (t) => t.gelu('tanh'), elu: (t) => t.elu(), leakyRelu: (t) => t.leakyRelu(),
      sigmoid: (t) => t.sigmoid(), tanh: (t) => t.tanh(),
    };
    for (const [name, fn] of Object.entries(run)) {
      const x = fg.tensor(Float32Array.from(acts.x), undefined, { requiresGrad: true });
      const y = fn(x);
      close(y.data, acts[name].value, 2e-6);
      y.sum().backward();
      close(x.grad!.data, acts[name].grad, 2e-6);
    }
    const sx = T(fixture.softmax.x, [3, 4]);
    close(sx.softmax().data, fixture.softmax.softmax, 1e-6);
    close(sx.logSoftmax().data, fixture.softmax.logSoftmax, 1e-6);
  });
});

describe('cross-entropy label smoothing', () => {
  // F.cross_entropy(x, y, label_smoothing=0.2) in PyTorch 1.13.
  const logits = () => fg.tensor([[1, -0.5, 2], [0.3, 0.2, -1]], undefined, { requiresGrad: true });
  const torchLoss = 0.738161563873291;
  const torchRows = [0.604872465133667, 0.871450662612915];
  const torchGrad = [0.0935247540473938, -0.005027471110224724, -0.08849731087684631, -0.20369839668273926, 0.17444893717765808, 0.02924947813153267];

  it('matches PyTorch for labels and for one-hot targets (values, per row, gradients)', () => {
    for (const f of [
      (x: fg.Tensor) => losses.sparseCategoricalCrossEntropy(x, fg.tensor([2, 0]), { labelSmoothing: 0.2 }),
      (x: fg.Tensor) => losses.crossEntropy(x, fg.tensor([2, 0]), { labelSmoothing: 0.2 }),
      (x: fg.Tensor) => losses.categoricalCrossEntropy(x, fg.tensor([[0, 0, 1], [1, 0, 0]]), { labelSmoothing: 0.2 }),
    ]) {
      const x = logits();
      const l = f(x);
      expect(l.item()).toBeCloseTo(torchLoss, 5);
      l.backward();
      Array.from(x.grad!.data).forEach((g, i) => expect(g).toBeCloseTo(torchGrad[i], 5));
    }
    const rows = losses.sparseCategoricalCrossEntropy(logits(), fg.tensor([2, 0]), { labelSmoothing: 0.2, reduction: 'none' });
    Array.from(rows.data).forEach((v, i) => expect(v).toBeCloseTo(torchRows[i], 5));
    // 0 is the plain loss.
    expect(losses.sparseCategoricalCrossEntropy(logits(), fg.tensor([2, 0]), { labelSmoothing: 0 }).item())
      .toBeCloseTo(losses.sparseCategoricalCrossEntropy(logits(), fg.tensor([2, 0])).item(), 6);
  });

  it('checks the option and the labels', () => {
    const y = fg.tensor([2, 0]);
    expect(() => losses.sparseCategoricalCrossEntropy(logits(), y, { labelSmoothing: 1.5 })).toThrow(/'labelSmoothing' must be in \[0, 1\], got 1.5/);
    expect(() => losses.sparseCategoricalCrossEntropy(logits(), y, { labelSmoothing: -0.1 })).toThrow(fg.ValueError);
    expect(() => losses.categoricalCrossEntropy(logits(), fg.tensor([[0, 0, 1], [1, 0, 0]]), { labelSmoothing: '0.1' as never })).toThrow(fg.DTypeError);
    expect(() => losses.sparseCategoricalCrossEntropy(logits(), fg.tensor([3, 0]), { labelSmoothing: 0.1 })).toThrow(/label 3 at index 0 is not a class id/);
    expect(() => losses.sparseCategoricalCrossEntropy(logits(), fg.tensor([0.5, 0]), { labelSmoothing: 0.1 })).toThrow(fg.ValueError);
  });
});
