import { describe, expect, it } from 'vitest';
import { callbacks, Tensor, ValueError, DTypeError, History } from '../src';
import { TinyLinear, blobs, crossEntropy, sgd } from './helpers/standins';


function setup(seed = 1) {
  const model = new TinyLinear(2, 3, seed);
  const opt = sgd(model.parameters(), 0.2);
  return { model, opt };
}

describe('fit / evaluate / predict', () => {
  it('learns a small problem and returns a Keras-like History', async () => {
    const { model, opt } = setup();
    const train = blobs(300, 1), test = blobs(90, 2);
    const h = await model.fit(train, {
      epochs: 4, batchSize: 16, optimizer: opt, loss: crossEntropy, metrics: ['accuracy', 'f1'],
      validationData: test, seed: 1, verbose: 0,
    });
    expect(h).toBeInstanceOf(History);
    expect(h.epoch).toEqual([0, 1, 2, 3]);
    expect(Object.keys(h.history)).toEqual(['loss', 'accuracy', 'f1', 'valLoss', 'valAccuracy', 'valF1', 'lr']);
    expect(h.history.loss[3]).toBeLessThan(h.history.loss[0]);
    expect(h.history.valAccuracy[3]).toBeGreaterThan(0.95);
    const ev = await model.evaluate(test, { loss: crossEntropy, metrics: ['accuracy', 'precision'] });
    expect(ev.accuracy).toBeCloseTo(h.history.valAccuracy[3], 6);
    expect(ev.loss).toBeCloseTo(h.history.valLoss[3], 5);
    const p = model.predict(test.x, { batchSize: 7 });
    expect(p.shape).toEqual([90, 3]);
    expect(Array.from(p.data)).toEqual(Array.from(model.forward(test.x).data));
    expect(model.training).toBe(true);
  });

  it('is reproducible with a seed', async () => {
    const runs = [];
    for (let r = 0; r < 2; r++) {
      const { model, opt } = setup();
      const h = await model.fit(blobs(120), { epochs: 2, batchSize: 10, optimizer: opt, loss: crossEntropy, seed: 7, verbose: 0 });
      runs.push([h.history.loss, Array.from(model.weight.data)]);
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  it('holds out a validation split and runs eval mode for validation, train mode for training', async () => {
    const { model, opt } = setup();
    const modes: boolean[] = [];
    const forward = model.forward.bind(model);
    model.forward = (x: Tensor) => (modes.push(model.training), forward(x));
    const h = await model.fit(blobs(100), {
      epochs: 1, batchSize: 100, optimizer: opt, loss: crossEntropy, metrics: ['accuracy'], validationSplit: 0.2, seed: 1, verbose: 0,
    });
    expect(modes).toEqual([true, false]); // one training batch of 80, one validation batch of 20
    expect(h.history.valAccuracy).toHaveLength(1);
  });

  it('keeps the event loop responsive: timers run between batches', async () => {
    const { model, opt } = setup();
    let batch = 0;
    const busy = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const forward = model.forward.bind(model);
    model.forward = (x: Tensor) => (busy(3), forward(x)); // each batch blocks about 3 ms
    const batchesAtTick = new Set<number>();
    const timer = setInterval(() => batchesAtTick.add(batch), 1);
    await model.fit(blobs(240), {
      epochs: 1, batchSize: 8, optimizer: opt, loss: crossEntropy, verbose: 0, seed: 1,
      callbacks: [{ onBatchEnd: (b) => void (batch = b + 1) }],
    });
    clearInterval(timer);
    // 30 batches; a timer that can only run between batches fires after most of them.
    expect(batchesAtTick.size).toBeGreaterThan(20);
  });

  it('earlyStopping stops after `patience` epochs without improvement and restores the best weights', async () => {
    const { model, opt } = setup();
    const scripted = [1.0, 0.5, 0.7, 0.6, 0.9, 0.1];
    const weightsAt: number[][] = [];
    const es = callbacks.earlyStopping({ monitor: 'valLoss', patience: 2, restoreBestWeights: true });
    const h = await model.fit(blobs(60), {
      epochs: 6, batchSize: 20, optimizer: opt, loss: crossEntropy, validationData: blobs(30, 3), verbose: 0, seed: 1,
      callbacks: [
        { onEpochEnd: (e, logs) => { logs.valLoss = scripted[e]; weightsAt.push(Array.from(model.weight.data)); } },
        es,
      ],
    });
    expect(h.epoch).toEqual([0, 1, 2, 3]);
    expect(h.history.valLoss).toEqual([1.0, 0.5, 0.7, 0.6]);
    expect(es.bestEpoch).toBe(1);
    expect(es.stoppedEpoch).toBe(3);
    expect(Array.from(model.weight.data)).toEqual(weightsAt[1]);
    expect(Array.from(model.weight.data)).not.toEqual(weightsAt[3]);
  });

  it('earlyStopping in max mode for accuracy-like monitors, with minDelta', () => {
    expect(callbacks.earlyStopping({ monitor: 'valAccuracy' }).mode).toBe('max');
    expect(callbacks.earlyStopping({ monitor: 'loss' }).mode).toBe('min');
    expect(() => callbacks.earlyStopping({ patience: -1 })).toThrow(ValueError);
  });

  it('terminateOnNaN stops at the first non-finite loss', async () => {
    const { model, opt } = setup();
    let calls = 0;
    const nanLoss = (p: Tensor, y: Tensor) => (++calls === 3 ? crossEntropy(p, y).mul(NaN) : crossEntropy(p, y));
    const stop = callbacks.terminateOnNaN();
    const err = process.stderr.write;
    process.stderr.write = () => true;
    try {
      const h = await model.fit(blobs(100), { epochs: 3, batchSize: 10, optimizer: opt, loss: nanLoss, callbacks: [stop], verbose: 0 });
      expect(h.epoch).toEqual([0]);
    } finally {
      process.stderr.write = err;
    }
    expect(stop.stoppedBatch).toBe(2);
    expect(calls).toBe(3);
  });

  it('calls the hooks in order', async () => {
    const { model, opt } = setup();
    const seen: string[] = [];
    await model.fit(blobs(30), {
      epochs: 2, batchSize: 15, optimizer: opt, loss: crossEntropy, verbose: 0,
      callbacks: [{
        onTrainBegin: (ctx) => void seen.push(`trainBegin ${ctx.params.steps} ${ctx.params.samples}`),
        onEpochBegin: (e) => void seen.push(`epochBegin ${e}`),
        onBatchEnd: async (b, logs) => void seen.push(`batchEnd ${b} ${logs.size}`),
        onEpochEnd: (e, logs) => void seen.push(`epochEnd ${e} ${Object.keys(logs)}`),
        onTrainEnd: () => void seen.push('trainEnd'),
      }],
    });
    expect(seen).toEqual([
      'trainBegin 2 30', 'epochBegin 0', 'batchEnd 0 15', 'batchEnd 1 15', 'epochEnd 0 loss,lr',
      'epochBegin 1', 'batchEnd 0 15', 'batchEnd 1 15', 'epochEnd 1 loss,lr', 'trainEnd',
    ]);
  });

  it('draws a progress bar on a TTY and nothing otherwise', async () => {
    const write = (tty: boolean) => {
      const chunks: string[] = [];
      return { chunks, stream: { isTTY: tty, columns: 200, write: (s: string) => (chunks.push(s), true) } as never };
    };
    const tty = write(true), pipe = write(false), lines = write(false);
    const { model, opt } = setup();
    await model.fit(blobs(60), {
      epochs: 2, batchSize: 10, optimizer: opt, loss: crossEntropy, verbose: 0, metrics: ['accuracy'],
      callbacks: [callbacks.progressBar({ stream: tty.stream }), callbacks.progressBar({ stream: pipe.stream }), callbacks.progressBar({ stream: lines.stream, notTTY: 'epoch' })],
    });
    const out = tty.chunks.join('');
    expect(out).toMatch(/\rEpoch 1\/2 6\/6 \[=+\] loss \d\.\d{4}  \d+ samples\/s  ETA/);
    expect(out).toMatch(/Epoch 2\/2 .*accuracy \d\.\d{4}.*\n$/);
    expect(out.split('\n')).toHaveLength(3);
    expect(pipe.chunks).toEqual([]);
    expect(lines.chunks.join('').split('\n').filter(Boolean)).toHaveLength(2);
    expect(lines.chunks.join('')).not.toContain('\r');
  });

  it('rejects bad inputs with typed errors', async () => {
    const { model, opt } = setup();
    const d = blobs(10);
    await expect(model.fit({ x: d.x.slice(0, 0), y: d.y.slice(0, 0) }, { optimizer: opt, loss: crossEntropy })).rejects.toThrow(/empty/);
    await expect(model.fit(d, { optimizer: {} as never, loss: crossEntropy })).rejects.toThrow(DTypeError);
    await expect(model.fit(d, { optimizer: opt, loss: 3 as never })).rejects.toThrow(DTypeError);
    await expect(model.fit(d, { optimizer: opt, loss: crossEntropy, metrics: ['auc' as never] })).rejects.toThrow(/unknown metric 'auc'/);
    await expect(model.fit(d, { optimizer: opt, loss: crossEntropy, epochs: 1.5 })).rejects.toThrow(DTypeError);
    await expect(model.fit(d, { optimizer: opt, loss: crossEntropy, validationSplit: 0.2, validationData: d })).rejects.toThrow(/not both/);
    const bad = { x: d.x, y: new Tensor(d.y.data.map((v, i) => (i === 3 ? 7 : v)), [10]) };
    await expect(model.fit(bad, { optimizer: opt, loss: (p: Tensor) => p.sum(), metrics: ['accuracy'], verbose: 0 })).rejects.toThrow(/label 7 is not a class id in \[0, 3\)/);
    await expect(model.fit(d, { optimizer: opt, loss: crossEntropy, callbacks: {} as never })).rejects.toThrow(/'callbacks' must be an array/);
    expect(() => model.predict([1] as never)).toThrow(DTypeError);
  });
});
