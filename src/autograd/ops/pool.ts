// Pooling over NCHW: max (indices kept for backward), average, global average. Each beside its backward.
import { Tensor, shapeString } from '../../tensor/tensor';
import { record } from '../engine';
import { backend } from '../../backend';
import { DTypeError, ShapeError, ValueError, describe } from '../../errors';
import { outputArray, pair, type Size2 } from './conv';

export interface Pool2dOptions {
  kernelSize: Size2;
  /** Defaults to kernelSize. */
  stride?: Size2;
  /** At most half the kernel on each side. */
  padding?: Size2;
}

export interface AvgPool2dOptions extends Pool2dOptions {
  /** Count padded positions in the divisor (PyTorch's default: true). */
  countIncludePad?: boolean;
}

export interface PoolGeometry {
  args: [number, number, number, number, number, number, number, number, number, number];
  outShape: number[];
}

/** Checks a pooling call and resolves its geometry (the backend's 10 integers and the output shape). */
export function poolGeometry(op: string, x: Tensor, opts: Pool2dOptions): PoolGeometry {
  if (!(x instanceof Tensor)) throw new DTypeError(`${op}: input must be a Tensor, got ${describe(x)}`);
  if (x.ndim !== 4) throw new ShapeError(`${op}: input must be 4-D [batch, channels, height, width], got shape ${shapeString(x.shape)}`);
  return poolGeometryOf(op, x.shape, opts);
}

/** poolGeometry for an input of the given 4-D shape (one a fused op computes but never stores). */
export function poolGeometryOf(op: string, shape: readonly number[], opts: Pool2dOptions): PoolGeometry {
  if (opts === null || typeof opts !== 'object') throw new DTypeError(`${op}: options must be an object with kernelSize, got ${describe(opts)}`);
  const [kh, kw] = pair(`${op}: option 'kernelSize'`, opts.kernelSize, 1);
  const [sh, sw] = pair(`${op}: option 'stride'`, opts.stride ?? [kh, kw], 1);
  const [ph, pw] = pair(`${op}: option 'padding'`, opts.padding ?? 0, 0);
  if (2 * ph > kh || 2 * pw > kw) throw new ValueError(`${op}: padding [${ph}, ${pw}] must be at most half the kernel [${kh}, ${kw}]`);
  const [n, c, h, w] = shape;
  if (kh > h + 2 * ph || kw > w + 2 * pw) {
    throw new ShapeError(`${op}: kernel ${kh}x${kw} is larger than the padded input ${h + 2 * ph}x${w + 2 * pw} (input ${shapeString(shape)})`);
  }
  if (c === 0 || h === 0 || w === 0) throw new ShapeError(`${op}: input ${shapeString(shape)} has an empty channel or spatial dimension`);
  const oh = Math.floor((h + 2 * ph - kh) / sh) + 1, ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
  return { args: [n, c, h, w, kh, kw, sh, sw, ph, pw], outShape: [n, c, oh, ow] };
}

/**
 * The output and argmax indices of a max pooling whose output has `shape`, for a kernel to overwrite
 * (neither is zero-filled).
 */
export function maxPoolOutputs(shape: readonly number[]): { out: Float32Array; indices: Int32Array } {
  const size = shape.reduce((a, b) => a * b, 1);
  return { out: outputArray(size), indices: new Int32Array(Buffer.allocUnsafeSlow(size * 4).buffer, 0, size) };
}

/** Max pooling: [n, c, h, w] -> [n, c, oh, ow]. */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const g = poolGeometry('maxPool2d', x, opts);
  const be = backend();
  const { out, indices } = maxPoolOutputs(g.outShape);
  be.maxPool2dForward(x.data, out, indices, ...g.args);
  return record(new Tensor(out, g.outShape), 'maxPool2d', [x], (grad) => {
    const gx = outputArray(x.size);
    be.maxPool2dBackward(grad, indices, gx, ...g.args);
    return [gx];
  });
}

/** Average pooling: [n, c, h, w] -> [n, c, oh, ow]. */
export function avgPool2d(x: Tensor, opts: AvgPool2dOptions): Tensor {
  const g = poolGeometry('avgPool2d', x, opts);
  const includePad = opts.countIncludePad ?? true;
  const be = backend();
  const out = outputArray(g.outShape.reduce((a, b) => a * b, 1));
  be.avgPool2dForward(x.data, out, ...g.args, includePad);
  return record(new Tensor(out, g.outShape), 'avgPool2d', [x], (grad) => {
    const gx = outputArray(x.size);
    be.avgPool2dBackward(grad, gx, ...g.args, includePad);
    return [gx];
  });
}

/**
 * Mean over each channel's plane: [n, c, h, w] -> [n, c, 1, 1] (as PyTorch's AdaptiveAvgPool2d(1)),
 * or [n, c] with keepDims false.
 */
export function globalAvgPool2d(x: Tensor, keepDims = true): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`globalAvgPool2d: input must be a Tensor, got ${describe(x)}`);
  if (x.ndim !== 4) throw new ShapeError(`globalAvgPool2d: input must be 4-D [batch, channels, height, width], got shape ${shapeString(x.shape)}`);
  const [n, c, h, w] = x.shape;
  if (h * w === 0) throw new ShapeError(`globalAvgPool2d: input ${shapeString(x.shape)} has an empty plane`);
  const be = backend();
  const out = new Float32Array(n * c);
  be.globalAvgPool2dForward(x.data, out, n * c, h * w);
  return record(new Tensor(out, keepDims ? [n, c, 1, 1] : [n, c]), 'globalAvgPool2d', [x], (grad) => {
    const gx = outputArray(x.size);
    be.globalAvgPool2dBackward(grad, gx, n * c, h * w);
    return [gx];
  });
}
