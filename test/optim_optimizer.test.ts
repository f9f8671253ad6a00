// The Optimizer class over real autograd: gradients land in the flat buffer, zeroGrad(true),
// replaced tensors, groups added later, NaN reporting, clipping, and resuming from a state dict in a
// new process.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Tensor, tensor, optim, ValueError } from '../src';
import { flattenStateDict, unflattenStateDict } from '../src/optim';
import { serializeTensors, parseTensors } from '../src/io/safetensors';

const param = (v: number[]) => tensor(v, undefined, { requiresGrad: true });

function lossOf(ps: Tensor[]): Tensor {
  // sum_i sum_j (p_ij - j/4)^2 * (i + 1)
  let total: Tensor | null = null;
  ps.forEach((p, i) => {
    const t = tensor(Array.from({ length: p.size }, (_, j) => j / 4));
    const d = p.sub(t);
    const term = d.mul(d).sum().mul(i + 1);
    total = total ? total.add(term) : term;
  });
  return total!;
}

describe('Optimizer over autograd', () => {
  it('backward accumulates into the flat gradient buffer; zeroGrad is one fill', () => {
    const ps = [param([1, 2, 3]), param([-1, 0.5])];
    const opt = new optim.SGD(ps, { lr: 0.1, momentum: 0.9 });
    for (let s = 0; s < 3; s++) {
      opt.zeroGrad();
      lossOf(ps).backward();
      opt.step();
    }
    const fg = opt.groupBuffers(0);
    expect(ps[0].grad!.data.buffer).toBe(fg.grads.buffer);
    expect(ps[1].grad!.data.buffer).toBe(fg.grads.buffer);
    expect(ps[1].data.buffer).toBe(fg.params.buffer);
    opt.zeroGrad();
    expect(fg.grads.every((v) => v === 0)).toBe(true);
  });

  it('zeroGrad(true) sets grads to null; fresh gradients from backward are taken at the next step', () => {
    const mk = () => [param([1, 2, 3]), param([-1, 0.5])];
    const a = mk(), b = mk();
    const oa = new optim.Adam(a, { lr: 0.1 }), ob = new optim.Adam(b, { lr: 0.1 });
    for (let s = 0; s < 4; s++) {
      oa.zeroGrad(true);
      expect(a[0].grad).toBeNull();
      lossOf(a).backward();
      oa.step();
      ob.zeroGrad();
      lossOf(b).backward();
      ob.step();
    }
    expect(Array.from(a[0].data)).toEqual(Array.from(b[0].data));
    expect(Array.from(a[1].data)).toEqual(Array.from(b[1].data));
    expect(a[0].grad!.data.buffer).toBe(oa.groupBuffers(0).grads.buffer);
  });

  it('a replaced param.data is copied into the flat buffer at the next step', () => {
    const p = param([1, 2]);
    const opt = new optim.SGD([p], { lr: 0.5 });
    p.data = new Float32Array([10, 20]);
    p.grad = new Tensor(new Float32Array([1, 1]), [2]);
    opt.step();
    expect(Array.from(p.data)).toEqual([9.5, 19.5]);
    expect(p.data.buffer).toBe(opt.groupBuffers(0).params.buffer);
  });

  it('addParamGroup later: the new group has its own flat storage and options', () => {
    const a = param([1, 2]), b = param([3]);
    const opt = new optim.SGD([a], { lr: 0.1 });
    a.grad = new Tensor(new Float32Array([1, 1]), [2]);
    opt.step();
    opt.addParamGroup({ params: [b], lr: 1 });
    b.grad = new Tensor(new Float32Array([1]), [1]);
    opt.step();
    expect(a.data[0]).toBeCloseTo(0.8, 6);
    expect(a.data[1]).toBeCloseTo(1.8, 6);
    expect(b.data[0]).toBe(2);
    expect(opt.paramGroups[1].lr).toBe(1);
    expect(opt.paramGroups[1].momentum).toBe(0);
    expect(() => opt.addParamGroup({ params: [a] })).toThrow(/already in another parameter group/);
    expect(() => new optim.SGD([{ params: [a] }, { params: [a] }])).toThrow(ValueError);
  });

  it('checkFinite: a NaN gradient is reported, nothing is updated', () => {
    const a = param([1, 2]), b = param([3, 4, 5]);
    const opt = new optim.Adam([a, b], { lr: 0.1, checkFinite: true });
    a.grad = new Tensor(new Float32Array([1, 1]), [2]);
    b.grad = new Tensor(new Float32Array([1, NaN, 1]), [3]);
    expect(() => opt.step()).toThrow(/parameter 1 in group 0.*NaN or Infinity/);
    expect(Array.from(a.data)).toEqual([1, 2]);
    expect(opt.state.size).toBe(0);
    b.grad.data[1] = 0;
    opt.step();
    expect(opt.state.get(b)!.step).toBe(1);
  });

  it('step(closure) returns the closure loss', () => {
    const ps = [param([1, 2, 3])];
    const opt = new optim.SGD(ps, { lr: 0.1 });
    const closure = () => {
      opt.zeroGrad();
      const l = lossOf(ps);
      l.backward();
      return l;
    };
    const l0 = (opt.step(closure) as Tensor).item();
    const l1 = (opt.step(closure) as Tensor).item();
    expect(l1).toBeLessThan(l0);
  });

  it('rejects bad hyperparameters, naming the option and value', () => {
    const a = param([1]);
    const cases: [() => unknown, RegExp][] = [
      [() => new optim.SGD([a], { lr: -0.1 }), /'lr'.*-0\.1/],
      [() => new optim.SGD([a], { lr: NaN }), /'lr'.*NaN/],
      [() => new optim.SGD([a], { momentum: -1 }), /'momentum'.*-1/],
      [() => new optim.SGD([a], { nesterov: true, momentum: 0.9, dampening: 0.1 }), /nesterov/],
      [() => new optim.SGD([a], { l1: -1 }), /'l1'/],
      [() => new optim.Adam([a], { betas: [1, 0.9] }), /betas\[0\].*1/],
      [() => new optim.Adam([a], { betas: [0.9, -0.1] }), /betas\[1\]/],
      [() => new optim.Adam([a], { betas: [0.9] as unknown as [number, number] }), /betas/],
      [() => new optim.Adam([a], { eps: -1e-8 }), /'eps'/],
      [() => new optim.AdamW([a], { weightDecay: -1 }), /'weightDecay'/],
      [() => new optim.Adagrad([a], { lrDecay: -1 }), /'lrDecay'/],
      [() => new optim.Adagrad([a], { initialAccumulatorValue: -1 }), /'initialAccumulatorValue'/],
      [() => new optim.RMSprop([a], { alpha: 1.5 }), /'alpha'/],
      [() => new optim.Adadelta([a], { rho: -0.5 }), /'rho'/],
      [() => new optim.NAdam([a], { momentumDecay: -1 }), /'momentumDecay'/],
      [() => new optim.Lion([a], { betas: [0.9, 1.2] }), /betas\[1\]/],
      [() => new optim.Adam([a], { amsgrad: 'yes' as unknown as boolean }), /'amsgrad'/],
      [() => new optim.Adam([a], { lr: 0.1, weight_decay: 0.1 } as never), /unknown option 'weight_decay'/],
      [() => new optim.Adam([]), /empty/],
      [() => new optim.Adam([a, a]), /twice/],
      [() => new optim.Adam([{ params: [a], lr: -1 }]), /'lr'/],
      [() => new optim.Adam('x' as never), /params/],
    ];
    for (const [fn, re] of cases) expect(fn).toThrow(re);
  });
});

describe('clipping', () => {
  const setGrads = (ps: Tensor[], vals: number[][]) => ps.forEach((p, i) => {
    if (p.grad) p.grad.data.set(vals[i]);
    else p.grad = new Tensor(Float32Array.from(vals[i]), p.shape);
  });

  it('clipGradNorm scales to maxNorm and returns the total norm, over a flat buffer or separate tensors', () => {
    for (const flat of [false, true]) {
      const ps = [param([0, 0, 0]), param([0, 0])];
      if (flat) new optim.SGD(ps, { lr: 1 });
      setGrads(ps, [[3, 0, 0], [0, 4]]);
      const norm = optim.clipGradNorm(ps, 1);
      expect(norm).toBeCloseTo(5, 12);
      const coef = Math.fround(1 / (5 + 1e-6));
      expect(Array.from(ps[0].grad!.data)).toEqual([Math.fround(3 * coef), 0, 0]);
      expect(ps[1].grad!.data[1]).toBe(Math.fround(4 * coef));
      // Below maxNorm: unchanged.
      setGrads(ps, [[0.3, 0, 0], [0, 0.4]]);
      expect(optim.clipGradNorm(ps, 1)).toBeCloseTo(0.5, 6);
      expect(ps[0].grad!.data[0]).toBe(Math.fround(0.3));
      setGrads(ps, [[3, -7, 0], [0, 4]]);
      expect(optim.clipGradNorm(ps, 100, Infinity)).toBe(7);
      expect(optim.clipGradNorm(ps, 100, 1)).toBe(14);
    }
  });

  it('clipGradNorm reports a non-finite norm when asked; clipGradValue clamps', () => {
    const ps = [param([0, 0])];
    setGrads(ps, [[NaN, 1]]);
    expect(() => optim.clipGradNorm(ps, 1, 2, { errorIfNonfinite: true })).toThrow(/NaN/);
    expect(optim.clipGradNorm(ps, 1)).toBeNaN();
    setGrads(ps, [[-3, 0.5]]);
    optim.clipGradValue(ps, 1);
    expect(Array.from(ps[0].grad!.data)).toEqual([-1, 0.5]);
    expect(() => optim.clipGradNorm(ps, -1)).toThrow(/maxNorm/);
    expect(() => optim.clipGradValue(ps, NaN)).toThrow(/clipValue/);
  });
});

describe('state dict', () => {
  const mk = () => [param([0.5, -1, 2, 3]), param([1, 1])];
  const train = (opt: optim.Optimizer, ps: Tensor[], n: number) => {
    for (let s = 0; s < n; s++) {
      opt.zeroGrad();
      lossOf(ps).backward();
      opt.step();
    }
  };
  const makers: [string, (ps: Tensor[]) => optim.Optimizer][] = [
    ['SGD', (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true })],
    ['Adam', (ps) => new optim.Adam([{ params: [ps[0]] }, { params: [ps[1]], lr: 0.01, amsgrad: true }], { lr: 0.1 })],
    ['NAdam', (ps) => new optim.NAdam(ps, { lr: 0.05 })],
    ['RMSprop', (ps) => new optim.RMSprop(ps, { lr: 0.01, centered: true, momentum: 0.5 })],
    ['Adagrad', (ps) => new optim.Adagrad(ps, { lr: 0.1, initialAccumulatorValue: 0.1 })],
    ['Lion', (ps) => new optim.Lion(ps, { lr: 0.01 })],
  ];
  for (const [name, make] of makers) {
    it(`${name}: N steps, save, load into a fresh optimizer, M steps == N+M steps straight (bit-identical)`, () => {
      const straight = mk();
      train(make(straight), straight, 9);
      const first = mk();
      const o1 = make(first);
      train(o1, first, 4);
      o1.paramGroups[0].lr *= 0.5; // a schedule's change survives the round trip
      const flat = flattenStateDict(o1.stateDict());
      const restored = first.map((t) => param(Array.from(t.data)));
      const o2 = make(restored);
      o2.loadStateDict(unflattenStateDict({ tensors: flat.tensors, metadata: flat.metadata }));
      expect(o2.paramGroups[0].lr).toBe(o1.paramGroups[0].lr);
      // Same change on the straight run would differ; compare against a straight run with it.
      const straight2 = mk();
      const os2 = make(straight2);
      train(os2, straight2, 4);
      os2.paramGroups[0].lr *= 0.5;
      train(os2, straight2, 5);
      train(o2, restored, 5);
      expect(Array.from(restored[0].data)).toEqual(Array.from(straight2[0].data));
      expect(Array.from(restored[1].data)).toEqual(Array.from(straight2[1].data));
    });
  }

  it('round trip through a safetensors file (state buffers as tensors, the rest as metadata)', () => {
    const make = (ps: Tensor[]) => new optim.RAdam(ps, { lr: 0.05, weightDecay: 0.01 });
    const straight = mk();
    train(make(straight), straight, 12);
    const first = mk();
    const o1 = make(first);
    train(o1, first, 7);
    const { tensors, metadata } = flattenStateDict(o1.stateDict());
    const bytes = serializeTensors({ ...tensors, 'param.0': first[0].data, 'param.1': first[1].data }, { optimizer: metadata });
    const file = parseTensors(bytes);
    const loaded: Record<string, Float32Array> = {};
    for (const [k, t] of Object.entries(file.tensors)) if (k.startsWith('state.')) loaded[k] = t.data;
    const restored = [param(Array.from(file.tensors['param.0'].data)), param(Array.from(file.tensors['param.1'].data))];
    const o2 = make(restored);
    o2.loadStateDict(unflattenStateDict({ tensors: loaded, metadata: file.metadata.optimizer }));
    train(o2, restored, 5);
    expect(Array.from(restored[0].data)).toEqual(Array.from(straight[0].data));
    expect(Array.from(restored[1].data)).toEqual(Array.from(straight[1].data));
  });

  it('loadStateDict rejects a state dict that does not fit', () => {
    const o = new optim.Adam(mk(), { lr: 0.1 });
    const sd = o.stateDict();
    expect(() => new optim.SGD(mk()).loadStateDict(sd)).toThrow(/for Adam/);
    expect(() => new optim.Adam([param([1])]).loadStateDict(sd)).toThrow(/parameters/);
    expect(() => new optim.Adam([{ params: mk() }, { params: [param([1])] }]).loadStateDict(sd)).toThrow(/groups/);
  });

  const dist = path.join(__dirname, '..', 'dist', 'index.js');
  const distFresh = (() => {
    if (!fs.existsSync(dist)) return false;
    const built = fs.statSync(dist).mtimeMs;
    const newest = (dir: string): number => Math.max(...fs.readdirSync(dir, { withFileTypes: true }).map((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs;
    }));
    return newest(path.join(__dirname, '..', 'src')) <= built;
  })();

  // Uses the compiled dist/ in the child (npm ci / npm run build:ts make it); skipped when dist/ is
  // older than src/, so a stale build never decides the result.
  it.skipIf(!distFresh)('resumes bit-identically in a new process (state written to disk, loaded by a child)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-optim-'));
    const make = (ps: Tensor[]) => new optim.Adam(ps, { lr: 0.1, amsgrad: true, weightDecay: 0.01 });
    const straight = mk();
    train(make(straight), straight, 10);
    const first = mk();
    const o1 = make(first);
    train(o1, first, 6);
    const { tensors, metadata } = flattenStateDict(o1.stateDict());
    const blobs: Record<string, number[]> = {};
    for (const [k, v] of Object.entries(tensors)) blobs[k] = Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));
    const params = first.map((t) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.size)));
    fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify({ blobs, metadata, params }));
    const child = `
      const fs = require('fs');
      const fg = require(${JSON.stringify(dist)});
      const s = JSON.parse(fs.readFileSync(${JSON.stringify(path.join(dir, 'state.json'))}, 'utf8'));
      const f32 = (bits) => new Float32Array(Uint32Array.from(bits).buffer);
      const ps = s.params.map((b) => new fg.Tensor(f32(b), [b.length], true));
      const opt = new fg.optim.Adam(ps, { lr: 0.1, amsgrad: true, weightDecay: 0.01 });
      const tensors = {};
      for (const [k, v] of Object.entries(s.blobs)) tensors[k] = f32(v);
      opt.loadStateDict(fg.optim.unflattenStateDict({ tensors, metadata: s.metadata }));
      for (let step = 0; step < 4; step++) {
        opt.zeroGrad();
        let total = null;
        ps.forEach((p, i) => {
          const t = fg.tensor(Array.from({ length: p.size }, (_, j) => j / 4));
          const d = p.sub(t);
          const term = d.mul(d).sum().mul(i + 1);
          total = total ? total.add(term) : term;
        });
        total.backward();
        opt.step();
      }
      process.stdout.write(JSON.stringify(ps.map((p) => Array.from(new Uint32Array(p.data.buffer, p.data.byteOffset, p.size)))));
    `;
    const r = spawnSync(process.execPath, ['-e', child], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as number[][];
    const want = straight.map((t) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.size)));
    expect(got).toEqual(want);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
