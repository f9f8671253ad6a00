// Every optimizer against PyTorch 1.13 trajectories (scripts/golden_optim.py writes the fixture), on
// the pure-JS backend and on every ISA of the native backend this CPU has.
//
// Tolerance: relative 2e-5 plus absolute 2e-6 per element after every one of 60 steps. One float32
// step agrees to about 1e-7 relative (operations rounded in a different order, FMA on AVX2/AVX-512);
// the trajectories feed back through the gradient, so those differences grow slowly over the steps.
// Lion takes the sign of a momentum, which is discontinuous at 0, so it is compared the same way but
// any flip would show as a jump of 2*lr (none occurs on this problem).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor, optim, useBackend, getBackend } from '../src';

interface Case {
  optimizer: string;
  name: string;
  options: Record<string, unknown>;
  groups?: Record<string, unknown>[];
  skip?: boolean;
  trajectory: number[][];
}
const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures/optim/trajectories.json'), 'utf8')) as {
  steps: number; shapes: number[][]; init: number[]; coef: number[]; target: number[]; noise: number[][]; cases: Case[];
};

const f = Math.fround;
const offsets = [0, 6, 8];

function runCase(c: Case): number[][] {
  const params = fx.shapes.map((s, i) => new Tensor(Float32Array.from(fx.init.slice(offsets[i], offsets[i + 1])), s, true));
  const Ctor = (optim as unknown as Record<string, new (p: unknown, o?: unknown) => optim.Optimizer>)[c.optimizer];
  const opt = c.groups ? new Ctor(c.groups.map((g, i) => ({ params: [params[i]], ...g })), c.options) : new Ctor(params, c.options);
  const out: number[][] = [];
  for (let k = 0; k < fx.steps; k++) {
    params.forEach((p, i) => {
      if (c.skip && i === 1 && k % 3 === 0) {
        p.grad = null;
        return;
      }
      const g = new Float32Array(p.size);
      for (let j = 0; j < p.size; j++) {
        const e = offsets[i] + j;
        g[j] = f(f(fx.coef[e] * f(p.data[j] - fx.target[e])) + fx.noise[k][e]);
      }
      if (p.grad) p.grad.data.set(g);
      else p.grad = new Tensor(g, p.shape);
    });
    opt.step();
    out.push(params.flatMap((p) => Array.from(p.data)));
  }
  return out;
}

function maxErr(got: number[][], want: number[][]): { worst: number; at: string } {
  let worst = 0, at = '';
  for (let k = 0; k < want.length; k++) {
    for (let j = 0; j < want[k].length; j++) {
      const e = Math.abs(got[k][j] - want[k][j]) / (2e-5 * Math.abs(want[k][j]) + 2e-6);
      if (!(e <= worst)) {
        worst = e;
        at = `step ${k + 1}, element ${j}: got ${got[k][j]}, PyTorch ${want[k][j]}`;
      }
    }
  }
  return { worst, at };
}

const native = getBackend('native');
const targets: { label: string; setup: () => void }[] = [{ label: 'js', setup: () => useBackend('js') }];
if (native) {
  for (const isa of native.availableIsas()) targets.push({ label: `native ${isa}`, setup: () => (useBackend('native'), native.setIsa(isa)) });
}
const startIsa = native?.isa();

afterAll(() => {
  useBackend(native ? 'native' : 'js');
  if (native && startIsa) native.setIsa(startIsa);
});

describe('optimizers match PyTorch trajectories', () => {
  for (const t of targets) {
    describe(t.label, () => {
      for (const c of fx.cases) {
        it(c.name, () => {
          t.setup();
          const { worst, at } = maxErr(runCase(c), c.trajectory);
          expect(worst, at).toBeLessThanOrEqual(1);
        });
      }
    });
  }
});
