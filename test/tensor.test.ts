import { describe, expect, it } from 'vitest';
import * as fg from '../src';

describe('Tensor basics', () => {
  it('creates tensors from nested arrays and checks shapes', () => {
    const t = fg.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(() => fg.tensor([[1, 2], [3]])).toThrow(fg.ShapeError);
    expect(() => fg.tensor(new Float32Array(6), [4, 2])).toThrow(fg.ShapeError);
  });

  it('reshapes (sharing memory), transposes, slices the first axis', () => {
    const t = fg.arange(6).reshape(2, 3);
    expect(t.reshape(-1, 2).shape).toEqual([3, 2]);
    expect(t.reshape(3, 2).data).toBe(t.data);
    expect(t.transpose().toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(t.slice(1).toArray()).toEqual([[3, 4, 5]]);
    expect(() => t.reshape(4, 2)).toThrow(fg.ShapeError);
  });

  it('seeded random generators are reproducible', () => {
    const a = fg.randn([100], { seed: 7 }), b = fg.randn([100], { seed: 7 });
    expect(a.data).toEqual(b.data);
    const mean = a.data.reduce((s, v) => s + v, 0) / 100;
    expect(Math.abs(mean)).toBeLessThan(0.35);
  });
});
