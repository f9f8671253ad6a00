// NEON SGEMM micro-kernel for arm64: an 8 x 12 tile in 24 Q-register accumulators. Each step p loads
// eight A values (2 registers) and twelve B values (3 registers) and does 24 lane-indexed FMAs
// (vfmaq_laneq_f32 multiplies a B vector by one lane of an A register, so A needs no broadcasts):
// 29 of the 32 vector registers, 24 FMAs per 5 loads. Edges (m < 8 rows, n < 12 columns) go through a
// small row buffer; the packed panels are zero-padded, so the arithmetic is the same for every tile.
#include <arm_neon.h>

#include "kernels/gemm/sgemm_kernels.h"
#include "kernels/gemm/sgemm_pack.h"

namespace fastgrad::gemm {
namespace {

constexpr int kMR = 8, kNR = 12;

// C row i (n <= 12 columns) = act(alpha * acc + beta * C + bias), the three accumulators of the row.
inline void store_row(float* crow, float32x4_t v0, float32x4_t v1, float32x4_t v2, int i, int n,
                      const TileStore& st) {
  const float32x4_t valpha = vdupq_n_f32(st.alpha);
  v0 = vmulq_f32(v0, valpha);
  v1 = vmulq_f32(v1, valpha);
  v2 = vmulq_f32(v2, valpha);
  // A partial row is staged in `buf` so that loads and stores never touch C past column n.
  alignas(16) float buf[kNR];
  const bool full = n == kNR;
  if (st.beta != 0.0f) {
    const float* src = crow;
    if (!full) {
      for (int j = 0; j < n; ++j) buf[j] = crow[j];
      for (int j = n; j < kNR; ++j) buf[j] = 0.0f;
      src = buf;
    }
    const float32x4_t vbeta = vdupq_n_f32(st.beta);
    v0 = vfmaq_f32(v0, vbeta, vld1q_f32(src));
    v1 = vfmaq_f32(v1, vbeta, vld1q_f32(src + 4));
    v2 = vfmaq_f32(v2, vbeta, vld1q_f32(src + 8));
  }
  if (st.bias) {
    if (st.bias_per_row) {
      const float32x4_t bi = vdupq_n_f32(st.bias[i]);
      v0 = vaddq_f32(v0, bi);
      v1 = vaddq_f32(v1, bi);
      v2 = vaddq_f32(v2, bi);
    } else {
      const float* bsrc = st.bias;
      alignas(16) float bbuf[kNR];
      if (!full) {
        for (int j = 0; j < n; ++j) bbuf[j] = st.bias[j];
        for (int j = n; j < kNR; ++j) bbuf[j] = 0.0f;
        bsrc = bbuf;
      }
      v0 = vaddq_f32(v0, vld1q_f32(bsrc));
      v1 = vaddq_f32(v1, vld1q_f32(bsrc + 4));
      v2 = vaddq_f32(v2, vld1q_f32(bsrc + 8));
    }
  }
  if (st.relu) {
    const float32x4_t zero = vdupq_n_f32(0.0f);
    v0 = vmaxq_f32(v0, zero);
    v1 = vmaxq_f32(v1, zero);
    v2 = vmaxq_f32(v2, zero);
  }
  if (full) {
    vst1q_f32(crow, v0);
    vst1q_f32(crow + 4, v1);
    vst1q_f32(crow + 8, v2);
  } else {
    vst1q_f32(buf, v0);
    vst1q_f32(buf + 4, v1);
    vst1q_f32(buf + 8, v2);
    for (int j = 0; j < n; ++j) crow[j] = buf[j];
  }
}

void sgemm_ukernel_8x12__neon(int64_t kc, const float* __restrict a, const float* __restrict b, float* c,
                              int64_t ldc, int m, int n, const TileStore* st) {
  float32x4_t c00 = vdupq_n_f32(0.0f), c01 = c00, c02 = c00;
  float32x4_t c10 = c00, c11 = c00, c12 = c00;
  float32x4_t c20 = c00, c21 = c00, c22 = c00;
  float32x4_t c30 = c00, c31 = c00, c32 = c00;
  float32x4_t c40 = c00, c41 = c00, c42 = c00;
  float32x4_t c50 = c00, c51 = c00, c52 = c00;
  float32x4_t c60 = c00, c61 = c00, c62 = c00;
  float32x4_t c70 = c00, c71 = c00, c72 = c00;
#pragma GCC unroll 2
  for (int64_t p = 0; p < kc; ++p) {
    const float32x4_t a0 = vld1q_f32(a), a1 = vld1q_f32(a + 4);
    const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8);
    __builtin_prefetch(b + 4 * kNR);
    c00 = vfmaq_laneq_f32(c00, b0, a0, 0); c01 = vfmaq_laneq_f32(c01, b1, a0, 0); c02 = vfmaq_laneq_f32(c02, b2, a0, 0);
    c10 = vfmaq_laneq_f32(c10, b0, a0, 1); c11 = vfmaq_laneq_f32(c11, b1, a0, 1); c12 = vfmaq_laneq_f32(c12, b2, a0, 1);
    c20 = vfmaq_laneq_f32(c20, b0, a0, 2); c21 = vfmaq_laneq_f32(c21, b1, a0, 2); c22 = vfmaq_laneq_f32(c22, b2, a0, 2);
    c30 = vfmaq_laneq_f32(c30, b0, a0, 3); c31 = vfmaq_laneq_f32(c31, b1, a0, 3); c32 = vfmaq_laneq_f32(c32, b2, a0, 3);
    c40 = vfmaq_laneq_f32(c40, b0, a1, 0); c41 = vfmaq_laneq_f32(c41, b1, a1, 0); c42 = vfmaq_laneq_f32(c42, b2, a1, 0);
    c50 = vfmaq_laneq_f32(c50, b0, a1, 1); c51 = vfmaq_laneq_f32(c51, b1, a1, 1); c52 = vfmaq_laneq_f32(c52, b2, a1, 1);
    c60 = vfmaq_laneq_f32(c60, b0, a1, 2); c61 = vfmaq_laneq_f32(c61, b1, a1, 2); c62 = vfmaq_laneq_f32(c62, b2, a1, 2);
    c70 = vfmaq_laneq_f32(c70, b0, a1, 3); c71 = vfmaq_laneq_f32(c71, b1, a1, 3); c72 = vfmaq_laneq_f32(c72, b2, a1, 3);
    a += kMR;
    b += kNR;
  }

  const TileStore& s = *st;
  store_row(c, c00, c01, c02, 0, n, s);
  if (m > 1) store_row(c + ldc, c10, c11, c12, 1, n, s);
  if (m > 2) store_row(c + 2 * ldc, c20, c21, c22, 2, n, s);
  if (m > 3) store_row(c + 3 * ldc, c30, c31, c32, 3, n, s);
  if (m > 4) store_row(c + 4 * ldc, c40, c41, c42, 4, n, s);
  if (m > 5) store_row(c + 5 * ldc, c50, c51, c52, 5, n, s);
  if (m > 6) store_row(c + 6 * ldc, c60, c61, c62, 6, n, s);
  if (m > 7) store_row(c + 7 * ldc, c70, c71, c72, 7, n, s);
}

}  // namespace

const SgemmKernels& sgemm_kernels_neon() {
  // Typical arm64 server cores (Neoverse N1/V1, Graviton 2/3): 64 KiB L1d holds a 12 x kc B
  // micro-panel (12 KiB at kc = 256) plus streaming A; 1 MiB L2 holds the mc x kc A block (128 KiB);
  // the kc x nc B block (3 MiB) streams from L3/SLC.
  static const SgemmKernels k = {"sgemm_ukernel_8x12__neon", kMR, kNR, /*kc=*/256, /*mc=*/128, /*nc=*/3072,
                                 sgemm_ukernel_8x12__neon, pack_a_panels<kMR>, pack_b_panels<kNR>,
                                 /*ukernel_direct_a=*/nullptr, /*mr_edge=*/0, /*ukernel_edge=*/nullptr,
                                 /*pack_a_edge=*/nullptr, /*narrow_n=*/0,
                                 /*ukernel_pack_b=*/nullptr, /*narrow_dot=*/nullptr, /*narrow_pack_b=*/nullptr};
  return k;
}

}  // namespace fastgrad::gemm
