// Until native/kernels/gemm/sgemm.h lands: the same API as a plain loop, so conv builds and tests.
#pragma once

#include <cstdint>

#if __has_include("kernels/gemm/sgemm.h")
#include "kernels/gemm/sgemm.h"
#else
namespace fastgrad {
enum class Activation { kNone, kRelu };
struct GemmEpilogue {
  const float* bias = nullptr;
  bool bias_per_row = false;
  Activation act = Activation::kNone;
};
inline void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                  const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const GemmEpilogue* ep = nullptr) {
  for (int64_t i = 0; i < m; ++i) {
    float* ci = c + i * ldc;
    for (int64_t j = 0; j < n; ++j) ci[j] = beta == 0.f ? 0.f : beta * ci[j];
    for (int64_t p = 0; p < k; ++p) {
      const float av = alpha * (trans_a ? a[p * lda + i] : a[i * lda + p]);
      if (trans_b) {
        for (int64_t j = 0; j < n; ++j) ci[j] += av * b[j * ldb + p];
      } else {
        const float* bp = b + p * ldb;
        for (int64_t j = 0; j < n; ++j) ci[j] += av * bp[j];
      }
    }
    if (ep) {
      for (int64_t j = 0; j < n; ++j) {
        float v = ci[j];
        if (ep->bias) v += ep->bias_per_row ? ep->bias[i] : ep->bias[j];
        if (ep->act == Activation::kRelu && !(v > 0.f)) v = 0.f;
        ci[j] = v;
      }
    }
  }
}
}  // namespace fastgrad
#endif
