// Bayesian search (GP-EI) against random search on Branin (2-D) and Hartmann-6, fixed seeds: how many
// trials each needs to reach a regret (best so far minus the known minimum), and the regret each has
// after a budget of trials. Also the time one GP-EI proposal takes as trials accumulate.
//
//   npm run bench -- tune            10 seeds
//   npm run bench -- tune --quick    3 seeds
'use strict';
const lib = require('./lib');

async function regrets(tune, fn, searcher, trials, seed) {
  const t0 = performance.now();
  const r = await tune.search((cfg) => fn.f(cfg), fn.space, { searcher, trials, seed, direction: 'min' });
  const seconds = (performance.now() - t0) / 1000;
  let best = Infinity;
  return { regrets: r.trials.map((t) => (best = Math.min(best, t.score)) - fn.minimum), seconds };
}

const median = (v) => {
  const s = v.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const firstBelow = (r, level) => {
  const i = r.findIndex((v) => v <= level);
  return i < 0 ? Infinity : i + 1;
};

async function run({ quick }) {
  const { tune } = lib.fastgrad();
  const seeds = quick ? [1, 2, 3] : [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const problems = [
    { name: 'branin', fn: tune.testFunctions.branin, bayes: 30, random: 300, levels: [1, 0.4, 0.1, 0.03], budgets: [10, 20, 30] },
    { name: 'hartmann6', fn: tune.testFunctions.hartmann6, bayes: 50, random: 500, levels: [1, 0.5, 0.2, 0.1], budgets: [20, 30, 50] },
  ];
  const rows = [];
  const detail = {};
  for (const p of problems) {
    const runs = { bayes: [], random: [] };
    const t0 = Date.now();
    for (const seed of seeds) {
      runs.bayes.push(await regrets(tune, p.fn, 'bayes', p.bayes, seed));
      runs.random.push(await regrets(tune, p.fn, 'random', p.random, seed));
    }
    detail[p.name] = { seeds, bayesTrials: p.bayes, randomTrials: p.random, runs: { bayes: runs.bayes.map((r) => r.regrets), random: runs.random.map((r) => r.regrets) } };
    for (const level of p.levels) {
      const b = median(runs.bayes.map((r) => firstBelow(r.regrets, level)));
      const r = median(runs.random.map((x) => firstBelow(x.regrets, level)));
      // Not reached within the random trials run: the ratio is at least random trials / bayes trials.
      const ratio = !Number.isFinite(b) ? undefined : Number.isFinite(r) ? `${(r / b).toFixed(1)}x` : `>${(p.random / b).toFixed(0)}x`;
      rows.push({ problem: p.name, what: `trials to regret <= ${level}`, bayes: b, random: Number.isFinite(r) ? r : `>${p.random}`, ratio });
    }
    for (const n of p.budgets) {
      const b = median(runs.bayes.map((r) => r.regrets[n - 1]));
      const r = median(runs.random.map((x) => x.regrets[n - 1]));
      const r50 = median(runs.random.map((x) => x.regrets[Math.min(x.regrets.length, 50) - 1]));
      rows.push({ problem: p.name, what: `regret after ${n} trials (random: also after 50)`, bayes: +b.toPrecision(3), random: `${r.toPrecision(3)} (${r50.toPrecision(3)})` });
    }
    // The objectives cost nothing: a search's time is its searcher's (GP fits and EI maximisation).
    rows.push({
      problem: p.name, what: `search seconds for ${p.bayes} bayes / ${p.random} random trials`,
      bayes: +median(runs.bayes.map((r) => r.seconds)).toFixed(2), random: +median(runs.random.map((r) => r.seconds)).toFixed(2),
    });
    console.log(`${p.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  console.log(`median over ${seeds.length} seeds (Infinity, >N: not reached within the trials run)`);
  lib.table(rows, [
    { key: 'problem', title: 'problem' },
    { key: 'what', title: 'measure' },
    { key: 'bayes', title: 'bayes' },
    { key: 'random', title: 'random' },
    { key: 'ratio', title: 'random/bayes' },
  ]);
  const tables = [{ title: `Bayesian (GP-EI) against random search, median over ${seeds.length} seeds`, columns: ['problem', 'measure', 'bayes', 'random', 'random/bayes'],
    rows: rows.map((r) => [r.problem, r.what, r.bayes, r.random, r.ratio ?? '-']) }];
  const file = lib.save('tune', { quick, rows, detail, tables });
  console.log(`saved ${file}`);
}

module.exports = { run };
