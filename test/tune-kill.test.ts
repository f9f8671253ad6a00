// A search killed with SIGKILL mid-way and started again loses no finished trial. Runs the built CLI
// (dist/, which `npm ci` builds) in a child process; skipped when dist/ is missing or older than src/.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist', 'cli', 'main.js');
const built = (f: string) => path.join(root, 'dist', f.replace(/^src\//, '').replace(/\.ts$/, '.js'));
const sources = ['src/tune/search.ts', 'src/tune/storage.ts', 'src/cli/tune.ts'];
const fresh = sources.every((s) => fs.existsSync(built(s)) && fs.statSync(built(s)).mtimeMs >= fs.statSync(path.join(root, s)).mtimeMs);

describe.skipIf(!fresh)('fastgrad tune killed and restarted', () => {
  it('keeps every trial finished before a SIGKILL and runs only the rest', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fastgrad-kill-')), 'trials.jsonl');
    const args = [cli, 'tune', '--searcher', 'random', '--trials', '8', '--epochs', '1', '--subset', '600', '--no-retrain', '--json', '--seed', '4', '--resume', file];
    // First run: killed as soon as its third trial has been reported (and so saved).
    const killedAfter = await new Promise<number[]>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
      const seen: number[] = [];
      let buf = '';
      child.stdout.on('data', (d) => {
        buf += d;
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) if (l.includes('"type":"trial"')) seen.push(JSON.parse(l).trial);
        if (seen.length >= 3) child.kill('SIGKILL');
      });
      child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(seen) : reject(new Error(`child ended without being killed (${signal})`))));
    });
    const saved = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"type":"trial"')).map((l) => JSON.parse(l));
    expect(saved.length).toBeGreaterThanOrEqual(killedAfter.length);
    expect(saved.length).toBeLessThan(8);

    const second = spawnSync(process.execPath, args, { encoding: 'utf8' });
    expect(second.status).toBe(0);
    const rerun = second.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.type === 'trial').map((l) => l.trial);
    expect(rerun).toEqual([...Array(8).keys()].slice(saved.length));
    const all = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.type === 'trial');
    expect(all.map((t) => t.number)).toEqual([...Array(8).keys()]);
    // The trials saved before the kill are kept as they were.
    expect(all.slice(0, saved.length)).toEqual(saved);
  });
});
