// A seedable random generator (xoshiro128**, seeded through splitmix32): fast, 32-bit, reproducible
// across platforms and backends. Everything random in fastgrad (initialisers, shuffling, dropout
// seeds, search) draws from a Generator, the global one unless a seed is given.
import { checkInt } from '../errors';

function splitmix32(state: { s: number }): number {
  let z = (state.s = (state.s + 0x9e3779b9) | 0);
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | undefined;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Restarts the stream from `seed` (an integer; only its low 32 bits and sign matter). */
  seed(seed: number): void {
    checkInt('Generator.seed: argument \'seed\'', seed);
    const st = { s: (seed | 0) ^ Math.floor(seed / 2 ** 32) };
    this.s0 = splitmix32(st);
    this.s1 = splitmix32(st);
    this.s2 = splitmix32(st);
    this.s3 = splitmix32(st);
    this.spare = undefined;
  }

  /** The full state, for checkpoints. */
  getState(): number[] {
    return [this.s0, this.s1, this.s2, this.s3, this.spare ?? NaN];
  }

  setState(state: number[]): void {
    [this.s0, this.s1, this.s2, this.s3] = state.map((v) => v >>> 0);
    this.spare = Number.isNaN(state[4]) ? undefined : state[4];
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const r = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }

  /** Uniform in [0, 1), 32 bits of randomness. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal (Box-Muller, both values used). */
  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (n <= 1) return 0;
    const limit = 4294967296 - (4294967296 % n);
    let x: number;
    do x = this.nextUint32();
    while (x >= limit);
    return x % n;
  }

  /** Shuffles in place (Fisher-Yates). */
  shuffle<T extends { length: number; [i: number]: any }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The generator used when no seed is given. */
export const globalGenerator = new Generator(0x5eed);

/** Seeds the global generator (like torch.manual_seed). */
export function manualSeed(seed: number): void {
  globalGenerator.seed(seed);
}

/** The generator for an optional seed: a fresh one when a seed is given, else the global one. */
export function generatorFor(seed: number | undefined): Generator {
  return seed === undefined ? globalGenerator : new Generator(seed);
}
