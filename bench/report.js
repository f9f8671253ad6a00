// Turns bench/results/*.json into SVG charts (one file per chart) and bench/results/index.html, a
// page that shows every chart and table with the machine they were measured on.
//
// A result file may carry, beside its raw figures:
//   charts: [{ id, title, type: 'line' | 'bar', xLabel, yLabel, xLog?, yLog?,
//              series: [{ name, points: [[x, y], ...] }]            (line)
//              categories: [...], series: [{ name, values: [...] }] (bar: grouped, one value per category)
//              references?: [{ name, y }] }]                       (horizontal lines, e.g. a roofline)
//   tables: [{ title, columns: [...], rows: [[...], ...] }]
//   notes: [string]
//   headline: [string]  one-line verdicts shown at the top of the page ("2.1x PyTorch, 60x TensorFlow.js")
//   summary: string
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { resultsDir } = require('./lib');

const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#17becf', '#bcbd22'];
// fastgrad's contenders are drawn in red tones first; others get the rest in order.
function colorFor(name, i) {
  return COLORS[i % COLORS.length];
}

function esc(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
}

function fmt(v) {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

function niceTicks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) || step0;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  return ticks;
}

const W = 720, H = 400, M = { l: 70, r: 190, t: 40, b: 55 };

function frame(chart, inner) {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${M.l}" y="22" font-size="15" font-weight="bold">${esc(chart.title)}</text>
<text x="${M.l + (W - M.l - M.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(chart.xLabel || '')}</text>
<text transform="translate(16 ${M.t + (H - M.t - M.b) / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel || '')}</text>
${inner}
</svg>`;
}

function legend(names) {
  return names.map((n, i) => {
    const y = M.t + 10 + i * 20;
    return `<rect x="${W - M.r + 15}" y="${y - 9}" width="12" height="12" fill="${colorFor(n, i)}"/><text x="${W - M.r + 32}" y="${y + 1}">${esc(n)}</text>`;
  }).join('\n');
}

function lineChart(chart) {
  const series = chart.series.filter((s) => s.points && s.points.length);
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).concat((chart.references || []).map((r) => r.y));
  const tx = chart.xLog ? Math.log2 : (v) => v;
  const x0 = tx(Math.min(...xs)), x1 = tx(Math.max(...xs));
  const y1 = Math.max(...ys) * 1.08, y0 = 0;
  const px = (x) => M.l + ((tx(x) - x0) / (x1 - x0 || 1)) * (W - M.l - M.r);
  const py = (y) => H - M.b - ((y - y0) / (y1 - y0 || 1)) * (H - M.t - M.b);
  let g = '';
  for (const t of niceTicks(y0, y1)) {
    g += `<line x1="${M.l}" x2="${W - M.r}" y1="${py(t)}" y2="${py(t)}" stroke="#ddd"/><text x="${M.l - 6}" y="${py(t) + 4}" text-anchor="end">${fmt(t)}</text>\n`;
  }
  const xticks = chart.xLog ? [...new Set(xs)].sort((a, b) => a - b) : niceTicks(Math.min(...xs), Math.max(...xs));
  for (const t of xticks) g += `<text x="${px(t)}" y="${H - M.b + 18}" text-anchor="middle">${fmt(t)}</text>\n`;
  g += `<line x1="${M.l}" x2="${W - M.r}" y1="${H - M.b}" y2="${H - M.b}" stroke="#333"/><line x1="${M.l}" x2="${M.l}" y1="${M.t}" y2="${H - M.b}" stroke="#333"/>\n`;
  (chart.references || []).forEach((r) => {
    g += `<line x1="${M.l}" x2="${W - M.r}" y1="${py(r.y)}" y2="${py(r.y)}" stroke="#555" stroke-dasharray="6 4"/><text x="${W - M.r - 4}" y="${py(r.y) - 5}" text-anchor="end" fill="#555">${esc(r.name)}</text>\n`;
  });
  series.forEach((s, i) => {
    const c = colorFor(s.name, i);
    const pts = s.points.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ');
    g += `<polyline fill="none" stroke="${c}" stroke-width="2.5" points="${pts}"/>\n`;
    g += s.points.map((p) => `<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="3.5" fill="${c}"><title>${esc(s.name)}: ${fmt(p[0])} -> ${fmt(p[1])}</title></circle>`).join('') + '\n';
  });
  return frame(chart, g + legend(series.map((s) => s.name)));
}

function barChart(chart) {
  const cats = chart.categories;
  const series = chart.series;
  const vals = series.flatMap((s) => s.values.filter((v) => Number.isFinite(v)));
  const top = Math.max(...vals, ...(chart.references || []).map((r) => r.y));
  // A log axis when contenders differ by orders of magnitude (seconds per epoch: 0.5 vs 144).
  const lo = chart.yLog ? 10 ** Math.floor(Math.log10(Math.min(...vals))) : 0;
  const y1 = chart.yLog ? 10 ** Math.ceil(Math.log10(top * 1.5)) : top * 1.12;
  const py = chart.yLog
    ? (y) => H - M.b - (Math.log10(Math.max(y, lo) / lo) / Math.log10(y1 / lo)) * (H - M.t - M.b)
    : (y) => H - M.b - (y / (y1 || 1)) * (H - M.t - M.b);
  const ticks = chart.yLog
    ? Array.from({ length: Math.round(Math.log10(y1 / lo)) + 1 }, (_, i) => lo * 10 ** i)
    : niceTicks(0, y1);
  const groupW = (W - M.l - M.r) / cats.length;
  const barW = Math.min(40, (groupW * 0.8) / series.length);
  let g = '';
  for (const t of ticks) {
    g += `<line x1="${M.l}" x2="${W - M.r}" y1="${py(t)}" y2="${py(t)}" stroke="#ddd"/><text x="${M.l - 6}" y="${py(t) + 4}" text-anchor="end">${fmt(t)}</text>\n`;
  }
  cats.forEach((c, ci) => {
    const gx = M.l + ci * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, si) => {
      const v = s.values[ci];
      const x = gx + si * barW;
      if (!Number.isFinite(v)) {
        g += `<text x="${x + barW / 2}" y="${H - M.b - 4}" text-anchor="middle" font-size="10" fill="#999">n/a</text>`;
        return;
      }
      g += `<rect x="${x.toFixed(1)}" y="${py(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${Math.max(1, H - M.b - py(v)).toFixed(1)}" fill="${colorFor(s.name, si)}"><title>${esc(s.name)} ${esc(c)}: ${fmt(v)}</title></rect>`;
      g += `<text x="${(x + barW / 2 - 1).toFixed(1)}" y="${(py(v) - 4).toFixed(1)}" text-anchor="middle" font-size="10">${fmt(v)}</text>`;
    });
    g += `<text x="${M.l + ci * groupW + groupW / 2}" y="${H - M.b + 18}" text-anchor="middle">${esc(c)}</text>\n`;
  });
  (chart.references || []).forEach((r) => {
    g += `<line x1="${M.l}" x2="${W - M.r}" y1="${py(r.y)}" y2="${py(r.y)}" stroke="#555" stroke-dasharray="6 4"/><text x="${W - M.r - 4}" y="${py(r.y) - 5}" text-anchor="end" fill="#555">${esc(r.name)}</text>\n`;
  });
  g += `<line x1="${M.l}" x2="${W - M.r}" y1="${H - M.b}" y2="${H - M.b}" stroke="#333"/>`;
  return frame(chart, g + legend(series.map((s) => s.name)));
}

function renderChart(chart) {
  return chart.type === 'bar' ? barChart(chart) : lineChart(chart);
}

function renderTable(t) {
  const head = t.columns.map((c) => `<th>${esc(c)}</th>`).join('');
  const rows = t.rows.map((r) => `<tr>${r.map((v) => `<td>${esc(typeof v === 'number' ? fmt(v) : v ?? '-')}</td>`).join('')}</tr>`).join('\n');
  return `<h3>${esc(t.title)}</h3><table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

/** Writes the SVGs and index.html from every result file; returns the page's path (or undefined). */
function writeReport(dir = resultsDir) {
  if (!fs.existsSync(dir)) return undefined;
  const results = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
  if (!results.length) return undefined;
  const sections = [];
  const headlines = results.flatMap((r) => (r.headline || []).map((h) => `<li><b>${esc(r.name)}</b>: ${esc(h)}</li>`));
  for (const r of results) {
    let html = `<section><h2>${esc(r.name)}</h2>`;
    if (typeof r.summary === 'string') html += `<p class="summary">${esc(r.summary)}</p>`;
    for (const chart of r.charts || []) {
      const svg = renderChart(chart);
      fs.writeFileSync(path.join(dir, `${r.name}-${chart.id}.svg`), svg);
      html += `<figure>${svg}</figure>`;
    }
    for (const t of r.tables || []) html += renderTable(t);
    for (const n of r.notes || []) html += `<p class="note">${esc(n)}</p>`;
    const m = r.machine || {};
    html += `<p class="machine">Measured ${esc(m.date || '')} on ${esc(m.cpu || '?')}, ${esc(m.cores || '?')} cores, Node ${esc(m.node || '?')}, fastgrad ${esc(m.fastgrad ? `${m.fastgrad.version} ${m.fastgrad.backend}/${m.fastgrad.isa}` : '?')}${m.torch ? `, PyTorch ${esc(m.torch)}` : ''}${r.quick ? ' (quick run)' : ''}.</p>`;
    sections.push(html + '</section>');
  }
  const page = `<!doctype html>
<html><head><meta charset="utf-8"><title>fastgrad benchmarks</title>
<style>
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
section { margin-bottom: 3em; } figure { margin: 1em 0; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; } th { background: #f3f3f3; }
td:first-child, th:first-child { text-align: left; }
.machine, .note { color: #666; font-size: 12px; } .summary { font-size: 16px; }
.headline { font-size: 17px; background: #f6f8fa; border: 1px solid #ddd; padding: 0.8em 2em; }
</style></head><body>
<h1>fastgrad benchmarks</h1>
<p>Every ratio compares contenders measured in the same run, interleaved. Reproduce with <code>npm run bench</code>.</p>
${headlines.length ? `<ul class="headline">${headlines.join('\n')}</ul>` : ''}
${sections.join('\n')}
</body></html>`;
  const out = path.join(dir, 'index.html');
  fs.writeFileSync(out, page);
  return out;
}

module.exports = { writeReport, renderChart };

if (require.main === module) {
  const out = writeReport();
  console.log(out ? `wrote ${out}` : 'no results in bench/results yet');
}
