// HTML reports with inline SVG charts: one page per search (score per trial, best so far, each
// hyperparameter against the score, learning curves of the best trial) and one per training run
// (loss and metrics per epoch, training against validation). Self-contained: no scripts, no external
// files, so a page opens anywhere, offline, and can be attached to a ticket as it is.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeAtomic } from './storage';
import type { Curves, SearchResult, Trial } from './types';
import type { Domain, Space } from './space';
import { DTypeError, describe } from '../errors';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A number for a label: 3 significant digits, exponent form when tiny or huge. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(1).replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

/** About n round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return out;
}

export interface Series {
  name: string;
  points: [number, number][];
  /** 'line' (default), 'points', or 'step' (best-so-far). */
  style?: 'line' | 'points' | 'step';
  color?: string;
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  /** Category names for an x axis of categories (x = index). */
  categories?: string[];
  width?: number;
  height?: number;
}

/** An SVG chart of lines and points with axes, ticks and a legend. */
export function svgChart(series: Series[], o: ChartOptions): string {
  const W = o.width ?? 540;
  const H = o.height ?? 320;
  const m = { l: 62, r: 16, t: 46, b: 46 };
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!o.logX || x > 0));
  const tx = (x: number) => (o.logX ? Math.log10(x) : x);
  let [x0, x1] = pts.length ? [Math.min(...pts.map((p) => tx(p[0]))), Math.max(...pts.map((p) => tx(p[0])))] : [0, 1];
  let [y0, y1] = pts.length ? [Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1]))] : [0, 1];
  if (o.categories) [x0, x1] = [-0.5, o.categories.length - 0.5];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - Math.abs(y0) * 0.1 - 1e-9, y1 + Math.abs(y1) * 0.1 + 1e-9];
  const padY = (y1 - y0) * 0.05;
  y0 -= padY;
  y1 += padY;
  const px = (x: number) => m.l + ((tx(x) - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${esc(o.title)}</text>`);
  // Axes with grid lines.
  const yt = ticks(y0, y1);
  for (const t of yt) {
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${py(t)}" y2="${py(t)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.l - 5}" y="${py(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  const xt = o.categories
    ? o.categories.map((_, i) => i)
    : o.logX
      ? ticks(Math.floor(x0), Math.ceil(x1), Math.max(1, Math.min(6, Math.ceil(x1) - Math.floor(x0)))).filter((t) => Number.isInteger(t) && t >= x0 - 1e-9 && t <= x1 + 1e-9).map((t) => 10 ** t)
      : ticks(x0, x1);
  for (const t of xt) {
    const x = o.categories ? m.l + ((t - x0) / (x1 - x0)) * (W - m.l - m.r) : px(t);
    const label = o.categories ? o.categories[t] : fmt(t);
    out.push(`<line x1="${x}" x2="${x}" y1="${m.t}" y2="${H - m.b}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${x}" y="${H - m.b + 15}" text-anchor="middle">${esc(label)}</text>`);
  }
  out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" stroke="#333"/>`);
  out.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" stroke="#333"/>`);
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle">${esc(o.xLabel)}${o.logX ? ' (log scale)' : ''}</text>`);
  out.push(`<text transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  // Series, with a one-row legend between the title and the plot.
  let legendX = m.l;
  series.forEach((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length];
    const ok = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!o.logX || x > 0));
    const sx = (x: number) => (o.categories ? m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r) : px(x));
    if (s.style === 'points') {
      for (const [x, y] of ok) out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3.5" fill="${color}" fill-opacity="0.75"/>`);
    } else if (ok.length) {
      let d = '';
      ok.forEach(([x, y], j) => {
        if (j === 0) d += `M${sx(x).toFixed(1)},${py(y).toFixed(1)}`;
        else if (s.style === 'step') d += `H${sx(x).toFixed(1)}V${py(y).toFixed(1)}`;
        else d += `L${sx(x).toFixed(1)},${py(y).toFixed(1)}`;
      });
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
      if (ok.length <= 60) for (const [x, y] of ok) out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="2.5" fill="${color}"/>`);
    }
    if (!s.points.length) return; // nothing drawn, nothing to name
    out.push(`<rect x="${legendX}" y="26" width="10" height="10" fill="${color}"/>`);
    out.push(`<text x="${legendX + 14}" y="35">${esc(s.name)}</text>`);
    legendX += 30 + 6 * s.name.length;
  });
  out.push('</svg>');
  return out.join('\n');
}

const PAGE_STYLE = `body{font-family:sans-serif;margin:24px;color:#222;max-width:1160px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}.grid{display:flex;flex-wrap:wrap;gap:12px}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f4f4f4}.best{background:#e8f5e9}code{background:#f4f4f4;padding:1px 4px}`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${PAGE_STYLE}</style></head>\n<body>\n<h1>${esc(title)}</h1>\n${body}\n</body></html>\n`;
}

/** Charts of per-epoch curves: loss, and each metric, training against validation. */
function curveCharts(curves: Curves, titlePrefix = ''): string {
  const names = Object.keys(curves).filter((k) => !k.startsWith('val') && k !== 'lr' && k !== 'seconds');
  for (const k of Object.keys(curves)) {
    if (k.startsWith('val')) {
      const base = k[3].toLowerCase() + k.slice(4);
      if (!names.includes(base)) names.push(base);
    }
  }
  const charts: string[] = [];
  for (const base of names) {
    const val = `val${base[0].toUpperCase()}${base.slice(1)}`;
    const series: Series[] = [];
    if (curves[base]) series.push({ name: `train ${base}`, points: curves[base].map((v, i) => [i + 1, v]) });
    if (curves[val]) series.push({ name: `validation ${base}`, points: curves[val].map((v, i) => [i + 1, v]), dashed: true });
    if (series.length) charts.push(svgChart(series, { title: `${titlePrefix}${base} per epoch`, xLabel: 'epoch', yLabel: base }));
  }
  return charts.join('\n');
}

/** Writes dir/index.html for a search result; returns the file's path. */
export function writeSearchReport(result: SearchResult, dir: string, options: { title?: string } = {}): string {
  if (!result || !Array.isArray(result.trials)) throw new DTypeError(`writeSearchReport: argument 'result' must be a tune.search result, got ${describe(result)}`);
  const { trials, best, metric, direction } = result;
  const better = (a: number, b: number) => (direction === 'max' ? a > b : a < b);
  const ordered = trials.slice().sort((a, b) => a.number - b.number);
  const byState = (s: Trial['state']) => ordered.filter((t) => t.state === s);
  const parts: string[] = [];
  parts.push(
    `<p>${trials.length} trials (${byState('complete').length} complete, ${byState('pruned').length} pruned, ${byState('failed').length} failed); ` +
      `metric <code>${esc(metric)}</code> (${direction === 'max' ? 'higher' : 'lower'} is better). ` +
      `Best: trial ${best.number}, ${esc(metric)} = <b>${fmt(best.score)}</b>, config <code>${esc(JSON.stringify(best.config))}</code>.</p>`,
  );
  // Score per trial, and the best so far.
  let run = NaN;
  const bestSoFar: [number, number][] = [];
  for (const t of ordered) {
    if (t.state === 'complete' && (Number.isNaN(run) || better(t.score, run))) run = t.score;
    if (!Number.isNaN(run)) bestSoFar.push([t.number, run]);
  }
  const scoreSeries: Series[] = [
    { name: 'complete', points: byState('complete').map((t) => [t.number, t.score]), style: 'points', color: COLORS[0] },
    { name: 'pruned (last value)', points: byState('pruned').map((t) => [t.number, t.score]), style: 'points', color: '#999' },
    { name: 'best so far', points: bestSoFar, style: 'step', color: COLORS[2] },
  ];
  parts.push('<h2>Score per trial</h2><div class="grid">');
  parts.push(svgChart(scoreSeries, { title: `${metric} per trial`, xLabel: 'trial', yLabel: metric }));
  parts.push(svgChart([{ name: 'best so far', points: bestSoFar, style: 'step', color: COLORS[2] }], { title: `best ${metric} so far`, xLabel: 'trial', yLabel: metric }));
  parts.push('</div>');
  // Each hyperparameter against the score.
  const keys = [...new Set(ordered.flatMap((t) => Object.keys(t.config)))];
  parts.push('<h2>Hyperparameters against the score</h2><div class="grid">');
  const scored = ordered.filter((t) => t.state !== 'failed' && Number.isFinite(t.score));
  for (const key of keys) {
    const withKey = scored.filter((t) => key in t.config);
    const vals = withKey.map((t) => t.config[key]);
    if (vals.every((v) => typeof v === 'number')) {
      const nums = vals as number[];
      const declared = result.space ? findDomain(result.space, key) : undefined;
      const logX = declared && 'log' in declared ? declared.log : nums.every((v) => v > 0) && Math.max(...nums) / Math.min(...nums) > 50;
      const distinct = [...new Set(nums)].sort((a, b) => a - b);
      const asCategories = distinct.length <= 6 && nums.every(Number.isInteger);
      const series: Series[] = [
        { name: 'complete', points: withKey.filter((t) => t.state === 'complete').map((t) => [asCategories ? distinct.indexOf(t.config[key] as number) : (t.config[key] as number), t.score]), style: 'points' },
        { name: 'pruned', points: withKey.filter((t) => t.state === 'pruned').map((t) => [asCategories ? distinct.indexOf(t.config[key] as number) : (t.config[key] as number), t.score]), style: 'points', color: '#999' },
      ];
      parts.push(svgChart(series, { title: `${key}`, xLabel: key, yLabel: metric, logX: logX && !asCategories, categories: asCategories ? distinct.map(String) : undefined, width: 370, height: 260 }));
    } else {
      const cats = [...new Set(vals.map(String))];
      const series: Series[] = [
        { name: 'complete', points: withKey.filter((t) => t.state === 'complete').map((t) => [cats.indexOf(String(t.config[key])), t.score]), style: 'points' },
        { name: 'pruned', points: withKey.filter((t) => t.state === 'pruned').map((t) => [cats.indexOf(String(t.config[key])), t.score]), style: 'points', color: '#999' },
      ];
      parts.push(svgChart(series, { title: `${key}`, xLabel: key, yLabel: metric, categories: cats, width: 370, height: 260 }));
    }
  }
  parts.push('</div>');
  if (best.history && Object.keys(best.history).length) {
    parts.push(`<h2>Learning curves of the best trial (${best.number}${ordered.find((t) => t.number === best.number)?.foldScores ? ', first fold' : ''})</h2><div class="grid">`);
    parts.push(curveCharts(best.history));
    parts.push('</div>');
  }
  // Table of trials, best first.
  const rows = ordered
    .slice()
    .sort((a, b) => (a.state === 'complete' ? 0 : 1) - (b.state === 'complete' ? 0 : 1) || (better(a.score, b.score) ? -1 : better(b.score, a.score) ? 1 : 0));
  parts.push('<h2>Trials</h2><table><tr><th>trial</th><th>state</th><th>' + esc(metric) + '</th>' + keys.map((k) => `<th>${esc(k)}</th>`).join('') + '<th>seconds</th></tr>');
  for (const t of rows) {
    const cells = keys.map((k) => `<td>${k in t.config ? esc(typeof t.config[k] === 'number' ? fmt(t.config[k] as number) : t.config[k]) : ''}</td>`).join('');
    parts.push(`<tr${t.number === best.number ? ' class="best"' : ''}><td>${t.number}</td><td>${t.state}</td><td>${fmt(t.score)}</td>${cells}<td>${t.seconds.toFixed(1)}</td></tr>`);
  }
  parts.push('</table>');
  return writePage(dir, page(options.title ?? 'fastgrad hyperparameter search', parts.join('\n')));
}

/** The domain that sets a config key, searching conditional branches. */
function findDomain(space: Space, key: string): Domain | undefined {
  for (const [k, d] of Object.entries(space)) {
    if (k === key) return d;
    if (d.kind === 'conditional') {
      for (const sub of Object.values(d.branches)) {
        const found = findDomain(sub, key);
        if (found) return found;
      }
    }
  }
  return undefined;
}

/** Per-epoch curves from fit's History (its .history) or a plain { loss: [...], valLoss: [...] }. */
function curvesOf(history: unknown): Curves {
  const h = (history as { history?: unknown })?.history ?? history;
  if (h === null || typeof h !== 'object') throw new DTypeError(`writeTrainingReport: argument 'history' must be fit's History or { name: number[] }, got ${describe(history)}`);
  const out: Curves = {};
  for (const [k, v] of Object.entries(h as Record<string, unknown>)) if (Array.isArray(v) && v.every((x) => typeof x === 'number' || x === null)) out[k] = v.map((x) => (x === null ? NaN : x));
  return out;
}

/** Writes dir/index.html for one training run: loss and each metric per epoch, training against validation. */
export function writeTrainingReport(history: unknown, dir: string, options: { title?: string } = {}): string {
  const curves = curvesOf(history);
  const epochs = Math.max(0, ...Object.values(curves).map((v) => v.length));
  const last = Object.entries(curves)
    .filter(([k]) => k !== 'lr')
    .map(([k, v]) => `${esc(k)} ${fmt(v[v.length - 1])}`)
    .join(', ');
  const body = `<p>${epochs} epoch${epochs === 1 ? '' : 's'}. Last epoch: ${last || 'no values'}.</p><div class="grid">${curveCharts(curves)}</div>`;
  return writePage(dir, page(options.title ?? 'fastgrad training run', body));
}

function writePage(dir: string, html: string): string {
  if (typeof dir !== 'string' || dir === '') throw new DTypeError(`report: argument 'dir' must be a folder path, got ${describe(dir)}`);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'index.html');
  writeAtomic(file, html);
  return file;
}

/**
 * A fit callback that keeps dir/index.html up to date: rewritten after every epoch, so the page
 * shows a run in progress (reload it) and the whole run when fit returns.
 */
export function reportCallback(
  dir: string,
  options: { title?: string } = {},
): { onTrainBegin(): void; onEpochEnd(epoch: number, logs: Record<string, number>): void } {
  if (typeof dir !== 'string' || dir === '') throw new DTypeError(`reportCallback: argument 'dir' must be a folder path, got ${describe(dir)}`);
  const curves: Curves = {};
  return {
    onTrainBegin() {
      for (const k of Object.keys(curves)) delete curves[k];
    },
    onEpochEnd(_epoch: number, logs: Record<string, number>) {
      for (const [k, v] of Object.entries(logs)) (curves[k] ??= []).push(v);
      writeTrainingReport(curves, dir, options);
    },
  };
}
