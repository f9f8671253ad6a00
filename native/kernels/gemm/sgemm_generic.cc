// Portable SGEMM micro-kernel (4x8) and packing: the baseline every CPU can run. Written so that a
// compiler vectorises the 8-wide rows with whatever SIMD the baseline target has (SSE2 on x86-64).
#include "kernels/gemm/sgemm_kernels.h"
#include "kernels/gemm/sgemm_pack.h"

namespace fastgrad::gemm {
namespace {

constexpr int kMR = 4, kNR = 8;

void sgemm_ukernel_4x8__generic(int64_t kc, const float* __restrict a, const float* __restrict b, float* c,
                                int64_t ldc, int m, int n, const TileStore* st) {
  float acc[kMR][kNR] = {};
  for (int64_t p = 0; p < kc; ++p, a += kMR, b += kNR) {
    for (int i = 0; i < kMR; ++i) {
      const float ai = a[i];
      for (int j = 0; j < kNR; ++j) acc[i][j] += ai * b[j];
    }
  }
  const float alpha = st->alpha, beta = st->beta;
  for (int i = 0; i < m; ++i) {
    float* crow = c + i * ldc;
    const float row_bias = st->bias && st->bias_per_row ? st->bias[i] : 0.0f;
    for (int j = 0; j < n; ++j) {
      float v = alpha * acc[i][j];
      if (beta != 0.0f) v += beta * crow[j];
      if (st->bias) v += st->bias_per_row ? row_bias : st->bias[j];
      if (st->relu) v = v > 0.0f ? v : 0.0f;
      crow[j] = v;
    }
  }
}

}  // namespace

const SgemmKernels& sgemm_kernels_generic() {
  static const SgemmKernels k = {"sgemm_ukernel_4x8__generic", kMR, kNR, /*kc=*/256, /*mc=*/128, /*nc=*/2048,
                                 sgemm_ukernel_4x8__generic, pack_a_panels<kMR>, pack_b_panels<kNR>,
                                 /*ukernel_direct_a=*/nullptr, /*mr_edge=*/0, /*ukernel_edge=*/nullptr,
                                 /*pack_a_edge=*/nullptr, /*narrow_n=*/0,
                                 /*ukernel_pack_b=*/nullptr, /*narrow_dot=*/nullptr, /*narrow_pack_b=*/nullptr};
  return k;
}

}  // namespace fastgrad::gemm
