// The Winograd tile transforms compiled for AVX2 + FMA (bodies in conv2d_winograd_impl.h).
#include <cstdint>
#include <cstring>

#include "kernels/conv/conv2d_winograd.h"

namespace {
#include "kernels/conv/conv2d_winograd_impl.h"
}  // namespace

namespace fastgrad {
const WinogradKernels winograd_kernels_avx2 = {wino_input_transform, wino_output_transform, wino_grad_transform,
                                               wino_input_grad_transform};
}  // namespace fastgrad
