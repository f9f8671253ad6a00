import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
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

describe('PyTorch loads a saved fastgrad model', () => {
  const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!hasTorch)('the CLI MLP, via load_state_dict into the same torch.nn.Sequential, gives the same outputs', async () => {
    const { models } = await import('../src/train/models');
    const m = models.mlp({ seed: 3 });
    const file = tmpFile('mlp.safetensors');
    await m.save(file);
    const x = randn([4, 784], { seed: 5 });
    m.eval();
    const ours = Array.from(m.forward(x).data);
    // A reader written from the spec (json + struct + torch.frombuffer): the safetensors package is not installed here.
    const script = `
import json, struct, sys, torch
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8+n])
meta = h.pop('__metadata__')
sd = {k: torch.frombuffer(bytearray(b[8+n+v['data_offsets'][0]:8+n+v['data_offsets'][1]]), dtype=torch.float32).reshape(v['shape']) for k, v in h.items()}
m = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
m.load_state_dict(sd)
x = torch.tensor(json.loads(sys.argv[2]), dtype=torch.float32).reshape(4, 784)
print(json.dumps({'arch': json.loads(meta['fastgrad.architecture'])['type'], 'y': m(x).flatten().tolist()}))
`;
    const r = spawnSync('/usr/bin/python3', ['-c', script, file, JSON.stringify(Array.from(x.data))], { encoding: 'utf8', maxBuffer: 1 << 24 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.arch).toBe('Sequential');
    out.y.forEach((v: number, i: number) => expect(v).toBeCloseTo(ours[i], 4));
  });
});
