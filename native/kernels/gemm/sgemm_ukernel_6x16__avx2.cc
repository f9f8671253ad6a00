// AVX2 + FMA SGEMM micro-kernel: a 6 x 16 tile in 12 YMM accumulators. Each step p broadcasts the
// six A values one at a time and multiplies them into two 8-wide B vectors: 12 FMAs per 2 loads of
// B and 6 broadcasts, which keeps both FMA pipes busy (Zen 2/3, Haswell and later) with 3 registers
// to spare. Edges (m < 6 rows, n < 16 columns) are stored with row guards and masked stores; the
// packed panels are zero-padded, so the arithmetic is the same for every tile.
#include <immintrin.h>

#include "kernels/gemm/sgemm_kernels.h"
#include "kernels/gemm/sgemm_pack.h"

namespace fastgrad::gemm {
namespace {

constexpr int kMR = 6, kNR = 16;

// Lane masks for the first n lanes of an 8-wide store: mask_for(n) reads 8 ints from kMaskTable + 8 - n.
alignas(64) const int32_t kMaskTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

inline __m256i mask_for(int n) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskTable + 8 - n));
}

// Applies alpha, beta, bias and ReLU to one row of the tile (lo = columns 0..7, hi = 8..15).
inline void store_row(float* crow, __m256 lo, __m256 hi, int i, int n, const TileStore& st, __m256 valpha,
                      __m256 vbeta, __m256 bias_lo, __m256 bias_hi, __m256i mask_lo, __m256i mask_hi) {
  lo = _mm256_mul_ps(lo, valpha);
  hi = _mm256_mul_ps(hi, valpha);
  if (n == kNR) {
    if (st.beta != 0.0f) {
      lo = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(crow), lo);
      hi = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(crow + 8), hi);
    }
  } else if (st.beta != 0.0f) {
    lo = _mm256_fmadd_ps(vbeta, _mm256_maskload_ps(crow, mask_lo), lo);
    hi = _mm256_fmadd_ps(vbeta, _mm256_maskload_ps(crow + 8, mask_hi), hi);
  }
  if (st.bias) {
    if (st.bias_per_row) {
      const __m256 bi = _mm256_broadcast_ss(st.bias + i);
      lo = _mm256_add_ps(lo, bi);
      hi = _mm256_add_ps(hi, bi);
    } else {
      lo = _mm256_add_ps(lo, bias_lo);
      hi = _mm256_add_ps(hi, bias_hi);
    }
  }
  if (st.relu) {
    lo = _mm256_max_ps(lo, _mm256_setzero_ps());
    hi = _mm256_max_ps(hi, _mm256_setzero_ps());
  }
  if (n == kNR) {
    _mm256_storeu_ps(crow, lo);
    _mm256_storeu_ps(crow + 8, hi);
  } else {
    _mm256_maskstore_ps(crow, mask_lo, lo);
    _mm256_maskstore_ps(crow + 8, mask_hi, hi);
  }
}

void sgemm_ukernel_6x16__avx2_fma(int64_t kc, const float* __restrict a, const float* __restrict b, float* c,
                                  int64_t ldc, int m, int n, const TileStore* st) {
  // Warm the C rows the store will touch while the k loop runs.
  for (int i = 0; i < m; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 15), _MM_HINT_T0);
  }
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  // The k loop is written in assembly because GCC, given the same loop in intrinsics, spills an
  // accumulator to the stack (15 live YMM registers), which puts a store-to-load round trip on that
  // accumulator's dependency chain every step. Here the 12 accumulators live in 12 registers and
  // ymm0-ymm3 hold B and the A broadcasts. Steps are unrolled by 4.
#define FG_STEP(B0, B1, A0, A1, A2, A3, A4, A5)                \
  "vmovaps " B0 "(%[b]), %%ymm0\n\t"                             \
  "vmovaps " B1 "(%[b]), %%ymm1\n\t"                             \
  "vbroadcastss " A0 "(%[a]), %%ymm2\n\t"                        \
  "vfmadd231ps %%ymm0, %%ymm2, %[c00]\n\t"                       \
  "vfmadd231ps %%ymm1, %%ymm2, %[c01]\n\t"                       \
  "vbroadcastss " A1 "(%[a]), %%ymm3\n\t"                        \
  "vfmadd231ps %%ymm0, %%ymm3, %[c10]\n\t"                       \
  "vfmadd231ps %%ymm1, %%ymm3, %[c11]\n\t"                       \
  "vbroadcastss " A2 "(%[a]), %%ymm2\n\t"                        \
  "vfmadd231ps %%ymm0, %%ymm2, %[c20]\n\t"                       \
  "vfmadd231ps %%ymm1, %%ymm2, %[c21]\n\t"                       \
  "vbroadcastss " A3 "(%[a]), %%ymm3\n\t"                        \
  "vfmadd231ps %%ymm0, %%ymm3, %[c30]\n\t"                       \
  "vfmadd231ps %%ymm1, %%ymm3, %[c31]\n\t"                       \
  "vbroadcastss " A4 "(%[a]), %%ymm2\n\t"                        \
  "vfmadd231ps %%ymm0, %%ymm2, %[c40]\n\t"                       \
  "vfmadd231ps %%ymm1, %%ymm2, %[c41]\n\t"                       \
  "vbroadcastss " A5 "(%[a]), %%ymm3\n\t"                        \
  "vfmadd231ps %%ymm0, %%ymm3, %[c50]\n\t"                       \
  "vfmadd231ps %%ymm1, %%ymm3, %[c51]\n\t"
  int64_t quads = kc / 4, rest = kc % 4;
  if (quads > 0) {
    __asm__ volatile(
        ".p2align 5\n\t"
        "1:\n\t"
        "prefetcht0 384(%[a])\n\t"
        FG_STEP("0", "32", "0", "4", "8", "12", "16", "20")
        FG_STEP("64", "96", "24", "28", "32", "36", "40", "44")
        FG_STEP("128", "160", "48", "52", "56", "60", "64", "68")
        FG_STEP("192", "224", "72", "76", "80", "84", "88", "92")
        "addq $96, %[a]\n\t"
        "addq $256, %[b]\n\t"
        "decq %[n]\n\t"
        "jnz 1b\n\t"
        : [a] "+r"(a), [b] "+r"(b), [n] "+r"(quads), [c00] "+x"(c00), [c01] "+x"(c01), [c10] "+x"(c10),
          [c11] "+x"(c11), [c20] "+x"(c20), [c21] "+x"(c21), [c30] "+x"(c30), [c31] "+x"(c31), [c40] "+x"(c40),
          [c41] "+x"(c41), [c50] "+x"(c50), [c51] "+x"(c51)
        :
        : "ymm0", "ymm1", "ymm2", "ymm3", "memory", "cc");
  }
  if (rest > 0) {
    __asm__ volatile(
        "2:\n\t"
        FG_STEP("0", "32", "0", "4", "8", "12", "16", "20")
        "addq $24, %[a]\n\t"
        "addq $64, %[b]\n\t"
        "decq %[n]\n\t"
        "jnz 2b\n\t"
        : [a] "+r"(a), [b] "+r"(b), [n] "+r"(rest), [c00] "+x"(c00), [c01] "+x"(c01), [c10] "+x"(c10),
          [c11] "+x"(c11), [c20] "+x"(c20), [c21] "+x"(c21), [c30] "+x"(c30), [c31] "+x"(c31), [c40] "+x"(c40),
          [c41] "+x"(c41), [c50] "+x"(c50), [c51] "+x"(c51)
        :
        : "ymm0", "ymm1", "ymm2", "ymm3", "memory", "cc");
  }
#undef FG_STEP

  const TileStore& s = *st;
  const __m256 valpha = _mm256_set1_ps(s.alpha), vbeta = _mm256_set1_ps(s.beta);
  __m256i mask_lo = _mm256_setzero_si256(), mask_hi = _mm256_setzero_si256();
  if (n < kNR) {
    mask_lo = mask_for(n >= 8 ? 8 : n);
    mask_hi = mask_for(n >= 8 ? n - 8 : 0);
  }
  __m256 bias_lo = _mm256_setzero_ps(), bias_hi = _mm256_setzero_ps();
  if (s.bias && !s.bias_per_row) {
    if (n == kNR) {
      bias_lo = _mm256_loadu_ps(s.bias);
      bias_hi = _mm256_loadu_ps(s.bias + 8);
    } else {
      bias_lo = _mm256_maskload_ps(s.bias, mask_lo);
      bias_hi = _mm256_maskload_ps(s.bias + 8, mask_hi);
    }
  }
  store_row(c, c00, c01, 0, n, s, valpha, vbeta, bias_lo, bias_hi, mask_lo, mask_hi);
  if (m > 1) store_row(c + ldc, c10, c11, 1, n, s, valpha, vbeta, bias_lo, bias_hi, mask_lo, mask_hi);
  if (m > 2) store_row(c + 2 * ldc, c20, c21, 2, n, s, valpha, vbeta, bias_lo, bias_hi, mask_lo, mask_hi);
  if (m > 3) store_row(c + 3 * ldc, c30, c31, 3, n, s, valpha, vbeta, bias_lo, bias_hi, mask_lo, mask_hi);
  if (m > 4) store_row(c + 4 * ldc, c40, c41, 4, n, s, valpha, vbeta, bias_lo, bias_hi, mask_lo, mask_hi);
  if (m > 5) store_row(c + 5 * ldc, c50, c51, 5, n, s, valpha, vbeta, bias_lo, bias_hi, mask_lo, mask_hi);
}

}  // namespace

const SgemmKernels& sgemm_kernels_avx2() {
  // Zen 2/3: 32 KiB L1d holds a 16 x kc B micro-panel (16 KiB at kc = 256) plus streaming A; 512 KiB
  // L2 holds the mc x kc A block (144 KiB); L3 holds the kc x nc B block (4 MiB).
  static const SgemmKernels k = {"sgemm_ukernel_6x16__avx2_fma", kMR, kNR, /*kc=*/256, /*mc=*/144, /*nc=*/4080,
                                 sgemm_ukernel_6x16__avx2_fma, pack_a_panels<kMR>, pack_b_panels<kNR>};
  return k;
}

}  // namespace fastgrad::gemm
