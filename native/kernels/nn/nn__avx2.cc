// AVX2 versions of the per-ISA nn kernels: the dropout hash eight lanes at a time (32-bit integer
// multiplies), and the per-channel affine of batch norm.
#include <immintrin.h>

#include "kernels/nn/dropout_hash.h"
#include "kernels/nn/nn.h"

namespace fastgrad::nn {
namespace {

inline __m256i mix32_avx2(__m256i h) {
  h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
  h = _mm256_mullo_epi32(h, _mm256_set1_epi32(static_cast<int>(0x7feb352du)));
  h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 15));
  h = _mm256_mullo_epi32(h, _mm256_set1_epi32(static_cast<int>(0x846ca68bu)));
  h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
  return h;
}

void dropout_range__avx2(const float* src, float* dst, size_t begin, size_t end, uint32_t k1, uint32_t k2,
                         uint32_t threshold, float scale) {
  size_t i = begin;
  const __m256i golden = _mm256_set1_epi32(static_cast<int>(0x9e3779b9u));
  const __m256i vk1 = _mm256_set1_epi32(static_cast<int>(k1)), vk2 = _mm256_set1_epi32(static_cast<int>(k2));
  // Unsigned h >= threshold  <=>  max(h, threshold) == h.
  const __m256i vth = _mm256_set1_epi32(static_cast<int>(threshold));
  const __m256 vscale = _mm256_set1_ps(scale);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (; i + 8 <= end; i += 8) {
    __m256i idx = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(i))), lane);
    __m256i h = mix32_avx2(_mm256_add_epi32(_mm256_mullo_epi32(idx, golden), vk1));
    h = mix32_avx2(_mm256_xor_si256(h, vk2));
    __m256i keep = _mm256_cmpeq_epi32(_mm256_max_epu32(h, vth), h);
    __m256 v = _mm256_mul_ps(_mm256_loadu_ps(src + i), vscale);
    _mm256_storeu_ps(dst + i, _mm256_and_ps(v, _mm256_castsi256_ps(keep)));
  }
  for (; i < end; i++) dst[i] = dropout_hash(static_cast<uint32_t>(i), k1, k2) >= threshold ? src[i] * scale : 0.0f;
}

void channel_affine__avx2(const float* x, float* y, size_t n, size_t c, size_t inner, const float* a, const float* b) {
  if (inner == 1) {
    // [n, c]: vectorise across channels.
    for (size_t i = 0; i < n; i++) {
      const float* xs = x + i * c;
      float* ys = y + i * c;
      size_t ch = 0;
      for (; ch + 8 <= c; ch += 8) {
        _mm256_storeu_ps(ys + ch, _mm256_fmadd_ps(_mm256_loadu_ps(xs + ch), _mm256_loadu_ps(a + ch), _mm256_loadu_ps(b + ch)));
      }
      for (; ch < c; ch++) ys[ch] = xs[ch] * a[ch] + b[ch];
    }
    return;
  }
  for (size_t i = 0; i < n; i++) {
    for (size_t ch = 0; ch < c; ch++) {
      const float* xs = x + (i * c + ch) * inner;
      float* ys = y + (i * c + ch) * inner;
      const __m256 va = _mm256_set1_ps(a[ch]), vb = _mm256_set1_ps(b[ch]);
      size_t j = 0;
      for (; j + 8 <= inner; j += 8) _mm256_storeu_ps(ys + j, _mm256_fmadd_ps(_mm256_loadu_ps(xs + j), va, vb));
      for (; j < inner; j++) ys[j] = xs[j] * a[ch] + b[ch];
    }
  }
}

}  // namespace

const NNKernels& nn_kernels_avx2() {
  static const NNKernels k{dropout_range__avx2, channel_affine__avx2, "avx2"};
  return k;
}

}  // namespace fastgrad::nn
