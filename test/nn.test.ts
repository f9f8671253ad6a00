import { afterAll, describe, expect, it } from 'vitest';
import * as fg from '../src';
import { nn, losses } from '../src';
import { gradcheck, param } from './helpers/gradcheck';
import fixture from './fixtures/nncore_torch.json';

const initialBackend = fg.backendInfo().backend;
afterAll(() => fg.useBackend(initialBackend));

/** Backends with the nn kernels (native only when its addon has them and an SGEMM). */
const backends = (['js', 'native'] as const).filter((b) => {
  const be = fg.getBackend(b);
  return be && typeof be.linearForward === 'function' && typeof be.sgemm === 'function';
});

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

function close(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])))) throw new Error(`element ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

describe('Linear', () => {
  it('has PyTorch layout and default init, seeded', () => {
    const l = new nn.Linear(50, 20, { seed: 1 });
    expect(l.weight.shape).toEqual([20, 50]);
    expect(l.bias!.shape).toEqual([20]);
    const bound = 1 / Math.sqrt(50);
    expect(Math.max(...l.weight.data.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...l.weight.data.map(Math.abs))).toBeGreaterThan(bound * 0.9);
    expect(new nn.Linear(50, 20, { seed: 1 }).weight.data).toEqual(l.weight.data);
    expect(new nn.Linear(50, 20, { seed: 2 }).weight.data).not.toEqual(l.weight.data);
    expect(new nn.Linear(3, 2, { bias: false }).parameters().length).toBe(1);
    expect(l.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias']);
  });

  it('computes x W^T + b (and ReLU) on every backend, for any leading shape', () => {
    eachBackend(() => {
      const l = new nn.Linear(6, 4, { seed: 3 });
      const x = fg.randn([2, 3, 6], { seed: 4 });
      const want = x.matmul(l.weight.transpose()).add(l.bias!);
      const y = l.forward(x);
      expect(y.shape).toEqual([2, 3, 4]);
      close(y.data, want.data);
      close(new nn.Linear(6, 4, { seed: 3, activation: 'relu' }).forward(x).data, want.relu().data);
      expect(l.forward(fg.randn([6], { seed: 5 })).shape).toEqual([4]);
    });
  });

  it('gradients by finite differences (with and without bias and ReLU) on every backend', () => {
    eachBackend(() => {
      for (const relu of [false, true]) {
        const x = param([5, 4], 10), w = param([3, 4], 11), b = param([3], 12);
        // keep pre-activations away from the ReLU kink
        const pre = fg.noGrad(() => x.matmul(w.transpose()).add(b));
        for (let i = 0; i < pre.size; i++) if (Math.abs(pre.data[i]) < 0.05) b.data[i % 3] += 0.2;
        gradcheck((a, c, d) => nn.functional.linear(a, c, d, { relu }), [x, w, b]);
        gradcheck((a, c) => nn.functional.linear(a, c, null, { relu }), [x, w]);
      }
    });
  });

  it('accumulates parameter gradients in place and skips dX for inputs that need none', () => {
    eachBackend(() => {
      const l = new nn.Linear(4, 3, { seed: 6 });
      const x = fg.randn([5, 4], { seed: 7 });
      l.forward(x).sum().backward();
      const g1 = l.weight.grad!.data.slice(), buf = l.weight.grad!.data;
      l.forward(x).sum().backward();
      expect(l.weight.grad!.data).toBe(buf); // the same buffer, added to in place
      close(buf, g1.map((v) => 2 * v));
      close(l.bias!.grad!.data, [10, 10, 10]);
      expect(x.grad).toBeNull();
    });
  });

  it('rejects bad shapes and arguments', () => {
    const l = new nn.Linear(4, 3);
    expect(() => l.forward(fg.zeros([2, 5]))).toThrow(fg.ShapeError);
    expect(() => l.forward(fg.zeros([]))).toThrow(fg.ShapeError);
    expect(() => l.forward([1, 2] as any)).toThrow(fg.DTypeError);
    expect(() => new nn.Linear(0, 3)).toThrow(fg.ValueError);
    expect(() => new nn.Linear(2.5, 3)).toThrow(fg.DTypeError);
    expect(() => new nn.Linear(2, 3, { activation: 'tanh' as any })).toThrow(fg.ValueError);
    expect(() => nn.functional.linear(fg.zeros([2, 4]), fg.zeros([3, 4]), fg.zeros([4]))).toThrow(fg.ShapeError);
  });
});

describe('Sequential', () => {
  const mlp = () => new nn.Sequential(
    new nn.Linear(8, 16, { seed: 1 }), new nn.ReLU(),
    new nn.Linear(16, 8, { seed: 2 }), new nn.Tanh(),
    new nn.Linear(8, 3, { seed: 3 }),
  );

  it('runs layers in order, fusing Linear+ReLU without changing results', () => {
    eachBackend(() => {
      const m = mlp();
      const x = fg.randn([4, 8], { seed: 9 });
      const want = (m[2] as nn.Linear).forward((m[0] as nn.Linear).forward(x).relu()).tanh();
      const got = m.forward(x);
      close(got.data, (m.at(-1) as nn.Linear).forward(want).data);
      // The fused path's backward equals the unfused one.
      const y = fg.tensor([0, 2, 1, 1]);
      losses.sparseCategoricalCrossEntropy(m.forward(x), y).backward();
      const fused = m.parameters().map((p) => p.grad!.data.slice());
      m.zeroGrad();
      let h = (m[0] as nn.Linear).forward(x).relu();
      h = m[3].forward((m[2] as nn.Linear).forward(h));
      losses.sparseCategoricalCrossEntropy((m[4] as nn.Linear).forward(h), y).backward();
      m.parameters().forEach((p, i) => close(p.grad!.data, fused[i]));
    });
  });

  it('fuses exactly the Linear-then-ReLU pairs', () => {
    const m = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2), new nn.Tanh());
    const x = fg.randn([2, 3], { seed: 1 });
    expect((m[0] as nn.Linear).forwardFused(x, true).node!.name).toBe('linearRelu');
    const out = m.forward(x);
    expect(out.node!.name).toBe('tanh');
    expect(out.node!.inputs[0].node!.name).toBe('linear');
    expect(out.node!.inputs[0].node!.inputs[0].node!.name).toBe('linearRelu');
  });

  it('is indexable, extendable, named like PyTorch', () => {
    const m = mlp();
    expect(m.length).toBe(5);
    expect(m[1]).toBeInstanceOf(nn.ReLU);
    expect(m.at(-1)).toBe(m[4]);
    m.add(new nn.Softmax());
    expect(m.length).toBe(6);
    expect(m.forward(fg.randn([2, 8], { seed: 1 })).sum(1).data[0]).toBeCloseTo(1, 5);
    expect(Object.keys(m.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias']);
    expect(() => m.at(6)).toThrow(fg.ValueError);
    expect(() => m.add({} as any)).toThrow(fg.DTypeError);
  });

  it('round-trips its architecture through JSON (fromConfig) and state dicts', () => {
    const m = new nn.Sequential(
      new nn.Flatten(), new nn.Linear(12, 10, { seed: 1 }), new nn.BatchNorm1d(10, { momentum: 0.2 }), new nn.ReLU(),
      new nn.Dropout(0.25, { seed: 5 }), new nn.Linear(10, 6, { activation: 'relu', bias: false }), new nn.LeakyReLU(0.2),
      new nn.ELU(0.5), new nn.GELU('tanh'), new nn.Sigmoid(), new nn.Identity(), new nn.Linear(6, 4), new nn.LogSoftmax(1),
    );
    const json = JSON.stringify(nn.toConfig(m));
    const back = nn.fromConfig(json) as nn.Sequential;
    expect(back).toBeInstanceOf(nn.Sequential);
    expect(JSON.stringify(nn.toConfig(back))).toBe(json);
    back.loadStateDict(m.stateDict());
    m.eval();
    back.eval();
    const x = fg.randn([3, 3, 4], { seed: 2 });
    close(back.forward(x).data, m.forward(x).data);
    expect(() => nn.fromConfig('{"type":"Nope","config":{}}')).toThrow(fg.ValueError);
    expect(() => nn.fromConfig('{not json')).toThrow(fg.FormatError);
    expect(() => nn.fromConfig({ type: 'Linear', config: { inFeatures: -1, outFeatures: 2 } })).toThrow(fg.ValueError);
    expect(nn.layerTypes()).toContain('BatchNorm1d');
  });
});

describe('activation layers', () => {
  it('match the ops', () => {
    const x = fg.randn([3, 5], { seed: 1 });
    const pairs: [fg.nn.Module, fg.Tensor][] = [
      [new nn.ReLU(), x.relu()], [new nn.LeakyReLU(0.2), x.leakyRelu(0.2)], [new nn.ELU(), x.elu()],
      [new nn.GELU(), x.gelu()], [new nn.Sigmoid(), x.sigmoid()], [new nn.Tanh(), x.tanh()],
      [new nn.Softmax(0), x.softmax(0)], [new nn.LogSoftmax(), x.logSoftmax()], [new nn.Identity(), x],
      [new nn.Flatten(0), x.flatten()],
    ];
    for (const [layer, want] of pairs) {
      const y = layer.forward(x);
      expect(y.shape).toEqual(want.shape);
      close(y.data, want.data);
    }
  });
});

describe('Dropout', () => {
  it('is reproducible with a seed, scales kept values, identity in eval and for p = 0, zero for p = 1', () => {
    eachBackend(() => {
      const x = fg.ones([4, 5, 6]);
      const a = new nn.Dropout(0.5, { seed: 3 }), b = new nn.Dropout(0.5, { seed: 3 });
      const ya = a.forward(x), yb = b.forward(x);
      expect(ya.shape).toEqual([4, 5, 6]);
      expect(ya.data).toEqual(yb.data);
      expect(a.forward(x).data).not.toEqual(ya.data); // a new mask each call
      for (const v of ya.data) expect(v === 0 || v === 2).toBe(true);
      a.eval();
      expect(a.forward(x)).toBe(x);
      expect(new nn.Dropout(0).forward(x)).toBe(x);
      expect(new nn.Dropout(1).forward(x).data.every((v) => v === 0)).toBe(true);
      expect(() => new nn.Dropout(1.5)).toThrow(fg.ValueError);
      expect(() => new nn.Dropout('0.5' as any)).toThrow(fg.DTypeError);
    });
  });

  it('backward applies the same mask', () => {
    eachBackend(() => {
      const x = param([3, 7], 1);
      const y = nn.functional.dropout(x, 0.4, { seed: 77 });
      y.backward(fg.onesLike(y));
      for (let i = 0; i < x.size; i++) {
        expect(x.grad!.data[i]).toBeCloseTo(y.data[i] === 0 ? 0 : 1 / 0.6, 5);
      }
      gradcheck((t) => nn.functional.dropout(t, 0.4, { seed: 78 }), [x]);
    });
  });
});

describe('BatchNorm1d', () => {
  const bn = fixture.batchNorm1d;
  const t = (v: number[], s: number[]) => fg.tensor(Float32Array.from(v), s);

  it('matches PyTorch: training output, gradients, running statistics, eval output', () => {
    eachBackend(() => {
      const layer = new nn.BatchNorm1d(4);
      const [w, b] = layer.parameters();
      w.data.set(bn.weight);
      b.data.set(bn.bias);
      const x1 = t(bn.x1, [8, 4]).requiresGrad_();
      const y1 = layer.forward(x1);
      close(y1.data, bn.y1, 1e-5);
      y1.backward(t(bn.gy, [8, 4]));
      close(x1.grad!.data, bn.dx1, 1e-4);
      close(w.grad!.data, bn.dweight, 1e-4);
      close(b.grad!.data, bn.dbias, 1e-4);
      close(layer.forward(t(bn.x2, [8, 4])).data, bn.y2, 1e-5);
      const sd = layer.stateDict();
      close(sd.running_mean.data, bn.runningMean, 1e-5);
      close(sd.running_var.data, bn.runningVar, 1e-5);
      expect(sd.num_batches_tracked.item()).toBe(2);
      layer.eval();
      close(layer.forward(t(bn.x3, [3, 4])).data, bn.y3, 1e-5);
    });
  });

  it('running statistics by hand (momentum, unbiased variance)', () => {
    const layer = new nn.BatchNorm1d(1, { momentum: 0.5 });
    layer.forward(fg.tensor([[1], [3]]));
    expect(layer.stateDict().running_mean.item()).toBeCloseTo(0.5 * 0 + 0.5 * 2);
    expect(layer.stateDict().running_var.item()).toBeCloseTo(0.5 * 1 + 0.5 * 2); // unbiased var of {1,3} = 2
  });

  it('gradients by finite differences, [n, c] and [n, c, L], train and eval, on every backend', () => {
    eachBackend(() => {
      for (const shape of [[6, 3], [4, 3, 5]]) {
        const x = param(shape, 1), w = param([3], 2, 0.5, 2), b = param([3], 3);
        gradcheck((a, g, c) => nn.functional.batchNorm(a, null, null, g, c, { training: true }), [x, w, b], { eps: 1e-3 });
        const rm = fg.randn([3], { seed: 4 }), rv = fg.rand([3], { seed: 5, low: 0.5, high: 2 });
        gradcheck((a, g, c) => nn.functional.batchNorm(a, rm, rv, g, c, { training: false }), [x, w, b]);
      }
    });
  });

  it('rejects bad input', () => {
    const layer = new nn.BatchNorm1d(3);
    expect(() => layer.forward(fg.zeros([4, 2]))).toThrow(fg.ShapeError);
    expect(() => layer.forward(fg.zeros([1, 3]))).toThrow(/more than 1 value per channel/);
    expect(() => new nn.BatchNorm1d(3, { momentum: 2 })).toThrow(fg.ValueError);
    layer.eval();
    expect(layer.forward(fg.ones([1, 3])).shape).toEqual([1, 3]);
    const noTrack = new nn.BatchNorm1d(3, { trackRunningStats: false, affine: false });
    expect(noTrack.parameters().length).toBe(0);
    noTrack.eval();
    const y = noTrack.forward(fg.tensor([[1, 2, 3], [3, 4, 5]]));
    close(y.data, [-1, -1, -1, 1, 1, 1], 1e-4);
  });
});

describe('initialisers', () => {
  const std = (t: fg.Tensor) => {
    let s = 0, s2 = 0;
    for (const v of t.data) { s += v; s2 += v * v; }
    const m = s / t.size;
    return Math.sqrt(s2 / t.size - m * m);
  };
  it('have the documented spreads and are seeded', () => {
    const w = () => fg.zeros([200, 300]);
    expect(std(nn.init.kaimingNormal(w(), { seed: 1, nonlinearity: 'relu' }))).toBeCloseTo(Math.sqrt(2 / 300), 3);
    expect(std(nn.init.kaimingUniform(w(), { seed: 1, nonlinearity: 'relu' }))).toBeCloseTo(Math.sqrt(2 / 300), 3);
    expect(std(nn.init.kaimingNormal(w(), { seed: 1, nonlinearity: 'relu', mode: 'fanOut' }))).toBeCloseTo(Math.sqrt(2 / 200), 3);
    expect(std(nn.init.xavierUniform(w(), { seed: 1 }))).toBeCloseTo(Math.sqrt(2 / 500), 3);
    expect(std(nn.init.xavierNormal(w(), { seed: 1, gain: 2 }))).toBeCloseTo(2 * Math.sqrt(2 / 500), 3);
    expect(std(nn.init.normal(w(), 0, 0.5, { seed: 2 }))).toBeCloseTo(0.5, 2);
    const u = nn.init.uniform(w(), -1, 3, { seed: 3 });
    expect(Math.min(...u.data)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...u.data)).toBeLessThan(3);
    expect(nn.init.xavierUniform(w(), { seed: 9 }).data).toEqual(nn.init.xavierUniform(w(), { seed: 9 }).data);
    expect(nn.init.zeros(fg.ones([3])).data.every((v) => v === 0)).toBe(true);
    expect(nn.init.ones(fg.zeros([3])).data.every((v) => v === 1)).toBe(true);
    expect(() => nn.init.kaimingUniform(fg.zeros([5]))).toThrow(fg.ShapeError);
    expect(() => nn.init.normal(fg.zeros([5]), 0, -1)).toThrow(fg.ValueError);
  });
});

describe('nn.functional', () => {
  it('crossEntropy on a model output, as in the API sketch', () => {
    const model = new nn.Sequential(new nn.Linear(4, 8, { seed: 1 }), new nn.ReLU(), new nn.Linear(8, 3, { seed: 2 }));
    const x = fg.randn([6, 4], { seed: 3 }), y = fg.tensor([0, 1, 2, 0, 1, 2]);
    const loss = nn.functional.crossEntropy(model.forward(x), y);
    expect(loss.shape).toEqual([]);
    loss.backward();
    expect(model.parameters().every((p) => p.grad !== null)).toBe(true);
  });
});

describe('training end to end (tiny)', () => {
  it('an MLP learns XOR-like data with plain SGD on every backend', () => {
    eachBackend(() => {
      const gen = new fg.Generator(1);
      const n = 64, x = fg.zeros([n, 2]), y = fg.zeros([n]);
      for (let i = 0; i < n; i++) {
        const a = gen.uniform() * 2 - 1, b = gen.uniform() * 2 - 1;
        x.data[2 * i] = a;
        x.data[2 * i + 1] = b;
        y.data[i] = a * b > 0 ? 1 : 0;
      }
      const model = new nn.Sequential(new nn.Linear(2, 32, { seed: 1 }), new nn.ReLU(), new nn.Linear(32, 2, { seed: 2 }));
      let last = Infinity;
      for (let step = 0; step < 300; step++) {
        model.zeroGrad();
        const loss = nn.functional.crossEntropy(model.forward(x), y);
        loss.backward();
        fg.noGrad(() => { for (const p of model.parameters()) p.sub_(p.grad!.mul(0.5)); });
        last = loss.item();
      }
      expect(last).toBeLessThan(0.15);
    });
  });
});
