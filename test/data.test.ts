import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { data, Tensor, FormatError, ValueError, ShapeError } from '../src';

/** An IDX file: magic, big-endian dims, then the payload bytes. */
function idxBytes(dtype: number, dims: number[], payload: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = dtype;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, payload]);
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'fastgrad-data-'));
}

/** A tiny MNIST-layout folder: `nTrain` and `nTest` 2x3 images with pixel i*7 % 256 and labels i % 3. */
function writeMnistDir(dir: string, nTrain: number, nTest: number, gz: boolean): void {
  const write = (name: string, buf: Buffer) => fs.writeFileSync(path.join(dir, gz ? name + '.gz' : name), gz ? zlib.gzipSync(buf) : buf);
  for (const [prefix, n] of [['train', nTrain], ['t10k', nTest]] as const) {
    const px = Uint8Array.from({ length: n * 6 }, (_, i) => (i * 7) % 256);
    write(`${prefix}-images-idx3-ubyte`, idxBytes(0x08, [n, 2, 3], px));
    write(`${prefix}-labels-idx1-ubyte`, idxBytes(0x08, [n], Uint8Array.from({ length: n }, (_, i) => i % 3)));
  }
}

describe('IDX reader', () => {
  it('parses uint8, int32 and float32 files (big-endian)', () => {
    const u8 = data.parseIdx(idxBytes(0x08, [2, 3], Uint8Array.from([0, 1, 2, 253, 254, 255])));
    expect(u8.dtype).toBe('uint8');
    expect(u8.shape).toEqual([2, 3]);
    expect(Array.from(u8.data)).toEqual([0, 1, 2, 253, 254, 255]);
    const i32 = Buffer.alloc(8);
    i32.writeInt32BE(-5, 0);
    i32.writeInt32BE(70000, 4);
    const a = data.parseIdx(idxBytes(0x0c, [2], i32));
    expect(a.dtype).toBe('int32');
    expect(Array.from(a.data)).toEqual([-5, 70000]);
    const f32 = Buffer.alloc(4);
    f32.writeFloatBE(1.5, 0);
    expect(Array.from(data.parseIdx(idxBytes(0x0d, [1, 1], f32)).data)).toEqual([1.5]);
    const i8 = data.parseIdx(idxBytes(0x09, [2], Uint8Array.from([0xff, 3])));
    expect(Array.from(i8.data)).toEqual([-1, 3]);
  });

  it('reads gzipped and plain files alike (gzip detected from the magic, not the name)', async () => {
    const dir = tmpDir();
    const buf = idxBytes(0x08, [4], Uint8Array.from([9, 8, 7, 6]));
    fs.writeFileSync(path.join(dir, 'plain'), buf);
    fs.writeFileSync(path.join(dir, 'zipped'), zlib.gzipSync(buf));
    for (const f of ['plain', 'zipped']) {
      const r = await data.readIdx(path.join(dir, f));
      expect(Array.from(r.data)).toEqual([9, 8, 7, 6]);
    }
  });

  it('rejects corrupt files with a FormatError naming the file and the problem', async () => {
    const dir = tmpDir();
    const good = idxBytes(0x08, [2, 2], Uint8Array.from([1, 2, 3, 4]));
    const gz = zlib.gzipSync(good);
    const cases: [string, Uint8Array, RegExp][] = [
      ['empty', new Uint8Array(0), /header alone needs 4/],
      ['badmagic', Buffer.concat([Buffer.from([1, 0]), good.subarray(2)]), /two zero bytes/],
      ['baddtype', Buffer.concat([Buffer.from([0, 0, 0x42]), good.subarray(3)]), /unknown IDX dtype code 0x42/],
      ['zerodims', Buffer.from([0, 0, 8, 0]), /0 dimensions/],
      ['shortheader', good.subarray(0, 9), /truncated IDX header/],
      ['short', good.subarray(0, good.length - 1), /payload has 3 bytes.*needs 4.*truncated/],
      ['long', Buffer.concat([good, Buffer.from([0])]), /trailing data/],
      ['hugedims', idxBytes(0x08, [0xffffffff, 0xffffffff], new Uint8Array(4)), /payload has 4 bytes/],
      ['truncgz', gz.subarray(0, gz.length - 10), /corrupt or truncated gzip/],
      ['garbagegz', Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(40, 7)]), /corrupt or truncated gzip/],
    ];
    for (const [name, bytes, re] of cases) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, bytes);
      const err = await data.readIdx(file).then(() => null, (e) => e);
      expect(err, name).toBeInstanceOf(FormatError);
      expect(err.message, name).toMatch(re);
      expect(err.message, name).toContain(file);
    }
  });

  it('loads an MNIST-layout folder as flat or image tensors scaled to [0, 1]', async () => {
    for (const gz of [false, true]) {
      const dir = tmpDir();
      writeMnistDir(dir, 5, 2, gz);
      const { train, test } = await data.idx(dir);
      expect(train.x.shape).toEqual([5, 6]);
      expect(train.y.shape).toEqual([5]);
      expect(test.x.shape).toEqual([2, 6]);
      expect(train.x.data[1]).toBeCloseTo(7 / 255, 6);
      expect(Array.from(train.y.data)).toEqual([0, 1, 2, 0, 1]);
      const img = await data.idx(dir, { shape: 'image' });
      expect(img.train.x.shape).toEqual([5, 1, 2, 3]);
    }
  });

  it('says which files are missing, and catches image/label count mismatches', async () => {
    const dir = tmpDir();
    await expect(data.idx(dir)).rejects.toThrow(/lacks train-images-idx3-ubyte\[\.gz\]/);
    await expect(data.fashionMnist({ dir })).rejects.toBeInstanceOf(ValueError);
    writeMnistDir(dir, 4, 2, false);
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idxBytes(0x08, [3], Uint8Array.from([0, 1, 2])));
    await expect(data.idx(dir)).rejects.toThrow(/4 images but .* 3 labels/);
  });

  it('loads the bundled Fashion-MNIST', async () => {
    const { train, test } = await data.fashionMnist();
    expect(train.x.shape).toEqual([60000, 784]);
    expect(test.x.shape).toEqual([10000, 784]);
    const counts = new Array(10).fill(0);
    for (const c of train.y.data) counts[c]++;
    expect(counts).toEqual(new Array(10).fill(6000));
    let lo = Infinity, hi = -Infinity;
    for (const v of test.x.data) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect([lo, hi]).toEqual([0, 1]);
  });
});

/** n samples: x row i = [i, i + 0.5], y = i (so every batch can be checked against its indices). */
function indexed(n: number) {
  const x = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = i;
    x[2 * i + 1] = i + 0.5;
  }
  return { x: new Tensor(x, [n, 2]), y: new Tensor(Float32Array.from({ length: n }, (_, i) => i), [n]) };
}

function epochIds(loader: data.DataLoader): number[][] {
  const out: number[][] = [];
  for (const { x, y } of loader) {
    const ids = Array.from(y.data);
    for (let r = 0; r < ids.length; r++) {
      expect(x.data[2 * r]).toBe(ids[r]);
      expect(x.data[2 * r + 1]).toBe(ids[r] + 0.5);
    }
    out.push(ids);
  }
  return out;
}

describe('DataLoader', () => {
  it('covers every sample exactly once per epoch, rows kept together', () => {
    const loader = new data.DataLoader(indexed(103), { batchSize: 10, shuffle: true, seed: 3 });
    expect(loader.length).toBe(11);
    for (let e = 0; e < 3; e++) {
      const batches = epochIds(loader);
      expect(batches.map((b) => b.length)).toEqual([...new Array(10).fill(10), 3]);
      expect(batches.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 103 }, (_, i) => i));
    }
  });

  it('is deterministic for a seed, reshuffles each epoch, and differs across seeds', () => {
    const ds = indexed(50);
    const a = new data.DataLoader(ds, { batchSize: 8, shuffle: true, seed: 1 });
    const b = new data.DataLoader(ds, { batchSize: 8, shuffle: true, seed: 1 });
    const c = new data.DataLoader(ds, { batchSize: 8, shuffle: true, seed: 2 });
    const a1 = epochIds(a), a2 = epochIds(a);
    expect(epochIds(b)).toEqual(a1);
    expect(epochIds(b)).toEqual(a2);
    expect(a2).not.toEqual(a1);
    expect(epochIds(c)).not.toEqual(a1);
  });

  it('keeps order without shuffle (batches are views), drops the last batch when asked', () => {
    const ds = indexed(25);
    const plain = new data.DataLoader(ds, { batchSize: 10 });
    const batches = epochIds(plain);
    expect(batches[0]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batches[2]).toEqual([20, 21, 22, 23, 24]);
    const first = plain[Symbol.iterator]().next().value!;
    expect(first.x.data.buffer).toBe(ds.x.data.buffer);
    const dropped = new data.DataLoader(ds, { batchSize: 10, dropLast: true, shuffle: true, seed: 1 });
    expect(dropped.length).toBe(2);
    expect(dropped.size).toBe(20);
    expect(epochIds(dropped).map((b) => b.length)).toEqual([10, 10]);
  });

  it('reuses its batch buffers when asked', () => {
    const loader = new data.DataLoader(indexed(30), { batchSize: 8, shuffle: true, seed: 1, reuseBuffers: true });
    const buffers = new Set<ArrayBufferLike>();
    for (let e = 0; e < 2; e++) for (const { x } of loader) buffers.add(x.data.buffer);
    expect(buffers.size).toBe(2); // full batches and the last, shorter one
  });

  it('moves one-hot and image-shaped rows with their samples', () => {
    const n = 6;
    const x = new Tensor(Float32Array.from({ length: n * 4 }, (_, i) => Math.floor(i / 4)), [n, 1, 2, 2]);
    const y = new Tensor(new Float32Array(n * 3), [n, 3]);
    for (let i = 0; i < n; i++) y.data[3 * i + (i % 3)] = 1;
    for (const b of new data.DataLoader({ x, y }, { batchSize: 4, shuffle: true, seed: 5 })) {
      expect(b.x.shape.slice(1)).toEqual([1, 2, 2]);
      for (let r = 0; r < b.x.shape[0]; r++) {
        const id = b.x.data[4 * r];
        expect(Array.from(b.x.data.subarray(4 * r, 4 * r + 4))).toEqual([id, id, id, id]);
        expect(b.y.data[3 * r + (id % 3)]).toBe(1);
      }
    }
  });

  it('checks its arguments', () => {
    expect(() => new data.DataLoader(indexed(4), { batchSize: 0 })).toThrow(ValueError);
    expect(() => new data.DataLoader({ x: indexed(4).x, y: indexed(5).y })).toThrow(ShapeError);
    expect(() => new data.DataLoader({ x: [1, 2] } as never)).toThrow(/x must be a Tensor/);
    expect(new data.DataLoader(indexed(0)).length).toBe(0);
  });
});

describe('trainValSplit', () => {
  it('splits disjointly with the requested share, reproducibly', () => {
    const ds = indexed(100);
    const { train, val } = data.trainValSplit(ds, 0.2, { seed: 1 });
    expect(val.x.shape[0]).toBe(20);
    expect(train.x.shape[0]).toBe(80);
    const ids = [...train.y.data, ...val.y.data].sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => i));
    for (let i = 0; i < 20; i++) expect(val.x.data[2 * i]).toBe(val.y.data[i]);
    expect(Array.from(data.trainValSplit(ds, 0.2, { seed: 1 }).val.y.data)).toEqual(Array.from(val.y.data));
  });

  it('stratifies by class', () => {
    const n = 200;
    const y = new Tensor(Float32Array.from({ length: n }, (_, i) => (i < 150 ? 0 : 1)), [n]);
    const x = new Tensor(Float32Array.from({ length: n }, (_, i) => i), [n, 1]);
    const { train, val } = data.trainValSplit({ x, y }, 0.2, { seed: 4, stratify: true });
    const ones = (t: Tensor) => t.data.reduce((a, b) => a + b, 0);
    expect(val.y.size).toBe(40);
    expect(ones(val.y)).toBe(10);
    expect(ones(train.y)).toBe(40);
    expect(() => data.trainValSplit({ x, y }, 1.5)).toThrow(ValueError);
  });
});
