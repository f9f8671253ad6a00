// AVX2 + FMA SGEMM micro-kernel: a 6 x 16 tile in 12 YMM accumulators. Each step p broadcasts the
// six A values one at a time and multiplies them into two 8-wide B vectors: 12 FMAs per 2 loads of
// B and 6 broadcasts, which keeps both FMA pipes busy (Zen 2/3, Haswell and later) with 3 registers
// to spare. Edges (m < 6 rows, n < 16 columns) are stored with row guards and masked stores; the
// packed panels are zero-padded, so the arithmetic is the same for every tile. A 4 x 16 kernel runs
// the leftover rows of a block where a 6-row tile would be mostly padding, and every kernel can
// store its tile transposed, for narrow-n products computed as C^T (see SgemmKernels); narrow
// products with A stored plain run as dot products instead (narrow_dot__avx2_fma, at the end).
#include <immintrin.h>

#include <cstring>

#include "kernels/gemm/sgemm_kernels.h"
#include "kernels/gemm/sgemm_pack.h"

namespace fastgrad::gemm {
namespace {

constexpr int kMR = 6, kNR = 16, kMREdge = 4;

// Lane masks for the first n lanes of an 8-wide store: mask_for(n) reads 8 ints from kMaskTable + 8 - n.
alignas(64) const int32_t kMaskTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

inline __m256i mask_for(int n) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskTable + 8 - n));
}

// The first `count` (0..4) floats at d, the other lanes zero / untouched: C rows of a transposed
// tile are only m <= 6 floats long, and the floats after them belong to other tiles or threads.
inline __m128 load_upto4(const float* d, int count) {
  switch (count) {
    case 0: return _mm_setzero_ps();
    case 1: return _mm_load_ss(d);
    case 2: return _mm_castsi128_ps(_mm_loadu_si64(d));
    case 3: return _mm_movelh_ps(_mm_castsi128_ps(_mm_loadu_si64(d)), _mm_load_ss(d + 2));
    default: return _mm_loadu_ps(d);
  }
}

inline void store_upto4(float* d, __m128 v, int count) {
  switch (count) {
    case 0: return;
    case 1: _mm_store_ss(d, v); return;
    case 2: _mm_storeu_si64(d, _mm_castps_si128(v)); return;
    case 3:
      _mm_storeu_si64(d, _mm_castps_si128(v));
      _mm_store_ss(d + 2, _mm_movehl_ps(v, v));
      return;
    default: _mm_storeu_ps(d, v);
  }
}

// The first `count` (0..8) floats at d.
inline __m256 load_lanes(const float* d, int count) {
  if (count >= 8) return _mm256_loadu_ps(d);
  if (count <= 4) return _mm256_zextps128_ps256(load_upto4(d, count));
  return _mm256_set_m128(load_upto4(d + 4, count - 4), _mm_loadu_ps(d));
}

inline void store_lanes(float* d, __m256 v, int count) {
  if (count >= 8) {
    _mm256_storeu_ps(d, v);
  } else if (count <= 4) {
    store_upto4(d, _mm256_castps256_ps128(v), count);
  } else {
    _mm_storeu_ps(d, _mm256_castps256_ps128(v));
    store_upto4(d + 4, _mm256_extractf128_ps(v, 1), count - 4);
  }
}

// In-register transpose: on return r[j] holds column j of the 8 x 8 block whose rows were r[0..7].
inline __attribute__((always_inline)) void transpose8x8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xee);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xee);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xee);
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
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

// Stores an M x 16 tile (M <= 8) transposed: tile column j is row j of C, so each of the n columns
// becomes m consecutive floats at c + j * ldc. Eight columns at a time go through an 8 x 8 register
// transpose (rows past M zero).
template <int M>
inline __attribute__((always_inline)) void store_tile_transposed(float* c, int64_t ldc, int m, int n,
                                                                 const TileStore& s, const __m256 (&lo)[M],
                                                                 const __m256 (&hi)[M]) {
  const __m256 valpha = _mm256_set1_ps(s.alpha), vbeta = _mm256_set1_ps(s.beta);
  // bias_per_row is in tile coordinates: one bias per tile row, i.e. along each stored row of C.
  const __m256 bias_rows = s.bias && s.bias_per_row ? load_lanes(s.bias, m) : _mm256_setzero_ps();
  for (int half = 0; half < 2; ++half) {
    const int cols = n - 8 * half < 8 ? n - 8 * half : 8;
    if (cols <= 0) break;
    __m256 r[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) r[i] = i < M ? (half ? hi[i] : lo[i]) : _mm256_setzero_ps();
    transpose8x8(r);
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) {
      if (j >= cols) break;
      float* d = c + (8 * half + j) * ldc;
      __m256 v = _mm256_mul_ps(r[j], valpha);
      if (s.beta != 0.0f) v = _mm256_fmadd_ps(vbeta, load_lanes(d, m), v);
      if (s.bias) v = _mm256_add_ps(v, s.bias_per_row ? bias_rows : _mm256_broadcast_ss(s.bias + 8 * half + j));
      if (s.relu) v = _mm256_max_ps(v, _mm256_setzero_ps());
      store_lanes(d, v, m);
    }
  }
}

// Stores the M x 16 tile held in lo/hi (row i in lo[i], hi[i]) as the TileStore says: rows i < m,
// columns j < n are C's.
template <int M>
inline __attribute__((always_inline)) void store_tile(float* c, int64_t ldc, int m, int n, const TileStore& s,
                                                      const __m256 (&lo)[M], const __m256 (&hi)[M]) {
  if (s.transposed) {
    store_tile_transposed<M>(c, ldc, m, n, s, lo, hi);
    return;
  }
  if (m == M && n == kNR && s.alpha == 1.0f && s.beta == 0.0f && !s.bias && !s.relu) {
    // The plain product (most tiles of most calls): stores only. With small k (Winograd's GEMMs
    // have k = channels) the per-row checks below cost a noticeable share of a tile.
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      _mm256_storeu_ps(c + i * ldc, lo[i]);
      _mm256_storeu_ps(c + i * ldc + 8, hi[i]);
    }
    return;
  }
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
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i) {
    if (i >= m) break;
    store_row(c + i * ldc, lo[i], hi[i], i, n, s, valpha, vbeta, bias_lo, bias_hi, mask_lo, mask_hi);
  }
}

// One prefetch, as assembly: with _mm_prefetch, GCC 12 left the loops below out of the kernels
// entirely (seen in the disassembly), which cost 8% at 2048^3.
inline void prefetch_line(const float* p) { __asm__ volatile("prefetcht0 (%0)" : : "r"(p)); }

// Warms the lines of C the store will touch while the k loop runs.
inline void prefetch_c(const float* c, int64_t ldc, int m, int n, const TileStore& s) {
  if (s.transposed) {
    for (int j = 0; j < n; ++j) {
      prefetch_line(c + j * ldc);
      prefetch_line(c + j * ldc + m - 1);
    }
  } else {
    for (int i = 0; i < m; ++i) {
      prefetch_line(c + i * ldc);
      prefetch_line(c + i * ldc + 15);
    }
  }
}

void sgemm_ukernel_6x16__avx2_fma(int64_t kc, const float* __restrict a, const float* __restrict b, float* c,
                                  int64_t ldc, int m, int n, const TileStore* st) {
  prefetch_c(c, ldc, m, n, *st);
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

  const __m256 lo[kMR] = {c00, c10, c20, c30, c40, c50}, hi[kMR] = {c01, c11, c21, c31, c41, c51};
  store_tile<kMR>(c, ldc, m, n, *st, lo, hi);
}

// The same micro-kernel reading A in place instead of from a packed panel: row i of step p at
// a[i * rs_a + p * cs_a] (not transposed: rs_a = lda, cs_a = 1; transposed: rs_a = 1, cs_a = lda).
// The driver uses it when one B panel covers all of n, so each A value is read exactly once and
// packing A would only add a copy. All 6 rows must exist (partial row panels are packed).
void sgemm_ukernel_6x16__avx2_fma_direct_a(int64_t kc, const float* a, int64_t rs_a, int64_t cs_a,
                                           const float* __restrict b, float* c, int64_t ldc, int m, int n,
                                           const TileStore* st) {
  prefetch_c(c, ldc, m, n, *st);
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  // Strides and step count go in through memory: asm takes at most 30 operands and the 12
  // accumulators with a and b already use 28. r8 = row stride, r9 = step stride (bytes), r10 =
  // steps; rows 0-2 are at a, a + r8, a + 2 r8 and rows 3-5 the same from r11 = a + 3 r8.
  const int64_t params[3] = {rs_a * static_cast<int64_t>(sizeof(float)), cs_a * static_cast<int64_t>(sizeof(float)), kc};
  __asm__ volatile(
      "movq (%[prm]), %%r8\n\t"
      "movq 8(%[prm]), %%r9\n\t"
      "movq 16(%[prm]), %%r10\n\t"
      "leaq (%[a],%%r8,2), %%r11\n\t"
      "addq %%r8, %%r11\n\t"
      ".p2align 5\n\t"
      "1:\n\t"
      "vmovaps (%[b]), %%ymm0\n\t"
      "vmovaps 32(%[b]), %%ymm1\n\t"
      "vbroadcastss (%[a]), %%ymm2\n\t"
      "vfmadd231ps %%ymm0, %%ymm2, %[c00]\n\t"
      "vfmadd231ps %%ymm1, %%ymm2, %[c01]\n\t"
      "vbroadcastss (%[a],%%r8,1), %%ymm3\n\t"
      "vfmadd231ps %%ymm0, %%ymm3, %[c10]\n\t"
      "vfmadd231ps %%ymm1, %%ymm3, %[c11]\n\t"
      "vbroadcastss (%[a],%%r8,2), %%ymm2\n\t"
      "vfmadd231ps %%ymm0, %%ymm2, %[c20]\n\t"
      "vfmadd231ps %%ymm1, %%ymm2, %[c21]\n\t"
      "vbroadcastss (%%r11), %%ymm3\n\t"
      "vfmadd231ps %%ymm0, %%ymm3, %[c30]\n\t"
      "vfmadd231ps %%ymm1, %%ymm3, %[c31]\n\t"
      "vbroadcastss (%%r11,%%r8,1), %%ymm2\n\t"
      "vfmadd231ps %%ymm0, %%ymm2, %[c40]\n\t"
      "vfmadd231ps %%ymm1, %%ymm2, %[c41]\n\t"
      "vbroadcastss (%%r11,%%r8,2), %%ymm3\n\t"
      "vfmadd231ps %%ymm0, %%ymm3, %[c50]\n\t"
      "vfmadd231ps %%ymm1, %%ymm3, %[c51]\n\t"
      "addq %%r9, %[a]\n\t"
      "addq %%r9, %%r11\n\t"
      "addq $64, %[b]\n\t"
      "decq %%r10\n\t"
      "jnz 1b\n\t"
      : [a] "+r"(a), [b] "+r"(b), [c00] "+x"(c00), [c01] "+x"(c01), [c10] "+x"(c10), [c11] "+x"(c11),
        [c20] "+x"(c20), [c21] "+x"(c21), [c30] "+x"(c30), [c31] "+x"(c31), [c40] "+x"(c40), [c41] "+x"(c41),
        [c50] "+x"(c50), [c51] "+x"(c51)
      : [prm] "r"(params)
      : "r8", "r9", "r10", "r11", "ymm0", "ymm1", "ymm2", "ymm3", "memory", "cc");
  const __m256 lo[kMR] = {c00, c10, c20, c30, c40, c50}, hi[kMR] = {c01, c11, c21, c31, c41, c51};
  store_tile<kMR>(c, ldc, m, n, *st, lo, hi);
}

// The 6 x 16 kernel for the first tile of a B panel, reading the panel from op(B) stored plain (step
// p at b_src + p * ldb, all 16 columns present) and writing it packed to b_packed as it goes: the
// driver's separate B packing pass is a stall on B coming from L3, which here overlaps the FMAs.
//
// Three prefetches per step (per line of the row), for B in L3 or (a neighbour's working set, or a B
// larger than L3) in DRAM, whose latency the 8 rows ahead of the first do not cover:
//   - the row 8 steps ahead, into L1;
//   - while it is still in the panel, the row kFar steps ahead, into L2;
//   - with next_panel, this row of the next panel (its last line: the first, where the rows do not
//     start on a cache line, is this row's last), into L2, so the next panel's tile, some 20 tiles
//     later, finds its rows there.
// Whole products on 1 thread against the first prefetch alone (median ratio of 600 interleaved
// calls): caches flushed before each call, 128x784x256 +10-11%, 512^3 +3%; warm, within +-1%. The
// kernel alone with B in DRAM: 2.3-2.9 us per tile -> 0.85-1.2 us (its FMAs alone: 0.44 us).
// Rows of 16 floats starting on a cache line (kLines = 1) need one prefetch per row; otherwise (JS
// arrays start 16 bytes into a line) two.
template <int kLines>
void ukernel_pack_b(int64_t kc, const float* __restrict a, const float* b_src, int64_t ldb, float* __restrict b_packed,
                    bool next_panel, float* c, int64_t ldc, int m, int n, const TileStore* st) {
  prefetch_c(c, ldc, m, n, *st);
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  constexpr int64_t kFar = 32;
  const int64_t ld_bytes = ldb * static_cast<int64_t>(sizeof(float));
  const int64_t far_steps = kc > kFar ? kc - kFar : 0;
  // Through memory (asm takes at most 30 operands, and a with the 12 accumulators already use 26):
  // r8 = source, r9 = packed, r10 = row stride (bytes), r11 = steps of the phase, r12 = 8 rows
  // (bytes; kFar rows = 4 x r12), r13 = the byte offset of the next panel's last float in this
  // row (0 without next_panel: a harmless second touch of this row).
  const int64_t next_offset = next_panel ? (2 * kNR - 1) * static_cast<int64_t>(sizeof(float)) : 0;
  const int64_t params[7] = {reinterpret_cast<int64_t>(b_src), reinterpret_cast<int64_t>(b_packed), ld_bytes, far_steps,
                             8 * ld_bytes, kc - far_steps, next_offset};
#define FG_PREFETCH_FAR "prefetcht1 (%%r8,%%r12,4)\n\t"
#define FG_PREFETCH_NEAR "prefetcht0 (%%r8,%%r12)\n\tprefetcht1 (%%r8,%%r13)\n\t"
#define FG_PREFETCH_FAR2 "prefetcht1 60(%%r8,%%r12,4)\n\t"
#define FG_PREFETCH_NEAR2 "prefetcht0 60(%%r8,%%r12)\n\t"
#define FG_PACK_STEP                                 \
  "vmovups (%%r8), %%ymm0\n\t"                       \
  "vmovups 32(%%r8), %%ymm1\n\t"                     \
  "vmovaps %%ymm0, (%%r9)\n\t"                       \
  "vmovaps %%ymm1, 32(%%r9)\n\t"                     \
  "vbroadcastss (%[a]), %%ymm2\n\t"                  \
  "vfmadd231ps %%ymm0, %%ymm2, %[c00]\n\t"           \
  "vfmadd231ps %%ymm1, %%ymm2, %[c01]\n\t"           \
  "vbroadcastss 4(%[a]), %%ymm3\n\t"                 \
  "vfmadd231ps %%ymm0, %%ymm3, %[c10]\n\t"           \
  "vfmadd231ps %%ymm1, %%ymm3, %[c11]\n\t"           \
  "vbroadcastss 8(%[a]), %%ymm2\n\t"                 \
  "vfmadd231ps %%ymm0, %%ymm2, %[c20]\n\t"           \
  "vfmadd231ps %%ymm1, %%ymm2, %[c21]\n\t"           \
  "vbroadcastss 12(%[a]), %%ymm3\n\t"                \
  "vfmadd231ps %%ymm0, %%ymm3, %[c30]\n\t"           \
  "vfmadd231ps %%ymm1, %%ymm3, %[c31]\n\t"           \
  "vbroadcastss 16(%[a]), %%ymm2\n\t"                \
  "vfmadd231ps %%ymm0, %%ymm2, %[c40]\n\t"           \
  "vfmadd231ps %%ymm1, %%ymm2, %[c41]\n\t"           \
  "vbroadcastss 20(%[a]), %%ymm3\n\t"                \
  "vfmadd231ps %%ymm0, %%ymm3, %[c50]\n\t"           \
  "vfmadd231ps %%ymm1, %%ymm3, %[c51]\n\t"           \
  "addq $24, %[a]\n\t"                               \
  "addq %%r10, %%r8\n\t"                             \
  "addq $64, %%r9\n\t"                               \
  "decq %%r11\n\t"
#define FG_PACK_LOOP(NEAR, FAR)                                                                                     \
  __asm__ volatile(                                                                                                 \
      "movq (%[prm]), %%r8\n\t"                                                                                     \
      "movq 8(%[prm]), %%r9\n\t"                                                                                    \
      "movq 16(%[prm]), %%r10\n\t"                                                                                  \
      "movq 24(%[prm]), %%r11\n\t"                                                                                  \
      "movq 32(%[prm]), %%r12\n\t"                                                                                  \
      "movq 48(%[prm]), %%r13\n\t"                                                                                  \
      "testq %%r11, %%r11\n\t"                                                                                      \
      "jz 3f\n\t"                                                                                                   \
      ".p2align 5\n\t"                                                                                              \
      "1:\n\t" NEAR FAR FG_PACK_STEP                                                                                \
      "jnz 1b\n\t"                                                                                                  \
      "3:\n\t"                                                                                                      \
      "movq 40(%[prm]), %%r11\n\t"                                                                                  \
      ".p2align 5\n\t"                                                                                              \
      "2:\n\t" NEAR FG_PACK_STEP                                                                                    \
      "jnz 2b\n\t"                                                                                                  \
      : [a] "+r"(a), [c00] "+x"(c00), [c01] "+x"(c01), [c10] "+x"(c10), [c11] "+x"(c11), [c20] "+x"(c20),         \
        [c21] "+x"(c21), [c30] "+x"(c30), [c31] "+x"(c31), [c40] "+x"(c40), [c41] "+x"(c41), [c50] "+x"(c50),     \
        [c51] "+x"(c51)                                                                                             \
      : [prm] "r"(params)                                                                                           \
      : "r8", "r9", "r10", "r11", "r12", "r13", "ymm0", "ymm1", "ymm2", "ymm3", "memory", "cc")
  if constexpr (kLines == 1) {
    FG_PACK_LOOP(FG_PREFETCH_NEAR, FG_PREFETCH_FAR);
  } else {
    FG_PACK_LOOP(FG_PREFETCH_NEAR FG_PREFETCH_NEAR2, FG_PREFETCH_FAR FG_PREFETCH_FAR2);
  }
#undef FG_PACK_LOOP
#undef FG_PACK_STEP
#undef FG_PREFETCH_NEAR2
#undef FG_PREFETCH_FAR2
#undef FG_PREFETCH_NEAR
#undef FG_PREFETCH_FAR
  const __m256 lo[kMR] = {c00, c10, c20, c30, c40, c50}, hi[kMR] = {c01, c11, c21, c31, c41, c51};
  store_tile<kMR>(c, ldc, m, n, *st, lo, hi);
}

void sgemm_ukernel_6x16__avx2_fma_pack_b(int64_t kc, const float* a, const float* b_src, int64_t ldb, float* b_packed,
                                         bool next_panel, float* c, int64_t ldc, int m, int n, const TileStore* st) {
  const bool rows_on_lines = reinterpret_cast<uintptr_t>(b_src) % 64 == 0 && ldb % kNR == 0;
  if (rows_on_lines) {
    ukernel_pack_b<1>(kc, a, b_src, ldb, b_packed, next_panel, c, ldc, m, n, st);
  } else {
    ukernel_pack_b<2>(kc, a, b_src, ldb, b_packed, next_panel, c, ldc, m, n, st);
  }
}

// The edge micro-kernel: a 4 x 16 tile in 8 accumulators, A packed 4 rows per step. The driver
// runs a block's last rows with it where a 6-row tile would be mostly padding (m = 128 = 20 x 6 +
// 2 x 4). 8 independent FMA chains are just enough to cover the FMA latency on both pipes.
void sgemm_ukernel_4x16__avx2_fma(int64_t kc, const float* __restrict a, const float* __restrict b, float* c,
                                  int64_t ldc, int m, int n, const TileStore* st) {
  prefetch_c(c, ldc, m, n, *st);
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
#define FG_STEP4(B0, B1, A0, A1, A2, A3)                        \
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
  "vfmadd231ps %%ymm1, %%ymm3, %[c31]\n\t"
  int64_t quads = kc / 4, rest = kc % 4;
  if (quads > 0) {
    __asm__ volatile(
        ".p2align 5\n\t"
        "1:\n\t"
        "prefetcht0 256(%[a])\n\t"
        FG_STEP4("0", "32", "0", "4", "8", "12")
        FG_STEP4("64", "96", "16", "20", "24", "28")
        FG_STEP4("128", "160", "32", "36", "40", "44")
        FG_STEP4("192", "224", "48", "52", "56", "60")
        "addq $64, %[a]\n\t"
        "addq $256, %[b]\n\t"
        "decq %[n]\n\t"
        "jnz 1b\n\t"
        : [a] "+r"(a), [b] "+r"(b), [n] "+r"(quads), [c00] "+x"(c00), [c01] "+x"(c01), [c10] "+x"(c10),
          [c11] "+x"(c11), [c20] "+x"(c20), [c21] "+x"(c21), [c30] "+x"(c30), [c31] "+x"(c31)
        :
        : "ymm0", "ymm1", "ymm2", "ymm3", "memory", "cc");
  }
  if (rest > 0) {
    __asm__ volatile(
        "2:\n\t"
        FG_STEP4("0", "32", "0", "4", "8", "12")
        "addq $16, %[a]\n\t"
        "addq $64, %[b]\n\t"
        "decq %[n]\n\t"
        "jnz 2b\n\t"
        : [a] "+r"(a), [b] "+r"(b), [n] "+r"(rest), [c00] "+x"(c00), [c01] "+x"(c01), [c10] "+x"(c10),
          [c11] "+x"(c11), [c20] "+x"(c20), [c21] "+x"(c21), [c30] "+x"(c30), [c31] "+x"(c31)
        :
        : "ymm0", "ymm1", "ymm2", "ymm3", "memory", "cc");
  }
#undef FG_STEP4
  const __m256 lo[kMREdge] = {c00, c10, c20, c30}, hi[kMREdge] = {c01, c11, c21, c31};
  store_tile<kMREdge>(c, ldc, m, n, *st, lo, hi);
}

// Stores the first 6 lanes of v at d (4 + 2: never touches d[6], d[7]).
inline void store6(float* d, __m256 v) {
  _mm_storeu_ps(d, _mm256_castps256_ps128(v));
  _mm_store_sd(reinterpret_cast<double*>(d + 4), _mm_castps_pd(_mm256_extractf128_ps(v, 1)));
}

// A packing with the interleaving done 8 steps at a time in registers (the portable loops gather
// one float at a time). Partial panels (fewer than 6 rows) go through the portable loop.
void pack_a_6__avx2(bool trans, int64_t mc, int64_t kc, const float* a, int64_t lda, float* __restrict dst) {
  const int64_t full = mc / kMR * kMR;
  if (trans) {
    // op(A)(i, p) = a[p * lda + i]: step p of every panel comes from one contiguous row of a, so walk
    // the rows in order (a panel-at-a-time walk would revisit each row once per panel, and with
    // lda a multiple of 1024 every row falls in the same L1 set).
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = a + p * lda;
      float* d = dst + p * kMR;
      // Rows are only mc floats long here, too short for the hardware prefetchers to catch on when
      // A comes from memory: fetch the row 4 steps ahead while this one is copied. With the next
      // panel's rows prefetched in the plain case below, 1 thread, caches flushed before each call:
      // TN 784x128x256 +2.5%, NN 128x784x256 +1.5%, 512^3 +1%; warm, within +-0.5%.
      if (p + 4 < kc) {
        const float* ahead = src + 4 * lda;
        for (int64_t i = 0; i < mc; i += 16) prefetch_line(ahead + i);
        prefetch_line(ahead + mc - 1);
      }
      for (int64_t i0 = 0; i0 < full; i0 += kMR, d += kMR * kc) {
        _mm_storeu_ps(d, _mm_loadu_ps(src + i0));
        std::memcpy(d + 4, src + i0 + 4, 2 * sizeof(float));  // one 8-byte move, with no alignment assumed
      }
    }
  } else {
    for (int64_t i0 = 0; i0 < full; i0 += kMR) {
      // op(A)(i, p) = a[i * lda + p]: transpose 6 rows x 8 steps (two zero rows) into 8 steps x 6.
      const float* src = a + i0 * lda;
      float* panel = dst + i0 * kc;
      // The next panel's rows, a line of each per 16 steps, so they arrive while this panel is
      // transposed: each row is only kc floats long, too short a stream for the hardware
      // prefetchers to catch on when A comes from memory.
      const float* next = i0 + 2 * kMR <= full ? src + kMR * lda : nullptr;
      int64_t p = 0;
      for (; p + 8 <= kc; p += 8) {
        if (next && p % 16 == 0) {
          for (int i = 0; i < kMR; ++i) prefetch_line(next + i * lda + p);
        }
        __m256 r[8];
        for (int i = 0; i < kMR; ++i) r[i] = _mm256_loadu_ps(src + i * lda + p);
        r[6] = r[7] = _mm256_setzero_ps();
        transpose8x8(r);
        float* d = panel + p * kMR;
        // Each 8-wide store spills 2 lanes into the next step's slot, which the next store rewrites.
        for (int j = 0; j < 7; ++j) _mm256_storeu_ps(d + j * kMR, r[j]);
        store6(d + 7 * kMR, r[7]);
      }
      for (; p < kc; ++p) {
        for (int i = 0; i < kMR; ++i) panel[p * kMR + i] = src[i * lda + p];
      }
    }
  }
  if (full < mc) {
    pack_a_panels<kMR>(trans, mc - full, kc, trans ? a + full : a + full * lda, lda, dst + full * kc);
  }
}

// B packing: the plain case copies 64 bytes per step and panel; the transposed case transposes
// 8 x 8 blocks. Partial panels (fewer than 16 columns) go through the portable loop.
void pack_b_16__avx2(bool trans, int64_t kc, int64_t nc, const float* b, int64_t ldb, float* __restrict dst) {
  const int64_t full = nc / kNR * kNR;
  if (!trans) {
    // op(B)(p, j) = b[p * ldb + j]: groups of 4 panels (256 bytes of each row) step by step. One
    // panel at a time reads only 64 bytes per row, so with b not 64-byte aligned every line is
    // fetched twice, the second time long after it left L1; all panels at once writes to as many
    // streams as there are panels, kc * 64 bytes apart, which at kc = 256 all share one L1 set.
    constexpr int64_t kGroup = 4 * kNR;
    for (int64_t g0 = 0; g0 < full; g0 += kGroup) {
      const int64_t g1 = g0 + kGroup < full ? g0 + kGroup : full;
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = b + p * ldb;
        float* d = dst + g0 * kc + p * kNR;
        for (int64_t j0 = g0; j0 < g1; j0 += kNR, d += kNR * kc) {
          _mm256_store_ps(d, _mm256_loadu_ps(src + j0));
          _mm256_store_ps(d + 8, _mm256_loadu_ps(src + j0 + 8));
        }
      }
    }
  } else {
    // op(B)(p, j) = b[j * ldb + p]: 8 stored rows (half a panel) at a time, 8 steps per transpose,
    // so the 8 lines being read stay in L1 from one block of steps to the next even when ldb puts
    // them all in one or two L1 sets (16 rows at a time, at ldb = 512, overflowed the sets' 8 ways).
    for (int64_t j0 = 0; j0 < full; j0 += kNR) {
      float* panel = dst + j0 * kc;
      for (int half = 0; half < kNR; half += 8) {
        const float* src = b + (j0 + half) * ldb;
        int64_t p = 0;
        for (; p + 8 <= kc; p += 8) {
          __m256 r[8];
          for (int j = 0; j < 8; ++j) r[j] = _mm256_loadu_ps(src + j * ldb + p);
          transpose8x8(r);
          for (int q = 0; q < 8; ++q) _mm256_store_ps(panel + (p + q) * kNR + half, r[q]);
        }
        for (; p < kc; ++p) {
          for (int j = 0; j < 8; ++j) panel[p * kNR + half + j] = src[j * ldb + p];
        }
      }
    }
  }
  if (full < nc) {
    pack_b_panels<kNR>(trans, kc, nc - full, trans ? b + full * ldb : b + full, ldb, dst + full * kc);
  }
}


// Narrow products (NarrowCall): C(i, j) = row i of A . row j of bt, in blocks of 4 rows x C <= 5
// columns. A vector holds 4 steps along k of two rows, one per 128-bit half (rows i, i + 1 in one,
// i + 2, i + 3 in another), multiplied by the same 4 steps of a bt row broadcast to both halves;
// 2 x C such partial sums (10 accumulators, with 4 A vectors and 2 bt vectors for 8 steps at a
// time: 16 registers, none spilled). Lanes 0-3 belong to one row and 4-7 to the next, so the sums
// need no step across the halves at the end, and one reduction serves 4 rows: against blocks of 2
// rows x 5 columns with 8 steps of one row per vector, 3.69 -> 3.45 us for 128x128x10 on Zen 4.
// Every lane is useful, where the 6 x 16 tile spends 6 of 16 lanes on padding for n = 10 or needs
// A transposed into panels first. The last m % 4 rows run in blocks of 2 or 1 rows, 8 steps of one
// row per vector.

// Per-half sums of v[0..4]: lane c < 4 of lo is the sum of v[c]'s low half (lanes 0-3), lane 4 of
// lo the sum of v[4]'s low half; hi likewise for the high halves (lanes 5-7: partial sums, never
// stored). In-lane unpacks and shuffles with adds and one pair of 128-bit moves: the same sums
// through horizontal adds (vhaddps) made a 2 x 5 block's reduction cost about 20 cycles on Zen 4.
inline __attribute__((always_inline)) void half_sums5(const __m256 (&v)[5], __m256* lo, __m256* hi) {
  // Per 128-bit half: u01 = [a0+a2, b0+b2, a1+a3, b1+b3] for a = v[0], b = v[1]; likewise u23.
  const __m256 u01 = _mm256_add_ps(_mm256_unpacklo_ps(v[0], v[1]), _mm256_unpackhi_ps(v[0], v[1]));
  const __m256 u23 = _mm256_add_ps(_mm256_unpacklo_ps(v[2], v[3]), _mm256_unpackhi_ps(v[2], v[3]));
  // Per half: the four sums of v[0..3].
  const __m256 s = _mm256_add_ps(_mm256_shuffle_ps(u01, u23, 0x44), _mm256_shuffle_ps(u01, u23, 0xee));
  // Per half: the sum of v[4] in every lane.
  __m256 e = _mm256_add_ps(v[4], _mm256_permute_ps(v[4], 0x4e));
  e = _mm256_add_ps(e, _mm256_permute_ps(e, 0xb1));
  // Low halves [s | e], high halves [s | e].
  *lo = _mm256_insertf128_ps(s, _mm256_castps256_ps128(e), 1);
  *hi = _mm256_permute2f128_ps(s, e, 0x31);
}

// Stores sums (lane c = C(row, j0 + c), c < C) to row `row` of C as the call's TileStore says.
// C's C-float row pieces go through load_lanes / store_lanes: AMD's masked stores (vmaskmovps) are
// microcoded and cost more than the whole reduction.
template <int C>
inline __attribute__((always_inline)) void store_narrow_row(const NarrowCall& p, int64_t row, int64_t j0,
                                                            __m256 sums, __m256 bias_cols) {
  const TileStore& s = p.st;
  __m256 out = _mm256_mul_ps(sums, _mm256_set1_ps(s.alpha));
  float* crow = p.c + row * p.ldc + j0;
  if (s.beta != 0.0f) out = _mm256_fmadd_ps(_mm256_set1_ps(s.beta), load_lanes(crow, C), out);
  if (s.bias) out = _mm256_add_ps(out, s.bias_per_row ? _mm256_broadcast_ss(s.bias + row) : bias_cols);
  if (s.relu) out = _mm256_max_ps(out, _mm256_setzero_ps());
  store_lanes(crow, out, C);
}

template <int C>
inline __attribute__((always_inline)) __m256 narrow_bias_cols(const NarrowCall& p, int64_t j0) {
  return p.st.bias && !p.st.bias_per_row ? load_lanes(p.st.bias + j0, C) : _mm256_setzero_ps();
}

// Rows [i, i + 4), columns [j0, j0 + C) of C.
template <int C>
inline __attribute__((always_inline)) void narrow_block4(const NarrowCall& p, int64_t i, int64_t j0) {
  __m256 acc[2][C];
#pragma GCC unroll 5
  for (int c = 0; c < C; ++c) acc[0][c] = acc[1][c] = _mm256_setzero_ps();
  const float* a0 = p.a + i * p.lda;
  const float* brow[C];
  for (int c = 0; c < C; ++c) brow[c] = p.bt + (j0 + c) * p.ldbt;
  const int64_t lda = p.lda, k8 = p.k & ~int64_t{7}, k4 = p.k & ~int64_t{3};
  for (int64_t q = 0; q < k8; q += 8) {
    // 8 steps of rows i..i+3 as four vectors: steps q..q+3 of rows i, i + 1 (p0lo), steps q+4..q+7
    // (p0hi), and the same for rows i + 2, i + 3: two full loads and two 128-bit moves per row pair.
    // Four 128-bit loads and two inserts per row pair ran as fast on a quiet core, but lost to the
    // 2-row blocks by up to 10% when the host shared the core; this form did not.
    const __m256 r0 = _mm256_loadu_ps(a0 + q), r1 = _mm256_loadu_ps(a0 + lda + q);
    const __m256 p0lo = _mm256_permute2f128_ps(r0, r1, 0x20), p0hi = _mm256_permute2f128_ps(r0, r1, 0x31);
    const __m256 r2 = _mm256_loadu_ps(a0 + 2 * lda + q), r3 = _mm256_loadu_ps(a0 + 3 * lda + q);
    const __m256 p1lo = _mm256_permute2f128_ps(r2, r3, 0x20), p1hi = _mm256_permute2f128_ps(r2, r3, 0x31);
#pragma GCC unroll 5
    for (int c = 0; c < C; ++c) {
      __m256 blo = _mm256_broadcast_ps(reinterpret_cast<const __m128*>(brow[c] + q));
      __m256 bhi = _mm256_broadcast_ps(reinterpret_cast<const __m128*>(brow[c] + q + 4));
      __asm__("" : "+x"(blo), "+x"(bhi));
      acc[0][c] = _mm256_fmadd_ps(p0lo, blo, acc[0][c]);
      acc[1][c] = _mm256_fmadd_ps(p1lo, blo, acc[1][c]);
      acc[0][c] = _mm256_fmadd_ps(p0hi, bhi, acc[0][c]);
      acc[1][c] = _mm256_fmadd_ps(p1hi, bhi, acc[1][c]);
    }
  }
  for (int64_t q = k8; q < k4; q += 4) {
    // Rows i, i + 1 and rows i + 2, i + 3, 4 steps each.
    const __m256 av0 = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(a0 + q)), _mm_loadu_ps(a0 + lda + q), 1);
    const __m256 av1 =
        _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(a0 + 2 * lda + q)), _mm_loadu_ps(a0 + 3 * lda + q), 1);
#pragma GCC unroll 5
    for (int c = 0; c < C; ++c) {
      __m256 bv = _mm256_broadcast_ps(reinterpret_cast<const __m128*>(brow[c] + q));
      // Keeps bv in a register: GCC otherwise folds the load into each FMA, loading it twice.
      __asm__("" : "+x"(bv));
      acc[0][c] = _mm256_fmadd_ps(av0, bv, acc[0][c]);
      acc[1][c] = _mm256_fmadd_ps(av1, bv, acc[1][c]);
    }
  }
  if (k4 < p.k) {
    // The last k % 4 steps: masked loads read only the rows' own floats (zeros past k on both sides).
    const __m128i mask = _mm256_castsi256_si128(mask_for(static_cast<int>(p.k - k4)));
    const __m256 av0 = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_maskload_ps(a0 + k4, mask)),
                                            _mm_maskload_ps(a0 + lda + k4, mask), 1);
    const __m256 av1 = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_maskload_ps(a0 + 2 * lda + k4, mask)),
                                            _mm_maskload_ps(a0 + 3 * lda + k4, mask), 1);
    for (int c = 0; c < C; ++c) {
      const __m128 b4 = _mm_maskload_ps(brow[c] + k4, mask);
      const __m256 bv = _mm256_insertf128_ps(_mm256_castps128_ps256(b4), b4, 1);
      acc[0][c] = _mm256_fmadd_ps(av0, bv, acc[0][c]);
      acc[1][c] = _mm256_fmadd_ps(av1, bv, acc[1][c]);
    }
  }
  const __m256 bias_cols = narrow_bias_cols<C>(p, j0);
  for (int h = 0; h < 2; ++h) {
    __m256 v[5], lo, hi;
    for (int c = 0; c < 5; ++c) v[c] = c < C ? acc[h][c] : _mm256_setzero_ps();
    half_sums5(v, &lo, &hi);
    store_narrow_row<C>(p, i + 2 * h, j0, lo, bias_cols);
    store_narrow_row<C>(p, i + 2 * h + 1, j0, hi, bias_cols);
  }
}

// Rows r < R (R = 1 or 2) from row i, columns [j0, j0 + C) of C: the rows past the last group of 4,
// 8 steps of k per vector.
template <int R, int C>
inline __attribute__((always_inline)) void narrow_block(const NarrowCall& p, int64_t i, int64_t j0) {
  __m256 acc[R][C];
#pragma GCC unroll 2
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 5
    for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_ps();
  }
  const float* arow[R];
  const float* brow[C];
  for (int r = 0; r < R; ++r) arow[r] = p.a + (i + r) * p.lda;
  for (int c = 0; c < C; ++c) brow[c] = p.bt + (j0 + c) * p.ldbt;
  const int64_t k8 = p.k & ~int64_t{7};
  for (int64_t q = 0; q < k8; q += 8) {
    __m256 av[R];
#pragma GCC unroll 2
    for (int r = 0; r < R; ++r) av[r] = _mm256_loadu_ps(arow[r] + q);
#pragma GCC unroll 5
    for (int c = 0; c < C; ++c) {
      __m256 bv = _mm256_loadu_ps(brow[c] + q);
      __asm__("" : "+x"(bv));  // as in narrow_block4
#pragma GCC unroll 2
      for (int r = 0; r < R; ++r) acc[r][c] = _mm256_fmadd_ps(av[r], bv, acc[r][c]);
    }
  }
  if (k8 < p.k) {
    const __m256i mask = mask_for(static_cast<int>(p.k - k8));
    __m256 av[R];
    for (int r = 0; r < R; ++r) av[r] = _mm256_maskload_ps(arow[r] + k8, mask);
    for (int c = 0; c < C; ++c) {
      const __m256 bv = _mm256_maskload_ps(brow[c] + k8, mask);
      for (int r = 0; r < R; ++r) acc[r][c] = _mm256_fmadd_ps(av[r], bv, acc[r][c]);
    }
  }
  const __m256 bias_cols = narrow_bias_cols<C>(p, j0);
  for (int r = 0; r < R; ++r) {
    __m256 v[5], lo, hi;
    for (int c = 0; c < 5; ++c) v[c] = c < C ? acc[r][c] : _mm256_setzero_ps();
    half_sums5(v, &lo, &hi);
    store_narrow_row<C>(p, i + r, j0, _mm256_add_ps(lo, hi), bias_cols);
  }
}

// n in groups of at most 5 columns, as even as possible (10 = 5 + 5, 12 = 4 + 4 + 4, 7 = 4 + 3).
struct NarrowGroups {
  int count;
  int64_t j0[3];
  int cols[3];
};

NarrowGroups narrow_groups(int64_t n) {
  NarrowGroups g;
  g.count = static_cast<int>((n + 4) / 5);
  for (int t = 0; t < g.count; ++t) {
    g.j0[t] = n * t / g.count;
    g.cols[t] = static_cast<int>(n * (t + 1) / g.count - g.j0[t]);
  }
  return g;
}

template <int R>
void narrow_rows(const NarrowCall& p, const NarrowGroups& g, int64_t i) {
  for (int t = 0; t < g.count; ++t) {
    switch (g.cols[t]) {
#define FG_NARROW_CASE(C)                                  \
  case C:                                                  \
    if constexpr (R == 4) {                                \
      narrow_block4<C>(p, i, g.j0[t]);                     \
    } else {                                               \
      narrow_block<R, C>(p, i, g.j0[t]);                   \
    }                                                      \
    break;
      FG_NARROW_CASE(1)
      FG_NARROW_CASE(2)
      FG_NARROW_CASE(3)
      FG_NARROW_CASE(4)
      FG_NARROW_CASE(5)
#undef FG_NARROW_CASE
    }
  }
}

// 8 x 8 blocks of op(B) through the register transpose; partial blocks read only B's own floats.
void narrow_pack_b__avx2(int64_t k, int64_t n, const float* b, int64_t ldb, float* bt, int64_t ldbt) {
  for (int64_t q = 0; q < k; q += 8) {
    const int rows = k - q < 8 ? static_cast<int>(k - q) : 8;
    for (int64_t j0 = 0; j0 < n; j0 += 8) {
      const int cols = n - j0 < 8 ? static_cast<int>(n - j0) : 8;
      __m256 r[8];
      for (int t = 0; t < 8; ++t) r[t] = t < rows ? load_lanes(b + (q + t) * ldb + j0, cols) : _mm256_setzero_ps();
      transpose8x8(r);
      for (int t = 0; t < cols; ++t) _mm256_storeu_ps(bt + (j0 + t) * ldbt + q, r[t]);
    }
  }
}

void narrow_dot__avx2_fma(const NarrowCall& p, int64_t i0, int64_t i1) {
  const NarrowGroups g = narrow_groups(p.n);
  int64_t i = i0;
  for (; i + 4 <= i1; i += 4) narrow_rows<4>(p, g, i);
  if (i + 2 <= i1) {
    narrow_rows<2>(p, g, i);
    i += 2;
  }
  if (i < i1) narrow_rows<1>(p, g, i);
}

}  // namespace

const SgemmKernels& sgemm_kernels_avx2() {
  // Zen 2/3: 32 KiB L1d holds a 16 x kc B micro-panel (17 KiB at kc = 272) plus streaming A; 512 KiB
  // L2 holds the mc x kc A block (153 KiB); L3 holds the kc x nc B block (4 MiB). kc = 272 rather
  // than 256 runs k = 784 (MNIST's input) as 3 depth blocks, not 4, at the same 256 for k = 512..2048.
  static const SgemmKernels k = {"sgemm_ukernel_6x16__avx2_fma", kMR, kNR, /*kc=*/272, /*mc=*/144, /*nc=*/4080,
                                 sgemm_ukernel_6x16__avx2_fma, pack_a_6__avx2, pack_b_16__avx2,
                                 sgemm_ukernel_6x16__avx2_fma_direct_a, kMREdge, sgemm_ukernel_4x16__avx2_fma,
                                 pack_a_panels<kMREdge>, /*narrow_n=*/12, sgemm_ukernel_6x16__avx2_fma_pack_b,
                                 narrow_dot__avx2_fma, narrow_pack_b__avx2};
  return k;
}

}  // namespace fastgrad::gemm
