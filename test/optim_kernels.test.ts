// The fused optimizer kernels: native (every ISA this CPU has, 1 and 2 threads) against the pure-JS
// twins, the three buffer forms (flat, list, segments) against each other, the reductions used by
// clipping, and the addon's argument checks.
import { afterAll, describe, expect, it } from 'vitest';
import { getBackend } from '../src';
import type { Backend } from '../src/backend';

const native = getBackend('native')!;
const js = getBackend('js')!;
const startIsa = native?.isa();
const startThreads = native?.numThreads();
afterAll(() => {
  if (!native) return;
  native.setIsa(startIsa);
  native.setNumThreads(startThreads);
});

function rand(n: number, seed: number, scale = 1, positive = false): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const v = (s / 2 ** 31 - 1) * scale;
    out[i] = positive ? Math.abs(v) : v;
  }
  return out;
}

interface Op {
  name: string;
  state: number; // state buffers (positive: they hold squares)
  call(b: Backend, p: any, g: any, s: any[], seg?: Int32Array | null): void;
}
const OPS: Op[] = [
  { name: 'sgd', state: 0, call: (b, p, g, _s, seg) => b.sgdStep(p, g, null, 0.1, 0, 0, 0.01, false, true, false, 0, seg) },
  { name: 'sgd momentum nesterov l1', state: 1, call: (b, p, g, s, seg) => b.sgdStep(p, g, s[0], 0.1, 0.9, 0, 0.01, true, false, false, 0.05, seg) },
  { name: 'sgd first step dampening', state: 1, call: (b, p, g, s, seg) => b.sgdStep(p, g, s[0], 0.1, 0.9, 0.2, 0, false, false, true, 0, seg) },
  { name: 'adagrad', state: 1, call: (b, p, g, s, seg) => b.adagradStep(p, g, s[0], 0.05, 1e-10, 0.01, false, seg) },
  { name: 'rmsprop', state: 1, call: (b, p, g, s, seg) => b.rmspropStep(p, g, s[0], null, null, 0.01, 0.99, 1e-8, 0, 0, true, seg) },
  { name: 'rmsprop centered momentum', state: 3, call: (b, p, g, s, seg) => b.rmspropStep(p, g, s[0], s[1], s[2], 0.01, 0.9, 1e-8, 0.1, 0.9, false, seg) },
  { name: 'adadelta', state: 2, call: (b, p, g, s, seg) => b.adadeltaStep(p, g, s[0], s[1], 1, 0.9, 1e-6, 0.01, false, seg) },
  { name: 'adam', state: 2, call: (b, p, g, s, seg) => b.adamStep(p, g, s[0], s[1], null, 0.9, 0.999, 1e-8, 0.01, 1, 1e-3, 0.3, false, seg) },
  { name: 'adamw amsgrad', state: 3, call: (b, p, g, s, seg) => b.adamStep(p, g, s[0], s[1], s[2], 0.9, 0.999, 1e-8, 0, 0.999, 1e-3, 0.3, true, seg) },
  { name: 'adamax', state: 2, call: (b, p, g, s, seg) => b.adamaxStep(p, g, s[0], s[1], 0.9, 0.999, 1e-8, 0, 2e-3, false, seg) },
  { name: 'nadam', state: 2, call: (b, p, g, s, seg) => b.nadamStep(p, g, s[0], s[1], 0.9, 0.999, 1e-8, 0.01, 0.3, -1e-4, -2e-3, false, seg) },
  { name: 'radam adaptive', state: 2, call: (b, p, g, s, seg) => b.radamStep(p, g, s[0], s[1], 0.9, 0.999, 1e-8, 0.01, 1e-3, 0.5, 0.3, 0.8, true, false, seg) },
  { name: 'radam sgd phase', state: 2, call: (b, p, g, s, seg) => b.radamStep(p, g, s[0], s[1], 0.9, 0.999, 1e-8, 0, 1e-3, 0.5, 0.3, 0, false, true, seg) },
  { name: 'lion', state: 1, call: (b, p, g, s, seg) => b.lionStep(p, g, s[0], 1e-3, 0.9, 0.99, 0.1, false, seg) },
];

// State buffers small and positive; the second one smaller still (RMSprop's centered gradAvg must
// satisfy gradAvg^2 < squareAvg, as it does in real runs). Elements where a sum cancels (g close to
// -weightDecay * p, squareAvg close to gradAvg^2) are ill-conditioned: one rounding more or less (FMA)
// moves them far in relative terms, so Adamax (whose expInf then ends up tiny) runs without weight
// decay here and centered RMSprop gets a looser tolerance; the PyTorch trajectories cover both fully.
function inputs(n: number, state: number) {
  return { p: rand(n, 1), g: rand(n, 2, 0.1), s: Array.from({ length: state }, (_, k) => rand(n, 3 + k, k === 1 ? 1e-4 : 0.01, true)) };
}
function clone(x: ReturnType<typeof inputs>) {
  return { p: x.p.slice(), g: x.g.slice(), s: x.s.map((a) => a.slice()) };
}

function expectClose(got: Float32Array, want: Float32Array, rtol: number, what: string) {
  // Relative tolerance, plus an absolute floor at a tenth of rtol times the array's largest magnitude
  // (elements near zero come from cancellation and carry absolute, not relative, rounding error).
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  const atol = 0.1 * rtol * scale + 1e-30;
  let worst = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) / (rtol * Math.abs(want[i]) + atol);
    if (!(e <= worst)) {
      worst = e;
      at = i;
    }
  }
  expect(worst, `${what}: element ${at}: ${got[at]} vs ${want[at]}`).toBeLessThanOrEqual(1);
}

describe.skipIf(!native)('native optimizer kernels', () => {
  const isas = native ? native.availableIsas() : [];
  for (const isa of isas) {
    describe(isa, () => {
      for (const op of OPS) {
        it(`${op.name} matches JS (sizes 1..300K, 1 and 2 threads)`, () => {
          native.setIsa(isa);
          for (const n of [1, 7, 16, 33, 1000, 300_007]) {
            for (const threads of n > 1000 ? [1, 2] : [1]) {
              native.setNumThreads(threads);
              const a = inputs(n, op.state), b = clone(a);
              op.call(native, a.p, a.g, a.s);
              op.call(js, b.p, b.g, b.s);
              const rtol = op.name.includes('centered') ? 5e-5 : 2e-6;
              expectClose(a.p, b.p, rtol, `${op.name} n=${n} p`);
              a.s.forEach((s, k) => expectClose(s, b.s[k], rtol, `${op.name} n=${n} state ${k}`));
            }
          }
        });
        it(`${op.name}: flat, list and segments forms agree bit for bit; threads too`, () => {
          native.setIsa(isa);
          const n = 300_000;
          const bounds = [0, 5, 1000, 1001, 150_000, 262_144, n];
          const base = inputs(n, op.state);
          native.setNumThreads(1);
          const flat = clone(base);
          op.call(native, flat.p, flat.g, flat.s);
          native.setNumThreads(2);
          const flat2 = clone(base);
          op.call(native, flat2.p, flat2.g, flat2.s);
          expect(Buffer.from(flat2.p.buffer).equals(Buffer.from(flat.p.buffer))).toBe(true);
          const list = clone(base);
          const views = (a: Float32Array) => bounds.slice(0, -1).map((b0, i) => a.subarray(b0, bounds[i + 1]));
          op.call(native, views(list.p), views(list.g), list.s.map(views));
          expect(Buffer.from(list.p.buffer).equals(Buffer.from(flat.p.buffer))).toBe(true);
          // Segments: update every range but [1000, 1001) and [150000, 262144): those stay put.
          const seg = clone(base);
          op.call(native, seg.p, seg.g, seg.s, Int32Array.from([0, 1000, 1001, 148_999, 262_144, n - 262_144]));
          for (const i of [0, 999, 1001, 149_999, 262_144, n - 1]) expect(seg.p[i]).toBe(flat.p[i]);
          for (const i of [1000, 150_000, 262_143]) expect(seg.p[i]).toBe(base.p[i]);
          const segJs = clone(base);
          op.call(js, segJs.p, segJs.g, segJs.s, Int32Array.from([0, 1000, 1001, 148_999, 262_144, n - 262_144]));
          expectClose(seg.p, segJs.p, op.name.includes('centered') ? 5e-5 : 2e-6, 'segments vs js');
        });
      }

      it('gradNorm, scaleInPlace, clampInPlace, allFinite match JS', () => {
        native.setIsa(isa);
        for (const n of [0, 1, 17, 300_001]) {
          const x = rand(n, 9, 3);
          for (const p of [1, 2, 3, Infinity]) {
            const a = native.gradNorm(x, p), b = js.gradNorm(x, p);
            expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, b));
          }
          const parts = [x.subarray(0, n >> 1), x.subarray(n >> 1)];
          expect(Math.abs(native.gradNorm(parts, 2) - js.gradNorm(x, 2))).toBeLessThanOrEqual(1e-9 * Math.max(1, js.gradNorm(x, 2)));
          const y = x.slice(), z = x.slice();
          native.scaleInPlace(y, 0.3);
          js.scaleInPlace(z, 0.3);
          expect(Array.from(y)).toEqual(Array.from(z));
          native.clampInPlace(y, -0.5, 0.25);
          js.clampInPlace(z, -0.5, 0.25);
          expect(Array.from(y)).toEqual(Array.from(z));
          expect(native.allFinite(x)).toBe(true);
        }
        const bad = rand(1000, 3);
        bad[777] = Infinity;
        expect(native.allFinite(bad)).toBe(false);
        expect(native.gradNorm(bad, 2)).toBe(Infinity);
        expect(native.gradNorm(bad, Infinity)).toBe(Infinity);
        bad[778] = NaN;
        expect(native.allFinite(bad)).toBe(false);
        expect(native.gradNorm(bad, 2)).toBeNaN();
        expect(native.gradNorm(bad, Infinity)).toBeNaN();
        expect(js.gradNorm(bad, Infinity)).toBeNaN();
      });
    });
  }

  it('the addon rejects bad arguments instead of touching memory out of bounds', () => {
    const n = 10;
    const p = new Float32Array(n), g = new Float32Array(n), m = new Float32Array(n), v = new Float32Array(n);
    const adam = (...over: unknown[]) => {
      const args: unknown[] = [p, g, m, v, null, 0.9, 0.999, 1e-8, 0, 1, 1e-3, 0.5, false];
      over.forEach((o, i) => {
        if (o !== undefined) args[i] = o;
      });
      return () => (native.adamStep as (...a: unknown[]) => void)(...args);
    };
    expect(adam()).not.toThrow();
    expect(adam(undefined, new Float32Array(9))).toThrow(RangeError);
    expect(adam(undefined, undefined, undefined, new Float32Array(11))).toThrow(RangeError);
    expect(adam(undefined, undefined, undefined, undefined, new Float32Array(3))).toThrow(RangeError);
    expect(adam(new Float64Array(n))).toThrow(TypeError);
    expect(adam(undefined, undefined, undefined, undefined, undefined, NaN)).toThrow(RangeError);
    expect(adam(undefined, undefined, undefined, undefined, undefined, undefined, Infinity)).toThrow(RangeError);
    expect(adam(undefined, undefined, undefined, undefined, undefined, undefined, undefined, '1e-8')).toThrow(TypeError);
    expect(adam(undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, 0)).toThrow(RangeError);
    expect(adam([p], [g], [m], v)).toThrow(TypeError);
    expect(adam([p, p], [g], [m, m], [v, v])).toThrow(RangeError);
    expect(adam([p], [g], [m], [new Float32Array(3)])).toThrow(RangeError);
    expect(adam([p], [g], [m], [{}])).toThrow(TypeError);
    const seg = (s: unknown) => () => (native.sgdStep as (...a: unknown[]) => void)(p, g, null, 0.1, 0, 0, 0, false, false, false, 0, s);
    expect(seg(Int32Array.from([0, 10]))).not.toThrow();
    expect(seg(Int32Array.from([5, 6]))).toThrow(RangeError);
    expect(seg(Int32Array.from([-1, 2]))).toThrow(RangeError);
    expect(seg(Int32Array.from([0]))).toThrow(RangeError);
    expect(seg(new Float32Array(2))).toThrow(TypeError);
    expect(() => (native.sgdStep as (...a: unknown[]) => void)([p], [g], null, 0.1, 0, 0, 0, false, false, false, 0, Int32Array.from([0, 1]))).toThrow(TypeError);
    expect(() => (native.adamStep as (...a: unknown[]) => void)(p, g, m)).toThrow(TypeError);
    expect(() => native.roofline([], g, 1)).toThrow(RangeError);
    expect(() => native.roofline([p, m, v, p, g], g, 1)).toThrow(RangeError);
    expect(() => native.roofline([new Float32Array(3)], g, 1)).toThrow(RangeError);
    expect(() => native.gradNorm(p, 0)).toThrow(RangeError);
    expect(() => native.clampInPlace(p, 1, -1)).toThrow(RangeError);
  });
});
