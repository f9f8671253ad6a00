// Conv2d, pooling and BatchNorm2d: native kernels against the pure-JS oracle on every ISA, finite-
// difference gradient checks through autograd, PyTorch golden values, and typed errors for bad input.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as fg from '../src';
import { getBackend, type Backend } from '../src/backend';
import {
  conv2d, maxPool2d, avgPool2d, globalAvgPool2d, batchNorm2d, batchNorm2dReluMaxPool2d, conv2dBatchNorm2dReluMaxPool2d,
} from '../src/autograd/ops';
import { gradcheck, param } from './helpers/gradcheck';

const js = getBackend('js')!;
const native = getBackend('native');

function randArray(n: number, seed: number): Float32Array {
  return fg.rand([n], { seed, low: -1, high: 1 }).data;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i], a = actual[i];
    if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) {
      throw new Error(`${what}: element ${i}: got ${a}, expected ${e} (tol ${tol})`);
    }
  }
}

// [n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups]
type Geo = [number, number, number, number, number, number, number, number, number, number, number, number, number, number];
const convGrid: Geo[] = [
  [2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1],
  [3, 1, 28, 28, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1], // the CNN's first layer
  [2, 8, 14, 14, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1], // its second, narrower
  [2, 4, 9, 8, 6, 3, 2, 2, 1, 1, 0, 1, 2, 2], // general groups, stride, dilation
  [1, 6, 8, 8, 6, 3, 3, 2, 2, 2, 2, 2, 2, 6], // depthwise
  [2, 3, 7, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 3], // depthwise with multiplier 2
  [2, 5, 6, 7, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1], // pointwise
  [1, 3, 5, 5, 2, 5, 5, 1, 1, 0, 0, 1, 1, 1], // kernel = image
  [2, 2, 11, 13, 3, 4, 3, 3, 2, 2, 1, 1, 1, 1], // even kernel, odd strides
  [1, 40, 30, 30, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1], // k * pixels beyond one im2col tile
  // The direct path (few taps, stride 1): output channels past a block of 8, rows not a multiple of
  // 8 wide, taps split into blocks (25 = 9 + 9 + 7), padding wider than the kernel.
  [2, 1, 9, 11, 13, 5, 5, 1, 1, 2, 2, 1, 1, 1],
  [1, 2, 6, 20, 9, 3, 4, 1, 1, 0, 3, 1, 1, 1],
  [1, 1, 4, 4, 3, 2, 2, 1, 1, 3, 3, 1, 1, 1],
  // The Winograd path (3x3, stride 1, >= 8 channels each side; 4x4 output tiles, 4 tiles to a
  // quad, two quads to a vector): sizes that are not a multiple of 4 (a last tile with 1-3 rows or
  // columns), rows of several quads, a last quad of 1-3 tiles, no or wide padding, widths below 8
  // (dy always read from a padded copy), one image. At one thread (below), chunks span images, and
  // the last shape's (15 tile rows of 16 tiles per image, 512-tile chunks) also split them.
  [3, 8, 7, 9, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1],
  [2, 9, 20, 37, 8, 3, 3, 1, 1, 0, 2, 1, 1, 1],
  [2, 16, 5, 5, 12, 3, 3, 1, 1, 2, 2, 1, 1, 1],
  [3, 40, 17, 19, 88, 3, 3, 1, 1, 1, 1, 1, 1, 1],
  [1, 8, 6, 6, 8, 3, 3, 1, 1, 1, 0, 1, 1, 1],
  [2, 8, 9, 18, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1],
  [2, 12, 14, 14, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1], // the CNN's conv2 map: one quad per tile row
  [3, 8, 58, 62, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1],
];

function convOut(g: Geo): [number, number] {
  const [, , h, w, , kh, kw, sh, sw, ph, pw, dh, dw] = g;
  return [Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1, Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1];
}

function runConv(be: Backend, g: Geo, seed: number, relu: boolean) {
  const [n, c, h, w, oc, kh, kw, , , , , , , groups] = g;
  const [oh, ow] = convOut(g);
  const x = randArray(n * c * h * w, seed);
  const wt = randArray(oc * (c / groups) * kh * kw, seed + 1);
  const b = randArray(oc, seed + 2);
  const dy = randArray(n * oc * oh * ow, seed + 3);
  const y = new Float32Array(n * oc * oh * ow);
  be.conv2dForward(x, wt, b, y, ...g, relu);
  const dx = new Float32Array(x.length).fill(NaN);
  const dw = new Float32Array(wt.length).fill(NaN), db = new Float32Array(oc).fill(NaN);
  be.conv2dBackward(x, dy, wt, dx, dw, db, ...g);
  // Each gradient alone (the others null) is the same as computed together (the bias gradient up to
  // summation order: the direct and Winograd paths sum it in the weight gradient's pass).
  const dxAlone = new Float32Array(x.length).fill(NaN), dwAlone = new Float32Array(wt.length).fill(NaN);
  const dbAlone = new Float32Array(oc).fill(NaN);
  be.conv2dBackward(x, dy, wt, dxAlone, null, null, ...g);
  be.conv2dBackward(x, dy, wt, null, dwAlone, null, ...g);
  be.conv2dBackward(x, dy, wt, null, null, dbAlone, ...g);
  expect(Array.from(dxAlone)).toEqual(Array.from(dx));
  expect(Array.from(dwAlone)).toEqual(Array.from(dw));
  expectClose(dbAlone, db, 1e-5, `bias grad alone ${g}`);
  return { y, dx, dw, db };
}

describe.runIf(native)('native conv kernels match the pure-JS oracle on every ISA', () => {
  const isas = native!.availableIsas();
  const restore = native!.isa();
  // The oracle's results, computed once for all ISAs and thread counts.
  const oracle = new Map<string, ReturnType<typeof runConv>>();
  const want = (i: number, g: Geo, relu: boolean) => {
    const key = `${i} ${relu}`;
    if (!oracle.has(key)) oracle.set(key, runConv(js, g, 10 * i, relu));
    return oracle.get(key)!;
  };
  it.each(isas)('conv2d forward, input and weight gradients (%s)', (isa) => {
    const threads = native!.numThreads();
    native!.setIsa(isa);
    try {
      for (const t of [...new Set([threads, 1])]) {
        native!.setNumThreads(t);
        for (const [i, g] of convGrid.entries()) {
          for (const relu of [false, true]) {
            const exp = want(i, g, relu);
            const got = runConv(native!, g, 10 * i, relu);
            const k = g[1] / g[13] * g[5] * g[6];
            const tol = 2e-6 * Math.max(k, g[0] * convOut(g)[0] * convOut(g)[1]);
            const at = `${g} relu=${relu} threads=${t}`;
            expectClose(got.y, exp.y, 1e-5 * k, `forward ${at}`);
            expectClose(got.dx, exp.dx, 1e-5 * g[4], `input grad ${at}`);
            expectClose(got.dw, exp.dw, tol, `weight grad ${at}`);
            expectClose(got.db, exp.db, tol, `bias grad ${at}`);
          }
        }
      }
    } finally {
      native!.setIsa(restore);
      native!.setNumThreads(threads);
    }
  });

  it.each(isas)('pooling and BatchNorm2d (%s)', (isa) => {
    native!.setIsa(isa);
    try {
      const pools: [number, number, number, number, number, number, number, number, number, number][] = [
        [2, 3, 28, 28, 2, 2, 2, 2, 0, 0],
        [2, 3, 7, 8, 3, 3, 2, 2, 1, 1],
        [1, 2, 9, 7, 3, 2, 1, 2, 1, 1],
        [2, 2, 5, 5, 5, 5, 1, 1, 0, 0],
      ];
      for (const [i, p] of pools.entries()) {
        const [n, c, h, w, kh, kw, sh, sw, ph, pw] = p;
        const oh = Math.floor((h + 2 * ph - kh) / sh) + 1, ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
        const x = randArray(n * c * h * w, 100 + i), dy = randArray(n * c * oh * ow, 200 + i);
        const run = (be: Backend) => {
          const y = new Float32Array(n * c * oh * ow), idx = new Int32Array(y.length), dx = new Float32Array(x.length);
          be.maxPool2dForward(x, y, idx, ...p);
          be.maxPool2dBackward(dy, idx, dx, ...p);
          const ya = new Float32Array(y.length), dxa = new Float32Array(x.length);
          const yb = new Float32Array(y.length), dxb = new Float32Array(x.length);
          be.avgPool2dForward(x, ya, ...p, true);
          be.avgPool2dBackward(dy, dxa, ...p, true);
          be.avgPool2dForward(x, yb, ...p, false);
          be.avgPool2dBackward(dy, dxb, ...p, false);
          return { y, idx, dx, ya, dxa, yb, dxb };
        };
        const want = run(js), got = run(native!);
        expect(Array.from(got.idx)).toEqual(Array.from(want.idx));
        for (const k of ['y', 'dx', 'ya', 'dxa', 'yb', 'dxb'] as const) expectClose(got[k], want[k], 1e-6, `pool ${p} ${k}`);
      }
      const ga = randArray(6 * 49, 300), gy = new Float32Array(6), gj = new Float32Array(6);
      native!.globalAvgPool2dForward(ga, gy, 6, 49);
      js.globalAvgPool2dForward(ga, gj, 6, 49);
      expectClose(gy, gj, 1e-6, 'global avg pool');

      // [n, c, 1] and [n, c, L] are BatchNorm1d's shapes (the same kernels serve every rank).
      for (const [n, c, hw, affine] of [[4, 3, 25, true], [16, 32, 196, true], [1, 5, 3, true], [2, 1, 1, true], [64, 20, 1, false], [8, 3, 7, false]] as const) {
        for (const relu of [false, true]) {
          const x = randArray(n * c * hw, 400).map((v, i) => v * 3 + (i % 7)), dy = randArray(n * c * hw, 401);
          const gamma = affine ? randArray(c, 402) : null, beta = affine ? randArray(c, 403) : null;
          const run = (be: Backend) => {
            const y = new Float32Array(x.length), sm = new Float32Array(c), si = new Float32Array(c);
            const rm = new Float32Array(c).fill(0.5), rv = new Float32Array(c).fill(2);
            be.batchNorm2dForwardTrain(x, gamma, beta, y, sm, si, rm, rv, n, c, hw, 1e-5, 0.1, relu);
            const dx = new Float32Array(x.length), dg = new Float32Array(c), db = new Float32Array(c);
            be.batchNorm2dBackward(x, dy, relu, gamma, beta, sm, si, dx, dg, db, n, c, hw);
            const ye = new Float32Array(x.length);
            be.batchNorm2dForwardEval(x, gamma, beta, rm, rv, ye, n, c, hw, 1e-5, relu);
            return { y, sm, si, rm, rv, dx, dg, db, ye };
          };
          const want = run(js), got = run(native!);
          for (const k of ['y', 'sm', 'si', 'rm', 'rv', 'dx', 'dg', 'db', 'ye'] as const) {
            expectClose(got[k], want[k], k === 'dg' || k === 'db' ? 1e-4 : 2e-5, `batchnorm [${n}, ${c}, ${hw}] relu=${relu} ${k}`);
          }
        }
      }
      // BatchNorm2d + ReLU + MaxPool2d fused, against the JS composition.
      // 2x2/2 shapes cover the vector kernel (eight outputs per vector, rows past the last vector, odd
      // sizes) and the scalar rows at each plane's end.
      for (const p of [[4, 3, 8, 8, 2, 2, 2, 2, 0, 0], [2, 3, 28, 28, 2, 2, 2, 2, 0, 0], [3, 2, 14, 14, 2, 2, 2, 2, 0, 0],
        [2, 2, 7, 9, 2, 2, 2, 2, 0, 0], [2, 2, 7, 9, 3, 3, 2, 1, 1, 1]] as const) {
        const [n, c, h, w, kh, kw, sh, sw, ph, pw] = p;
        const oh = Math.floor((h + 2 * ph - kh) / sh) + 1, ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
        const x = randArray(n * c * h * w, 500), dy = randArray(n * c * oh * ow, 501);
        const gamma = randArray(c, 502), beta = randArray(c, 503);
        // The backward's sums come from the pooled output, but from x where gamma is 0 (channel 0)
        // or small beside beta (channel 1: |beta| > 1024 |gamma|).
        [gamma[0], gamma[1], beta[1]] = [0, 1e-4, 0.5];
        const run = (be: Backend) => {
          const y = new Float32Array(n * c * oh * ow), idx = new Int32Array(y.length), sm = new Float32Array(c), si = new Float32Array(c);
          const rm = new Float32Array(c), rv = new Float32Array(c).fill(1);
          be.batchNorm2dReluMaxPool2dForwardTrain(x, gamma, beta, y, idx, sm, si, rm, rv, n, c, h, w, kh, kw, sh, sw, ph, pw, 1e-5, 0.1);
          const dx = new Float32Array(x.length), dg = new Float32Array(c), db = new Float32Array(c);
          be.batchNorm2dReluMaxPool2dBackward(x, y, dy, idx, gamma, beta, sm, si, dx, dg, db, n, c, h, w, kh, kw, sh, sw, ph, pw);
          return { y, idx, sm, si, rm, rv, dx, dg, db };
        };
        const want = run(js), got = run(native!);
        expect(Array.from(got.idx)).toEqual(Array.from(want.idx));
        for (const k of ['y', 'sm', 'si', 'rm', 'rv', 'dx', 'dg', 'db'] as const) expectClose(got[k], want[k], 1e-4, `bn+relu+maxpool ${p} ${k}`);
      }

      // Conv2d + BatchNorm2d + ReLU + MaxPool2d fused (statistics from the input patches' moments,
      // the backward's dense terms in closed form), against the JS composition: the CNN's first
      // block (four blocks of 8 output channels), 3 input channels with stride, dilation and a 3x3/2
      // padded pool (a last block of 2 channels), the most taps (2 x 4 x 4 = 32: four vectors per
      // patch row), 25 taps, odd conv output sizes under a 2x2 pool, and data with a large mean (the
      // patches' shift keeps the variance).
      const stems: { g: Geo; pool: [number, number, number, number, number, number]; offset: number }[] = [
        { g: [3, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1], pool: [2, 2, 2, 2, 0, 0], offset: 0 },
        { g: [2, 3, 11, 9, 10, 3, 3, 2, 1, 1, 2, 1, 2, 1], pool: [3, 3, 2, 2, 1, 1], offset: 0 },
        { g: [2, 2, 9, 10, 5, 4, 4, 1, 1, 2, 1, 1, 1, 1], pool: [2, 2, 2, 2, 0, 0], offset: 0 },
        { g: [3, 1, 13, 11, 9, 5, 5, 1, 1, 2, 2, 1, 1, 1], pool: [2, 2, 2, 2, 0, 0], offset: 0 },
        { g: [2, 1, 8, 8, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1], pool: [2, 3, 2, 1, 1, 1], offset: 100 },
      ];
      // With no padding, an offset on the input moves each conv output channel by a constant, which
      // BatchNorm subtracts: natively, everything but the mean must be what the oracle gives without
      // the offset (the oracle's own float32 chain loses digits to a large mean).
      for (const [i, { g, pool, offset }] of stems.entries()) {
        const [n, c, h, w, oc, kh, kw] = g;
        const [oh, ow] = convOut(g);
        const [pkh, pkw, psh, psw, pph, ppw] = pool;
        const size = n * oc * (Math.floor((oh + 2 * pph - pkh) / psh) + 1) * (Math.floor((ow + 2 * ppw - pkw) / psw) + 1);
        const x0 = randArray(n * c * h * w, 600 + i), x = x0.map((v) => v + offset);
        const cw = randArray(oc * c * kh * kw, 610 + i), cb = randArray(oc, 620 + i);
        const gamma = randArray(oc, 630 + i).map((v) => v + 1.5), beta = randArray(oc, 640 + i), dy = randArray(size, 650 + i);
        const run = (be: Backend, x: Float32Array) => {
          const y = new Float32Array(size), idx = new Int32Array(size), sm = new Float32Array(oc), si = new Float32Array(oc);
          const rm = new Float32Array(oc), rv = new Float32Array(oc).fill(1);
          const taps = c * kh * kw, moments = new Float64Array(taps + taps * taps).fill(NaN);
          be.conv2dBatchNorm2dReluMaxPool2dForwardTrain(x, cw, cb, gamma, beta, y, idx, sm, si, moments, rm, rv, ...g, ...pool, 1e-5, 0.1);
          const dcw = new Float32Array(cw.length).fill(NaN), dcb = new Float32Array(oc).fill(NaN);
          const dg = new Float32Array(oc).fill(NaN), db = new Float32Array(oc).fill(NaN);
          be.conv2dBatchNorm2dReluMaxPool2dBackward(x, cw, cb, gamma, beta, y, dy, idx, sm, si, moments, dcw, dcb, dg, db, ...g, ...pool);
          return { y, idx, sm, si, rm, rv, dcw, dcb, dg, db, mean: moments.subarray(0, taps), cov: moments.subarray(taps) };
        };
        const want = run(js, x0), got = run(native!, x);
        expect(Array.from(got.idx), `stem ${g} indices`).toEqual(Array.from(want.idx));
        for (const k of ['y', 'si', 'rv', 'dg', 'db'] as const) expectClose(got[k], want[k], 1e-4, `stem ${g} ${k}`);
        if (!offset) for (const k of ['sm', 'rm'] as const) expectClose(got[k], want[k], 1e-4, `stem ${g} ${k}`);
        // The saved patch moments: the covariance is the offset's to ignore, the mean moves by it.
        expectClose(got.cov, want.cov, 1e-5, `stem ${g} patch covariance`);
        expectClose(got.mean.map((v) => v - offset), want.mean, 1e-5, `stem ${g} patch mean`);
        // Gradients that sum over every pixel: tolerance relative to the largest.
        const scale = Math.max(...want.dcw.map(Math.abs));
        expectClose(got.dcw.map((v) => v / scale), want.dcw.map((v) => v / scale), 1e-4, `stem ${g} conv weight grad`);
        // The conv bias's gradient is zero (the oracle's is rounding noise around it).
        expectClose(got.dcb.map((v) => v / scale), want.dcb.map((v) => v / scale), 1e-5, `stem ${g} conv bias grad`);
      }
    } finally {
      native!.setIsa(restore);
    }
  });
});

describe('gradients by finite differences', () => {
  const x = (shape: number[], seed: number) => param(shape, seed, -1, 1);
  it('conv2d over shapes, strides, paddings, dilations and groups', () => {
    const cases: [number[], number[], fg.nn.Conv2dLayerOptions & { relu?: boolean }][] = [
      [[2, 3, 5, 6], [4, 3, 3, 3], { padding: 1 }],
      [[1, 2, 7, 7], [3, 2, 3, 2], { stride: [2, 1], padding: [1, 0], dilation: [1, 2] }],
      [[1, 4, 6, 6], [4, 2, 3, 3], { groups: 2, padding: 1, stride: 2 }],
      [[2, 3, 6, 5], [6, 1, 3, 3], { groups: 3, padding: 2, dilation: 2 }],
      [[1, 3, 4, 4], [2, 3, 1, 1], {}],
      [[1, 2, 5, 5], [3, 2, 3, 3], { padding: 'same', relu: true }],
    ];
    for (const [i, [xs, ws, opts]] of cases.entries()) {
      const { relu, ...rest } = opts;
      const b = x([ws[0]], 3 * i + 2);
      gradcheck((a, w, bb) => conv2d(a, w, bb, { ...rest, relu }), [x(xs, 3 * i), x(ws, 3 * i + 1), b]);
    }
    gradcheck((a, w) => conv2d(a, w, null, { padding: 1 }), [x([1, 2, 4, 4], 50), x([2, 2, 3, 3], 51)]);
  });

  it('maxPool2d, avgPool2d, globalAvgPool2d', () => {
    // Distinct, well separated values so that a step of eps never changes an argmax.
    const distinct = (shape: number[], seed: number) => {
      const t = param(shape, seed);
      const perm = Array.from({ length: t.size }, (_, i) => i).sort((a, b) => t.data[a] - t.data[b]);
      perm.forEach((j, r) => (t.data[j] = (r - t.size / 2) * 0.1));
      return t;
    };
    gradcheck((a) => maxPool2d(a, { kernelSize: 2 }), [distinct([2, 2, 6, 6], 1)], { eps: 1e-3 });
    gradcheck((a) => maxPool2d(a, { kernelSize: 3, stride: 2, padding: 1 }), [distinct([1, 2, 7, 6], 2)], { eps: 1e-3 });
    gradcheck((a) => avgPool2d(a, { kernelSize: [3, 2], stride: [2, 1], padding: [1, 1] }), [x([1, 2, 7, 6], 3)]);
    gradcheck((a) => avgPool2d(a, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }), [x([1, 2, 7, 6], 4)]);
    gradcheck((a) => globalAvgPool2d(a), [x([2, 3, 4, 5], 5)]);
    // The fused BatchNorm2d + ReLU + MaxPool2d (training); x is spread so that no window holds a tie.
    const spread = distinct([2, 2, 4, 6], 13);
    gradcheck(
      (a, w, b) => batchNorm2dReluMaxPool2d(a, w, b, null, null, { training: true }, { kernelSize: 2 }),
      [spread, param([2], 14, 0.5, 1.5), x([2], 15)],
      { eps: 1e-3, atol: 5e-3 },
    );
    // The fused Conv2d + BatchNorm2d + ReLU + MaxPool2d of a first block (its input needs no
    // gradient): the conv weight and bias (whose gradient is zero) and BatchNorm's weight and bias.
    const image = fg.rand([2, 1, 5, 6], { seed: 16, low: -1, high: 1 });
    gradcheck(
      (cw, cb, w, b) => conv2dBatchNorm2dReluMaxPool2d(image, cw, cb, { padding: 1 }, w, b, null, null, { training: true }, { kernelSize: 2 }),
      [x([3, 1, 3, 3], 17), x([3], 18), param([3], 19, 0.5, 1.5), x([3], 20)],
      { eps: 1e-3, atol: 5e-3 },
    );
  });

  it('batchNorm2d in training and eval, with and without affine and ReLU', () => {
    for (const relu of [false, true]) {
      gradcheck(
        (a, w, b) => batchNorm2d(a, w, b, null, null, { training: true, relu }),
        [x([3, 2, 3, 4], 6), param([2], 7, 0.5, 1.5), x([2], 8)],
        { atol: 5e-3 },
      );
    }
    gradcheck((a) => batchNorm2d(a, null, null, null, null, { training: true }), [x([2, 3, 2, 2], 9)], { atol: 5e-3 });
    const rm = fg.tensor([0.1, -0.2]), rv = fg.tensor([0.5, 2]);
    gradcheck((a, w, b) => batchNorm2d(a, w, b, rm, rv, { training: false }), [x([2, 2, 3, 3], 10), x([2], 11), x([2], 12)]);
  });
});

describe('conv2dBatchNorm2dReluMaxPool2d (a first block as one op)', () => {
  // inC = 2: 18 taps, the fused kernel; inC = 4: 36 taps, the conv and BatchNorm+ReLU+pool kernels in
  // one node (as with an input that needs a gradient).
  const setup = (seed: number, inC = 2) => ({
    x: fg.rand([3, inC, 9, 8], { seed, low: -1, high: 1 }),
    cw: param([5, inC, 3, 3], seed + 1, -1, 1), cb: param([5], seed + 2, -1, 1),
    w: param([5], seed + 3, 0.5, 1.5), b: param([5], seed + 4, -1, 1),
    rm: fg.zeros([5]), rv: fg.ones([5]),
  });
  const convOpts = { padding: 1, stride: [1, 2] as [number, number] };
  const pool = { kernelSize: 2 };

  for (const be of ['native', 'js'] as const) {
    it.runIf(getBackend(be))(`gives what the chain gives, in training and eval, on the ${be} backend`, () => {
      const prev = fg.backendInfo().backend;
      fg.useBackend(be);
      try {
        const cases = [true, false].flatMap((t) => [false, true].flatMap((g) => [2, 4].map((k) => [t, g, k] as const)));
        for (const [training, inputGrad, inC] of cases) {
          const f = setup(700, inC), c = setup(700, inC);
          f.x.requiresGrad = inputGrad;
          c.x.requiresGrad = inputGrad;
          const yf = conv2dBatchNorm2dReluMaxPool2d(f.x, f.cw, f.cb, convOpts, f.w, f.b, f.rm, f.rv, { training }, pool);
          const yc = batchNorm2dReluMaxPool2d(conv2d(c.x, c.cw, c.cb, convOpts), c.w, c.b, c.rm, c.rv, { training }, pool);
          const what = `${be} training=${training} inputGrad=${inputGrad} inC=${inC}`;
          // One node in training (fused, or the two kernels); in eval the chain itself.
          expect(yf.node!.name, what).toBe(training ? 'conv2dBatchNorm2dReluMaxPool2d' : yc.node!.name);
          expectClose(yf.data, yc.data, 1e-5, `${what} out`);
          expectClose(f.rm.data, c.rm.data, 1e-6, `${what} running mean`);
          expectClose(f.rv.data, c.rv.data, 1e-6, `${what} running var`);
          const gy = fg.rand(yf.shape, { seed: 9, low: -1, high: 1 });
          yf.backward(gy);
          yc.backward(gy);
          for (const k of ['cw', 'w', 'b'] as const) expectClose(f[k].grad!.data, c[k].grad!.data, 1e-4, `${what} ${k} grad`);
          expectClose(f.cb.grad!.data, c.cb.grad!.data, 1e-4, `${what} conv bias grad`);
          if (inputGrad) expectClose(f.x.grad!.data, c.x.grad!.data, 1e-5, `${what} input grad`);
        }
      } finally {
        fg.useBackend(prev);
      }
    });
  }

  it('Sequential runs Conv2d, BatchNorm2d, ReLU, MaxPool2d as the fused op, with the same result', () => {
    const layers = () => [
      new fg.nn.Conv2d(1, 4, 3, { padding: 1, seed: 3 }), new fg.nn.BatchNorm2d(4), new fg.nn.ReLU(), new fg.nn.MaxPool2d(2),
      new fg.nn.Conv2d(4, 8, 3, { padding: 1, seed: 4 }), new fg.nn.BatchNorm2d(8), new fg.nn.ReLU(), new fg.nn.MaxPool2d(2),
    ];
    const seq = new fg.nn.Sequential(...layers());
    const one = layers();
    const x = fg.rand([4, 1, 12, 12], { seed: 5 });
    const y = seq.forward(x);
    // Each block is one node: the first fused whole, the second (36 taps) as its two kernels.
    expect(y.node!.name).toBe('conv2dBatchNorm2dReluMaxPool2d');
    expect(y.node!.inputs[0].node!.name).toBe('conv2dBatchNorm2dReluMaxPool2d');
    const yOne = one.reduce((t, l) => l.forward(t), x);
    expectClose(y.data, yOne.data, 1e-5, 'sequential vs layer by layer');
    y.sum().backward();
    yOne.sum().backward();
    const [p, q] = [seq.parameters(), one.flatMap((l) => l.parameters())];
    expect(p.length).toBe(q.length);
    p.forEach((t, i) => expectClose(t.grad!.data, q[i].grad!.data, 1e-4, `parameter ${i} grad`));
    const state = seq.stateDict();
    one.forEach((l, i) => {
      for (const [name, t] of Object.entries(l.stateDict())) expectClose(state[`${i}.${name}`].data, t.data, 1e-5, `${i}.${name}`);
    });
  });

  it('rejects bad input with typed errors', () => {
    const t = setup(800);
    expect(() => conv2dBatchNorm2dReluMaxPool2d(t.x, t.cw, t.cb, convOpts, fg.ones([4]), t.b, null, null, { training: true }, pool))
      .toThrow(/weight.*must have 5 elements/);
    expect(() => conv2dBatchNorm2dReluMaxPool2d(t.x, fg.ones([5, 3, 3, 3]), null, convOpts, t.w, t.b, null, null, { training: true }, pool))
      .toThrow(fg.ShapeError);
    expect(() => conv2dBatchNorm2dReluMaxPool2d(t.x, t.cw, t.cb, convOpts, t.w, t.b, null, null, { training: true }, { kernelSize: 9 }))
      .toThrow(/kernel 9x9 is larger than the padded input/);
    const bn = new fg.nn.BatchNorm2d(6);
    const seq = new fg.nn.Sequential(new fg.nn.Conv2d(2, 5, 3), bn, new fg.nn.ReLU(), new fg.nn.MaxPool2d(2));
    expect(() => seq.forward(t.x)).toThrow(/expected 6 channels, got the 5 output channels of the Conv2d/);
    // The backends refuse more than 32 taps and more than one group.
    for (const be of [js, native].filter((b): b is Backend => b !== null)) {
      const args = (c: number, groups: number) => {
        const [n, h, w, oc, k] = [1, 6, 6, 2, 3];
        const size = n * oc * 9;
        return [new Float32Array(n * c * h * w), new Float32Array(oc * (c / groups) * k * k), null, null, null,
          new Float32Array(size), new Int32Array(size), new Float32Array(oc), new Float32Array(oc), new Float64Array(2000), null, null,
          n, c, h, w, oc, k, k, 1, 1, 1, 1, 1, 1, groups, 2, 2, 2, 2, 0, 0, 1e-5, 0.1] as const;
      };
      expect(() => be.conv2dBatchNorm2dReluMaxPool2dForwardTrain(...args(4, 1))).toThrow(/at most 32, got 36/);
      expect(() => be.conv2dBatchNorm2dReluMaxPool2dForwardTrain(...args(2, 2))).toThrow(/groups must be 1, got 2/);
    }
    // The addon checks the saved moments' type and size (1 channel, 3x3: 9 + 81 doubles).
    if (native) {
      const call = (moments: unknown) => () => native.conv2dBatchNorm2dReluMaxPool2dForwardTrain(
        new Float32Array(36), new Float32Array(18), null, null, null, new Float32Array(18), new Int32Array(18),
        new Float32Array(2), new Float32Array(2), moments as Float64Array, null, null,
        1, 1, 6, 6, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 1e-5, 0.1);
      expect(call(new Float64Array(89))).toThrow(/patchMoments' must hold at least 90 elements, got 89/);
      expect(call(new Float32Array(90))).toThrow(/patchMoments' must be a Float64Array/);
      expect(call(new Float64Array(90))).not.toThrow();
    }
  });
});

describe('agreement with PyTorch 1.13 (test/fixtures/conv.json, scripts/golden_conv.py)', () => {
  const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'conv.json'), 'utf8'));
  const f32 = (a: number[]) => Float32Array.from(a);
  for (const be of ['native', 'js'] as const) {
    it.runIf(getBackend(be))(`conv2d, pooling and BatchNorm2d on the ${be} backend`, () => {
      const prev = fg.backendInfo().backend;
      fg.useBackend(be);
      try {
        for (const c of fixture.cases) {
          if (c.op === 'conv2d') {
            const x = fg.tensor(f32(c.x), c.xShape).requiresGrad_(), w = fg.tensor(f32(c.weight), c.weightShape).requiresGrad_();
            const b = c.bias ? fg.tensor(f32(c.bias), [c.bias.length]).requiresGrad_() : null;
            const y = conv2d(x, w, b, { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups });
            expect(y.shape).toEqual(c.outShape);
            expectClose(y.data, c.out, 1e-5, 'conv2d out');
            y.backward(fg.tensor(f32(c.gradOut), y.shape));
            expectClose(x.grad!.data, c.gradX, 1e-5, 'conv2d gradX');
            expectClose(w.grad!.data, c.gradWeight, 1e-5, 'conv2d gradWeight');
            if (b) expectClose(b.grad!.data, c.gradBias, 1e-5, 'conv2d gradBias');
          } else if (c.op === 'maxPool2d' || c.op === 'avgPool2d') {
            const x = fg.tensor(f32(c.x), c.xShape).requiresGrad_();
            const opts = { kernelSize: c.kernelSize, stride: c.stride, padding: c.padding, countIncludePad: c.countIncludePad };
            const y = c.op === 'maxPool2d' ? maxPool2d(x, opts) : avgPool2d(x, opts);
            expectClose(y.data, c.out, 1e-6, `${c.op} out`);
            y.backward(fg.tensor(f32(c.gradOut), y.shape));
            expectClose(x.grad!.data, c.gradX, 1e-6, `${c.op} gradX`);
          } else if (c.op === 'batchNorm2d') {
            const bn = new fg.nn.BatchNorm2d(3, { momentum: c.momentum });
            bn.stateDict().weight.data.set(c.weight);
            bn.stateDict().bias.data.set(c.bias);
            for (const s of c.steps) {
              bn.train();
              bn.zeroGrad();
              const x = fg.tensor(f32(s.x), c.xShape).requiresGrad_();
              const y = bn.forward(x);
              expectClose(y.data, s.out, 1e-5, 'bn out');
              y.backward(fg.tensor(f32(s.gradOut), y.shape));
              expectClose(x.grad!.data, s.gradX, 1e-4, 'bn gradX');
              expectClose(bn.stateDict().weight.grad!.data, s.gradWeight, 1e-4, 'bn gradWeight');
              expectClose(bn.stateDict().bias.grad!.data, s.gradBias, 1e-4, 'bn gradBias');
              expectClose(bn.stateDict().running_mean.data, s.runningMean, 1e-5, 'bn running mean');
              expectClose(bn.stateDict().running_var.data, s.runningVar, 1e-5, 'bn running var');
            }
            bn.eval();
            const ye = bn.forward(fg.tensor(f32(c.evalX), c.evalShape));
            expectClose(ye.data, c.evalOut, 1e-5, 'bn eval out');
          }
        }
      } finally {
        fg.useBackend(prev);
      }
    });
  }
});

describe('layers', () => {
  it('build, run, report their config and train/eval behaviour', () => {
    const conv = new fg.nn.Conv2d(2, 4, 3, { padding: 1, seed: 1 });
    expect(conv.weight.shape).toEqual([4, 2, 3, 3]);
    expect(conv.config()).toEqual({ inChannels: 2, outChannels: 4, kernelSize: [3, 3], stride: [1, 1], padding: 1, dilation: [1, 1], groups: 1, bias: true, seed: 1 });
    const bound = 1 / Math.sqrt(18);
    expect(Math.max(...conv.weight.data.map(Math.abs))).toBeLessThanOrEqual(bound);
    const x = fg.randn([2, 2, 6, 6], { seed: 3 });
    expect(conv.forward(x).shape).toEqual([2, 4, 6, 6]);
    expect(new fg.nn.MaxPool2d(2).forward(x).shape).toEqual([2, 2, 3, 3]);
    expect(new fg.nn.AvgPool2d(3, { stride: 1, padding: 1 }).forward(x).shape).toEqual([2, 2, 6, 6]);
    expect(new fg.nn.AdaptiveAvgPool2d(1).forward(x).shape).toEqual([2, 2, 1, 1]);
    expect(new fg.nn.GlobalAvgPool2d().forward(x).shape).toEqual([2, 2]);
    expect(new fg.nn.Conv2d(4, 8, 3, { groups: 4, bias: false }).parameters().length).toBe(1);

    const bn = new fg.nn.BatchNorm2d(2);
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    const y = bn.forward(x);
    expect(bn.stateDict().num_batches_tracked.item()).toBe(1);
    // Batch statistics: each channel of the output has mean 0, variance 1.
    for (let ch = 0; ch < 2; ch++) {
      let s = 0, s2 = 0;
      for (let b = 0; b < 2; b++) for (let i = 0; i < 36; i++) { const v = y.data[(b * 2 + ch) * 36 + i]; s += v; s2 += v * v; }
      expect(s / 72).toBeCloseTo(0, 5);
      expect(s2 / 72).toBeCloseTo(1, 3);
    }
    const rm = bn.stateDict().running_mean.data.slice();
    bn.eval();
    bn.forward(x);
    expect(Array.from(bn.stateDict().running_mean.data)).toEqual(Array.from(rm)); // eval leaves them alone
    expect(bn.stateDict().num_batches_tracked.item()).toBe(1);
  });

  it('BatchNorm2d loads state dicts with PyTorch\'s keys and ones saved before num_batches_tracked', () => {
    const bn = new fg.nn.BatchNorm2d(3);
    const sd = (withCount: boolean) => ({
      weight: fg.tensor([1, 2, 3]), bias: fg.tensor([0, 1, 0]), running_mean: fg.tensor([0.5, 0, -1]), running_var: fg.tensor([2, 2, 2]),
      ...(withCount ? { num_batches_tracked: fg.tensor(7) } : {}),
    });
    bn.loadStateDict(sd(true));
    expect(bn.stateDict().num_batches_tracked.item()).toBe(7);
    bn.loadStateDict(sd(false)); // an older file: the count is kept, everything else loads
    expect(Array.from(bn.stateDict().running_mean.data)).toEqual([0.5, 0, -1]);
    expect(bn.stateDict().num_batches_tracked.item()).toBe(7);
    const { running_var: _, ...lacking } = sd(true);
    expect(() => bn.loadStateDict(lacking)).toThrow(/missing: \[running_var\]/);
    expect(() => bn.loadStateDict({ ...sd(true), extra: fg.tensor([1]) })).toThrow(/unexpected: \[extra\]/);
  });
});

describe('bad input gives typed errors naming the shapes', () => {
  const w = fg.randn([4, 3, 3, 3]);
  it('conv2d', () => {
    expect(() => conv2d(fg.randn([3, 8, 8]), w)).toThrow(fg.ShapeError);
    expect(() => conv2d(fg.randn([3, 8, 8]), w)).toThrow(/4-D.*\[3, 8, 8\]/);
    expect(() => conv2d(fg.randn([1, 2, 8, 8]), w)).toThrow(/\[1, 2, 8, 8\] has 2 channels.*\[4, 3, 3, 3\]/);
    expect(() => conv2d(fg.randn([1, 3, 2, 2]), w)).toThrow(/larger than the padded input 2x2/);
    expect(() => conv2d(fg.randn([1, 3, 2, 2]), w, null, { padding: 1 })).not.toThrow();
    expect(() => conv2d(fg.randn([1, 3, 8, 8]), w, fg.randn([3]))).toThrow(/bias must have shape \[4\]/);
    expect(() => conv2d(fg.randn([1, 3, 8, 8]), w, null, { stride: 0 })).toThrow(fg.ValueError);
    expect(() => conv2d(fg.randn([1, 3, 8, 8]), w, null, { padding: -1 })).toThrow(fg.ValueError);
    expect(() => conv2d(fg.randn([1, 3, 8, 8]), w, null, { groups: 3 })).toThrow(fg.ShapeError);
    expect(() => new fg.nn.Conv2d(3, 4, 3, { groups: 2 })).toThrow(fg.ValueError);
    expect(() => new fg.nn.Conv2d(3, 4, 3).forward(fg.randn([1, 5, 8, 8]))).toThrow(/5 channels/);
  });
  it('pooling and batch norm', () => {
    expect(() => maxPool2d(fg.randn([8, 8]), { kernelSize: 2 })).toThrow(fg.ShapeError);
    expect(() => maxPool2d(fg.randn([1, 1, 3, 3]), { kernelSize: 4 })).toThrow(/larger than the padded input 3x3/);
    expect(() => maxPool2d(fg.randn([1, 1, 8, 8]), { kernelSize: 2, padding: 2 })).toThrow(fg.ValueError);
    expect(() => new fg.nn.BatchNorm2d(3).forward(fg.randn([2, 4, 3, 3]))).toThrow(/expected 3 channels.*\[2, 4, 3, 3\]/);
    expect(() => new fg.nn.BatchNorm2d(3).forward(fg.randn([2, 3, 3]))).toThrow(fg.ShapeError);
    expect(() => new fg.nn.BatchNorm2d(3).forward(fg.randn([1, 3, 1, 1]))).toThrow(/more than 1 value per channel/);
  });
  it.runIf(native)('the addon rejects what would reach memory out of bounds', () => {
    const be = native!;
    const x = new Float32Array(2 * 3 * 8 * 8), wt = new Float32Array(4 * 3 * 9), y = new Float32Array(2 * 4 * 64);
    const g: Geo = [2, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1];
    expect(() => be.conv2dForward(x, wt, null, y, ...g, false)).not.toThrow();
    expect(() => be.conv2dForward(x.subarray(1), wt, null, y, ...g, false)).toThrow(RangeError);
    expect(() => be.conv2dForward(x, wt.subarray(1), null, y, ...g, false)).toThrow(RangeError);
    expect(() => be.conv2dForward(x, wt, null, y.subarray(1), ...g, false)).toThrow(RangeError);
    expect(() => be.conv2dForward(x, wt, new Float32Array(3), y, ...g, false)).toThrow(RangeError);
    const bad = (i: number, v: number) => { const b = g.slice() as Geo; b[i] = v; return b; };
    expect(() => be.conv2dForward(x, wt, null, y, ...bad(7, 0), false)).toThrow(RangeError); // stride 0
    expect(() => be.conv2dForward(x, wt, null, y, ...bad(9, -1), false)).toThrow(RangeError); // padding < 0
    expect(() => be.conv2dForward(x, wt, null, y, ...bad(11, 0), false)).toThrow(RangeError); // dilation 0
    expect(() => be.conv2dForward(x, wt, null, y, ...bad(13, 2), false)).toThrow(RangeError); // 3 % 2
    expect(() => be.conv2dForward(x, wt, null, y, ...bad(5, 20), false)).toThrow(RangeError); // kernel > input
    expect(() => be.conv2dForward(x, wt, null, y, ...bad(0, 1.5), false)).toThrow(TypeError);
    expect(() => be.conv2dBackward(x, y, wt, null, wt, new Float32Array(2), ...g)).toThrow(RangeError);
    expect(() => be.conv2dBackward(x, y, wt, x.subarray(1), null, null, ...g)).toThrow(RangeError);
    expect(() => be.conv2dBackward(x, y, wt, null, wt.subarray(1), null, ...g)).toThrow(RangeError);
    expect(() => be.conv2dBackward(x, y.subarray(1), wt, x, null, null, ...g)).toThrow(RangeError);
    expect(() => be.maxPool2dForward(x, y, new Int32Array(3), 2, 3, 8, 8, 2, 2, 2, 2, 0, 0)).toThrow(RangeError);
    expect(() => be.maxPool2dForward(x, y, new Float32Array(512) as unknown as Int32Array, 2, 3, 8, 8, 2, 2, 2, 2, 0, 0)).toThrow(TypeError);
    expect(() => be.maxPool2dForward(x, y, new Int32Array(512), 2, 3, 8, 8, 2, 2, 2, 2, 2, 0)).toThrow(RangeError);
    // Indices from JS that point outside the plane are ignored, never written through.
    const dx = new Float32Array(x.length);
    be.maxPool2dBackward(new Float32Array(96).fill(1), new Int32Array(96).fill(1e6), dx, 2, 3, 8, 8, 2, 2, 2, 2, 0, 0);
    expect(dx.every((v) => v === 0)).toBe(true);
    const c = 3, sm = new Float32Array(c);
    expect(() => be.batchNorm2dForwardTrain(x, null, null, y, sm, new Float32Array(2), null, null, 2, 3, 64, 1e-5, 0.1, false)).toThrow(RangeError);
    expect(() => be.batchNorm2dForwardTrain(x, null, null, x, sm, sm, null, null, 2, 3, 65, 1e-5, 0.1, false)).toThrow(RangeError);
    expect(() => be.batchNorm2dForwardEval(x, null, null, sm, sm, x, 2, 3, 64, 0, false)).toThrow(RangeError);
    expect(() => be.globalAvgPool2dForward(x, sm, 7, 64)).toThrow(RangeError);
  });
});

describe('the cnn model and fusion in Sequential', () => {
  it('fuses Conv2d/BatchNorm2d with a following ReLU to the same result, and rebuilds from its config', async () => {
    const { models, modelRegistry } = await import('../src/train/models');
    const x = fg.randn([3, 1, 28, 28], { seed: 4 });
    const model = models.cnn({ seed: 3 }) as fg.nn.Sequential;
    expect(modelRegistry.cnn.inputShape).toBe('image');
    model.eval();
    const fused = model.forward(x);
    expect(fused.shape).toEqual([3, 10]);
    // The same layers run one by one (no fusion) give the same output.
    let y = x;
    for (const layer of model) y = layer.forward(y);
    expectClose(fused.data, y.data, 1e-5, 'fused vs unfused');
    const rebuilt = fg.nn.fromConfig(JSON.parse(JSON.stringify(fg.nn.toConfig(model))));
    rebuilt.loadStateDict(model.stateDict());
    rebuilt.eval();
    expectClose(rebuilt.forward(x).data, fused.data, 1e-6, 'rebuilt from config');
    expect(model.parameters().reduce((a, p) => a + p.size, 0)).toBe(320 + 64 + 18496 + 128 + 401536 + 1290);
  });

  it('BatchNorm2d, ReLU, MaxPool2d run fused in training, with the results and gradients of the three', () => {
    const make = () => new fg.nn.Sequential(new fg.nn.BatchNorm2d(3), new fg.nn.ReLU(), new fg.nn.MaxPool2d(2));
    const fused = make(), plain = make();
    const x1 = fg.randn([4, 3, 6, 6], { seed: 20 }).requiresGrad_(), x2 = x1.detach().requiresGrad_();
    const y1 = fused.forward(x1);
    let y2 = x2;
    for (const layer of plain) y2 = layer.forward(y2);
    expectClose(y1.data, y2.data, 1e-6, 'fused forward');
    const gy = fg.randn(y1.shape, { seed: 21 });
    y1.backward(gy);
    y2.backward(gy);
    expectClose(x1.grad!.data, x2.grad!.data, 1e-5, 'fused input grad');
    const p1 = fused.parameters(), p2 = plain.parameters();
    for (let i = 0; i < p1.length; i++) expectClose(p1[i].grad!.data, p2[i].grad!.data, 1e-5, `fused param grad ${i}`);
    expectClose(fused.stateDict()['0.running_var'].data, plain.stateDict()['0.running_var'].data, 1e-6, 'running var');
  });

  it('trains: loss falls on a small batch in train mode (BatchNorm2d + ReLU fused, dropout on)', async () => {
    const { models } = await import('../src/train/models');
    const model = models.cnn({ seed: 5 });
    const x = fg.randn([16, 1, 28, 28], { seed: 6 });
    const target = fg.tensor(Array.from({ length: 16 }, (_, i) => i % 10));
    const params = model.parameters();
    let first = 0, last = 0;
    for (let step = 0; step < 10; step++) {
      model.zeroGrad();
      const loss = fg.nn.functional.crossEntropy(model.forward(x), target);
      loss.backward();
      fg.noGrad(() => { for (const p of params) if (p.grad) p.sub_(p.grad.mul(0.01)); });
      if (step === 0) first = loss.item();
      last = loss.item();
    }
    expect(last).toBeLessThan(first * 0.7);
  });
});
