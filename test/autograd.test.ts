import { describe, expect, it } from 'vitest';
import * as fg from '../src';
import { gradcheck, param } from './helpers/gradcheck';

/** Moves values within `margin` of any kink point away from it (finite differences straddle kinks). */
function awayFrom(t: fg.Tensor, points: number[], margin = 0.05): fg.Tensor {
  for (let i = 0; i < t.size; i++) {
    for (const p of points) if (Math.abs(t.data[i] - p) < margin) t.data[i] = p + (t.data[i] >= p ? margin : -margin);
  }
  return t;
}

describe('arithmetic with broadcasting', () => {
  const cases: [number[], number[]][] = [
    [[3, 4], [3, 4]],
    [[3, 4], [4]],
    [[3, 1], [1, 4]],
    [[2, 3, 4], [3, 1]],
    [[4], [2, 3, 4]],
    [[2, 1, 4], [1, 3, 1]],
    [[3, 4], []],
  ];
  for (const op of ['add', 'sub', 'mul', 'div'] as const) {
    for (const [sa, sb] of cases) {
      it(`${op} ${JSON.stringify(sa)} x ${JSON.stringify(sb)}: values and gradients`, () => {
        const a = param(sa, 1), b = param(sb, 2);
        if (op === 'div') for (let i = 0; i < b.size; i++) b.data[i] = (b.data[i] >= 0 ? 1 : -1) * (0.5 + Math.abs(b.data[i]));
        const out = fg[op](a, b);
        expect(out.shape).toEqual(fg.broadcastShapes(op, sa, sb));
        gradcheck((x, y) => fg[op](x, y), [a, b]);
      });
    }
  }

  it('computes the broadcast values like NumPy', () => {
    const a = fg.tensor([[1], [2], [3]]), b = fg.tensor([10, 20]);
    expect(a.add(b).toArray()).toEqual([[11, 21], [12, 22], [13, 23]]);
    expect(a.sub(b).toArray()).toEqual([[-9, -19], [-8, -18], [-7, -17]]);
    expect(fg.tensor([2, 4]).div(2).toArray()).toEqual([1, 2]);
    expect(fg.sub(1, fg.tensor([2, 4])).toArray()).toEqual([-1, -3]);
    expect(fg.tensor([1, 2]).mul(fg.tensor(3)).toArray()).toEqual([3, 6]);
  });

  it('accepts number operands on either side and neg', () => {
    const a = param([5], 3);
    gradcheck((x) => fg.div(2, x.abs().add(1)), [a]);
    gradcheck((x) => x.mul(3).sub(1).neg(), [a]);
  });

  it('rejects shapes that do not broadcast and bad operands', () => {
    expect(() => fg.tensor([[1, 2, 3]]).add(fg.tensor([1, 2]))).toThrow(fg.ShapeError);
    expect(() => fg.zeros([2, 3]).mul(fg.zeros([3, 2]))).toThrow(/cannot be broadcast/);
    expect(() => fg.zeros([2]).add('x' as any)).toThrow(fg.DTypeError);
    expect(() => fg.add(null as any, 1)).toThrow(fg.DTypeError);
  });

  it('accumulates gradients across backward calls and fan-out', () => {
    const a = fg.tensor([1, 2, 3], undefined, { requiresGrad: true });
    a.mul(a).sum().backward();
    expect(Array.from(a.grad!.data)).toEqual([2, 4, 6]);
    a.sum().backward();
    expect(Array.from(a.grad!.data)).toEqual([3, 5, 7]);
  });
});

describe('elementwise maths', () => {
  it('exp, log, sqrt, pow, abs, clamp', () => {
    gradcheck((x) => x.exp(), [param([3, 4], 4, -2, 2)]);
    gradcheck((x) => x.log(), [param([3, 4], 5, 0.5, 3)]);
    gradcheck((x) => x.sqrt(), [param([3, 4], 6, 0.5, 3)]);
    gradcheck((x) => x.pow(3), [param([3, 4], 7)]);
    gradcheck((x) => x.pow(2), [param([3, 4], 8)]);
    gradcheck((x) => x.pow(-1.5), [param([3, 4], 9, 0.5, 3)]);
    gradcheck((x) => x.pow(0.5), [param([3, 4], 10, 0.5, 3)]);
    gradcheck((x) => x.abs(), [awayFrom(param([3, 4], 11), [0])]);
    gradcheck((x) => x.clamp(-0.5, 1), [awayFrom(param([3, 4], 12), [-0.5, 1])]);
    gradcheck((x) => x.clamp(null, 0.3), [awayFrom(param([3, 4], 13), [0.3])]);
    gradcheck((x) => x.clamp(0.3), [awayFrom(param([3, 4], 14), [0.3])]);
    expect(fg.tensor([-2, 0.5, 9]).clamp(0, 1).toArray()).toEqual([0, 0.5, 1]);
    expect(() => fg.tensor([1]).clamp(2, 1)).toThrow(fg.ValueError);
    expect(() => fg.tensor([1]).clamp()).toThrow(fg.ValueError);
    expect(() => fg.tensor([1]).pow(NaN)).toThrow(fg.ValueError);
  });
});

describe('activations', () => {
  it('relu, leakyRelu, elu, gelu (erf and tanh), sigmoid, tanh', () => {
    gradcheck((x) => x.relu(), [awayFrom(param([4, 5], 20), [0])]);
    gradcheck((x) => x.leakyRelu(0.1), [awayFrom(param([4, 5], 21), [0])]);
    gradcheck((x) => x.elu(1.5), [awayFrom(param([4, 5], 22), [0])]);
    gradcheck((x) => x.gelu(), [param([4, 5], 23, -4, 4)]);
    gradcheck((x) => x.gelu('tanh'), [param([4, 5], 24, -4, 4)]);
    gradcheck((x) => x.sigmoid(), [param([4, 5], 25, -6, 6)]);
    gradcheck((x) => x.tanh(), [param([4, 5], 26, -3, 3)]);
  });

  it('has the right values (PyTorch reference points)', () => {
    const x = fg.tensor([-3, -1, 0, 0.5, 2]);
    const close = (t: fg.Tensor, want: number[]) => want.forEach((w, i) => expect(t.data[i]).toBeCloseTo(w, 5));
    close(x.gelu(), [-0.0040496, -0.1586553, 0, 0.3457312, 1.9544997]);
    close(x.gelu('tanh'), [-0.0036374, -0.1588080, 0, 0.3457140, 1.9545977]);
    close(x.elu(), [-0.9502129, -0.6321206, 0, 0.5, 2]);
    close(x.leakyRelu(), [-0.03, -0.01, 0, 0.5, 2]);
    close(x.sigmoid(), [0.0474259, 0.2689414, 0.5, 0.6224593, 0.8807971]);
    expect(fg.tensor([-1000, 1000]).sigmoid().toArray()).toEqual([0, 1]);
    expect(() => x.gelu('fast' as any)).toThrow(fg.ValueError);
  });
});

describe('reductions', () => {
  it('sum and mean over all, one, several and negative axes, keepDim', () => {
    const x = fg.arange(24).reshape(2, 3, 4);
    expect(x.sum().item()).toBe(276);
    expect(x.sum(1).shape).toEqual([2, 4]);
    expect(x.sum(1, true).shape).toEqual([2, 1, 4]);
    expect(x.sum([0, 2]).toArray()).toEqual([60, 92, 124]);
    expect(x.mean(-1).toArray()).toEqual([[1.5, 5.5, 9.5], [13.5, 17.5, 21.5]]);
    for (const [dim, keep] of [[undefined, false], [0, false], [1, true], [[0, 2], false], [-1, true], [[1, 2], true]] as const) {
      gradcheck((t) => t.sum(dim as any, keep), [param([2, 3, 4], 30)]);
      gradcheck((t) => t.mean(dim as any, keep), [param([2, 3, 4], 31)]);
    }
    expect(() => x.sum(3)).toThrow(fg.ShapeError);
    expect(() => x.sum(1.5)).toThrow(fg.DTypeError);
  });

  it('max sends the gradient to the argmax', () => {
    const x = fg.tensor([[1, 5, 2], [7, 3, 7]], undefined, { requiresGrad: true });
    const m = x.max(1);
    expect(m.toArray()).toEqual([5, 7]);
    m.sum().backward();
    expect(x.grad!.toArray()).toEqual([[0, 1, 0], [1, 0, 0]]);
    expect(x.max().item()).toBe(7);
    expect(x.argmax(1).toArray()).toEqual([1, 0]);
    expect(x.argmax().item()).toBe(3);
    for (const dim of [undefined, 0, 1, 2, [0, 2], [1, 2]] as const) {
      // Distinct, well-separated values so a finite step never changes the argmax.
      const t = fg.tensor(fg.randn([24], { seed: 40 }).data.map((_, i) => ((i * 7) % 24) * 0.5), [2, 3, 4], { requiresGrad: true });
      gradcheck((u) => u.max(dim as any), [t]);
      gradcheck((u) => u.max(dim as any, true), [t]);
    }
    expect(() => fg.zeros([0]).max()).toThrow(fg.ShapeError);
  });

  it('flatten', () => {
    const x = param([2, 3, 4], 50);
    expect(x.flatten().shape).toEqual([24]);
    expect(x.flatten(1).shape).toEqual([2, 12]);
    expect(x.flatten(0, 1).shape).toEqual([6, 4]);
    gradcheck((t) => t.flatten(1).mul(2), [x]);
    expect(() => x.flatten(2, 1)).toThrow(fg.ShapeError);
  });
});

describe('shape ops', () => {
  it('reshape, transpose, slice pass gradients through', () => {
    gradcheck((t) => t.reshape(4, 6).mul(t.reshape(4, 6)), [param([2, 3, 4], 80)]);
    gradcheck((t) => t.transpose(0, 2).exp(), [param([2, 3, 4], 81)]);
    gradcheck((t) => t.transpose().tanh(), [param([3, 5], 82)]);
    gradcheck((t) => t.slice(1, 3).sigmoid(), [param([4, 3], 83)]);
  });
});

describe('softmax and logSoftmax', () => {
  it('are stable and correct along any axis', () => {
    const big = fg.tensor([[1000, 1001, 1002]]);
    const s = big.softmax();
    expect(Array.from(s.data).every(Number.isFinite)).toBe(true);
    expect(s.data[2]).toBeCloseTo(0.66524096, 6);
    expect(big.logSoftmax().data[0]).toBeCloseTo(-2.40760596, 5);
    for (const dim of [-1, 0, 1]) {
      gradcheck((t) => t.softmax(dim), [param([3, 4, 2], 60)]);
      gradcheck((t) => t.logSoftmax(dim), [param([3, 4, 2], 61)]);
    }
    const rows = fg.randn([5, 7], { seed: 3 }).softmax(1).sum(1);
    for (const v of rows.data) expect(v).toBeCloseTo(1, 5);
  });
});

describe('matmul composed with the ops', () => {
  it('gradients through matmul, bias and activation (every backend)', () => {
    const prev = fg.backendInfo().backend;
    for (const name of ['js', 'native'] as const) {
      const be = fg.getBackend(name);
      if (!be || typeof be.sgemm !== 'function') continue;
      fg.useBackend(name);
      try {
        const x = param([4, 3], 70), w = param([3, 5], 71), b = param([5], 72);
        gradcheck((a, c, d) => a.matmul(c).add(d).tanh(), [x, w, b]);
      } finally {
        fg.useBackend(prev);
      }
    }
  });
});
