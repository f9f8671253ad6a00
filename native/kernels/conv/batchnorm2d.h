// BatchNorm2d over NCHW: statistics per channel over (n, h, w). One pass computes the statistics,
// one normalises (with an optional fused ReLU); backward is two passes per channel. Threaded over
// channels. gamma/beta may be null (affine = false), running statistics may be null.
#pragma once

#include <cstdint>

#include "kernels/conv/conv2d.h"

namespace fastgrad {

// Training mode: y = (x - mean) * invstd * gamma + beta over batch statistics; save_mean/save_invstd
// [c] keep them for backward; the running statistics move by momentum (unbiased variance, as PyTorch).
void batch_norm2d_forward_train(int64_t n, int64_t c, int64_t hw, const float* x, const float* gamma, const float* beta,
                                float eps, float momentum, bool relu, float* y, float* save_mean, float* save_invstd,
                                float* running_mean, float* running_var);

// Eval mode: the running statistics normalise.
void batch_norm2d_forward_eval(int64_t n, int64_t c, int64_t hw, const float* x, const float* gamma, const float* beta,
                               const float* running_mean, const float* running_var, float eps, bool relu, float* y);

// Training-mode backward. With relu (the ReLU was fused), dy is masked where the forward output was
// zero, recomputed from x, gamma and beta; dx, dgamma, dbeta (the last two may be null) are overwritten.
void batch_norm2d_backward(int64_t n, int64_t c, int64_t hw, const float* x, const float* dy, bool relu,
                           const float* gamma, const float* beta, const float* save_mean, const float* save_invstd,
                           float* dx, float* dgamma, float* dbeta);

// BatchNorm2d (training) + ReLU + MaxPool2d in one op: y [n, c, oh, ow] and idx are the pooled output
// and argmax indices (flat within the plane), exactly what the three ops in sequence give; the
// normalised activation is never stored. Backward takes the pooled output y, the pooled gradient and
// those indices (y gives the normalised values at the argmax positions for BatchNorm's sums).
struct BnPoolGeom;
void batch_norm2d_relu_max_pool2d_forward_train(int64_t n, int64_t c, int64_t h, int64_t w, const float* x,
                                               const float* gamma, const float* beta, float eps, float momentum,
                                               const BnPoolGeom& p, float* y, int32_t* idx, float* save_mean,
                                               float* save_invstd, float* running_mean, float* running_var);
void batch_norm2d_relu_max_pool2d_backward(int64_t n, int64_t c, int64_t h, int64_t w, const float* x, const float* y,
                                           const float* dpool,
                                           const int32_t* idx, const float* gamma, const float* beta,
                                           const float* save_mean, const float* save_invstd, const BnPoolGeom& p,
                                           float* dx, float* dgamma, float* dbeta);

// Conv2d (one group, at most kConvBnPoolMaxTaps taps c * kh * kw) + BatchNorm2d (training) + ReLU +
// MaxPool2d in one op, for a network's first block (its input needs no gradient): y and idx as
// batch_norm2d_relu_max_pool2d_forward_train gives for the convolution's output, which is never
// stored; its statistics come from the input patches' moments (conv2d_bn_pool_impl.h), which it
// saves in `moments` (K + K * K doubles, K = c * kh * kw: the patches' mean, then their covariance).
// The backward takes those, the forward's pooled output y (its sign is the ReLU's mask), the pooled
// gradient and the indices, and gives the gradients of the conv weight, the conv bias (exactly zero:
// BatchNorm subtracts the mean) and gamma and beta; each may be null.
constexpr int64_t kConvBnPoolMaxTaps = 32;
void conv2d_batch_norm2d_relu_max_pool2d_forward_train(const Conv2dShape& s, const BnPoolGeom& p, const float* x,
                                                       const float* weight, const float* bias, const float* gamma,
                                                       const float* beta, float eps, float momentum, float* y,
                                                       int32_t* idx, float* save_mean, float* save_invstd,
                                                       double* moments, float* running_mean, float* running_var);
void conv2d_batch_norm2d_relu_max_pool2d_backward(const Conv2dShape& s, const BnPoolGeom& p, const float* x,
                                                  const float* weight, const float* gamma, const float* save_mean,
                                                  const float* save_invstd, const double* moments, const float* y,
                                                  const float* dpool,
                                                  const int32_t* idx, float* dweight, float* dbias, float* dgamma,
                                                  float* dbeta);

}  // namespace fastgrad
