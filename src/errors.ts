// Typed errors for the public API. Each says what was expected and what was given, so a user can fix
// the call from the message alone.

export class FastgradError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit: wrong rank, mismatched dimensions, sizes that disagree with a buffer. */
export class ShapeError extends FastgradError {}

/** A value of the wrong type: a Float64Array where a Float32Array is needed, a string for a number. */
export class DTypeError extends FastgradError {}

/** A value of the right type but out of range or otherwise invalid: negative lr, NaN alpha, k > n. */
export class ValueError extends FastgradError {}

/** A file that is not what it claims: a corrupt or truncated IDX or safetensors file. */
export class FormatError extends FastgradError {}

/** Describes a value for an error message: "number 3", "Float64Array(12)", "string 'abc'". */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return `number ${v}`;
  if (typeof v === 'string') return `string '${v.length > 40 ? v.slice(0, 40) + '...' : v}'`;
  if (typeof v === 'boolean') return `boolean ${v}`;
  if (ArrayBuffer.isView(v)) {
    const len = (v as unknown as { length?: number }).length;
    return `${v.constructor.name}(${len ?? v.byteLength})`;
  }
  if (Array.isArray(v)) return `Array(${v.length})`;
  if (typeof v === 'function') return 'function';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

// Argument checks shared by every public entry point. `where` names the function and argument,
// e.g. "sgemm: argument 'lda'".

export function checkInt(where: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new DTypeError(`${where} must be an integer, got ${describe(v)}`);
  if (v < min || v > max) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new ValueError(`${where} must be ${range}, got ${v}`);
  }
  return v;
}

export function checkFinite(where: string, v: unknown): number {
  if (typeof v !== 'number') throw new DTypeError(`${where} must be a number, got ${describe(v)}`);
  if (!Number.isFinite(v)) throw new ValueError(`${where} must be finite, got ${v}`);
  return v;
}

export function checkBool(where: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new DTypeError(`${where} must be a boolean, got ${describe(v)}`);
  return v;
}

export function checkFloat32Array(where: string, v: unknown, minLength = 0): Float32Array {
  if (!(v instanceof Float32Array)) throw new DTypeError(`${where} must be a Float32Array, got ${describe(v)}`);
  if (v.length < minLength) {
    throw new ShapeError(`${where} must hold at least ${minLength} elements for the given sizes, got ${v.length}`);
  }
  return v;
}
