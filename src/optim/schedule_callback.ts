// A learning-rate schedule as a fit() callback. src/train/callbacks.ts re-exports this as
// `callbacks.lrScheduler(scheduler, options)`.
//
// Contract with the training loop: fit calls `onBatchEnd(batch, logs)` after every optimizer step and
// `onEpochEnd(epoch, logs)` after each epoch (validation included), where `logs` maps metric names
// to numbers: `loss`, `accuracy`, ... and, with validation data, `valLoss`, `valAccuracy`, ...
// The callback steps the schedule once per epoch (the default) or once per batch (`perBatch: true`,
// e.g. for OneCycleLR). ReduceLROnPlateau is stepped with the monitored metric.
import { ValueError, DTypeError, describe } from '../errors';
import { ChainedScheduler, LRScheduler, ReduceLROnPlateau, SequentialLR } from './lr_scheduler';

/** Everything the callback can step. */
export type AnySchedule = LRScheduler | SequentialLR | ChainedScheduler | ReduceLROnPlateau;

export type Logs = Readonly<Record<string, number | undefined>>;

export interface LrSchedulerCallbackOptions {
  /** Step after every batch instead of after every epoch (default false). */
  perBatch?: boolean;
  /**
   * For ReduceLROnPlateau: the logs entry to watch (default 'valLoss', falling back to 'loss' when
   * there is no validation data; an explicit name must be present).
   */
  monitor?: string;
}

export class LrSchedulerCallback {
  readonly scheduler: AnySchedule;
  readonly perBatch: boolean;
  readonly monitor: string;
  private readonly monitorExplicit: boolean;

  constructor(scheduler: AnySchedule, opts: LrSchedulerCallbackOptions = {}) {
    if (!(scheduler instanceof LRScheduler || scheduler instanceof SequentialLR || scheduler instanceof ChainedScheduler || scheduler instanceof ReduceLROnPlateau)) {
      throw new DTypeError(`lrScheduler: argument 'scheduler' must be a learning-rate schedule, got ${describe(scheduler)}`);
    }
    const perBatch = opts.perBatch ?? false;
    if (typeof perBatch !== 'boolean') throw new DTypeError(`lrScheduler: option 'perBatch' must be a boolean, got ${describe(perBatch)}`);
    if (opts.monitor !== undefined && typeof opts.monitor !== 'string') {
      throw new DTypeError(`lrScheduler: option 'monitor' must be a string, got ${describe(opts.monitor)}`);
    }
    this.scheduler = scheduler;
    this.perBatch = perBatch;
    this.monitorExplicit = opts.monitor !== undefined;
    this.monitor = opts.monitor ?? (perBatch ? 'loss' : 'valLoss');
  }

  onBatchEnd(_batch: number, logs: Logs = {}): void {
    if (this.perBatch) this.advance(logs);
  }

  onEpochEnd(_epoch: number, logs: Logs = {}): void {
    if (!this.perBatch) this.advance(logs);
  }

  /** The current learning rate of each parameter group. */
  getLastLr(): number[] {
    return this.scheduler.getLastLr();
  }

  private advance(logs: Logs): void {
    const s = this.scheduler;
    if (s instanceof ReduceLROnPlateau) {
      let value = logs[this.monitor];
      if (value === undefined && !this.monitorExplicit) value = logs.loss;
      if (typeof value !== 'number') {
        const have = Object.keys(logs).join(', ') || 'nothing';
        throw new ValueError(`lrScheduler: ReduceLROnPlateau monitors '${this.monitor}', which the logs do not hold (they hold ${have})`);
      }
      s.step(value);
    } else {
      s.step();
    }
  }
}

/** A fit() callback that steps `scheduler` per epoch (default) or per batch. */
export function lrSchedulerCallback(
  scheduler: AnySchedule,
  opts: LrSchedulerCallbackOptions = {},
): LrSchedulerCallback {
  return new LrSchedulerCallback(scheduler, opts);
}

