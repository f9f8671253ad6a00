/**
 * Convolution, pooling and BatchNorm2d kernels over NCHW Float32Arrays (weights [out, in/groups, kh,
 * kw] as PyTorch). The outputs' sizes follow PyTorch: oh = floor((h + 2 padH - dilationH (kh - 1) - 1)
 * / strideH) + 1. Every output and gradient buffer is overwritten, never accumulated into.
 * Geometry arguments always come in this order: n, c, h, w, outChannels, kh, kw, strideH, strideW,
 * padH, padW, dilationH, dilationW, groups (conv) or n, c, h, w, kh, kw, strideH, strideW, padH, padW
 * (pooling; padding at most half the kernel).
 */
export interface ConvOps {
  /** out = conv2d(x, weight) + bias (bias may be null), then ReLU when relu. */
  conv2dForward(
    x: Float32Array, weight: Float32Array, bias: Float32Array | null, out: Float32Array,
    n: number, c: number, h: number, w: number, outChannels: number, kh: number, kw: number,
    strideH: number, strideW: number, padH: number, padW: number, dilationH: number, dilationW: number,
    groups: number, relu: boolean,
  ): void;
  /**
   * The gradients of conv2dForward (without its ReLU) from gradOut [n, outChannels, oh, ow]:
   * gradInput [n, c, h, w], gradWeight [outChannels, c/groups, kh, kw] and gradBias [outChannels],
   * each may be null (not computed). One call for all three lets a kernel share work between them.
   */
  conv2dBackward(
    x: Float32Array, gradOut: Float32Array, weight: Float32Array,
    gradInput: Float32Array | null, gradWeight: Float32Array | null, gradBias: Float32Array | null,
    n: number, c: number, h: number, w: number, outChannels: number, kh: number, kw: number,
    strideH: number, strideW: number, padH: number, padW: number, dilationH: number, dilationW: number,
    groups: number,
  ): void;

  /** out = window maxima; indices = flat iy * w + ix of each maximum inside its plane. */
  maxPool2dForward(
    x: Float32Array, out: Float32Array, indices: Int32Array,
    n: number, c: number, h: number, w: number, kh: number, kw: number,
    strideH: number, strideW: number, padH: number, padW: number,
  ): void;
  maxPool2dBackward(
    gradOut: Float32Array, indices: Int32Array, gradInput: Float32Array,
    n: number, c: number, h: number, w: number, kh: number, kw: number,
    strideH: number, strideW: number, padH: number, padW: number,
  ): void;
  avgPool2dForward(
    x: Float32Array, out: Float32Array,
    n: number, c: number, h: number, w: number, kh: number, kw: number,
    strideH: number, strideW: number, padH: number, padW: number, countIncludePad: boolean,
  ): void;
  avgPool2dBackward(
    gradOut: Float32Array, gradInput: Float32Array,
    n: number, c: number, h: number, w: number, kh: number, kw: number,
    strideH: number, strideW: number, padH: number, padW: number, countIncludePad: boolean,
  ): void;
  /** out[p] = mean of plane p (planes = n * c, planeSize = h * w). */
  globalAvgPool2dForward(x: Float32Array, out: Float32Array, planes: number, planeSize: number): void;
  globalAvgPool2dBackward(gradOut: Float32Array, gradInput: Float32Array, planes: number, planeSize: number): void;

  /**
   * Training-mode BatchNorm2d over batch statistics (weight/bias null: affine = false). Writes the
   * batch mean and 1/sqrt(var + eps) per channel to saveMean/saveInvstd and moves the running
   * statistics (when given) by momentum, with the unbiased variance as PyTorch. ReLU fused when relu.
   */
  batchNorm2dForwardTrain(
    x: Float32Array, weight: Float32Array | null, bias: Float32Array | null, out: Float32Array,
    saveMean: Float32Array, saveInvstd: Float32Array,
    runningMean: Float32Array | null, runningVar: Float32Array | null,
    n: number, c: number, planeSize: number, eps: number, momentum: number, relu: boolean,
  ): void;
  /** Eval-mode BatchNorm2d over the running statistics. */
  batchNorm2dForwardEval(
    x: Float32Array, weight: Float32Array | null, bias: Float32Array | null,
    runningMean: Float32Array, runningVar: Float32Array, out: Float32Array,
    n: number, c: number, planeSize: number, eps: number, relu: boolean,
  ): void;
  /**
   * Training-mode backward. With relu (the ReLU was fused in the forward), gradOut is masked where
   * the output was zero, recomputed from x, weight, bias and the saved statistics. gradWeight/gradBias
   * may be null.
   */
  batchNorm2dBackward(
    x: Float32Array, gradOut: Float32Array, relu: boolean, weight: Float32Array | null, bias: Float32Array | null,
    saveMean: Float32Array, saveInvstd: Float32Array, gradInput: Float32Array,
    gradWeight: Float32Array | null, gradBias: Float32Array | null,
    n: number, c: number, planeSize: number,
  ): void;

  /**
   * Training-mode BatchNorm2d, ReLU and MaxPool2d in one op (what the three give in sequence):
   * out/indices are the pooled output and argmax indices; the normalised activation is never stored.
   */
  batchNorm2dReluMaxPool2dForwardTrain(
    x: Float32Array, weight: Float32Array | null, bias: Float32Array | null, out: Float32Array, indices: Int32Array,
    saveMean: Float32Array, saveInvstd: Float32Array, runningMean: Float32Array | null, runningVar: Float32Array | null,
    n: number, c: number, h: number, w: number, kh: number, kw: number,
    strideH: number, strideW: number, padH: number, padW: number, eps: number, momentum: number,
  ): void;
  /**
   * Its backward from the forward's pooled output (out: the normalised values at the argmax
   * positions, for BatchNorm's sums), the pooled gradient and the indices.
   */
  batchNorm2dReluMaxPool2dBackward(
    x: Float32Array, out: Float32Array, gradOut: Float32Array, indices: Int32Array, weight: Float32Array | null, bias: Float32Array | null,
    saveMean: Float32Array, saveInvstd: Float32Array, gradInput: Float32Array,
    gradWeight: Float32Array | null, gradBias: Float32Array | null,
    n: number, c: number, h: number, w: number, kh: number, kw: number,
    strideH: number, strideW: number, padH: number, padW: number,
  ): void;

  /**
   * Training-mode Conv2d (one group, at most 32 taps inChannels * kh * kw), BatchNorm2d, ReLU and
   * MaxPool2d in one op, for a network's first block (its input needs no gradient): out/indices are
   * what batchNorm2dReluMaxPool2dForwardTrain gives for the convolution's output, which is never
   * stored. patchMoments (K + K * K elements, K = inChannels * kh * kw) receives the input patches'
   * mean and covariance over every output pixel, which the backward takes. Geometry: the 14 conv
   * integers, then the pooling window over the conv output.
   */
  conv2dBatchNorm2dReluMaxPool2dForwardTrain(
    x: Float32Array, convWeight: Float32Array, convBias: Float32Array | null,
    bnWeight: Float32Array | null, bnBias: Float32Array | null, out: Float32Array, indices: Int32Array,
    saveMean: Float32Array, saveInvstd: Float32Array, patchMoments: Float64Array,
    runningMean: Float32Array | null, runningVar: Float32Array | null,
    n: number, c: number, h: number, w: number, outChannels: number, kh: number, kw: number,
    strideH: number, strideW: number, padH: number, padW: number, dilationH: number, dilationW: number, groups: number,
    poolKh: number, poolKw: number, poolStrideH: number, poolStrideW: number, poolPadH: number, poolPadW: number,
    eps: number, momentum: number,
  ): void;
  /**
   * Its backward from the forward's pooled output (its sign is the ReLU's mask), the pooled gradient
   * and the indices: the gradients of the conv weight and bias (the bias's is zero: BatchNorm
   * subtracts the mean) and of BatchNorm's weight and bias; each may be null.
   */
  conv2dBatchNorm2dReluMaxPool2dBackward(
    x: Float32Array, convWeight: Float32Array, convBias: Float32Array | null,
    bnWeight: Float32Array | null, bnBias: Float32Array | null, out: Float32Array, gradOut: Float32Array, indices: Int32Array,
    saveMean: Float32Array, saveInvstd: Float32Array, patchMoments: Float64Array,
    gradConvWeight: Float32Array | null, gradConvBias: Float32Array | null,
    gradBnWeight: Float32Array | null, gradBnBias: Float32Array | null,
    n: number, c: number, h: number, w: number, outChannels: number, kh: number, kw: number,
    strideH: number, strideW: number, padH: number, padW: number, dilationH: number, dilationW: number, groups: number,
    poolKh: number, poolKw: number, poolStrideH: number, poolStrideW: number, poolPadH: number, poolPadW: number,
  ): void;
}
