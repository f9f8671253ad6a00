import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nn, randn, load, saveTensors, loadTensors, FormatError, ShapeError, ValueError, tensor } from '../src';

function tmpFile(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fastgrad-save-')), name);
}

function model() {
  return new nn.Sequential(
    new nn.Linear(6, 8, { seed: 1 }), new nn.BatchNorm1d(8), new nn.ReLU(), new nn.Dropout(0.3),
    new nn.Linear(8, 3, { seed: 2 }),
  );
}

describe('model.save / nn.load / loadWeights', () => {
  it('round-trips weights, buffers and the architecture under PyTorch state_dict names', async () => {
    const m = model();
    // Move BatchNorm's running statistics away from their initial values.
    m.forward(randn([16, 6], { seed: 3 }));
    m.eval();
    const x = randn([5, 6], { seed: 4 });
    const before = Array.from(m.forward(x).data);
    const file = tmpFile('m.safetensors');
    await m.save(file);
    const { tensors, metadata } = loadTensors(file);
    expect(Object.keys(tensors)).toEqual(Object.keys(m.stateDict()));
    expect(Object.keys(tensors)).toContain('0.weight');
    expect(metadata.format).toBe('pt');
    const back = await nn.load(file);
    expect(back).toBeInstanceOf(nn.Sequential);
    back.eval();
    expect(Array.from(back.forward(x).data)).toEqual(before);
    expect(await load(file)).toBeInstanceOf(nn.Sequential);
    const fresh = model();
    await fresh.loadWeights(file);
    fresh.eval();
    expect(Array.from(fresh.forward(x).data)).toEqual(before);
  });

  it('explains bare weights, bad architecture JSON and mismatched shapes', async () => {
    const bare = tmpFile('bare.safetensors');
    saveTensors(bare, { w: tensor([1]) });
    await expect(load(bare)).rejects.toThrow(/bare weights.*loadWeights/);
    const badArch = tmpFile('arch.safetensors');
    saveTensors(badArch, { w: tensor([1]) }, { 'fastgrad.architecture': '{"type": ' });
    await expect(load(badArch)).rejects.toBeInstanceOf(FormatError);
    const other = tmpFile('other.safetensors');
    await new nn.Sequential(new nn.Linear(6, 4), new nn.ReLU(), new nn.Linear(4, 3)).save(other);
    await expect(model().loadWeights(other)).rejects.toThrow(ValueError); // keys differ
    const wrongShape = tmpFile('shape.safetensors');
    await new nn.Sequential(new nn.Linear(5, 8), new nn.BatchNorm1d(8), new nn.ReLU(), new nn.Dropout(0.3), new nn.Linear(8, 3)).save(wrongShape);
    await expect(model().loadWeights(wrongShape)).rejects.toBeInstanceOf(ShapeError);
    const truncated = tmpFile('trunc.safetensors');
    await model().save(truncated);
    fs.truncateSync(truncated, fs.statSync(truncated).size - 3);
    await expect(nn.load(truncated)).rejects.toBeInstanceOf(FormatError);
  });
});
