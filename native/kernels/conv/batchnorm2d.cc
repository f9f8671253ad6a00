// BatchNorm2d: the baseline kernels and the dispatch on the active ISA.
#include "kernels/conv/batchnorm2d.h"

#include "common/isa.h"
#include "kernels/conv/batchnorm2d_kernels.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "common/thread_pool.h"

namespace {
#include "kernels/conv/batchnorm2d_impl.h"
#include "kernels/conv/conv2d_bn_pool_impl.h"
}  // namespace

namespace fastgrad {

const BatchNorm2dKernels batch_norm2d_kernels_generic = {bn_forward_train, bn_forward_eval, bn_backward, bn_relu_maxpool_forward_train,
                                                        bn_relu_maxpool_backward, stem_forward_train, stem_backward};

namespace {
const BatchNorm2dKernels& kernels() {
#if defined(FASTGRAD_HAVE_AVX2)
  // AVX-512 machines run the AVX2 kernels: these loops are bound by memory, not vector width.
  if (active_isa() == Isa::kAvx2 || active_isa() == Isa::kAvx512) return batch_norm2d_kernels_avx2;
#endif
  return batch_norm2d_kernels_generic;
}
}  // namespace

void batch_norm2d_forward_train(int64_t n, int64_t c, int64_t hw, const float* x, const float* gamma, const float* beta,
                                float eps, float momentum, bool relu, float* y, float* save_mean, float* save_invstd,
                                float* running_mean, float* running_var) {
  kernels().forward_train(n, c, hw, x, gamma, beta, eps, momentum, relu, y, save_mean, save_invstd, running_mean, running_var);
}

void batch_norm2d_forward_eval(int64_t n, int64_t c, int64_t hw, const float* x, const float* gamma, const float* beta,
                               const float* running_mean, const float* running_var, float eps, bool relu, float* y) {
  kernels().forward_eval(n, c, hw, x, gamma, beta, running_mean, running_var, eps, relu, y);
}

void batch_norm2d_backward(int64_t n, int64_t c, int64_t hw, const float* x, const float* dy, bool relu,
                           const float* gamma, const float* beta, const float* save_mean, const float* save_invstd,
                           float* dx, float* dgamma, float* dbeta) {
  kernels().backward(n, c, hw, x, dy, relu, gamma, beta, save_mean, save_invstd, dx, dgamma, dbeta);
}

void batch_norm2d_relu_max_pool2d_forward_train(int64_t n, int64_t c, int64_t h, int64_t w, const float* x,
                                               const float* gamma, const float* beta, float eps, float momentum,
                                               const BnPoolGeom& p, float* y, int32_t* idx, float* save_mean,
                                               float* save_invstd, float* running_mean, float* running_var) {
  kernels().relu_maxpool_forward_train(n, c, h, w, x, gamma, beta, eps, momentum, p, y, idx, save_mean, save_invstd,
                                       running_mean, running_var);
}

void batch_norm2d_relu_max_pool2d_backward(int64_t n, int64_t c, int64_t h, int64_t w, const float* x, const float* y,
                                           const float* dpool,
                                           const int32_t* idx, const float* gamma, const float* beta,
                                           const float* save_mean, const float* save_invstd, const BnPoolGeom& p,
                                           float* dx, float* dgamma, float* dbeta) {
  kernels().relu_maxpool_backward(n, c, h, w, x, y, dpool, idx, gamma, beta, save_mean, save_invstd, p, dx, dgamma, dbeta);
}

void conv2d_batch_norm2d_relu_max_pool2d_forward_train(const Conv2dShape& s, const BnPoolGeom& p, const float* x,
                                                       const float* weight, const float* bias, const float* gamma,
                                                       const float* beta, float eps, float momentum, float* y,
                                                       int32_t* idx, float* save_mean, float* save_invstd,
                                                       double* moments, float* running_mean, float* running_var) {
  kernels().conv_relu_maxpool_forward_train(s, p, x, weight, bias, gamma, beta, eps, momentum, y, idx, save_mean,
                                            save_invstd, moments, running_mean, running_var);
}

void conv2d_batch_norm2d_relu_max_pool2d_backward(const Conv2dShape& s, const BnPoolGeom& p, const float* x,
                                                  const float* weight, const float* gamma, const float* save_mean,
                                                  const float* save_invstd, const double* moments, const float* y,
                                                  const float* dpool,
                                                  const int32_t* idx, float* dweight, float* dbias, float* dgamma,
                                                  float* dbeta) {
  kernels().conv_relu_maxpool_backward(s, p, x, weight, gamma, save_mean, save_invstd, moments, y, dpool, idx, dweight,
                                       dbias, dgamma, dbeta);
}

}  // namespace fastgrad
