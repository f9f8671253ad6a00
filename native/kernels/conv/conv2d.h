// 2-D convolution over NCHW activations with PyTorch's weight layout [out, in/groups, kh, kw].
//
// Forward and both backward passes are GEMMs over one image at a time (or a tile of its output
// pixels), never over a full-batch im2col matrix:
//   forward        y[oc, p]    = W[oc, k] x cols[k, p]        (+ bias per row, ReLU: the GEMM epilogue)
//   input grad     dcols[k, p] = W^T[k, oc] x dy[oc, p], then col2im adds dcols into dx
//   weight grad    dW[oc, k]  += dy[oc, p] x cols^T[p, k]     (one accumulator per thread, reduced)
// where k runs over (in-channel of the group, ki, kj) and p over output pixels. Images are spread
// over the thread pool, each task calling sgemm on its own thread; with fewer images than threads
// the images run one by one and sgemm threads inside. Two kinds skip the GEMM for direct loops:
// depthwise convolutions (one input channel per group: a GEMM with k = kh * kw does more work), and
// stride-1 convolutions with few taps c * kh * kw, forward and weight gradient (conv2d_direct.h).
// 3x3 stride-1 convolutions with >= 8 channels on each side take Winograd F(4x4, 3x3) instead: 36
// GEMMs over transformed tiles, up to 4x fewer multiplies (conv2d_winograd.h).
// Kernels assume valid arguments (the addon checks them).
#pragma once

#include <cstdint>

namespace fastgrad {

struct Conv2dShape {
  int64_t n, c, h, w;        // input
  int64_t oc, kh, kw;        // output channels, kernel
  int64_t sh, sw, ph, pw, dh, dw;
  int64_t groups;
  // Output size: (h + 2 ph - dh (kh - 1) - 1) / sh + 1, likewise for w.
  int64_t out_h() const { return (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1; }
  int64_t out_w() const { return (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1; }
};

// y [n, oc, oh, ow] = conv(x, weight) + bias (bias may be null), then ReLU when relu.
void conv2d_forward(const Conv2dShape& s, const float* x, const float* weight, const float* bias, bool relu, float* y);

// The gradients with respect to the input, dx [n, c, h, w], the weight, dweight [oc, c/groups, kh, kw],
// and the bias, dbias [oc], each overwritten; a null one is not computed. Computing them in one
// call lets a path share work between them (the Winograd path transforms dy once for both).
void conv2d_backward(const Conv2dShape& s, const float* x, const float* dy, const float* weight, float* dx,
                     float* dweight, float* dbias);

}  // namespace fastgrad
