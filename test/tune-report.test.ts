// Reports: self-contained HTML with inline SVG; rendered in headless Chromium when it is installed.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tune, DTypeError } from '../src';

const CHROMIUM = '/usr/bin/chromium';

function checkSelfContained(html: string): void {
  expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:|\/\/)/i);
  expect(html).not.toMatch(/NaN|undefined/);
}

/** Screenshot of a page in headless Chromium; returns the PNG's size in bytes (0 when not run). */
function render(file: string, png: string): number {
  if (!fs.existsSync(CHROMIUM)) return -1;
  const r = spawnSync(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', `--screenshot=${png}`, '--window-size=1200,1600', `file://${file}`], { timeout: 60_000 });
  return r.status === 0 && fs.existsSync(png) ? fs.statSync(png).size : 0;
}

describe('tune reports', () => {
  it('writes a search report with score, best-so-far, per-parameter and learning-curve charts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fastgrad-report-'));
    const space = { lr: tune.logUniform(1e-4, 1e-1), batchSize: tune.choice([64, 128, 256]), dropout: tune.uniform(0, 0.5), act: tune.choice(['relu', 'tanh']) };
    const result = await tune.search(
      (c, ctx) => {
        const q = Math.abs(Math.log10(c.lr as number) + 2.5) * 0.05 + (c.dropout as number) * 0.05;
        const h: tune.Curves = { loss: [], valLoss: [], accuracy: [], valAccuracy: [] };
        for (let e = 0; e < 5; e++) {
          h.loss.push(0.8 / (e + 1) + q);
          h.valLoss.push(0.9 / (e + 1) + q);
          h.accuracy.push(0.9 - q - 0.1 / (e + 1));
          h.valAccuracy.push(0.88 - q - 0.1 / (e + 1));
          ctx.report(e, h.valAccuracy[e]);
        }
        return { score: h.valAccuracy[4], history: h };
      },
      space,
      { trials: 14, metric: 'valAccuracy', pruner: 'median', seed: 3 },
    );
    const file = tune.writeSearchReport(result, dir);
    const html = fs.readFileSync(file, 'utf8');
    checkSelfContained(html);
    // 2 score charts + 4 hyperparameters + 2 learning curves.
    expect(html.match(/<svg /g)!.length).toBe(8);
    expect(html).toContain('best valAccuracy so far');
    expect(html).toContain('lr (log scale)');
    expect(html).toContain('validation accuracy');
    expect(render(file, path.join(dir, 'search.png'))).not.toBe(0);
  });

  it('writes a training report from a History, and keeps one up to date from a fit callback', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fastgrad-report-'));
    const history = { epoch: [0, 1, 2], history: { loss: [0.9, 0.5, 0.4], accuracy: [0.7, 0.8, 0.85], valLoss: [1, 0.6, 0.55], valAccuracy: [0.68, 0.78, 0.8] } };
    const file = tune.writeTrainingReport(history, dir);
    const html = fs.readFileSync(file, 'utf8');
    checkSelfContained(html);
    expect(html.match(/<svg /g)!.length).toBe(2);
    expect(html).toContain('3 epochs');

    const live = path.join(dir, 'live');
    const cb = tune.reportCallback(live);
    cb.onTrainBegin();
    cb.onEpochEnd(0, { loss: 1, valLoss: 1.1 });
    expect(fs.readFileSync(path.join(live, 'index.html'), 'utf8')).toContain('1 epoch.');
    cb.onEpochEnd(1, { loss: 0.5, valLoss: 0.7 });
    expect(fs.readFileSync(path.join(live, 'index.html'), 'utf8')).toContain('2 epochs');
    expect(() => tune.writeTrainingReport(42, dir)).toThrow(DTypeError);
    expect(() => tune.reportCallback('')).toThrow(DTypeError);
  });
});
