// SGEMM: the native kernels (every ISA this CPU has, 1 and 2 threads) and the pure-JS backend against
// a float64 reference, over an edge grid built from each kernel's own register tile and cache blocks;
// plus argument checking of the public API (typed errors) and of the raw addon (throws, never crashes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackend, type Backend } from '../src/backend';
import type { GemmInfo } from '../src/backend/gemm';
import * as fg from '../src';
import { DTypeError, ShapeError, ValueError } from '../src/errors';

// A small seeded generator (mulberry32), so failures reproduce.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomArray(len: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(len);
  for (let i = 0; i < len; i++) out[i] = r() * 2 - 1;
  return out;
}

interface Case {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  /** Extra elements per row beyond the minimum leading dimension (strides larger than needed). */
  pad: number;
  /** Fill C with NaN before the call (only meaningful with beta = 0). */
  nanC?: boolean;
}

interface Prepared {
  c: Case;
  A: Float32Array;
  lda: number;
  B: Float32Array;
  ldb: number;
  C0: Float32Array;
  ldc: number;
  /** float64 reference of the whole C buffer after the call, and the per-element error scale. */
  want: Float64Array;
  scale: Float64Array;
}

const prepared = new Map<string, Prepared>();

/** Inputs and float64 reference for a case (cached: every ISA and thread count reuses them). */
function prepare(c: Case, seed: number): Prepared {
  const key = `${JSON.stringify(c)}/${seed}`;
  let p = prepared.get(key);
  if (!p) prepared.set(key, (p = computeReference(c, seed)));
  return p;
}

function computeReference(c: Case, seed: number): Prepared {
  const { transA, transB, m, n, k, alpha, beta, pad } = c;
  const [aRows, aCols] = transA ? [k, m] : [m, k];
  const [bRows, bCols] = transB ? [n, k] : [k, n];
  const lda = Math.max(1, aCols) + pad, ldb = Math.max(1, bCols) + pad, ldc = Math.max(1, n) + pad;
  const A = randomArray(aRows * lda, seed), B = randomArray(bRows * ldb, seed + 1);
  const C0 = c.nanC ? new Float32Array(m * ldc).fill(NaN) : randomArray(m * ldc, seed + 2);
  const want = Float64Array.from(C0), scale = new Float64Array(C0.length);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0, mag = 0;
      if (alpha !== 0) {
        for (let p = 0; p < k; p++) {
          const av = transA ? A[p * lda + i] : A[i * lda + p];
          const bv = transB ? B[j * ldb + p] : B[p * ldb + j];
          acc += av * bv;
          mag += Math.abs(av * bv);
        }
      }
      const idx = i * ldc + j;
      const old = beta === 0 ? 0 : beta * C0[idx];
      want[idx] = alpha * acc + old;
      scale[idx] = Math.abs(alpha) * mag + Math.abs(old);
    }
  }
  return { c, A, lda, B, ldb, C0, ldc, want, scale };
}

// float32 products summed in any order: error <= ~k * eps * sum|a*b|; the k-dependent factor is
// loose enough for blocked/FMA summation orders and tight enough to catch a wrong element.
function check(be: Backend, p: Prepared, label: string): void {
  const { c } = p;
  const C = Float32Array.from(p.C0);
  be.sgemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, p.A, p.lda, p.B, p.ldb, c.beta, C, p.ldc);
  const tolFactor = 2 * (c.k + 2) * 2 ** -24;
  for (let idx = 0; idx < C.length; idx++) {
    const i = Math.floor(idx / p.ldc), j = idx % p.ldc;
    if (i < c.m && j < c.n) {
      const err = Math.abs(C[idx] - p.want[idx]);
      if (!(err <= tolFactor * p.scale[idx] + 1e-30)) {
        throw new Error(`${label}: C[${i}][${j}] = ${C[idx]}, want ${p.want[idx]} (err ${err}, tol ${tolFactor * p.scale[idx]}) for ${JSON.stringify(c)}`);
      }
    } else if (!Object.is(C[idx], p.C0[idx])) {
      throw new Error(`${label}: wrote outside C at [${i}][${j}] (ldc padding) for ${JSON.stringify(c)}`);
    }
  }
}

const transposes: Array<[boolean, boolean]> = [[false, false], [false, true], [true, false], [true, true]];
const scalars: Array<[number, number]> = [[1, 0], [1, 1], [0.5, -1.5], [2, 0], [-1, 0.25], [0, 2], [1, 0]];

/** The edge grid: each size below, at and above each register tile and cache block of `info`. */
function edgeGrid(info: GemmInfo): Case[] {
  const { mr, nr, kc, mc, nc } = info;
  const around = (x: number) => [x - 1, x, x + 1].filter((v) => v >= 1);
  const shapes = new Map<string, [number, number, number]>();
  const add = (m: number, n: number, k: number) => shapes.set(`${m},${n},${k}`, [m, n, k]);
  for (const m of [1, ...around(mr), 2 * mr + 1, ...around(mc), mc + mr + 1]) add(m, nr + 3, 13);
  for (const n of [1, ...around(nr), 2 * nr + 3, ...around(nc)]) add(mr + 2, n, 11);
  for (const k of [1, 2, ...around(kc), 2 * kc + 3]) add(mr + 1, nr + 1, k);
  // n within one register tile: A is read in place (not packed) where the kernel supports it.
  for (const m of [mr, 2 * mr + 1, mc + 1]) add(m, Math.max(1, nr - 3), kc + 5);
  add(mr, nr, kc);
  add(mc + 1, 2 * nr + 1, kc + 1);
  add(2 * mr - 1, nr - 1, 3);
  // One A block over several depth blocks, full and partial B panels (B may be packed by the first
  // tile of each panel).
  add(3 * mr + 2, 2 * nr + 5, 2 * kc + 7);
  // Every leftover row count, in the one block and in the last of several, packed and read in place:
  // where the kernel has an edge kernel these run as mrEdge-row tiles (or a padded mr-row tile).
  for (let r = 0; r < mr; r++) {
    add(2 * mr + r, nr + 3, 9);
    add(mc + mr + r, nr + 1, 5);
    add(3 * mr + r, Math.max(1, nr - 3), 7);
  }
  // Narrow n, where the kernel has a path for it (AVX2: dot products along k when A is stored plain,
  // C^T when it is stored transposed): every n up to narrowN, with m just above n, within one tile,
  // and over several blocks; depth below, at and above multiples of 8 and kc.
  for (let n = 1; n <= info.narrowN; n++) {
    add(n + 1, n, 6);
    add(2 * mr + (n % mr), n, n % 2 ? kc + 3 : 17);
  }
  if (info.narrowN > 0) {
    add(nr + 1, info.narrowN, 5);
    add(mc + 2 * mr + 1, info.narrowN, 3);
    add(mc + 2, 1, kc - 1);
    add(info.narrowN + 2, info.narrowN + 1, 4);
  }
  const cases: Case[] = [];
  let idx = 0;
  for (const [m, n, k] of shapes.values()) {
    for (const [transA, transB] of transposes) {
      const [alpha, beta] = scalars[idx % scalars.length];
      cases.push({ transA, transB, m, n, k, alpha, beta, pad: idx % 3 === 0 ? 0 : (idx % 5) + 1 });
      idx++;
    }
  }
  return cases;
}

/** Cases with special meaning: k = 0, empty matrices, NaN in C with beta = 0, large threaded ones. */
const specialCases: Case[] = [
  { transA: false, transB: false, m: 5, n: 7, k: 0, alpha: 1, beta: 0.5, pad: 1 },
  { transA: true, transB: true, m: 5, n: 7, k: 0, alpha: 1, beta: 0, pad: 0, nanC: true },
  { transA: false, transB: false, m: 0, n: 7, k: 3, alpha: 1, beta: 1, pad: 2 },
  { transA: false, transB: true, m: 4, n: 0, k: 3, alpha: 1, beta: 1, pad: 2 },
  { transA: false, transB: false, m: 0, n: 0, k: 0, alpha: 1, beta: 1, pad: 0 },
  { transA: false, transB: false, m: 37, n: 53, k: 29, alpha: 1, beta: 0, pad: 3, nanC: true },
  { transA: true, transB: false, m: 150, n: 70, k: 300, alpha: 1.5, beta: 0, pad: 0, nanC: true },
];

/** Large enough to be split across threads (rows, columns, both) with edges everywhere. */
const threadedCases: Case[] = [
  { transA: false, transB: false, m: 301, n: 203, k: 517, alpha: 1, beta: 0, pad: 1 },
  { transA: true, transB: false, m: 257, n: 130, k: 300, alpha: 0.75, beta: 1, pad: 0 },
  { transA: false, transB: true, m: 7, n: 1500, k: 301, alpha: 1, beta: -1, pad: 2 },
  { transA: true, transB: true, m: 130, n: 95, k: 600, alpha: 1, beta: 0, pad: 0, nanC: true },
  { transA: false, transB: false, m: 601, n: 12, k: 700, alpha: 1, beta: 0.5, pad: 1 },
  // One A block with B stored plain: split by columns, each thread packing its B panels as its first
  // tiles run (AVX2), over two depth blocks, with edge rows and a partial last panel.
  { transA: false, transB: false, m: 130, n: 203, k: 517, alpha: 1, beta: 0.5, pad: 2 },
  { transA: true, transB: false, m: 100, n: 90, k: 300, alpha: -0.5, beta: 0, pad: 0, nanC: true },
  { transA: true, transB: true, m: 599, n: 10, k: 520, alpha: 2, beta: 0, pad: 0, nanC: true },
  // Narrow n with enough work to use both threads (AVX2: rows split in pairs, an odd m leaves one).
  { transA: false, transB: false, m: 256, n: 12, k: 512, alpha: 1, beta: 0.5, pad: 1 },
  { transA: false, transB: true, m: 1300, n: 7, k: 100, alpha: -1, beta: 0, pad: 0, nanC: true },
  { transA: false, transB: false, m: 1301, n: 10, k: 131, alpha: 0.5, beta: 1, pad: 3 },
];

const native = getBackend('native');

describe('native sgemm', () => {
  const isas = native ? native.availableIsas() : [];
  let savedIsa = '';
  let savedThreads = 1;
  beforeAll(() => {
    if (!native) return;
    savedIsa = native.isa();
    savedThreads = native.numThreads();
  });
  afterAll(() => {
    if (!native) return;
    native.setIsa(savedIsa);
    native.setNumThreads(savedThreads);
  });

  it.runIf(native)('is available with a known kernel', () => {
    expect(isas.length).toBeGreaterThan(0);
    const info = native!.gemmInfo();
    expect(info.mr).toBeGreaterThan(0);
    expect(info.mc % info.mr).toBe(0);
    expect(info.nc % info.nr).toBe(0);
  });

  for (const isa of isas) {
    for (const threads of [1, 2]) {
      it(`${isa}, ${threads} thread(s): edge grid, special and threaded cases`, () => {
        native!.setIsa(isa);
        native!.setNumThreads(threads);
        const info = native!.gemmInfo();
        const cases = [...edgeGrid(info), ...specialCases, ...threadedCases];
        cases.forEach((c, i) => check(native!, prepare(c, 1000 + i), `${isa}/${threads}t/${info.kernel}`));
      });
    }

    it(`${isa}: B with rows on cache lines and off them (the packing kernels prefetch by line)`, () => {
      native!.setIsa(isa);
      native!.setNumThreads(1);
      const info = native!.gemmInfo();
      const addon = native as unknown as { dataAlignment(a: Float32Array): number };
      // One A block over two depth blocks, B stored plain with 64-byte rows (ldb a multiple of 16):
      // where B is packed by the first tile of each panel, its rows start on a cache line or 16
      // bytes into one, as placed here.
      const m = 2 * info.mr + 1, n = 3 * info.nr, k = info.kc + 40, ldb = n;
      const base = prepare({ transA: false, transB: false, m, n, k, alpha: 1, beta: 0, pad: 0 }, 77);
      const buf = new ArrayBuffer((k * ldb + 32) * 4);
      const lineStart = ((64 - addon.dataAlignment(new Float32Array(buf, 0, 1))) % 64) / 4;
      for (const shift of [0, 4]) {
        const B = new Float32Array(buf, (lineStart + shift) * 4, k * ldb);
        expect(addon.dataAlignment(B)).toBe(shift * 4);
        B.set(base.B);
        check(native!, { ...base, B }, `${isa}/B ${shift * 4} bytes into a line`);
      }
    });

    it(`${isa}: alpha = 0 reads neither A nor B (NaN there does not propagate)`, () => {
      native!.setIsa(isa);
      const A = new Float32Array(12).fill(NaN), B = new Float32Array(12).fill(NaN);
      const C = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      native!.sgemm(false, false, 3, 3, 4, 0, A, 4, B, 3, 2, C, 3);
      expect(Array.from(C)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18]);
    });

    it(`${isa}: fused bias and ReLU epilogue`, () => {
      native!.setIsa(isa);
      const info = native!.gemmInfo();
      const js = getBackend('js')!;
      // [3, 5, 7] and the last two have a narrow n (AVX2: dot products, bias along each row's
      // few columns or per row), also with B stored plain (copied as B^T first); the fourth runs
      // leftover rows as edge tiles.
      const shapes = [[info.mr + 1, info.nr + 3, info.kc + 5], [3, 5, 7], [130, 70, 40], [2 * info.mr + 2, info.nr + 3, 21], [130, 10, 40], [131, 12, 19]];
      for (const [m, n, k] of shapes) {
        for (const transB of n <= Math.max(info.narrowN, 5) ? [true, false] : [true]) {
          const ldb = transB ? k : n;
          for (const biasPerRow of [false, true]) {
            for (const relu of [false, true]) {
              for (const beta of [0, 1]) {
                const A = randomArray(m * k, 1), B = randomArray(n * k, 2), bias = randomArray(biasPerRow ? m : n, 3);
                const C0 = randomArray(m * n, 4);
                const got = Float32Array.from(C0), want = Float32Array.from(C0);
                native!.sgemmBiasAct(false, transB, m, n, k, 1, A, k, B, ldb, beta, got, n, bias, biasPerRow, relu);
                js.sgemmBiasAct(false, transB, m, n, k, 1, A, k, B, ldb, beta, want, n, bias, biasPerRow, relu);
                let worst = 0;
                for (let i = 0; i < m * n; i++) {
                  worst = Math.max(worst, Math.abs(got[i] - want[i]));
                  if (relu && !(got[i] >= 0)) throw new Error(`ReLU output ${got[i]} at ${i}`);
                }
                expect(worst, `${m}x${n}x${k} transB=${transB} perRow=${biasPerRow} relu=${relu} beta=${beta}`).toBeLessThanOrEqual(1e-5 * (k + 2));
              }
            }
          }
        }
      }
    });
  }
});

describe('pure-JS sgemm', () => {
  it('matches the float64 reference on its edge grid and the special cases', () => {
    const js = getBackend('js')!;
    const cases = [...edgeGrid(js.gemmInfo()), ...specialCases];
    cases.forEach((c, i) => check(js, prepare(c, 2000 + i), 'js'));
  });
});

describe('sgemm argument checks', () => {
  const A = new Float32Array(6), B = new Float32Array(6), C = new Float32Array(4);
  it('kernels.sgemm throws typed errors naming the argument, on every backend', () => {
    // On the native backend the addon refuses the call first and the JS checks then name the error;
    // on the JS backend they run before the call. Both must give the same class and message.
    const sg = fg.kernels.sgemm;
    const f64 = new Float64Array(6) as unknown as Float32Array;
    const bad: Array<[string, () => void, new (msg: string) => Error, RegExp]> = [
      ['transA not boolean', () => sg(0 as unknown as boolean, false, 2, 2, 3, 1, A, 3, B, 2, 0, C, 2), DTypeError, /'transA' must be a boolean/],
      ['negative m', () => sg(false, false, -1, 2, 3, 1, A, 3, B, 2, 0, C, 2), ValueError, /'m' must be/],
      ['fractional m', () => sg(false, false, 2.5, 2, 3, 1, A, 3, B, 2, 0, C, 2), DTypeError, /'m' must be an integer/],
      ['NaN alpha', () => sg(false, false, 2, 2, 3, NaN, A, 3, B, 2, 0, C, 2), ValueError, /'alpha' must be finite/],
      ['infinite beta', () => sg(false, false, 2, 2, 3, 1, A, 3, B, 2, Infinity, C, 2), ValueError, /'beta' must be finite/],
      ['lda too small', () => sg(false, false, 2, 2, 3, 1, A, 2, B, 2, 0, C, 2), ValueError, /'lda' must be/],
      ['ldb too small', () => sg(false, false, 2, 2, 3, 1, A, 3, B, 1, 0, C, 2), ValueError, /'ldb' must be/],
      ['ldc too small', () => sg(false, false, 2, 2, 3, 1, A, 3, B, 2, 0, C, 1), ValueError, /'ldc' must be/],
      ['A too short', () => sg(false, false, 2, 2, 3, 1, new Float32Array(5), 3, B, 2, 0, C, 2), ShapeError, /'A' must hold at least 6/],
      ['C too short', () => sg(false, false, 2, 2, 3, 1, A, 3, B, 2, 0, new Float32Array(3), 2), ShapeError, /'C' must hold at least 4/],
      ['A a Float64Array', () => sg(false, false, 2, 2, 3, 1, f64, 3, B, 2, 0, C, 2), DTypeError, /'A' must be a Float32Array/],
      ['B missing', () => sg(false, false, 2, 2, 3, 1, A, 3, undefined as unknown as Float32Array, 2, 0, C, 2), DTypeError, /'B' must be a Float32Array/],
    ];
    const prev = fg.backendInfo().backend;
    for (const name of ['js', 'native'] as const) {
      if (!getBackend(name)) continue;
      fg.useBackend(name);
      try {
        expect(() => sg(false, false, 2, 2, 3, 1, A, 3, B, 2, 0, C, 2), name).not.toThrow();
        for (const [what, call, type, message] of bad) {
          expect(call, `${name}: ${what}`).toThrow(type);
          expect(call, `${name}: ${what}`).toThrow(message);
        }
      } finally {
        fg.useBackend(prev);
      }
    }
  });

  it('kernels.sgemm rejects C overlapping A or B with a ValueError on every backend', () => {
    const prev = fg.backendInfo().backend;
    for (const name of ['js', 'native'] as const) {
      if (!getBackend(name)) continue;
      fg.useBackend(name);
      try {
        const buf = new Float32Array(16);
        const overlapA = () => fg.kernels.sgemm(false, false, 2, 2, 3, 1, buf.subarray(0, 6), 3, B, 2, 0, buf.subarray(4, 8), 2);
        const overlapB = () => fg.kernels.sgemm(false, false, 2, 2, 3, 1, A, 3, buf.subarray(8, 14), 2, 0, buf.subarray(12, 16), 2);
        expect(overlapA, name).toThrow(ValueError);
        expect(overlapA, name).toThrow(/argument 'C' must not overlap/);
        expect(overlapB, name).toThrow(ValueError);
        // Adjacent views of one buffer do not overlap.
        expect(() => fg.kernels.sgemm(false, false, 2, 2, 3, 1, buf.subarray(0, 6), 3, B, 2, 0, buf.subarray(6, 10), 2), name).not.toThrow();
        // A stride past the addon's 2^40 bound is a ValueError too (one row, so A's length allows it).
        if (name === 'native') expect(() => fg.kernels.sgemm(false, false, 1, 2, 3, 1, A, 2 ** 41, B, 2, 0, C, 2)).toThrow(ValueError);
      } finally {
        fg.useBackend(prev);
      }
    }
  });

  it.runIf(native)('the raw addon throws on every bad argument and never touches memory out of bounds', () => {
    const raw = native! as unknown as Record<string, (...args: unknown[]) => unknown>;
    const good: unknown[] = [false, false, 2, 2, 3, 1, A, 3, B, 2, 0, C, 2];
    expect(() => raw.sgemm(...good)).not.toThrow();
    const bad: Array<[number, unknown]> = [
      [0, 1], [1, 'no'], [2, -1], [3, 1.5], [4, NaN], [2, 2 ** 60], [5, NaN], [5, Infinity], [5, '1'],
      [6, new Float64Array(6)], [6, new Float32Array(5)], [6, null], [7, 2], [7, 0], [8, [1, 2, 3, 4, 5, 6]],
      [9, 1], [10, -Infinity], [11, new Float32Array(3)], [12, 1], [12, 1e300],
    ];
    for (const [i, v] of bad) {
      const args = [...good];
      args[i] = v;
      expect(() => raw.sgemm(...args), `argument ${i} = ${String(v)}`).toThrow();
    }
    expect(() => raw.sgemm(...good.slice(0, 12))).toThrow(TypeError);
    // Sizes whose products overflow must fail the length check, not wrap around.
    expect(() => raw.sgemm(false, false, 2 ** 39, 2 ** 39, 2 ** 39, 1, A, 2 ** 39, B, 2 ** 39, 0, C, 2 ** 39)).toThrow(RangeError);
    const buf = new Float32Array(16);
    expect(() => raw.sgemm(false, false, 2, 2, 3, 1, buf.subarray(0, 6), 3, B, 2, 0, buf.subarray(5, 9), 2)).toThrow(RangeError);
    expect(() => raw.sgemm(false, false, 2, 2, 3, 1, A, 3, buf.subarray(0, 6), 2, 0, buf.subarray(2, 6), 2)).toThrow(RangeError);
    // sgemmBiasAct checks its bias too.
    const fused = [...good, new Float32Array(2), false, true];
    expect(() => raw.sgemmBiasAct(...fused)).not.toThrow();
    expect(() => raw.sgemmBiasAct(...good, new Float32Array(1), false, true)).toThrow(RangeError);
    expect(() => raw.sgemmBiasAct(...good, new Float64Array(2), false, true)).toThrow(TypeError);
    expect(() => raw.sgemmBiasAct(...good, null, 1, true)).toThrow(TypeError);
    expect(() => raw.sgemmBiasAct(...good, C, false, false)).toThrow(RangeError);
  });
});
