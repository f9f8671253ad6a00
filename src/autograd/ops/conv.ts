// conv2d over NCHW on the backend's conv kernels (im2col + SGEMM natively), beside its backward.
import { Tensor, shapeString } from '../../tensor/tensor';
import { record } from '../engine';
import { backend } from '../../backend';
import { DTypeError, ShapeError, ValueError, checkInt, describe } from '../../errors';

/**
 * A Float32Array of n elements for a kernel to overwrite completely: not zero-filled (Node's
 * allocUnsafeSlow), which saves a pass over memory per activation. Only for kernel outputs that
 * every backend writes in full (every ConvOps output is).
 */
export function outputArray(n: number): Float32Array {
  if (n < 1024) return new Float32Array(n);
  return new Float32Array(Buffer.allocUnsafeSlow(n * 4).buffer, 0, n);
}

/** A size given as one number or as [height, width]. */
export type Size2 = number | readonly [number, number];

/** Normalises a Size2 option to [h, w], checking each is an integer >= min. */
export function pair(where: string, v: Size2, min: number): [number, number] {
  if (typeof v === 'number') {
    checkInt(where, v, min);
    return [v, v];
  }
  if (!Array.isArray(v) || v.length !== 2) throw new DTypeError(`${where} must be an integer or a pair [h, w], got ${describe(v)}`);
  return [checkInt(`${where}[0]`, v[0], min), checkInt(`${where}[1]`, v[1], min)];
}

export interface Conv2dOptions {
  stride?: Size2;
  /** Zero padding on each side, or 'same' (stride 1, odd dilated kernel) / 'valid' (none). */
  padding?: Size2 | 'same' | 'valid';
  dilation?: Size2;
  groups?: number;
  /** Fuses a ReLU after the bias (the backward masks by the output). */
  relu?: boolean;
}

/** The resolved geometry of a conv2d call: what the kernels take after n, c, h, w. */
export interface Conv2dGeometry {
  n: number; c: number; h: number; w: number;
  outChannels: number; kh: number; kw: number;
  strideH: number; strideW: number; padH: number; padW: number; dilationH: number; dilationW: number;
  groups: number; outH: number; outW: number;
}

/** Resolves 'same'/'valid' and tuple options to [padH, padW]. */
export function resolvePadding(where: string, padding: Size2 | 'same' | 'valid', kernel: [number, number], dilation: [number, number], stride: [number, number]): [number, number] {
  if (padding === 'valid') return [0, 0];
  if (padding === 'same') {
    const eh = dilation[0] * (kernel[0] - 1), ew = dilation[1] * (kernel[1] - 1);
    if (stride[0] !== 1 || stride[1] !== 1) throw new ValueError(`${where}: padding 'same' needs stride 1, got stride [${stride}]`);
    if (eh % 2 !== 0 || ew % 2 !== 0) {
      throw new ValueError(`${where}: padding 'same' needs an odd dilated kernel (symmetric padding), got kernel [${kernel}] dilation [${dilation}]`);
    }
    return [eh / 2, ew / 2];
  }
  return pair(`${where}: option 'padding'`, padding, 0);
}

/** Checks x and weight against each other and computes the output size; throws ShapeError with the shapes. */
export function conv2dGeometry(x: Tensor, weight: Tensor, opts: Conv2dOptions = {}): Conv2dGeometry {
  if (!(x instanceof Tensor)) throw new DTypeError(`conv2d: input must be a Tensor, got ${describe(x)}`);
  if (!(weight instanceof Tensor)) throw new DTypeError(`conv2d: weight must be a Tensor, got ${describe(weight)}`);
  if (x.ndim !== 4) throw new ShapeError(`conv2d: input must be 4-D [batch, channels, height, width], got shape ${shapeString(x.shape)}`);
  if (weight.ndim !== 4) {
    throw new ShapeError(`conv2d: weight must be 4-D [outChannels, inChannels / groups, kh, kw], got shape ${shapeString(weight.shape)}`);
  }
  const [n, c, h, w] = x.shape;
  const [oc, cg, kh, kw] = weight.shape;
  const groups = checkInt("conv2d: option 'groups'", opts.groups ?? 1, 1);
  const stride = pair("conv2d: option 'stride'", opts.stride ?? 1, 1);
  const dilation = pair("conv2d: option 'dilation'", opts.dilation ?? 1, 1);
  const [padH, padW] = resolvePadding('conv2d', opts.padding ?? 0, [kh, kw], dilation, stride);
  if (oc % groups !== 0) throw new ShapeError(`conv2d: weight ${shapeString(weight.shape)} has ${oc} output channels, not divisible by groups=${groups}`);
  if (cg * groups !== c) {
    throw new ShapeError(
      `conv2d: input ${shapeString(x.shape)} has ${c} channels but weight ${shapeString(weight.shape)} with groups=${groups} expects ${cg * groups}`,
    );
  }
  if (kh < 1 || kw < 1 || cg < 1) throw new ShapeError(`conv2d: weight ${shapeString(weight.shape)} has an empty dimension`);
  const eh = dilation[0] * (kh - 1) + 1, ew = dilation[1] * (kw - 1) + 1;
  if (eh > h + 2 * padH || ew > w + 2 * padW) {
    throw new ShapeError(
      `conv2d: kernel ${kh}x${kw} (dilated ${eh}x${ew}) is larger than the padded input ${h + 2 * padH}x${w + 2 * padW} ` +
        `(input ${shapeString(x.shape)}, weight ${shapeString(weight.shape)}, padding [${padH}, ${padW}])`,
    );
  }
  return {
    n, c, h, w, outChannels: oc, kh, kw, strideH: stride[0], strideW: stride[1], padH, padW,
    dilationH: dilation[0], dilationW: dilation[1], groups,
    outH: Math.floor((h + 2 * padH - eh) / stride[0]) + 1,
    outW: Math.floor((w + 2 * padW - ew) / stride[1]) + 1,
  };
}

/** A conv bias: null, or a Tensor of shape [outChannels]. Returns it (undefined as null). */
export function checkConvBias(bias: Tensor | null | undefined, g: Conv2dGeometry): Tensor | null {
  if (bias === null || bias === undefined) return null;
  if (!(bias instanceof Tensor)) throw new DTypeError(`conv2d: bias must be a Tensor or null, got ${describe(bias)}`);
  if (bias.size !== g.outChannels || bias.ndim !== 1) {
    throw new ShapeError(`conv2d: bias must have shape [${g.outChannels}], got ${shapeString(bias.shape)}`);
  }
  return bias;
}

/** The 14 geometry integers in the backend's order. */
export function geomArgs(g: Conv2dGeometry): [number, number, number, number, number, number, number, number, number, number, number, number, number, number] {
  return [g.n, g.c, g.h, g.w, g.outChannels, g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW, g.groups];
}

/**
 * 2-D convolution (cross-correlation, as PyTorch): x [n, c, h, w], weight [outChannels, c / groups,
 * kh, kw], bias [outChannels] or null -> [n, outChannels, outH, outW].
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  const g = conv2dGeometry(x, weight, opts);
  bias = checkConvBias(bias, g);
  const relu = opts.relu ?? false;
  const be = backend();
  const geom = geomArgs(g);
  const out = outputArray(g.n * g.outChannels * g.outH * g.outW);
  be.conv2dForward(x.data, weight.data, bias ? bias.data : null, out, ...geom, relu);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(new Tensor(out, [g.n, g.outChannels, g.outH, g.outW]), 'conv2d', inputs, (grad) => {
    let gy = grad;
    if (relu) {
      gy = new Float32Array(grad.length);
      for (let i = 0; i < gy.length; i++) gy[i] = out[i] > 0 ? grad[i] : 0;
    }
    const gx = x.requiresGrad ? outputArray(x.size) : null;
    const gw = weight.requiresGrad ? new Float32Array(weight.size) : null;
    const gb = bias && bias.requiresGrad ? new Float32Array(g.outChannels) : null;
    if (gx || gw || gb) be.conv2dBackward(x.data, gy, weight.data, gx, gw, gb, ...geom);
    return bias ? [gx, gw, gb] : [gx, gw];
  });
}
