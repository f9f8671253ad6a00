// Callbacks for fit, after Keras: hooks at the start and end of training, of each epoch and of each
// batch. A callback gets the FitContext in onTrainBegin (the model, the optimizer, the run's sizes)
// and may stop training by setting ctx.stopTraining. Epochs and batches count from 0.
import type { Module } from '../nn/module';
import type { Tensor } from '../tensor/tensor';
import { DTypeError, ValueError, checkFinite, checkInt, describe } from '../errors';
import { ProgressBar, type ProgressBarOptions } from './progress';

/** Numbers by name: 'loss', 'accuracy', 'valLoss', 'valAccuracy', 'lr', ... */
export type Logs = Record<string, number>;

/** What fit needs of an optimizer (src/optim's Optimizer has it). */
export interface OptimizerLike {
  step(): unknown;
  zeroGrad(): void;
  paramGroups?: { lr: number }[];
}

export interface FitParams {
  epochs: number;
  /** Batches per epoch. */
  steps: number;
  /** Training samples per epoch. */
  samples: number;
  batchSize: number;
  /** Whether validation runs at the end of each epoch. */
  validation: boolean;
  /** Metric names logged per epoch (without the 'val' prefix), 'loss' first. */
  metrics: string[];
}

export interface FitContext {
  model: Module;
  optimizer: OptimizerLike;
  params: FitParams;
  /** Set to true to end training after the current batch. */
  stopTraining: boolean;
}

type Hook<A extends unknown[]> = (...args: A) => void | Promise<void>;

export interface Callback {
  onTrainBegin?: Hook<[ctx: FitContext]>;
  onTrainEnd?: Hook<[logs: Logs]>;
  onEpochBegin?: Hook<[epoch: number]>;
  /** logs: the epoch's training loss and metrics, and validation ones prefixed 'val' (valLoss). */
  onEpochEnd?: Hook<[epoch: number, logs: Logs]>;
  onBatchBegin?: Hook<[batch: number]>;
  /** logs: { loss, size } of this batch (size = samples in it). */
  onBatchEnd?: Hook<[batch: number, logs: Logs]>;
}

/** 'min' for losses and errors, 'max' for accuracy-like metrics. */
export function monitorMode(monitor: string): 'min' | 'max' {
  return /acc|precision|recall|f1|auc/i.test(monitor) ? 'max' : 'min';
}

export interface EarlyStoppingOptions {
  /** The logged quantity to watch (default 'valLoss'). */
  monitor?: string;
  /** The smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** 'min', 'max', or 'auto' (from the name: accuracy-like is max; default). */
  mode?: 'min' | 'max' | 'auto';
  /** Put back the weights of the best epoch when training ends (default false). */
  restoreBestWeights?: boolean;
  /** Stop unless the monitored value beats this. */
  baseline?: number;
}

export class EarlyStopping implements Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly restoreBestWeights: boolean;
  readonly baseline: number | undefined;
  /** The best value seen, its epoch, and the epoch training stopped at (-1: did not stop). */
  best = NaN;
  bestEpoch = -1;
  stoppedEpoch = -1;
  private wait = 0;
  private ctx: FitContext | undefined;
  private bestWeights: Float32Array[] | undefined;
  private warned = false;

  constructor(opts: EarlyStoppingOptions = {}) {
    this.monitor = opts.monitor ?? 'valLoss';
    if (typeof this.monitor !== 'string') throw new DTypeError(`earlyStopping: option 'monitor' must be a string, got ${describe(this.monitor)}`);
    this.minDelta = Math.abs(checkFinite("earlyStopping: option 'minDelta'", opts.minDelta ?? 0));
    this.patience = checkInt("earlyStopping: option 'patience'", opts.patience ?? 0, 0);
    const mode = opts.mode ?? 'auto';
    if (mode !== 'min' && mode !== 'max' && mode !== 'auto') {
      throw new ValueError(`earlyStopping: option 'mode' must be 'min', 'max' or 'auto', got ${describe(mode)}`);
    }
    this.mode = mode === 'auto' ? monitorMode(this.monitor) : mode;
    this.restoreBestWeights = opts.restoreBestWeights ?? false;
    this.baseline = opts.baseline === undefined ? undefined : checkFinite("earlyStopping: option 'baseline'", opts.baseline);
  }

  onTrainBegin(ctx: FitContext): void {
    this.ctx = ctx;
    this.wait = 0;
    this.best = NaN;
    this.bestEpoch = -1;
    this.stoppedEpoch = -1;
  }

  private improves(current: number, reference: number): boolean {
    if (Number.isNaN(reference)) return true;
    return this.mode === 'min' ? current < reference - this.minDelta : current > reference + this.minDelta;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const current = logs[this.monitor];
    if (current === undefined) {
      if (!this.warned) {
        this.warned = true;
        process.emitWarning(
          `earlyStopping: '${this.monitor}' is not logged (logged: ${Object.keys(logs).join(', ')}); it has no effect`,
        );
      }
      return;
    }
    this.wait++;
    if (!Number.isNaN(current) && this.improves(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.snapshot();
      if (this.baseline === undefined || this.improves(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && this.ctx) {
      this.stoppedEpoch = epoch;
      this.ctx.stopTraining = true;
    }
  }

  onTrainEnd(): void {
    if (this.restoreBestWeights && this.bestWeights && this.ctx) {
      const tensors = Object.values(this.ctx.model.stateDict());
      tensors.forEach((t, i) => t.data.set(this.bestWeights![i]));
    }
  }

  /** Copies the weights into buffers kept from the last snapshot (no allocation after the first). */
  private snapshot(): void {
    const tensors: Tensor[] = Object.values(this.ctx!.model.stateDict());
    if (!this.bestWeights || this.bestWeights.length !== tensors.length) this.bestWeights = tensors.map((t) => new Float32Array(t.size));
    tensors.forEach((t, i) => this.bestWeights![i].set(t.data));
  }
}

/** Stops training when the monitored quantity stops improving (see EarlyStoppingOptions). */
export function earlyStopping(opts: EarlyStoppingOptions = {}): EarlyStopping {
  return new EarlyStopping(opts);
}

/** Stops training at the first batch whose loss is NaN or infinite. */
export class TerminateOnNaN implements Callback {
  private ctx: FitContext | undefined;
  /** The batch that had a non-finite loss, or -1. */
  stoppedBatch = -1;

  onTrainBegin(ctx: FitContext): void {
    this.ctx = ctx;
  }

  onBatchEnd(batch: number, logs: Logs): void {
    if (!Number.isFinite(logs.loss) && this.ctx) {
      this.stoppedBatch = batch;
      this.ctx.stopTraining = true;
      process.stderr.write(`terminateOnNaN: batch ${batch}: loss is ${logs.loss}, stopping training\n`);
    }
  }
}

export function terminateOnNaN(): TerminateOnNaN {
  return new TerminateOnNaN();
}

/** A one-line progress bar on a TTY (see ProgressBar); silent when the stream is not a TTY. */
export function progressBar(opts: ProgressBarOptions = {}): ProgressBar {
  return new ProgressBar(opts);
}

export { ProgressBar, type ProgressBarOptions };

/**
 * Steps a learning-rate schedule from fit: once per epoch (default) or per batch ({ perBatch: true });
 * ReduceLROnPlateau is stepped with the monitored value (see src/optim/schedule_callback.ts).
 */
export { lrSchedulerCallback as lrScheduler, LrSchedulerCallback, type LrSchedulerCallbackOptions } from '../optim/schedule_callback';
export { reportCallback as htmlReport } from '../tune/report';
