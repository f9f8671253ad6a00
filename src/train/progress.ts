// The progress display of fit. On a TTY: one line per epoch, rewritten in place with \r (epoch,
// batch, loss and metrics, samples/s, ETA), redrawn at most every 100 ms so drawing costs nothing
// measurable. Not on a TTY: nothing, or one summary line per epoch when asked (logs, CI).
import type { Callback, FitContext, Logs } from './callbacks';

export interface ProgressBarOptions {
  /** Where to draw (default process.stdout). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** When the stream is not a TTY: 'silent' (default) or 'epoch' (one line per epoch). */
  notTTY?: 'silent' | 'epoch';
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(4);
}

function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Math.round(s - 60 * m).toString().padStart(2, '0')}s`;
}

export class ProgressBar implements Callback {
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  private readonly tty: boolean;
  private readonly perEpoch: boolean;
  private ctx: FitContext | undefined;
  private epoch = 0;
  private epochStart = 0;
  private lastDraw = 0;
  private samples = 0;
  private lossSum = 0;

  constructor(opts: ProgressBarOptions = {}) {
    this.stream = opts.stream ?? process.stdout;
    this.tty = this.stream.isTTY === true;
    this.perEpoch = !this.tty && opts.notTTY === 'epoch';
  }

  onTrainBegin(ctx: FitContext): void {
    this.ctx = ctx;
  }

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
    this.epochStart = performance.now();
    this.lastDraw = 0;
    this.samples = 0;
    this.lossSum = 0;
  }

  onBatchEnd(batch: number, logs: Logs): void {
    this.samples += logs.size;
    this.lossSum += logs.loss * logs.size;
    if (!this.tty || !this.ctx) return;
    const now = performance.now();
    const steps = this.ctx.params.steps;
    if (now - this.lastDraw < 100 && batch + 1 < steps) return;
    this.lastDraw = now;
    const secs = (now - this.epochStart) / 1000;
    const rate = this.samples / Math.max(secs, 1e-9);
    const eta = ((steps - batch - 1) * secs) / (batch + 1);
    const width = 20;
    const done = Math.round((width * (batch + 1)) / steps);
    const bar = '='.repeat(Math.max(done - 1, 0)) + (done < width ? '>' : '=') + '.'.repeat(width - done);
    this.draw(
      `${this.prefix()} ${String(batch + 1).padStart(String(steps).length)}/${steps} [${bar}] ` +
        `loss ${fmt(this.lossSum / this.samples)}  ${Math.round(rate)} samples/s  ETA ${fmtSeconds(eta)}`,
    );
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    if (!this.tty && !this.perEpoch) return;
    const secs = (performance.now() - this.epochStart) / 1000;
    const parts = Object.entries(logs).map(([k, v]) => `${k} ${fmt(v)}`);
    const line = `${this.prefix()} ${fmtSeconds(secs)}  ${Math.round(this.samples / Math.max(secs, 1e-9))} samples/s  ${parts.join('  ')}`;
    if (this.tty) this.draw(line);
    else this.stream.write(line);
    this.stream.write('\n');
  }

  private prefix(): string {
    const epochs = this.ctx ? this.ctx.params.epochs : 0;
    return `Epoch ${String(this.epoch + 1).padStart(String(epochs).length)}/${epochs}`;
  }

  private draw(line: string): void {
    const cols = this.stream.columns ?? 120;
    // \r to the line start, the text (cut to the terminal width), then clear to the end of line.
    this.stream.write(`\r${line.length >= cols ? line.slice(0, cols - 1) : line}\x1b[K`);
  }
}
