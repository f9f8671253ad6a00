// Linear layer, forward as ONE SGEMM call with the bias and ReLU in its epilogue, backward as the
// ReLU mask and bias gradient in one pass over dY followed by two SGEMMs (dW = dY^T X, and
// dX = dY W only when the input needs a gradient).
#include <algorithm>
#include <vector>

#include "kernels/nn/nn.h"

#if __has_include("kernels/gemm/sgemm.h")
#include "kernels/gemm/sgemm.h"
#define FASTGRAD_NN_HAVE_SGEMM 1
#endif

namespace fastgrad::nn {
namespace {

#if defined(FASTGRAD_NN_HAVE_SGEMM)
void gemm(bool ta, bool tb, size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
          float beta, float* c, size_t ldc, const GemmEpilogue* ep) {
  fastgrad::sgemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc, ep);
}
#else
// Stand-in until the blocked SGEMM lands (kernels/gemm/sgemm.h): row-major C = op(A) op(B) + beta C.
void gemm(bool ta, bool tb, size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
          float beta, float* c, size_t ldc) {
  std::vector<float> acc(n);
  for (size_t i = 0; i < m; i++) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (size_t p = 0; p < k; p++) {
      const float av = ta ? a[p * lda + i] : a[i * lda + p];
      if (tb) {
        for (size_t j = 0; j < n; j++) acc[j] += av * b[j * ldb + p];
      } else {
        const float* br = b + p * ldb;
        for (size_t j = 0; j < n; j++) acc[j] += av * br[j];
      }
    }
    float* cr = c + i * ldc;
    for (size_t j = 0; j < n; j++) cr[j] = beta == 0.0f ? acc[j] : acc[j] + beta * cr[j];
  }
}
#endif

// Scratch for the masked dY, reused across calls (one per JS thread).
thread_local std::vector<float> masked_dy;

}  // namespace

void linear_forward(const float* x, const float* w, const float* b, float* y, size_t m, size_t n, size_t k, bool relu) {
#if defined(FASTGRAD_NN_HAVE_SGEMM)
  GemmEpilogue ep;
  ep.bias = b;
  ep.bias_per_row = false;
  ep.act = relu ? Activation::kRelu : Activation::kNone;
  gemm(false, true, m, n, k, x, k, w, k, 0.0f, y, n, &ep);
#else
  gemm(false, true, m, n, k, x, k, w, k, 0.0f, y, n);
  if (b || relu) {
    for (size_t i = 0; i < m; i++) {
      float* yr = y + i * n;
      for (size_t j = 0; j < n; j++) {
        float v = b ? yr[j] + b[j] : yr[j];
        yr[j] = relu && !(v > 0.0f) ? 0.0f : v;
      }
    }
  }
#endif
}

void linear_backward(const float* x, const float* w, const float* y, const float* dy, size_t m, size_t n, size_t k,
                     bool relu, float* dx, float* dw, float* db, bool accumulate) {
  const float* g = dy;
  if (relu || db) {
    // One pass over dY: the ReLU mask (into scratch) and the column sums for db.
    float* gm = nullptr;
    if (relu) {
      masked_dy.resize(m * n);
      gm = masked_dy.data();
      g = gm;
    }
    std::vector<float> col(db ? n : 0, 0.0f);
    for (size_t i = 0; i < m; i++) {
      const float* dr = dy + i * n;
      if (relu) {
        const float* yr = y + i * n;
        float* gr = gm + i * n;
        for (size_t j = 0; j < n; j++) gr[j] = yr[j] > 0.0f ? dr[j] : 0.0f;
        dr = gr;
      }
      if (db) {
        for (size_t j = 0; j < n; j++) col[j] += dr[j];
      }
    }
    if (db) {
      for (size_t j = 0; j < n; j++) db[j] = accumulate ? db[j] + col[j] : col[j];
    }
  }
#if defined(FASTGRAD_NN_HAVE_SGEMM)
  if (dw) gemm(true, false, n, k, m, g, n, x, k, accumulate ? 1.0f : 0.0f, dw, k, nullptr);
  if (dx) gemm(false, false, m, k, n, g, n, w, k, 0.0f, dx, k, nullptr);
#else
  if (dw) gemm(true, false, n, k, m, g, n, x, k, accumulate ? 1.0f : 0.0f, dw, k);
  if (dx) gemm(false, false, m, k, n, g, n, w, k, 0.0f, dx, k);
#endif
}

}  // namespace fastgrad::nn
