// The fused nn kernels: native (every ISA this CPU has) against the pure-JS twins, and the addon's
// argument checks.
import { afterAll, describe, expect, it } from 'vitest';
import * as fg from '../src';
import { getBackend } from '../src/backend';

const js = getBackend('js')!;
const native = getBackend('native');
const hasNative = !!native && typeof native.softmaxCrossEntropy === 'function';
const isas = hasNative ? native!.availableIsas() : [];
const initialIsa = hasNative ? native!.isa() : '';
afterAll(() => {
  if (hasNative) native!.setIsa(initialIsa);
});

function randArray(n: number, seed: number, lo = -2, hi = 2): Float32Array {
  return fg.rand([n], { seed, low: lo, high: hi }).data;
}

function expectClose(got: Float32Array, want: Float32Array, atol = 1e-5, rtol = 1e-4): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]))) {
      throw new Error(`element ${i}: native ${got[i]}, js ${want[i]}`);
    }
  }
}

describe.skipIf(!hasNative)('native nn kernels agree with pure JS on every ISA', () => {
  for (const isa of isas) {
    describe(isa, () => {
      it('softmaxCrossEntropy (labels, soft targets, with and without gradient)', () => {
        native!.setIsa(isa);
        for (const [n, c] of [[1, 1], [7, 3], [128, 10], [300, 37]]) {
          const logits = randArray(n * c, n + c, -8, 8);
          const labels = Float32Array.from({ length: n }, (_, i) => (i * 7) % c);
          const targets = new Float32Array(n * c);
          for (let i = 0; i < n; i++) {
            let s = 0;
            for (let j = 0; j < c; j++) s += (targets[i * c + j] = ((i + j) % 3) + 0.5);
            for (let j = 0; j < c; j++) targets[i * c + j] /= s;
          }
          for (const [lab, tgt] of [[labels, null], [null, targets]] as const) {
            for (const withGrad of [true, false]) {
              const out = [js, native!].map((be) => {
                const losses = new Float32Array(n), grad = withGrad ? new Float32Array(n * c) : null;
                const r = be.softmaxCrossEntropy(logits, lab, tgt, n, c, losses, grad, 1 / n);
                expect(r).toBe(-1);
                return { losses, grad };
              });
              expectClose(out[1].losses, out[0].losses);
              if (withGrad) expectClose(out[1].grad!, out[0].grad!, 1e-7);
            }
          }
          const bad = labels.slice();
          bad[n - 1] = c;
          expect(native!.softmaxCrossEntropy(logits, bad, null, n, c, new Float32Array(n), null, 1)).toBe(n - 1);
          expect(js.softmaxCrossEntropy(logits, bad, null, n, c, new Float32Array(n), null, 1)).toBe(n - 1);
        }
      });

      it('linearForward and linearBackward (bias, ReLU, no dx, accumulate)', () => {
        native!.setIsa(isa);
        for (const [m, n, k] of [[1, 1, 1], [5, 7, 3], [33, 17, 70], [128, 64, 100]]) {
          const x = randArray(m * k, m), w = randArray(n * k, n + 1, -0.5, 0.5), b = randArray(n, k + 2);
          const dy = randArray(m * n, m + n + k);
          for (const relu of [false, true]) {
            for (const bias of [b, null]) {
              const ys = [js, native!].map((be) => {
                const y = new Float32Array(m * n);
                be.linearForward(x, w, bias, y, m, n, k, relu);
                return y;
              });
              expectClose(ys[1], ys[0], 1e-4, 1e-4);
              for (const accumulate of [false, true]) {
                const grads = [js, native!].map((be) => {
                  const dx = new Float32Array(m * k), dw = new Float32Array(n * k).fill(0.5), db = new Float32Array(n).fill(0.25);
                  be.linearBackward(x, w, ys[0], dy, m, n, k, relu, dx, dw, bias ? db : null, accumulate);
                  return { dx, dw, db };
                });
                expectClose(grads[1].dx, grads[0].dx, 1e-4, 1e-4);
                expectClose(grads[1].dw, grads[0].dw, 1e-4, 1e-4);
                expectClose(grads[1].db, grads[0].db, 1e-4, 1e-4);
              }
              // dx skipped (a first layer): dw still computed, dx untouched.
              const dx = new Float32Array(m * k).fill(7), dw = new Float32Array(n * k);
              native!.linearBackward(x, w, ys[0], dy, m, n, k, relu, null, dw, null, false);
              expect(dx.every((v) => v === 7)).toBe(true);
            }
          }
        }
      });

      it('dropout: bit-identical masks, reproducible, p = 0 and p = 1, in place', () => {
        native!.setIsa(isa);
        for (const n of [1, 7, 8, 9, 1000, 200_003]) {
          const src = randArray(n, n);
          for (const p of [0, 0.1, 0.5, 0.9, 1]) {
            for (const seed of [0, 1, 0xffffffff]) {
              const a = new Float32Array(n), b = new Float32Array(n);
              js.dropout(src, a, n, p, seed);
              native!.dropout(src, b, n, p, seed);
              expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
            }
          }
        }
        const n = 100_000, src = new Float32Array(n).fill(1), dst = new Float32Array(n);
        native!.dropout(src, dst, n, 0.3, 42);
        let kept = 0, wrongScale = 0;
        for (const v of dst) if (v !== 0) { kept++; if (v !== Math.fround(1 / 0.7)) wrongScale++; }
        expect(wrongScale).toBe(0);
        expect(Math.abs(kept / n - 0.7)).toBeLessThan(0.01);
        const other = new Float32Array(n);
        native!.dropout(src, other, n, 0.3, 43);
        let same = 0;
        for (let i = 0; i < n; i++) if ((dst[i] !== 0) === (other[i] !== 0)) same++;
        expect(same / n).toBeLessThan(0.65); // independent masks agree on 0.7^2 + 0.3^2 = 58%
        const inplace = src.slice();
        native!.dropout(inplace, inplace, n, 0.3, 42);
        expect(Buffer.from(inplace.buffer).equals(Buffer.from(dst.buffer))).toBe(true);
      });
    });
  }
});

describe.skipIf(!hasNative)('the nn addon functions check every argument', () => {
  it('throws TypeError/RangeError instead of touching memory out of bounds', () => {
    const f = new Float32Array(4);
    const be = native as any;
    expect(() => be.softmaxCrossEntropy(f, f, null, 2, 3, f, null, 1)).toThrow(RangeError);
    expect(() => be.softmaxCrossEntropy(f, f, f, 2, 2, f, null, 1)).toThrow(TypeError);
    expect(() => be.softmaxCrossEntropy(f, null, null, 2, 2, f, null, 1)).toThrow(TypeError);
    expect(() => be.softmaxCrossEntropy(new Float64Array(4), f, null, 2, 2, f, null, 1)).toThrow(TypeError);
    expect(() => be.softmaxCrossEntropy(f, f, null, 2, 2, f, new Float32Array(3), 1)).toThrow(RangeError);
    expect(() => be.softmaxCrossEntropy(f, f, null, 2, 2, f, null, NaN)).toThrow(RangeError);
    expect(() => be.softmaxCrossEntropy(f, f, null, -1, 2, f, null, 1)).toThrow(RangeError);
    expect(() => be.softmaxCrossEntropy(f, f, null, 2, 0, f, null, 1)).toThrow(RangeError);
    expect(() => be.linearForward(f, f, null, f, 2, 2, 3, false)).toThrow(RangeError);
    expect(() => be.linearForward(f, f, new Float32Array(1), f, 2, 2, 2, false)).toThrow(RangeError);
    expect(() => be.linearForward(f, f, null, f, 2, 2, 2, 1)).toThrow(TypeError);
    expect(() => be.linearBackward(f, f, f, f, 2, 2, 2, false, new Float32Array(3), f, null, false)).toThrow(RangeError);
    expect(() => be.linearBackward(f, f, f, f, 2, 2, 2, false, null, null, null)).toThrow(TypeError);
    expect(() => be.dropout(f, f, 5, 0.5, 1)).toThrow(RangeError);
    expect(() => be.dropout(f, f, 4, 1.5, 1)).toThrow(RangeError);
    expect(() => be.dropout(f, f, 4, 0.5, -1)).toThrow(RangeError);
    expect(() => be.dropout(f, f, 4, 0.5, 1.5)).toThrow(TypeError);
  });
});
