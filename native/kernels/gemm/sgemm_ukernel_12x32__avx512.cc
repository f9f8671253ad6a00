// AVX-512 SGEMM micro-kernel: a 12 x 32 tile in 24 ZMM accumulators (two 16-wide B vectors per step,
// 12 broadcasts of A), leaving 5 of the 32 registers for B and A. Edges are stored with row guards
// and opmask stores. Selectable with FASTGRAD_ISA=avx512 / setIsa('avx512'); it passes the SGEMM tests
// on an AVX-512 CPU (Zen 4) but is not chosen by default (see isa_verified()).
#include <immintrin.h>

#include "kernels/gemm/sgemm_kernels.h"
#include "kernels/gemm/sgemm_pack.h"

namespace fastgrad::gemm {
namespace {

constexpr int kMR = 12, kNR = 32;

inline __mmask16 lanes(int n) { return n >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << n) - 1u); }

void sgemm_ukernel_12x32__avx512(int64_t kc, const float* __restrict a, const float* __restrict b, float* c,
                                 int64_t ldc, int m, int n, const TileStore* st) {
  __m512 acc[kMR][2];
#pragma GCC unroll 12
  for (int i = 0; i < kMR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
    _mm_prefetch(reinterpret_cast<const char*>(a + 96), _MM_HINT_T0);
#pragma GCC unroll 12
    for (int i = 0; i < kMR; ++i) {
      const __m512 av = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
    }
    a += kMR;
    b += kNR;
  }

  const TileStore& s = *st;
  const __mmask16 m0 = lanes(n), m1 = lanes(n > 16 ? n - 16 : 0);
  const __m512 valpha = _mm512_set1_ps(s.alpha), vbeta = _mm512_set1_ps(s.beta);
  __m512 bias0 = _mm512_setzero_ps(), bias1 = _mm512_setzero_ps();
  if (s.bias && !s.bias_per_row) {
    bias0 = _mm512_maskz_loadu_ps(m0, s.bias);
    bias1 = _mm512_maskz_loadu_ps(m1, s.bias + 16);
  }
#pragma GCC unroll 12
  for (int i = 0; i < kMR; ++i) {
    if (i >= m) break;
    float* crow = c + i * ldc;
    __m512 lo = _mm512_mul_ps(acc[i][0], valpha), hi = _mm512_mul_ps(acc[i][1], valpha);
    if (s.beta != 0.0f) {
      lo = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(m0, crow), lo);
      hi = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(m1, crow + 16), hi);
    }
    if (s.bias) {
      if (s.bias_per_row) {
        const __m512 bi = _mm512_set1_ps(s.bias[i]);
        lo = _mm512_add_ps(lo, bi);
        hi = _mm512_add_ps(hi, bi);
      } else {
        lo = _mm512_add_ps(lo, bias0);
        hi = _mm512_add_ps(hi, bias1);
      }
    }
    if (s.relu) {
      // (The masked form: plain _mm512_max_ps trips a GCC 12 maybe-uninitialized false positive.)
      lo = _mm512_maskz_max_ps(static_cast<__mmask16>(0xffff), lo, _mm512_setzero_ps());
      hi = _mm512_maskz_max_ps(static_cast<__mmask16>(0xffff), hi, _mm512_setzero_ps());
    }
    _mm512_mask_storeu_ps(crow, m0, lo);
    _mm512_mask_storeu_ps(crow + 16, m1, hi);
  }
}

}  // namespace

const SgemmKernels& sgemm_kernels_avx512() {
  // Skylake-SP / Ice Lake class: 32-48 KiB L1d holds a 32 x kc B micro-panel (24 KiB at kc = 192),
  // 1-2 MiB L2 holds the mc x kc A block (216 KiB at mc = 288).
  static const SgemmKernels k = {"sgemm_ukernel_12x32__avx512", kMR, kNR, /*kc=*/192, /*mc=*/288, /*nc=*/4096,
                                 sgemm_ukernel_12x32__avx512, pack_a_panels<kMR>, pack_b_panels<kNR>,
                                 /*ukernel_direct_a=*/nullptr, /*mr_edge=*/0, /*ukernel_edge=*/nullptr,
                                 /*pack_a_edge=*/nullptr, /*narrow_n=*/0,
                                 /*ukernel_pack_b=*/nullptr, /*narrow_dot=*/nullptr, /*narrow_pack_b=*/nullptr};
  return k;
}

}  // namespace fastgrad::gemm
