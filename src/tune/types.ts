// Shapes shared across the tune module.
import type { Config, Space } from './space';
import { FastgradError } from '../errors';

export type Direction = 'min' | 'max';
export type TrialState = 'complete' | 'pruned' | 'failed';

/** Per-epoch learning curves, as fit's History holds them (loss, accuracy, valLoss, valAccuracy ...). */
export type Curves = Record<string, number[]>;

export interface Trial {
  /** 0-based, in the order trials were proposed. */
  number: number;
  config: Config;
  state: TrialState;
  /** The objective's value (the mean over folds for cross-validation); NaN when failed. */
  score: number;
  /** Values reported after each step (epoch), for pruning and learning curves. */
  intermediate: number[];
  /** Learning curves of the first fold (model searches). */
  history?: Curves;
  /** Score of each fold (cross-validation). */
  foldScores?: number[];
  seconds: number;
  /** Why a trial failed. */
  error?: string;
}

export interface BestTrial {
  number: number;
  config: Config;
  score: number;
  history?: Curves;
}

export interface SearchResult {
  trials: Trial[];
  /** The space searched (reports read the scales from it). */
  space?: Space;
  best: BestTrial;
  metric: string;
  direction: Direction;
}

/** What an objective gets besides its config. */
export interface TrialContext {
  trial: number;
  /** A seed for this trial (model initialisation, shuffling), derived from the search seed. */
  seed: number;
  /**
   * Reports the value after a step (epoch); throws TrialPruned when the pruner stops the trial
   * (let it propagate).
   */
  report(step: number, value: number): void;
}

/** What an objective returns: a score, or a score with learning curves. */
export type ObjectiveResult = number | { score: number; history?: Curves; foldScores?: number[] };

export type Objective = (config: Config, ctx: TrialContext) => ObjectiveResult | Promise<ObjectiveResult>;

/** Thrown by TrialContext.report when the pruner stops a trial. */
export class TrialPruned extends FastgradError {
  constructor(readonly step: number) {
    super(`trial pruned at step ${step}`);
  }
}
