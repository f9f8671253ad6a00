// Pruners stop trials that are going nowhere, from the values a trial reports after each step
// (epoch). Values here are losses (lower is better; the search negates scores it maximises).
import { ValueError, checkInt, describe } from '../errors';

/** What a pruner sees of the other trials: their reported values by step, and whether they finished. */
export interface PeerTrial {
  values: readonly number[];
  complete: boolean;
}

export interface Pruner {
  readonly name: string;
  /** True when a trial that reported `value` at `step` should stop. */
  shouldPrune(step: number, value: number, peers: readonly PeerTrial[]): boolean;
}

function median(v: number[]): number {
  const s = v.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Stops a trial whose value at a step is worse than the median of the completed trials' values at
 * that step (Optuna's MedianPruner), once `startupTrials` trials have completed and after
 * `warmupSteps` steps.
 */
export class MedianPruner implements Pruner {
  readonly name = 'median';
  readonly startupTrials: number;
  readonly warmupSteps: number;
  constructor(options: { startupTrials?: number; warmupSteps?: number } = {}) {
    this.startupTrials = checkInt("median pruner: option 'startupTrials'", options.startupTrials ?? 3, 1);
    this.warmupSteps = checkInt("median pruner: option 'warmupSteps'", options.warmupSteps ?? 1, 0);
  }
  shouldPrune(step: number, value: number, peers: readonly PeerTrial[]): boolean {
    if (step < this.warmupSteps) return false;
    if (!Number.isFinite(value)) return true;
    const at = peers.filter((p) => p.complete && step < p.values.length && Number.isFinite(p.values[step])).map((p) => p.values[step]);
    if (at.length < this.startupTrials) return false;
    return value > median(at);
  }
}

/**
 * Asynchronous successive halving (ASHA): rungs at steps minSteps * eta^k; at a rung a trial goes on
 * only if its value is in the best 1/eta of every value reported at that rung so far.
 */
export class SuccessiveHalvingPruner implements Pruner {
  readonly name = 'successiveHalving';
  readonly minSteps: number;
  readonly eta: number;
  constructor(options: { minSteps?: number; reductionFactor?: number } = {}) {
    this.minSteps = checkInt("successive halving pruner: option 'minSteps'", options.minSteps ?? 1, 1);
    this.eta = checkInt("successive halving pruner: option 'reductionFactor'", options.reductionFactor ?? 3, 2);
  }
  /** Whether step (0-based) ends a rung: after minSteps, minSteps*eta, minSteps*eta^2 ... steps. */
  isRung(step: number): boolean {
    for (let r = this.minSteps; r <= step + 1; r *= this.eta) if (r === step + 1) return true;
    return false;
  }
  shouldPrune(step: number, value: number, peers: readonly PeerTrial[]): boolean {
    if (!Number.isFinite(value)) return true;
    if (!this.isRung(step)) return false;
    const at = peers.filter((p) => step < p.values.length && Number.isFinite(p.values[step])).map((p) => p.values[step]);
    at.push(value);
    const keep = Math.max(1, Math.floor(at.length / this.eta));
    at.sort((a, b) => a - b);
    return value > at[keep - 1];
  }
}

export type PrunerName = 'median' | 'successiveHalving' | 'none';

export function makePruner(spec: PrunerName | Pruner | undefined | null): Pruner | undefined {
  if (spec === undefined || spec === null || spec === 'none') return undefined;
  if (typeof spec === 'object' && typeof spec.shouldPrune === 'function') return spec;
  if (spec === 'median') return new MedianPruner();
  if (spec === 'successiveHalving') return new SuccessiveHalvingPruner();
  throw new ValueError(`tune.search: option 'pruner' must be 'median', 'successiveHalving', 'none' or a Pruner, got ${describe(spec)}`);
}
