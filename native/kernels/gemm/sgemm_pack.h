// Portable packing loops, instantiated for each ISA's MR/NR in that ISA's own translation unit (the
// compiler vectorises them with that file's flags). Everything here is in an anonymous namespace on
// purpose: a shared inline function compiled with AVX flags in one file and picked by the linker
// for another would run AVX instructions on a CPU without them.
#pragma once

#include <cstdint>
#include <cstring>

namespace fastgrad::gemm {
namespace {

template <int MR>
void pack_a_panels(bool trans, int64_t mc, int64_t kc, const float* a, int64_t lda, float* __restrict dst) {
  for (int64_t i0 = 0; i0 < mc; i0 += MR, dst += MR * kc) {
    const int rows = mc - i0 < MR ? static_cast<int>(mc - i0) : MR;
    if (trans) {
      // op(A)(i, p) = a[p * lda + i]: each step p is a contiguous run of `rows` values.
      const float* src = a + i0;
      for (int64_t p = 0; p < kc; ++p, src += lda) {
        float* d = dst + p * MR;
        if (rows == MR) {
          for (int r = 0; r < MR; ++r) d[r] = src[r];
        } else {
          for (int r = 0; r < rows; ++r) d[r] = src[r];
          for (int r = rows; r < MR; ++r) d[r] = 0.0f;
        }
      }
    } else {
      // op(A)(i, p) = a[i * lda + p]: interleave MR rows.
      const float* src = a + i0 * lda;
      if (rows == MR) {
        for (int64_t p = 0; p < kc; ++p) {
          for (int r = 0; r < MR; ++r) dst[p * MR + r] = src[r * lda + p];
        }
      } else {
        for (int64_t p = 0; p < kc; ++p) {
          for (int r = 0; r < rows; ++r) dst[p * MR + r] = src[r * lda + p];
          for (int r = rows; r < MR; ++r) dst[p * MR + r] = 0.0f;
        }
      }
    }
  }
}

template <int NR>
void pack_b_panels(bool trans, int64_t kc, int64_t nc, const float* b, int64_t ldb, float* __restrict dst) {
  for (int64_t j0 = 0; j0 < nc; j0 += NR, dst += NR * kc) {
    const int cols = nc - j0 < NR ? static_cast<int>(nc - j0) : NR;
    if (!trans) {
      // op(B)(p, j) = b[p * ldb + j]: each step p copies a contiguous run of `cols` values.
      const float* src = b + j0;
      for (int64_t p = 0; p < kc; ++p, src += ldb) {
        float* d = dst + p * NR;
        if (cols == NR) {
          for (int c = 0; c < NR; ++c) d[c] = src[c];
        } else {
          for (int c = 0; c < cols; ++c) d[c] = src[c];
          for (int c = cols; c < NR; ++c) d[c] = 0.0f;
        }
      }
    } else {
      // op(B)(p, j) = b[j * ldb + p]: interleave NR rows of the stored matrix.
      const float* src = b + j0 * ldb;
      if (cols == NR) {
        for (int64_t p = 0; p < kc; ++p) {
          for (int c = 0; c < NR; ++c) dst[p * NR + c] = src[c * ldb + p];
        }
      } else {
        for (int64_t p = 0; p < kc; ++p) {
          for (int c = 0; c < cols; ++c) dst[p * NR + c] = src[c * ldb + p];
          for (int c = cols; c < NR; ++c) dst[p * NR + c] = 0.0f;
        }
      }
    }
  }
}

}  // namespace
}  // namespace fastgrad::gemm
