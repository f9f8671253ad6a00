import { describe, expect, it } from 'vitest';
import { Tensor, tensor, optim, ValueError } from '../src';
import { flattenStateDict, unflattenStateDict } from '../src/optim';

function quad(p: Tensor[]): void {
  // loss = sum (p - 1)^2 / 2, gradient p - 1, written straight into grads.
  for (const t of p) {
    if (!t.grad) t.grad = new Tensor(new Float32Array(t.size), t.shape);
    for (let i = 0; i < t.size; i++) t.grad.data[i] += t.data[i] - 1;
  }
}

describe('Optimizer base: flat storage', () => {
  it('puts params of a group into one flat buffer, views keep the same Tensor objects', () => {
    const a = tensor([1, 2, 3], undefined, { requiresGrad: true });
    const b = tensor([[4, 5], [6, 7]], undefined, { requiresGrad: true });
    const opt = new optim.SGD([a, b], { lr: 0.1 });
    const fg = opt.groupBuffers(0);
    expect(fg.params.length).toBe(7);
    expect(a.data.buffer).toBe(fg.params.buffer);
    expect(b.data.buffer).toBe(fg.params.buffer);
    expect(Array.from(fg.params)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    quad([a, b]);
    opt.step();
    expect(a.grad!.data.buffer).toBe(fg.grads.buffer);
    expect(Array.from(a.data)).toEqual([1, 2, 3].map((x) => Math.fround(x - 0.1 * (x - 1))));
    opt.zeroGrad();
    expect(Array.from(fg.grads)).toEqual(new Array(7).fill(0));
  });

  it('skips params without grad; rejects a param in two groups', () => {
    const a = tensor([1, 2], undefined, { requiresGrad: true });
    const b = tensor([3], undefined, { requiresGrad: true });
    const opt = new optim.Adam([{ params: [a] }, { params: [b], lr: 0.5 }]);
    expect(() => opt.addParamGroup({ params: [a] })).toThrow(ValueError);
    quad([a]);
    opt.step();
    expect(b.data[0]).toBe(3);
    expect(a.data[0]).toBe(1); // zero gradient, zero Adam update
    expect(a.data[1]).toBeLessThan(2);
    expect(opt.state.get(b)).toBeUndefined();
    expect(opt.state.get(a)!.step).toBe(1);
  });

  it('state dict round trip resumes bit-identically', () => {
    const mk = () => [tensor([0.5, -1, 2, 3], undefined, { requiresGrad: true }), tensor([1, 1], undefined, { requiresGrad: true })];
    const run = (opt: optim.Optimizer, p: Tensor[], n: number) => {
      for (let s = 0; s < n; s++) {
        opt.zeroGrad();
        quad(p);
        opt.step();
      }
    };
    const p1 = mk();
    const o1 = new optim.Adam(p1, { lr: 0.1, amsgrad: true });
    run(o1, p1, 7);
    const p2 = mk();
    const o2 = new optim.Adam(p2, { lr: 0.1, amsgrad: true });
    run(o2, p2, 3);
    const sd = unflattenStateDict(JSON.parse(JSON.stringify({ ...flattenStateDict(o2.stateDict()), tensors: {} })) as any);
    void sd;
    const flat = flattenStateDict(o2.stateDict());
    const p3 = p2.map((t) => tensor(Array.from(t.data), undefined, { requiresGrad: true }));
    const o3 = new optim.Adam(p3, { lr: 0.1, amsgrad: true });
    o3.loadStateDict(unflattenStateDict({ tensors: flat.tensors, metadata: flat.metadata }));
    run(o3, p3, 4);
    expect(Array.from(p3[0].data)).toEqual(Array.from(p1[0].data));
    expect(Array.from(p3[1].data)).toEqual(Array.from(p1[1].data));
  });

  it('rejects bad options naming them', () => {
    const a = tensor([1], undefined, { requiresGrad: true });
    expect(() => new optim.SGD([a], { lr: -1 })).toThrow(/'lr'.*-1/);
    expect(() => new optim.Adam([a], { betas: [0.9, 1] })).toThrow(/betas\[1\]/);
    expect(() => new optim.Adam([a], { eps: 0 })).toThrow(/'eps'/);
    expect(() => new optim.SGD([a], { momentum: -0.1 })).toThrow(/'momentum'/);
    expect(() => new optim.SGD([a], { nesterov: true })).toThrow(/nesterov/);
    expect(() => new optim.SGD([a], { weight_decay: 1 } as any)).toThrow(/unknown option 'weight_decay'/);
  });
});
