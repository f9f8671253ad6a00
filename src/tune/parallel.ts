// Trials in worker threads. Each lane of a parallel search owns one worker, which loads the
// objective module once and runs the lane's trials one after another. A worker's report(step, value)
// asks this thread's pruner: it posts the value and blocks (Atomics.wait, a few microseconds) until
// this thread answers, so pruning sees every trial's values in one place.
//
// The native thread pool is one per process: a parallel search sizes it to cores / lanes before the
// workers start, so N lanes share the cores instead of fighting over them.
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import type { Config } from './space';
import type { ObjectiveResult } from './types';
import { DTypeError } from '../errors';

/** An objective that worker threads can load: a JS module file and the name of its export. */
export interface ObjectiveModule {
  /** Path of a CommonJS module (absolute, or relative to the working directory). */
  module: string;
  /** Export name of the objective (default: the module's default export or the module itself). */
  export?: string;
  /**
   * When given, the export is a factory: the objective is `await export(args)` (args are copied to
   * the worker by structured clone), made once per worker (e.g. to load data once).
   */
  args?: unknown;
}

// Plain JS, run with eval so it needs no build step: it works the same from src/ under a test runner
// and from dist/.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const mod = require(workerData.module);
const exported = workerData.export ? mod[workerData.export] : (typeof mod === 'function' ? mod : mod.default);
if (typeof exported !== 'function') throw new TypeError('objective module ' + workerData.module + ' has no function export ' + (workerData.export || 'default'));
const ready = workerData.hasArgs ? Promise.resolve().then(() => exported(workerData.args)) : Promise.resolve(exported);
ready.catch(() => {}); // reported with the first trial that awaits it
parentPort.on('message', async (job) => {
  const flag = new Int32Array(job.signal);
  const ctx = {
    trial: job.trial,
    seed: job.seed,
    report(step, value) {
      Atomics.store(flag, 0, 0);
      parentPort.postMessage({ type: 'report', step, value });
      Atomics.wait(flag, 0, 0);
      if (Atomics.load(flag, 0) === 2) {
        const e = new Error('trial pruned at step ' + step);
        e.name = 'TrialPruned';
        throw e;
      }
    },
  };
  try {
    const objective = await ready;
    const result = await objective(job.config, ctx);
    parentPort.postMessage({ type: 'done', result });
  } catch (e) {
    parentPort.postMessage({ type: 'error', name: e && e.name, message: e && e.message ? e.message : String(e), stack: e && e.stack });
  }
});
`;

export class WorkerLane {
  private worker: Worker | undefined;
  private readonly file: string;

  constructor(private readonly target: ObjectiveModule, _lanes: number) {
    if (typeof target.module !== 'string') throw new DTypeError('tune.search: an objective module needs a module path');
    this.file = path.resolve(target.module);
  }

  private start(): Worker {
    return (this.worker ??= new Worker(WORKER_SOURCE, { eval: true, workerData: { module: this.file, export: this.target.export, hasArgs: 'args' in this.target, args: this.target.args } }));
  }

  run(trial: number, seed: number, config: Config, report: (step: number, value: number) => boolean): Promise<ObjectiveResult> {
    const w = this.start();
    const signal = new SharedArrayBuffer(4);
    const flag = new Int32Array(signal);
    return new Promise((resolve, reject) => {
      const onMessage = (m: { type: string; step: number; value: number; result: ObjectiveResult; name: string; message: string; stack?: string }) => {
        if (m.type === 'report') {
          let prune = false;
          try {
            prune = report(m.step, m.value);
          } finally {
            Atomics.store(flag, 0, prune ? 2 : 1);
            Atomics.notify(flag, 0);
          }
          return;
        }
        cleanup();
        if (m.type === 'done') resolve(m.result);
        else {
          const e = new Error(m.message);
          e.name = m.name ?? 'Error';
          if (m.stack) e.stack = m.stack;
          reject(e);
        }
      };
      const onError = (e: Error) => {
        cleanup();
        this.worker = undefined;
        reject(e);
      };
      const onExit = (code: number) => {
        cleanup();
        this.worker = undefined;
        reject(new Error(`tune: the worker running trial ${trial} exited with code ${code}`));
      };
      const cleanup = () => {
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
      };
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      w.postMessage({ trial, seed, config, signal });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
