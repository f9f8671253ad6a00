// Inverted dropout with a counter-based mask: element i's fate is a hash of (seed, i), so the mask
// needs no storage (backward re-derives it from the seed), is the same on every thread split and
// ISA, and matches the pure-JS kernel bit for bit.
#include <algorithm>

#include "common/thread_pool.h"
#include "kernels/nn/dropout_hash.h"
#include "kernels/nn/nn.h"

namespace fastgrad::nn {

void dropout(const float* src, float* dst, size_t n, double p, uint32_t seed) {
  if (p <= 0.0) {
    if (dst != src) std::copy(src, src + n, dst);
    return;
  }
  if (p >= 1.0) {
    std::fill(dst, dst + n, 0.0f);
    return;
  }
  uint32_t k1, k2;
  dropout_keys(seed, &k1, &k2);
  const uint32_t threshold = static_cast<uint32_t>(std::min(p * 4294967296.0, 4294967295.0));
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  const NNKernels& kern = nn_kernels();
  parallel_range(n, 1 << 16, 16, [&](size_t b, size_t e) { kern.dropout_range(src, dst, b, e, k1, k2, threshold, scale); });
}

}  // namespace fastgrad::nn
