// Generic (any CPU) versions of the per-ISA nn kernels, and the table selection.
#include "common/isa.h"
#include "kernels/nn/dropout_hash.h"
#include "kernels/nn/nn.h"

namespace fastgrad::nn {
namespace {

void dropout_range_generic(const float* src, float* dst, size_t begin, size_t end, uint32_t k1, uint32_t k2,
                           uint32_t threshold, float scale) {
  for (size_t i = begin; i < end; i++) {
    const float v = src[i] * scale;  // loaded unconditionally: a select, not a branch
    dst[i] = dropout_hash(static_cast<uint32_t>(i), k1, k2) >= threshold ? v : 0.0f;
  }
}

void channel_affine_generic(const float* x, float* y, size_t n, size_t c, size_t inner, const float* a,
                            const float* b) {
  for (size_t i = 0; i < n; i++) {
    for (size_t ch = 0; ch < c; ch++) {
      const float* xs = x + (i * c + ch) * inner;
      float* ys = y + (i * c + ch) * inner;
      const float av = a[ch], bv = b[ch];
      for (size_t j = 0; j < inner; j++) ys[j] = xs[j] * av + bv;
    }
  }
}

}  // namespace

const NNKernels& nn_kernels_generic() {
  static const NNKernels k{dropout_range_generic, channel_affine_generic, "generic"};
  return k;
}

const NNKernels& nn_kernels() {
  switch (active_isa()) {
#if defined(FASTGRAD_HAVE_AVX2)
    case Isa::kAvx2:
    case Isa::kAvx512:  // no AVX-512 nn kernels: the AVX2 ones run there
      return nn_kernels_avx2();
#endif
    default:
      return nn_kernels_generic();
  }
}

}  // namespace fastgrad::nn
