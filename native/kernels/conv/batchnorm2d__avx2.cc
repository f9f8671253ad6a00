// BatchNorm2d kernels compiled for AVX2 + FMA (bodies in batchnorm2d_impl.h).
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
const BatchNorm2dKernels batch_norm2d_kernels_avx2 = {bn_forward_train, bn_forward_eval, bn_backward, bn_relu_maxpool_forward_train,
                                                        bn_relu_maxpool_backward, stem_forward_train, stem_backward};
}  // namespace fastgrad
