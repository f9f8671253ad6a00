// Standard test functions for global optimisers, with their spaces and known minima: the Bayesian
// searcher is checked (test/tune-searchers.test.ts, bench/tune.ts) on how fast it closes the gap
// (the regret) to the minimum compared with random search.
import { uniform, type Config, type Space } from './space';

/** Branin-Hoo on x1 in [-5, 10], x2 in [0, 15]; three global minima of 0.397887. */
export const branin = {
  space: { x1: uniform(-5, 10), x2: uniform(0, 15) } as Space,
  minimum: 0.39788735772973816,
  f(cfg: Config): number {
    const x1 = cfg.x1 as number;
    const x2 = cfg.x2 as number;
    const b = 5.1 / (4 * Math.PI * Math.PI);
    const c = 5 / Math.PI;
    const t = 1 / (8 * Math.PI);
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
  },
};

const H_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((r) => r.map((v) => v * 1e-4));

/** Hartmann-6 on [0, 1]^6; global minimum -3.32237. */
export const hartmann6 = {
  space: Object.fromEntries([0, 1, 2, 3, 4, 5].map((i) => [`x${i}`, uniform(0, 1)])) as Space,
  minimum: -3.322368011415515,
  f(cfg: Config): number {
    let s = 0;
    for (let i = 0; i < 4; i++) {
      let inner = 0;
      for (let j = 0; j < 6; j++) inner += H_A[i][j] * ((cfg[`x${j}`] as number) - H_P[i][j]) ** 2;
      s += H_ALPHA[i] * Math.exp(-inner);
    }
    return -s;
  },
};
