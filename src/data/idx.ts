// The IDX file format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): a 4-byte magic
// (two zero bytes, a dtype code, the number of dimensions), one big-endian uint32 per dimension, then
// the values in row-major order, big-endian. Files may be gzipped; we detect that from the gzip magic
// rather than the file name. Every check failure is a FormatError naming the file and the problem, so
// a truncated download never turns into a crash or a silently short data set.
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { promisify } from 'node:util';
import { FormatError } from '../errors';

const gunzip = promisify(zlib.gunzip);

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  /** 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64' */
  dtype: string;
  shape: number[];
  data: IdxData;
}

interface IdxType {
  name: string;
  bytes: number;
  make(n: number): IdxData;
  read(view: DataView, offset: number): number;
}

const TYPES: Record<number, IdxType> = {
  0x08: { name: 'uint8', bytes: 1, make: (n) => new Uint8Array(n), read: (v, o) => v.getUint8(o) },
  0x09: { name: 'int8', bytes: 1, make: (n) => new Int8Array(n), read: (v, o) => v.getInt8(o) },
  0x0b: { name: 'int16', bytes: 2, make: (n) => new Int16Array(n), read: (v, o) => v.getInt16(o, false) },
  0x0c: { name: 'int32', bytes: 4, make: (n) => new Int32Array(n), read: (v, o) => v.getInt32(o, false) },
  0x0d: { name: 'float32', bytes: 4, make: (n) => new Float32Array(n), read: (v, o) => v.getFloat32(o, false) },
  0x0e: { name: 'float64', bytes: 8, make: (n) => new Float64Array(n), read: (v, o) => v.getFloat64(o, false) },
};

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Parses an (uncompressed) IDX buffer; `name` is used in error messages. */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  if (bytes.length < 4) throw new FormatError(`${name}: not an IDX file: ${bytes.length} bytes, the header alone needs 4`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new FormatError(
      `${name}: not an IDX file: the magic number must start with two zero bytes, got ` +
        `0x${hex(bytes[0])} 0x${hex(bytes[1])}`,
    );
  }
  const type = TYPES[bytes[2]];
  if (!type) {
    throw new FormatError(`${name}: unknown IDX dtype code 0x${hex(bytes[2])} (expected 08, 09, 0b, 0c, 0d or 0e)`);
  }
  const ndim = bytes[3];
  if (ndim === 0) throw new FormatError(`${name}: the IDX header declares 0 dimensions`);
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new FormatError(`${name}: truncated IDX header: ${ndim} dimensions need ${headerBytes} bytes, the file has ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < ndim; d++) {
    const n = view.getUint32(4 + 4 * d, false);
    shape.push(n);
    count *= n;
  }
  const payload = bytes.length - headerBytes;
  const expected = count * type.bytes;
  if (payload !== expected) {
    throw new FormatError(
      `${name}: IDX payload has ${payload} bytes, but shape [${shape.join(', ')}] of ${type.name} needs ${expected}` +
        (payload < expected ? ' (truncated file?)' : ' (trailing data)'),
    );
  }
  let data: IdxData;
  if (type.bytes === 1) {
    // Bytes need no byte-order conversion: a view of the payload (no copy).
    const Ctor = type.name === 'uint8' ? Uint8Array : Int8Array;
    data = new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset + headerBytes, count);
  } else {
    data = type.make(count);
    for (let i = 0, o = headerBytes; i < count; i++, o += type.bytes) data[i] = type.read(view, o);
  }
  return { dtype: type.name, shape, data };
}

/** Gunzips when the bytes are gzipped; a corrupt or truncated stream is a FormatError. */
async function maybeGunzip(bytes: Uint8Array, file: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  try {
    return await gunzip(bytes);
  } catch (e) {
    throw new FormatError(`${file}: corrupt or truncated gzip data (${(e as Error).message})`);
  }
}

/** Reads an IDX file, gzipped or not (detected from its first bytes, not its name). */
export async function readIdx(file: string): Promise<IdxArray> {
  const raw = await fs.promises.readFile(file);
  return parseIdx(await maybeGunzip(raw, file), file);
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
