// The direct convolution kernels compiled for AVX2 + FMA (bodies in conv2d_direct_impl.h).
#include <cstdint>
#include <cstring>

#include "kernels/conv/conv2d_direct.h"

namespace {
#include "kernels/conv/conv2d_direct_impl.h"
}  // namespace

namespace fastgrad {
const Conv2dDirectKernels conv2d_direct_kernels_avx2 = {direct_forward_image, direct_weight_grad_image};
}  // namespace fastgrad
