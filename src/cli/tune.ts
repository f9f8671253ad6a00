// `fastgrad tune`: hyperparameter search for the MLP on Fashion-MNIST (lr, batch size, weight decay,
// dropout), scored by cross-validated (or holdout) validation accuracy on a training subset, then
// the best config and the default one (Adam lr 1e-3, batch 128) retrained on the full training set
// and compared on the test set.
import * as path from 'node:path';
import * as fs from 'node:fs';
import { search, MedianPruner, type SearchResult, type Trial } from '../tune';
import { writeSearchReport } from '../tune/report';
import { makeOptimizer } from '../tune/evaluate';
import { createMlpObjective, loadFashionMnist, mlp, mlpSpace, MLP_DEFAULT_CONFIG, MLP_DEFAULT_TRIAL, type MlpTaskArgs } from '../tune/tasks/mlp';
import type { Config } from '../tune/space';
import { manualSeed } from '../tensor/random';
import { backend } from '../backend';
import { ValueError } from '../errors';

const HELP = `usage: fastgrad tune [options]

Searches lr, batch size, weight decay and dropout of the MLP 784-256-128-10 (ReLU, dropout) on
Fashion-MNIST, then retrains the best config and the default one (Adam lr 1e-3, batch 128, no
dropout) on the full training set and reports both test accuracies. Trial 0 is the default config.
A trial trains on 80% of the training set for as many epochs as the final retraining (so the best
learning rate for that horizon wins) and scores its validation accuracy on the other 20%, averaged
over its last 3 epochs (one epoch's value swings by about 0.5%); --cv k averages k folds instead.

  --model mlp             the model (only mlp)
  --trials N              trials (default 20)
  --searcher NAME         bayes (default), random or grid
  --cv K                  k-fold cross-validation, stratified (k times the work of a holdout split)
  --holdout F             the fraction of the training set held out to score trials (default 0.2)
  --epochs N              epochs per trial fit (default 10); a trial scores its last epoch
  --subset N              search on N training samples, class-balanced (default 0: all 60000)
  --pruner NAME           none (default), median (from epoch 6 on, stop a trial below the median of
                          the finished trials at that epoch: faster, but may stop a slow starter),
                          or successiveHalving
  --early-stopping        stop a trial's fit when validation accuracy stalls (patience 2)
  --parallel N            trials at once, in worker threads, sharing the cores (default 1)
  --seed S                seed of the search, splits and models (default 1)
  --resume FILE           append trials to FILE (JSONL) and resume from it
  --report DIR            write DIR/index.html with charts of the search
  --retrain-epochs N      epochs of the final retraining (default: --epochs)
  --no-retrain            skip retraining on the full training set
  --data DIR              folder of the Fashion-MNIST IDX files (default: the bundled copy)
  --threads N             native threads
  --json                  one JSON object per trial, then one with the result, on stdout
`;

interface Args {
  model: string;
  trials: number;
  searcher: 'bayes' | 'random' | 'grid';
  cv?: number;
  holdout?: number;
  epochs: number;
  subset: number;
  pruner: 'median' | 'successiveHalving' | 'none';
  earlyStopping: boolean;
  parallel: number;
  seed: number;
  resume?: string;
  report?: string;
  retrain: boolean;
  /** Default: the search's epochs, the horizon the search optimised for. */
  retrainEpochs?: number;
  data?: string;
  threads?: number;
  json: boolean;
}

function parse(argv: string[]): Args | 'help' {
  const a: Args = { model: 'mlp', trials: 20, searcher: 'bayes', epochs: 10, subset: 0, pruner: 'none', earlyStopping: false, parallel: 1, seed: 1, retrain: true, json: false };
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) throw new ValueError(`tune: ${name} needs an integer >= ${min}, got ${v ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const val = () => argv[++i];
    switch (flag) {
      case '-h': case '--help': return 'help';
      case '--model': a.model = val(); break;
      case '--trials': a.trials = int(flag, val(), 1); break;
      case '--searcher': a.searcher = val() as Args['searcher']; break;
      case '--cv': a.cv = int(flag, val(), 2); break;
      case '--holdout': a.holdout = Number(val()); break;
      case '--epochs': a.epochs = int(flag, val(), 1); break;
      case '--subset': a.subset = int(flag, val(), 0); break;
      case '--pruner': a.pruner = val() as Args['pruner']; break;
      case '--early-stopping': a.earlyStopping = true; break;
      case '--parallel': a.parallel = int(flag, val(), 1); break;
      case '--seed': a.seed = int(flag, val(), 0); break;
      case '--resume': a.resume = val(); break;
      case '--report': a.report = val(); break;
      case '--retrain': a.retrain = true; break;
      case '--no-retrain': a.retrain = false; break;
      case '--retrain-epochs': a.retrainEpochs = int(flag, val(), 1); break;
      case '--data': a.data = val(); break;
      case '--threads': a.threads = int(flag, val(), 1); break;
      case '--json': a.json = true; break;
      default: throw new ValueError(`tune: unknown option '${flag}' (see fastgrad tune --help)`);
    }
  }
  if (a.model !== 'mlp') throw new ValueError(`tune: --model must be 'mlp', got '${a.model}'`);
  if (!['bayes', 'random', 'grid'].includes(a.searcher)) throw new ValueError(`tune: --searcher must be bayes, random or grid, got '${a.searcher}'`);
  if (!['median', 'successiveHalving', 'none'].includes(a.pruner)) throw new ValueError(`tune: --pruner must be median, successiveHalving or none, got '${a.pruner}'`);
  if (a.cv !== undefined && a.holdout !== undefined) throw new ValueError('tune: give --cv or --holdout, not both');
  return a;
}

function fmtConfig(c: Config): string {
  return Object.entries(c)
    .map(([k, v]) => `${k} ${typeof v === 'number' && !Number.isInteger(v) ? (Math.abs(v) < 0.01 ? v.toExponential(2) : v.toFixed(3)) : v}`)
    .join(', ');
}

/** Trains a config on the full training set and returns its test accuracy. */
async function retrainAndTest(config: Config, epochs: number, seed: number, dataDir?: string): Promise<{ testAccuracy: number; seconds: number }> {
  const { train, test } = await loadFashionMnist(dataDir);
  const t0 = performance.now();
  manualSeed(seed);
  const model = mlp(config);
  await model.fit(train, {
    epochs,
    batchSize: Number(config.batchSize),
    optimizer: makeOptimizer(model, config),
    loss: 'sparseCategoricalCrossentropy',
    seed,
    verbose: 0,
  });
  const logs = await model.evaluate(test, { metrics: ['accuracy'] });
  return { testAccuracy: logs.accuracy, seconds: (performance.now() - t0) / 1000 };
}

export async function run(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (args === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (args.threads !== undefined) backend().setNumThreads(args.threads);
  const log = (s: string) => (args.json ? process.stderr : process.stdout).write(s + '\n');
  const t0 = performance.now();
  const taskArgs: MlpTaskArgs = { dataDir: args.data, subset: args.subset, cv: args.cv, holdout: args.holdout, epochs: args.epochs, seed: args.seed, earlyStopping: args.earlyStopping };
  const scoring = args.cv ? `${args.cv}-fold cross-validated` : `holdout (${args.holdout ?? 0.2} of the data)`;
  log(`tune: ${args.trials} trials, ${args.searcher} search, ${scoring} valAccuracy, ${args.epochs} epochs per fit, on ${args.subset || 60000} training samples; ${args.parallel} at once`);

  // Worker threads load the task from the built module; in one thread it runs here directly.
  const workerModule = path.join(__dirname, '..', 'tune', 'tasks', 'mlp.js');
  if (args.parallel > 1 && !fs.existsSync(workerModule)) {
    throw new ValueError(`tune: --parallel needs the built package (${workerModule} is missing; run npm run build:ts)`);
  }
  const target = args.parallel > 1 ? { module: workerModule, export: 'createMlpObjective', args: taskArgs } : await createMlpObjective(taskArgs);
  let done = 0;
  const result: SearchResult = await search(target, mlpSpace(), {
    searcher: args.searcher,
    trials: args.trials,
    metric: 'valAccuracy',
    direction: 'max',
    seed: args.seed,
    // Pruning waits for epoch 6: before that, low learning rates and high dropout trail and would be
    // stopped unfairly (with epoch 4, the best config of a 12-trial search was stopped).
    pruner: args.pruner === 'median' ? new MedianPruner({ startupTrials: 3, warmupSteps: 5 }) : args.pruner,
    parallel: args.parallel,
    storage: args.resume,
    // The default config is trial 0: the search can only report a config that validated at least as well.
    enqueue: [MLP_DEFAULT_TRIAL],
    onTrial(t: Trial) {
      done++;
      if (args.json) {
        process.stdout.write(JSON.stringify({ type: 'trial', trial: t.number, state: t.state, valAccuracy: t.score, foldScores: t.foldScores, config: t.config, seconds: +t.seconds.toFixed(2) }) + '\n');
      } else {
        log(`trial ${String(t.number).padStart(3)}  ${t.state.padEnd(8)}  valAccuracy ${Number.isFinite(t.score) ? t.score.toFixed(4) : ' n/a  '}  ${fmtConfig(t.config)}  (${t.seconds.toFixed(1)} s)`);
      }
    },
  });
  const searchSeconds = (performance.now() - t0) / 1000;
  const best = result.best;
  log(`best: trial ${best.number}, ${scoring} valAccuracy ${best.score.toFixed(4)}: ${fmtConfig(best.config)}  (search ${searchSeconds.toFixed(1)} s, ${done} trials run now)`);
  if (args.report) log(`report: ${writeSearchReport(result, args.report, { title: `fastgrad tune --model mlp: ${args.trials} trials, ${args.searcher}` })}`);

  let retrain: Record<string, unknown> | undefined;
  if (args.retrain) {
    const epochs = args.retrainEpochs ?? args.epochs;
    log(`retraining the best and the default config on all 60000 training samples for ${epochs} epochs ...`);
    const dflt = await retrainAndTest(MLP_DEFAULT_CONFIG, epochs, args.seed, args.data);
    // The default won: the same run (same config, same seed), so it is not trained twice.
    const isDefault = JSON.stringify(best.config) === JSON.stringify(MLP_DEFAULT_TRIAL);
    const tuned = isDefault ? dflt : await retrainAndTest(best.config, epochs, args.seed, args.data);
    log(`test accuracy: tuned ${tuned.testAccuracy.toFixed(4)} (${tuned.seconds.toFixed(1)} s)  default ${dflt.testAccuracy.toFixed(4)} (${fmtConfig(MLP_DEFAULT_CONFIG)}; ${dflt.seconds.toFixed(1)} s)`);
    retrain = { epochs, tuned, default: { config: MLP_DEFAULT_CONFIG, ...dflt } };
  }
  const seconds = (performance.now() - t0) / 1000;
  log(`total ${seconds.toFixed(1)} s`);
  if (args.json) {
    process.stdout.write(
      JSON.stringify({ type: 'result', best: { trial: best.number, config: best.config, valAccuracy: best.score, scoring }, trials: result.trials.length, searchSeconds: +searchSeconds.toFixed(2), retrain, seconds: +seconds.toFixed(2) }) + '\n',
    );
  }
  return 0;
}
