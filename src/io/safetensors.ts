// The safetensors format (https://github.com/huggingface/safetensors, "Format"):
//   8 bytes    N, the header size, an unsigned little-endian 64-bit integer
//   N bytes    a UTF-8 JSON object: { name: { dtype, shape, data_offsets: [begin, end) }, ... } with an
//              optional "__metadata__" map of strings to strings; it may be padded with spaces (we pad
//              so that the data starts 8-byte aligned, as the reference writer does)
//   the rest   the byte buffer: each tensor's values, little-endian, row-major; offsets are relative to
//              the buffer's start, and the tensors cover it fully, without holes or overlaps.
// We write float32 ("F32") and read every numeric dtype, converting to float32. Every structural
// problem in a file is a FormatError naming the file and the problem.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { Tensor, shapeString } from '../tensor/tensor';
import { DTypeError, FormatError, ValueError, describe } from '../errors';
import { writeAll, writeFileAtomic } from './atomic';

export type TensorLike = Tensor | Float32Array;

/** The largest header we accept (the reference implementation's limit is 100 MB as well). */
const MAX_HEADER = 100_000_000;
const LITTLE_ENDIAN = os.endianness() === 'LE';

interface DTypeInfo {
  bytes: number;
  read(view: DataView, offset: number): number;
}

function f16(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const bf16Scratch = new DataView(new ArrayBuffer(4));
function bf16(bits: number): number {
  bf16Scratch.setUint32(0, bits << 16);
  return bf16Scratch.getFloat32(0);
}

const DTYPES: Record<string, DTypeInfo> = {
  F32: { bytes: 4, read: (v, o) => v.getFloat32(o, true) },
  F64: { bytes: 8, read: (v, o) => v.getFloat64(o, true) },
  F16: { bytes: 2, read: (v, o) => f16(v.getUint16(o, true)) },
  BF16: { bytes: 2, read: (v, o) => bf16(v.getUint16(o, true)) },
  I64: { bytes: 8, read: (v, o) => Number(v.getBigInt64(o, true)) },
  I32: { bytes: 4, read: (v, o) => v.getInt32(o, true) },
  I16: { bytes: 2, read: (v, o) => v.getInt16(o, true) },
  I8: { bytes: 1, read: (v, o) => v.getInt8(o) },
  U8: { bytes: 1, read: (v, o) => v.getUint8(o) },
  BOOL: { bytes: 1, read: (v, o) => (v.getUint8(o) ? 1 : 0) },
};

export interface SafetensorsFile {
  tensors: Record<string, Tensor>;
  /** The "__metadata__" map ({} when absent). */
  metadata: Record<string, string>;
}

function asFloat32(where: string, name: string, t: unknown): { data: Float32Array; shape: number[] } {
  if (t instanceof Tensor) return { data: t.data, shape: t.shape };
  if (t instanceof Float32Array) return { data: t, shape: [t.length] };
  throw new DTypeError(`${where}: tensor '${name}' must be a Tensor or a Float32Array, got ${describe(t)}`);
}

/** The header and byte layout for a set of float32 tensors, in the given order. */
function layout(where: string, tensors: Record<string, TensorLike>, metadata: Record<string, string>) {
  const header: Record<string, unknown> = {};
  const entries: Float32Array[] = [];
  if (Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new DTypeError(`${where}: metadata '${k}' must be a string, got ${describe(v)}`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__') throw new ValueError(`${where}: '__metadata__' is reserved and cannot name a tensor`);
    const { data, shape } = asFloat32(where, name, t);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    entries.push(data);
    offset += data.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil((8 + json.length) / 8) * 8 - 8;
  if (padded > json.length) json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return { prefix, json, entries };
}

/** The bytes of a float32 array, little-endian. */
function leBytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const v = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) v.setFloat32(4 * i, data[i], true);
  return out;
}

/**
 * Writes float32 tensors (Tensors or Float32Arrays) and string metadata to a safetensors file,
 * atomically: an interrupted write leaves the previous file intact.
 */
export function saveTensors(file: string, tensors: Record<string, TensorLike>, metadata: Record<string, string> = {}): void {
  if (typeof file !== 'string' || file === '') throw new ValueError(`saveTensors: argument 'file' must be a path, got ${describe(file)}`);
  const { prefix, json, entries } = layout('saveTensors', tensors, metadata);
  writeFileAtomic(file, (fd) => {
    writeAll(fd, prefix);
    writeAll(fd, json);
    for (const e of entries) writeAll(fd, leBytes(e));
  });
}

/** The same file as saveTensors would write, in memory. */
export function serializeTensors(tensors: Record<string, TensorLike>, metadata: Record<string, string> = {}): Uint8Array {
  const { prefix, json, entries } = layout('serializeTensors', tensors, metadata);
  return Buffer.concat([prefix, json, ...entries.map(leBytes)]);
}

/** Reads a safetensors file; every tensor comes back as float32. */
export function loadTensors(file: string): SafetensorsFile {
  if (typeof file !== 'string' || file === '') throw new ValueError(`loadTensors: argument 'file' must be a path, got ${describe(file)}`);
  return parseTensors(fs.readFileSync(file), file);
}

/** Parses safetensors bytes; `name` is used in error messages. */
export function parseTensors(bytes: Uint8Array, name = 'safetensors data'): SafetensorsFile {
  const bad = (what: string) => new FormatError(`${name}: not a valid safetensors file: ${what}`);
  if (bytes.length < 8) throw bad(`${bytes.length} bytes, the header length alone needs 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) throw bad(`header length ${n64} exceeds the ${MAX_HEADER}-byte limit`);
  const n = Number(n64);
  if (n < 2) throw bad(`header length ${n} is too small for a JSON object`);
  if (8 + n > bytes.length) throw bad(`header length ${n} runs past the end of the file (${bytes.length} bytes; truncated?)`);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + 8, n).toString('utf8');
  if (text[0] !== '{') throw bad('the header does not start with "{"');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw bad(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('the header is not a JSON object');
  const bufferStart = 8 + n;
  const bufferLen = bytes.length - bufferStart;
  const metadata: Record<string, string> = {};
  const spans: { name: string; begin: number; end: number }[] = [];
  const tensors: Record<string, Tensor> = {};
  for (const [key, entry] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw bad('"__metadata__" is not an object');
      for (const [mk, mv] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof mv !== 'string') throw bad(`"__metadata__" value '${mk}' is not a string`);
        metadata[mk] = mv;
      }
      continue;
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw bad(`tensor '${key}' is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in DTYPES)) {
      throw bad(`tensor '${key}' has unsupported dtype ${JSON.stringify(dtype)} (expected one of ${Object.keys(DTYPES).join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw bad(`tensor '${key}' has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw bad(`tensor '${key}' has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as number[];
    if (begin > end || end > bufferLen) {
      throw bad(`tensor '${key}' has data_offsets [${begin}, ${end}) outside the ${bufferLen}-byte buffer (truncated?)`);
    }
    const info = DTYPES[dtype];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (count * info.bytes !== end - begin) {
      throw bad(`tensor '${key}' of shape ${shapeString(shape as number[])} and dtype ${dtype} needs ${count * info.bytes} bytes, its data_offsets span ${end - begin}`);
    }
    spans.push({ name: key, begin, end });
    const start = bufferStart + begin;
    let data: Float32Array;
    if (dtype === 'F32' && LITTLE_ENDIAN) {
      // One copy into a fresh, aligned buffer (the file's offsets need not be 4-byte aligned).
      data = new Float32Array(count);
      new Uint8Array(data.buffer).set(bytes.subarray(start, start + count * 4));
    } else {
      data = new Float32Array(count);
      for (let i = 0, o = start; i < count; i++, o += info.bytes) data[i] = info.read(view, o);
    }
    tensors[key] = new Tensor(data, shape as number[]);
  }
  // The tensors must tile the buffer exactly: sorted by offset, each starts where the last ended.
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const s of spans) {
    if (s.begin < pos) throw bad(`tensor '${s.name}' overlaps the previous tensor (offset ${s.begin} < ${pos})`);
    if (s.begin > pos) throw bad(`a hole in the byte buffer before tensor '${s.name}' (bytes ${pos}..${s.begin})`);
    pos = s.end;
  }
  if (pos !== bufferLen) throw bad(`the byte buffer has ${bufferLen} bytes, the tensors cover ${pos}`);
  return { tensors, metadata };
}
