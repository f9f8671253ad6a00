// Augmentation layers (nn.RandomFlip, nn.RandomTranslation), fit's `augment` option and the CLI's
// --augment flag.
import { describe, expect, it } from 'vitest';
import * as fg from '../src';
import { nn } from '../src';
import { gradcheck, param } from './helpers/gradcheck';
import { augmentation, modelRegistry } from '../src/train/models';
import { parseTrainArgs } from '../src/cli/train';

/** [n, c, h, w] with x[b, ch, i, j] = 1000 b + 100 ch + 10 i + j (every pixel says where it came from). */
function coded(n: number, c: number, h: number, w: number): fg.Tensor {
  const d = new Float32Array(n * c * h * w);
  let k = 0;
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) d[k++] = 1000 * b + 100 * ch + 10 * i + j;
  return fg.tensor(d, [n, c, h, w]);
}

const at = (t: fg.Tensor, b: number, ch: number, i: number, j: number) => t.data[((b * t.shape[1] + ch) * t.shape[2] + i) * t.shape[3] + j];

describe('nn.RandomFlip', () => {
  it('flips each sample left-right or not, every channel alike, about half of them', () => {
    const x = coded(64, 2, 3, 4);
    const y = new nn.RandomFlip('horizontal', { seed: 7 }).forward(x);
    let flipped = 0;
    for (let b = 0; b < 64; b++) {
      const f = at(y, b, 0, 0, 0) === at(x, b, 0, 0, 3);
      if (f) flipped++;
      for (let ch = 0; ch < 2; ch++) {
        for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) expect(at(y, b, ch, i, j)).toBe(at(x, b, ch, i, f ? 3 - j : j));
      }
    }
    expect(flipped).toBeGreaterThan(16);
    expect(flipped).toBeLessThan(48);
  });

  it("'vertical' flips rows; 'horizontalAndVertical' (the default) does both independently", () => {
    const x = coded(64, 1, 3, 3);
    const v = new nn.RandomFlip('vertical', { seed: 1 }).forward(x);
    for (let b = 0; b < 64; b++) {
      const f = at(v, b, 0, 0, 0) !== at(x, b, 0, 0, 0);
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(at(v, b, 0, i, j)).toBe(at(x, b, 0, f ? 2 - i : i, j));
    }
    const hv = new nn.RandomFlip(undefined, { seed: 2 }).forward(x);
    const seen = new Set<string>();
    for (let b = 0; b < 64; b++) {
      const fh = at(hv, b, 0, 0, 0) % 10 === 2, fv = Math.floor((at(hv, b, 0, 0, 0) % 100) / 10) === 2;
      seen.add(`${fh}${fv}`);
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(at(hv, b, 0, i, j)).toBe(at(x, b, 0, fv ? 2 - i : i, fh ? 2 - j : j));
    }
    expect(seen.size).toBe(4);
  });

  it('is seeded, passes the input through in eval mode, and has a gradient', () => {
    const x = coded(8, 1, 4, 4);
    const a = new nn.RandomFlip('horizontal', { seed: 3 }), b = new nn.RandomFlip('horizontal', { seed: 3 });
    expect(Array.from(a.forward(x).data)).toEqual(Array.from(b.forward(x).data));
    a.eval();
    expect(a.forward(x)).toBe(x);
    gradcheck((t) => new nn.RandomFlip('horizontalAndVertical', { seed: 4 }).forward(t), [param([4, 2, 3, 5], 1)]);
  });

  it('rejects bad arguments and non-image inputs, naming what it got', () => {
    expect(() => new nn.RandomFlip('diagonal' as never)).toThrow(/'mode' must be 'horizontal', 'vertical' or 'horizontalAndVertical', got/);
    expect(() => new nn.RandomFlip('horizontal', { seed: -1 })).toThrow(fg.ValueError);
    expect(() => new nn.RandomFlip('horizontal').forward(fg.zeros([2, 784]))).toThrow(/4-D \[batch, channels, height, width\], got shape \[2, 784\]/);
    expect(() => new nn.RandomFlip('horizontal').forward([1, 2] as never)).toThrow(fg.DTypeError);
  });
});

describe('nn.RandomTranslation', () => {
  /** The vertical and horizontal shift of sample b, from where its pixel (2, 2) came from (no fill at the centre). */
  function shiftOf(y: fg.Tensor, b: number): [number, number] {
    const v = at(y, b, 0, 2, 2) - 1000 * b;
    return [2 - Math.floor(v / 10), 2 - (v % 10)];
  }

  it('shifts each sample by whole pixels within the factor, filling with fillValue (constant)', () => {
    const x = coded(200, 2, 5, 5);
    const y = new nn.RandomTranslation(0.4, 0.2, { fillMode: 'constant', fillValue: -1, seed: 5 }).forward(x);
    const dys = new Set<number>(), dxs = new Set<number>();
    for (let b = 0; b < 200; b++) {
      const [dy, dx] = shiftOf(y, b);
      dys.add(dy);
      dxs.add(dx);
      for (let ch = 0; ch < 2; ch++) {
        for (let i = 0; i < 5; i++) {
          for (let j = 0; j < 5; j++) {
            const si = i - dy, sj = j - dx;
            const want = si < 0 || si >= 5 || sj < 0 || sj >= 5 ? -1 : at(x, b, ch, si, sj);
            expect(at(y, b, ch, i, j)).toBe(want);
          }
        }
      }
    }
    // 0.4 * 5 = 2 rows each way, 0.2 * 5 = 1 column each way: every shift in range occurs.
    expect([...dys].sort()).toEqual([-1, -2, 0, 1, 2]);
    expect([...dxs].sort()).toEqual([-1, 0, 1]);
  });

  it("fills as Keras's 'reflect', 'wrap' and 'nearest' do; [lower, upper] factors shift one way", () => {
    // One sample shifted 2 to the right (widthFactor [0.5, 0.5] of 4 columns), no vertical shift.
    const x = fg.tensor([1, 2, 3, 4], [1, 1, 1, 4]);
    const row = (fillMode: nn.FillMode) => Array.from(new nn.RandomTranslation(0, [0.5, 0.5], { fillMode }).forward(x).data);
    expect(row('reflect')).toEqual([2, 1, 1, 2]);
    expect(row('wrap')).toEqual([3, 4, 1, 2]);
    expect(row('nearest')).toEqual([1, 1, 1, 2]);
    expect(row('constant')).toEqual([0, 0, 1, 2]);
    const left = Array.from(new nn.RandomTranslation(0, [-0.5, -0.5], { fillMode: 'reflect' }).forward(x).data);
    expect(left).toEqual([3, 4, 4, 3]);
  });

  it('is seeded, passes the input through in eval mode, has a gradient, and round-trips through its config', () => {
    const x = coded(8, 1, 6, 6);
    const mk = () => new nn.RandomTranslation(0.3, 0.3, { fillMode: 'constant', seed: 9 });
    expect(Array.from(mk().forward(x).data)).toEqual(Array.from(mk().forward(x).data));
    const m = mk();
    m.eval();
    expect(m.forward(x)).toBe(x);
    for (const fillMode of ['constant', 'reflect', 'nearest', 'wrap'] as nn.FillMode[]) {
      gradcheck((t) => new nn.RandomTranslation(0.5, 0.5, { fillMode, seed: 11 }).forward(t), [param([3, 2, 4, 4], 2)]);
    }
    const seq = new nn.Sequential(new nn.RandomFlip('horizontal', { seed: 1 }), mk());
    const json = JSON.stringify(nn.toConfig(seq));
    expect(JSON.stringify(nn.toConfig(nn.fromConfig(json)))).toBe(json);
  });

  it('rejects bad factors and options, naming what it got', () => {
    expect(() => new nn.RandomTranslation(1.5, 0)).toThrow(/heightFactor' must lie in \[-1, 1\] with lower <= upper, got \[-1.5, 1.5\]/);
    expect(() => new nn.RandomTranslation(0, [0.2, -0.2])).toThrow(/widthFactor' must lie in/);
    expect(() => new nn.RandomTranslation('0.1' as never, 0)).toThrow(fg.DTypeError);
    expect(() => new nn.RandomTranslation(0, [0.1] as never)).toThrow(/a \[lower, upper\] pair/);
    expect(() => new nn.RandomTranslation(0, NaN)).toThrow(fg.ValueError);
    expect(() => new nn.RandomTranslation(0, 0, { fillMode: 'mirror' as never })).toThrow(/'fillMode' must be 'reflect', 'wrap', 'nearest' or 'constant'/);
    expect(() => new nn.RandomTranslation(0, 0, { fillValue: Infinity })).toThrow(fg.ValueError);
    expect(() => new nn.RandomTranslation(0.1, 0.1).forward(fg.zeros([3, 28, 28]))).toThrow(/got shape \[3, 28, 28\]/);
  });
});

describe("fit's augment option", () => {
  it('applies the augmentation to training batches only, in training mode', async () => {
    // A model that records what it is fed; the augmentation is a constant fill (every pixel -> 5).
    const seen: number[] = [];
    class Probe extends nn.Module {
      readonly lin = new nn.Linear(4, 2, { seed: 1 });
      constructor() {
        super();
        this.registerModule('lin', this.lin);
      }
      forward(x: fg.Tensor): fg.Tensor {
        seen.push(x.data[0]);
        return this.lin.forward(x.reshape([x.shape[0], 4]));
      }
      config(): Record<string, unknown> {
        return {};
      }
    }
    const shiftOut = new nn.RandomTranslation([1, 1], 0, { fillMode: 'constant', fillValue: 5 });
    shiftOut.eval(); // fit must switch it to training mode
    const model = new Probe();
    const train = { x: fg.zeros([4, 1, 2, 2]), y: fg.tensor([0, 1, 0, 1]) };
    const test = { x: fg.zeros([2, 1, 2, 2]), y: fg.tensor([0, 1]) };
    await model.fit(train, {
      epochs: 1, batchSize: 2, optimizer: new fg.optim.SGD(model.parameters(), { lr: 0.1 }), loss: 'sparseCategoricalCrossentropy',
      validationData: test, verbose: 0, augment: shiftOut,
    });
    expect(seen).toEqual([5, 5, 0]); // two training batches shifted, the validation batch untouched
  });

  it('rejects what is not a Module', async () => {
    const model = new nn.Linear(2, 2);
    const data = { x: fg.zeros([2, 2]), y: fg.tensor([0, 1]) };
    const opts = { optimizer: new fg.optim.SGD(model.parameters(), { lr: 0.1 }), loss: 'sparseCategoricalCrossentropy', verbose: 0 as const };
    await expect(model.fit(data, { ...opts, augment: ((x: fg.Tensor) => x) as never })).rejects.toThrow(/'augment' must be a Module/);
    await expect(model.fit(data, { ...opts, augment: model })).rejects.toThrow(/must not be the model itself/);
  });
});

describe('the CLI recipe', () => {
  it('augmentation() builds the named layers, seeded; --augment parses and checks its list', () => {
    expect(augmentation([])).toBeNull();
    const a = augmentation(['flip', 'translate'], 1) as nn.Sequential;
    expect(nn.toConfig(a).config).toMatchObject({ layers: [{ type: 'RandomFlip' }, { type: 'RandomTranslation' }] });
    expect(() => augmentation(['rotate' as never])).toThrow(/must be a list of flip, translate/);
    expect(parseTrainArgs(['--model', 'cnn', '--augment', 'flip,translate'])).toMatchObject({ augment: ['flip', 'translate'] });
    expect(parseTrainArgs(['--model', 'cnn', '--augment', 'none'])).toMatchObject({ augment: [] });
    expect(() => parseTrainArgs(['--model', 'cnn', '--augment', 'flip,spin'])).toThrow(/--augment must be none or a comma list of flip, translate, got 'flip,spin'/);
    expect(() => parseTrainArgs(['--model', 'cnn', '--augment', ''])).toThrow(/--augment must be none/);
    expect(() => parseTrainArgs(['--augment', 'flip'])).toThrow(/--augment needs an image model \(cnn\), got --model mlp/);
  });

  it("epochs and lr default to the model's recipe; given ones win", () => {
    expect(parseTrainArgs([])).toMatchObject({ epochs: modelRegistry.mlp.recipe.epochs, lr: modelRegistry.mlp.recipe.lr, augment: [] });
    expect(parseTrainArgs(['--model', 'cnn'])).toMatchObject({ epochs: 5, lr: modelRegistry.cnn.recipe.lr });
    expect(parseTrainArgs(['--lr', '0.01', '--model', 'cnn', '--epochs', '2'])).toMatchObject({ epochs: 2, lr: 0.01 });
  });

  it('--label-smoothing parses and checks its value', () => {
    expect(parseTrainArgs([])).toMatchObject({ labelSmoothing: 0 });
    expect(parseTrainArgs(['--label-smoothing', '0.1'])).toMatchObject({ labelSmoothing: 0.1 });
    expect(() => parseTrainArgs(['--label-smoothing', '1'])).toThrow(/--label-smoothing must be in \[0, 1\), got '1'/);
    expect(() => parseTrainArgs(['--label-smoothing', '-0.1'])).toThrow(/--label-smoothing must be a non-negative number/);
  });
});
