// The per-ISA table of BatchNorm2d kernels (batchnorm2d.cc dispatches through it).
#pragma once

#include <cstdint>

#include "kernels/conv/conv2d.h"

namespace fastgrad {

struct BnPoolGeom {
  int64_t kh, kw, sh, sw, ph, pw, oh, ow;
};

struct BatchNorm2dKernels {
  void (*forward_train)(int64_t n, int64_t c, int64_t hw, const float* x, const float* gamma, const float* beta, float eps,
                        float momentum, bool relu, float* y, float* save_mean, float* save_invstd, float* running_mean,
                        float* running_var);
  void (*forward_eval)(int64_t n, int64_t c, int64_t hw, const float* x, const float* gamma, const float* beta,
                       const float* running_mean, const float* running_var, float eps, bool relu, float* y);
  void (*backward)(int64_t n, int64_t c, int64_t hw, const float* x, const float* dy, bool relu, const float* gamma,
                   const float* beta, const float* save_mean, const float* save_invstd, float* dx, float* dgamma,
                   float* dbeta);
  void (*relu_maxpool_forward_train)(int64_t n, int64_t c, int64_t h, int64_t w, const float* x, const float* gamma,
                                     const float* beta, float eps, float momentum, const BnPoolGeom& p, float* y,
                                     int32_t* idx, float* save_mean, float* save_invstd, float* running_mean,
                                     float* running_var);
  void (*relu_maxpool_backward)(int64_t n, int64_t c, int64_t h, int64_t w, const float* x, const float* y,
                                const float* dpool,
                                const int32_t* idx, const float* gamma, const float* beta, const float* save_mean,
                                const float* save_invstd, const BnPoolGeom& p, float* dx, float* dgamma, float* dbeta);
  void (*conv_relu_maxpool_forward_train)(const Conv2dShape& s, const BnPoolGeom& p, const float* x, const float* weight,
                                          const float* bias, const float* gamma, const float* beta, float eps,
                                          float momentum, float* y, int32_t* idx, float* save_mean, float* save_invstd,
                                          double* moments, float* running_mean, float* running_var);
  void (*conv_relu_maxpool_backward)(const Conv2dShape& s, const BnPoolGeom& p, const float* x, const float* weight,
                                     const float* gamma, const float* save_mean, const float* save_invstd,
                                     const double* moments, const float* y, const float* dpool, const int32_t* idx,
                                     float* dweight,
                                     float* dbias, float* dgamma, float* dbeta);
};

extern const BatchNorm2dKernels batch_norm2d_kernels_generic;
#if defined(FASTGRAD_HAVE_AVX2)
extern const BatchNorm2dKernels batch_norm2d_kernels_avx2;
#endif

}  // namespace fastgrad
