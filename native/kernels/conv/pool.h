// Pooling over NCHW planes: max (with argmax indices for backward), average, global average.
// Threaded over the n * c planes. Kernels assume valid arguments (the addon checks them).
#pragma once

#include <cstdint>

namespace fastgrad {

struct Pool2dShape {
  int64_t n, c, h, w;
  int64_t kh, kw, sh, sw, ph, pw;
  int64_t out_h() const { return (h + 2 * ph - kh) / sh + 1; }
  int64_t out_w() const { return (w + 2 * pw - kw) / sw + 1; }
};

// y [n, c, oh, ow] = max over each window (padding never wins); idx = the flat index iy * w + ix of the
// maximum within its input plane, as PyTorch's return_indices gives. NaN propagates.
void max_pool2d_forward(const Pool2dShape& s, const float* x, float* y, int32_t* idx);
// dx (overwritten) = dy scattered to the argmax positions.
void max_pool2d_backward(const Pool2dShape& s, const float* dy, const int32_t* idx, float* dx);

// Window mean; the divisor counts padded positions when count_include_pad (PyTorch's default).
void avg_pool2d_forward(const Pool2dShape& s, bool count_include_pad, const float* x, float* y);
void avg_pool2d_backward(const Pool2dShape& s, bool count_include_pad, const float* dy, float* dx);

// y [planes] = mean of each plane of hw elements, and its backward (dx overwritten).
void global_avg_pool_forward(int64_t planes, int64_t hw, const float* x, float* y);
void global_avg_pool_backward(int64_t planes, int64_t hw, const float* dy, float* dx);

}  // namespace fastgrad
