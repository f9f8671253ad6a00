// Results files: one JSON object per line (JSONL), appended and fsynced as each trial finishes, so a
// search killed at any moment keeps every trial that had finished; a line cut short by the kill is
// ignored on reading. The first line describes the search, so a file is never resumed with another
// space, metric or direction.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FormatError, ValueError } from '../errors';
import type { Trial } from './types';

export interface StorageHeader {
  type: 'header';
  version: 1;
  space: string;
  metric: string;
  direction: 'min' | 'max';
  searcher: string;
}

/** JSON with NaN and infinities written as null (JSON has no NaN); read back as NaN. */
function encodeTrial(t: Trial): string {
  return JSON.stringify({ type: 'trial', ...t }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
}

function decodeNumber(v: unknown): number {
  return typeof v === 'number' ? v : NaN;
}

export class TrialStorage {
  private constructor(readonly file: string, readonly trials: Trial[]) {}

  /**
   * Opens (creating if needed) a results file. Trials already in it are returned in `trials`; its
   * header must match `header`, else a ValueError says what differs.
   */
  static open(file: string, header: StorageHeader): TrialStorage {
    const trials: Trial[] = [];
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const lines = text.split('\n');
    // A kill during a write leaves at most the last line incomplete: drop it and rewrite the file
    // without it, so later appends start on a fresh line.
    const complete = lines.slice(0, -1);
    const dropped = !text.endsWith('\n') && lines[lines.length - 1] !== '';
    let sawHeader = false;
    complete.forEach((line, i) => {
      if (line.trim() === '') return;
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line);
      } catch {
        throw new FormatError(`results file ${file}: line ${i + 1} is not JSON (only the last line may be cut short)`);
      }
      if (rec.type === 'header') {
        sawHeader = true;
        for (const key of ['space', 'metric', 'direction'] as const) {
          if (rec[key] !== header[key]) {
            throw new ValueError(
              `results file ${file} was made by a search with a different ${key} (${String(rec[key]).slice(0, 80)} vs ${String(header[key]).slice(0, 80)}); use another file to start a new search`,
            );
          }
        }
      } else if (rec.type === 'trial') {
        const { type: _type, ...t } = rec as Record<string, unknown> & Trial;
        trials.push({ ...(t as Trial), score: decodeNumber(t.score), intermediate: ((t.intermediate as unknown[]) ?? []).map(decodeNumber) });
      }
    });
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    if (!sawHeader) {
      if (complete.some((l) => l.trim() !== '')) throw new FormatError(`results file ${file} has no header line: not a fastgrad search file`);
      writeAtomic(file, JSON.stringify(header) + '\n');
    } else if (dropped) {
      writeAtomic(file, complete.join('\n') + '\n');
    }
    return new TrialStorage(file, trials);
  }

  /** Appends one finished trial and waits until it is on disk. */
  append(t: Trial): void {
    const fd = fs.openSync(this.file, 'a');
    try {
      fs.writeSync(fd, encodeTrial(t) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    this.trials.push(t);
  }
}

/** Writes a file so that readers see the old or the new content, never a mix (temp file, fsync, rename). */
export function writeAtomic(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}
