// `fastgrad tune` in-process on a small subset: JSON lines, a report, resume from the results file,
// and argument errors.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../src/cli/tune';
import { ValueError } from '../src';

async function capture(args: string[]): Promise<{ code: number; lines: Record<string, any>[] }> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out.push(String(s));
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await run(args);
    return { code, lines: out.join('').trim().split('\n').map((l) => JSON.parse(l)) };
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
}

describe('fastgrad tune', () => {
  afterEach(() => vi.restoreAllMocks());

  it('searches, prints JSON lines, writes a report, and resumes from --resume', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fastgrad-tune-cli-'));
    const file = path.join(dir, 'trials.jsonl');
    const common = ['--model', 'mlp', '--searcher', 'random', '--epochs', '1', '--subset', '800', '--cv', '2', '--no-retrain', '--json', '--seed', '3', '--resume', file];
    const first = await capture([...common, '--trials', '2', '--report', dir]);
    expect(first.code).toBe(0);
    const trials = first.lines.filter((l) => l.type === 'trial');
    expect(trials.length).toBe(2);
    expect(trials[0].foldScores.length).toBe(2);
    expect(Object.keys(trials[0].config).sort()).toEqual(['batchSize', 'dropout', 'lr', 'weightDecay']);
    const result = first.lines[first.lines.length - 1];
    expect(result.type).toBe('result');
    expect(result.best.valAccuracy).toBeGreaterThan(0.3);
    expect(result.best.scoring).toBe('2-fold cross-validated');
    expect(fs.readFileSync(path.join(dir, 'index.html'), 'utf8')).toContain('<svg');

    const second = await capture([...common, '--trials', '3']);
    const again = second.lines.filter((l) => l.type === 'trial');
    expect(again.map((t) => t.trial)).toEqual([2]);
    expect(second.lines[second.lines.length - 1].trials).toBe(3);
  });

  it('rejects bad arguments with clear errors', async () => {
    await expect(run(['--model', 'cnn'])).rejects.toThrow(ValueError);
    await expect(run(['--cv', '1'])).rejects.toThrow(/--cv needs an integer >= 2/);
    await expect(run(['--searcher', 'hill'])).rejects.toThrow(/--searcher/);
    await expect(run(['--trials', 'many'])).rejects.toThrow(/--trials/);
    await expect(run(['--cv', '3', '--holdout', '0.2'])).rejects.toThrow(/not both/);
    await expect(run(['--frobnicate'])).rejects.toThrow(/unknown option/);
  });
});
