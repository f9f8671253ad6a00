import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { saveTensors, loadTensors, tensor, Tensor, FormatError } from '../src';
import { parseTensors, serializeTensors } from '../src/io/safetensors';
import { writeFileAtomic } from '../src/io/atomic';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'fastgrad-st-'));
}

/** A file from a header object and a byte buffer, per the spec (no padding). */
function rawFile(header: unknown, buffer: Uint8Array = new Uint8Array(0), headerText = JSON.stringify(header)): Buffer {
  const json = Buffer.from(headerText, 'utf8');
  const n = Buffer.alloc(8);
  n.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([n, json, buffer]);
}

// The `safetensors` Python package is not installed here, so the interop checks use a reader and a
// writer written from the spec with json + struct + torch.frombuffer: a byte-level check of the format.
const PY_COMMON = `
import json, struct, sys, torch
def read(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    h = json.loads(b[8:8+n].decode('utf-8'))
    assert (8 + n) % 8 == 0, 'header not padded to 8 bytes'
    meta = h.pop('__metadata__', {})
    out = {}
    for k, v in h.items():
        s, e = v['data_offsets']
        assert v['dtype'] == 'F32'
        out[k] = torch.frombuffer(bytearray(b[8+n+s:8+n+e]), dtype=torch.float32).reshape(v['shape'])
    return out, meta
def write(path, tensors, meta):
    header, off, blobs = {'__metadata__': meta}, 0, []
    for k, t in tensors.items():
        raw = t.contiguous().numpy().tobytes() if False else bytes(t.contiguous().view(torch.uint8).flatten().tolist()) if t.numel() else b''
        header[k] = {'dtype': {torch.float32: 'F32', torch.float64: 'F64', torch.float16: 'F16', torch.int64: 'I64'}[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(raw)]}
        off += len(raw); blobs.append(raw)
    h = json.dumps(header).encode('utf-8')
    open(path, 'wb').write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
`;

function python(script: string): { ok: boolean; out: string } {
  const r = spawnSync('/usr/bin/python3', ['-c', PY_COMMON + script], { encoding: 'utf8' });
  return { ok: r.status === 0, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

describe('safetensors', () => {
  it('writes the exact layout of the spec', () => {
    const bytes = serializeTensors({ w: tensor([[1, 2], [3, 4]]), b: new Float32Array([0.5]) }, { k: 'v' });
    const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const text = Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8');
    expect(text.trimEnd()).toBe(
      '{"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}}',
    );
    expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
    expect(Array.from(new Float32Array(Uint8Array.from(bytes.subarray(8 + n)).buffer))).toEqual([1, 2, 3, 4, 0.5]);
  });

  it('round-trips tensors, shapes (scalars, empty) and metadata', () => {
    const file = path.join(tmpDir(), 'a.safetensors');
    const t = { a: tensor([[1.5, -2], [3, 4e-8]]), s: new Tensor(new Float32Array([7]), []), e: new Tensor(new Float32Array(0), [0, 3]), v: new Float32Array([1, 2, 3]) };
    saveTensors(file, t, { note: 'héllo' });
    const r = loadTensors(file);
    expect(r.metadata).toEqual({ note: 'héllo' });
    expect(Object.keys(r.tensors)).toEqual(['a', 's', 'e', 'v']);
    expect(r.tensors.a.shape).toEqual([2, 2]);
    expect(Array.from(r.tensors.a.data)).toEqual(Array.from(t.a.data));
    expect(r.tensors.s.shape).toEqual([]);
    expect(r.tensors.s.item()).toBe(7);
    expect(r.tensors.e.shape).toEqual([0, 3]);
    expect(Array.from(r.tensors.v.data)).toEqual([1, 2, 3]);
  });

  it('reads other dtypes as float32 and unpadded headers', () => {
    const f64 = Buffer.alloc(16);
    f64.writeDoubleLE(1.25, 0);
    f64.writeDoubleLE(-3, 8);
    const f16 = Buffer.from([0x00, 0x3c, 0x00, 0xc0]); // 1, -2
    const bf16 = Buffer.from([0x80, 0x3f]); // 1
    const i64 = Buffer.alloc(8);
    i64.writeBigInt64LE(-42n);
    const buf = Buffer.concat([f64, f16, bf16, i64]);
    const r = parseTensors(rawFile({
      a: { dtype: 'F64', shape: [2], data_offsets: [0, 16] },
      h: { dtype: 'F16', shape: [2], data_offsets: [16, 20] },
      b: { dtype: 'BF16', shape: [], data_offsets: [20, 22] },
      i: { dtype: 'I64', shape: [1], data_offsets: [22, 30] },
    }, buf));
    expect(Array.from(r.tensors.a.data)).toEqual([1.25, -3]);
    expect(Array.from(r.tensors.h.data)).toEqual([1, -2]);
    expect(r.tensors.b.item()).toBe(1);
    expect(Array.from(r.tensors.i.data)).toEqual([-42]);
  });

  it('rejects corrupt and truncated files with a FormatError', () => {
    const dir = tmpDir();
    const good = Buffer.from(serializeTensors({ w: tensor([1, 2, 3, 4]) }));
    const f32 = new Uint8Array(16);
    const hugeLen = Buffer.from(good);
    hugeLen.writeBigUInt64LE(2n ** 63n, 0);
    const pastEnd = Buffer.from(good);
    pastEnd.writeBigUInt64LE(BigInt(good.length), 0);
    const cases: [string, Uint8Array, RegExp][] = [
      ['empty', new Uint8Array(0), /header length alone needs 8/],
      ['short', good.subarray(0, 5), /header length alone needs 8/],
      ['huge header length', hugeLen, /exceeds/],
      ['header past end', pastEnd, /runs past the end/],
      ['truncated data', good.subarray(0, good.length - 4), /outside the 12-byte buffer/],
      ['not json', rawFile(null, f32, '{"w": {"dtype": "F32",'), /not valid JSON/],
      ['not an object', rawFile(null, f32, '[1, 2]'), /does not start with "\{"/],
      ['bad dtype', rawFile({ w: { dtype: 'F33', shape: [4], data_offsets: [0, 16] } }, f32), /unsupported dtype "F33"/],
      ['bad shape', rawFile({ w: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } }, f32), /invalid shape/],
      ['bad offsets', rawFile({ w: { dtype: 'F32', shape: [4], data_offsets: [0] } }, f32), /invalid data_offsets/],
      ['reversed offsets', rawFile({ w: { dtype: 'F32', shape: [0], data_offsets: [16, 0] } }, f32), /outside/],
      ['size mismatch', rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, f32), /needs 12 bytes/],
      ['overlap', rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, f32), /overlaps/],
      ['hole', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, f32), /hole/],
      ['trailing bytes', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32), /cover 8/],
      ['bad metadata', rawFile({ __metadata__: { a: 1 } }), /not a string/],
      ['entry not object', rawFile({ w: 3 }), /is not an object/],
    ];
    for (const [name, bytes, re] of cases) {
      const file = path.join(dir, name.replace(/ /g, '_'));
      fs.writeFileSync(file, bytes);
      let err: unknown;
      try {
        loadTensors(file);
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(FormatError);
      expect((err as Error).message, name).toMatch(re);
      expect((err as Error).message, name).toContain(file);
    }
    // Every truncation of a good file is an error, never a crash or a silent success.
    for (let cut = 0; cut < good.length; cut++) expect(() => parseTensors(good.subarray(0, cut))).toThrow(FormatError);
  });

  it('writes atomically: a failure mid-write leaves the old file intact and no temporary file', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'model.safetensors');
    saveTensors(file, { w: tensor([1, 2, 3]) });
    const before = fs.readFileSync(file);
    expect(() =>
      writeFileAtomic(file, (fd) => {
        fs.writeSync(fd, Buffer.from('partial data'));
        throw new Error('disk full (simulated)');
      }),
    ).toThrow(/disk full/);
    expect(fs.readFileSync(file)).toEqual(before);
    expect(fs.readdirSync(dir)).toEqual(['model.safetensors']);
    // A tensor that cannot be serialized fails before anything is written.
    expect(() => saveTensors(file, { w: [1, 2] as never })).toThrow(/must be a Tensor or a Float32Array/);
    expect(Array.from(loadTensors(file).tensors.w.data)).toEqual([1, 2, 3]);
    saveTensors(file, { w: tensor([4, 5]) });
    expect(Array.from(loadTensors(file).tensors.w.data)).toEqual([4, 5]);
    expect(fs.readdirSync(dir)).toEqual(['model.safetensors']);
  });

  it.skipIf(!hasTorch)('PyTorch reads our files, and we read files PyTorch wrote', () => {
    const dir = tmpDir();
    const ours = path.join(dir, 'ours.safetensors');
    saveTensors(ours, { '0.weight': tensor([[1, 2, 3], [4, 5, 6]]), '0.bias': tensor([0.25, -0.5]) }, { format: 'pt' });
    const theirs = path.join(dir, 'theirs.safetensors');
    // One Python process for both directions (importing torch takes seconds).
    const r = python(`
t, meta = read(${JSON.stringify(ours)})
assert meta == {'format': 'pt'}, meta
assert torch.equal(t['0.weight'], torch.tensor([[1., 2, 3], [4, 5, 6]])), t
assert torch.equal(t['0.bias'], torch.tensor([0.25, -0.5]))
lin = torch.nn.Linear(3, 2); lin.load_state_dict({'weight': t['0.weight'], 'bias': t['0.bias']})
print(lin(torch.ones(1, 3)).tolist())
torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
sd = {k: v.detach() for k, v in m.state_dict().items()}
sd['h'] = torch.tensor([1.5, 2.0], dtype=torch.float16)
write(${JSON.stringify(theirs)}, sd, {'format': 'pt'})
print(json.dumps({k: v.float().flatten().tolist() for k, v in sd.items()}))
`);
    expect(r.ok, r.out).toBe(true);
    const [forward, json] = r.out.trim().split('\n');
    expect(forward).toBe('[[6.25, 14.5]]');
    const expected = JSON.parse(json) as Record<string, number[]>;
    const got = loadTensors(theirs);
    expect(Object.keys(got.tensors)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', 'h']);
    expect(got.tensors['0.weight'].shape).toEqual([3, 4]);
    for (const [k, v] of Object.entries(expected)) expect(Array.from(got.tensors[k].data)).toEqual(v.map((x) => Math.fround(x)));
  });
});
