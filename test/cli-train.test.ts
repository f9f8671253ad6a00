import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { run, parseTrainArgs } from '../src/cli/train';
import { load, loadTensors } from '../src';

/** Runs `fastgrad train` in-process, capturing stdout and stderr. */
async function train(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const ow = process.stdout.write, ew = process.stderr.write;
  process.stdout.write = ((s: string) => (out.push(String(s)), true)) as never;
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as never;
  try {
    const code = await run(args);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

describe('fastgrad train', () => {
  it('--help lists the options', async () => {
    const r = await train(['--help']);
    expect(r.code).toBe(0);
    for (const o of ['--data', '--epochs', '--batch-size', '--lr', '--optimizer', '--threads', '--seed', '--save', '--model', '--json']) expect(r.out).toContain(o);
  });

  it('bad options: a clear message and exit code 2', async () => {
    for (const [args, re] of [
      [['--epochs', '0'], /--epochs must be an integer >= 1, got '0'/],
      [['--lr', 'abc'], /--lr must be a positive number/],
      [['--optimizer', 'sgdd'], /--optimizer must be one of sgd, momentum/],
      [['--model', 'resnet'], /--model must be one of mlp/],
      [['--frobnicate'], /unknown option '--frobnicate'/],
      [['--batch-size'], /--batch-size needs a value/],
    ] as [string[], RegExp][]) {
      const r = await train(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.out).toBe('');
    }
    expect(parseTrainArgs(['--lr=0.01', '--batch-size', '64', '--optimizer', 'AdamW'])).toMatchObject({ lr: 0.01, batchSize: 64, optimizer: 'adamw' });
  });

  it('end to end on Fashion-MNIST: one epoch of the MLP at constant lr reaches >= 84% test accuracy (seed 1; 84.6% measured); --json and --save', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fastgrad-cli-'));
    const file = path.join(dir, 'mlp.safetensors');
    const r = await train(['--epochs', '1', '--schedule', 'none', '--json', '--seed', '1', '--save', file]);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(1); // nothing but the JSON on stdout
    const rec = JSON.parse(lines[0]);
    expect(Object.keys(rec)).toEqual(['epoch', 'seconds', 'loss', 'trainAccuracy', 'testLoss', 'testAccuracy']);
    expect(rec.epoch).toBe(1);
    expect(rec.testAccuracy).toBeGreaterThanOrEqual(0.84);
    // The saved model is PyTorch-named and rebuilds with the same test accuracy.
    const { tensors, metadata } = loadTensors(file);
    expect(Object.keys(tensors)).toEqual(['1.weight', '1.bias', '3.weight', '3.bias', '5.weight', '5.bias']);
    expect(tensors['1.weight'].shape).toEqual([256, 784]);
    expect(JSON.parse(metadata['fastgrad.architecture']).type).toBe('Sequential');
    const model = await load(file);
    const { data } = await import('../src');
    const { test } = await data.fashionMnist();
    const ev = await model.evaluate(test);
    expect(ev.accuracy).toBeCloseTo(rec.testAccuracy, 4);
  });
});
