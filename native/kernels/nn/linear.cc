// Linear layer, forward as ONE SGEMM call with the bias and ReLU in its epilogue, backward as the
// ReLU mask and bias gradient in one pass over dY followed by two SGEMMs (dW = dY^T X, and
// dX = dY W only when the input needs a gradient).
#include <vector>

#include "kernels/gemm/sgemm.h"
#include "kernels/nn/nn.h"

namespace fastgrad::nn {
namespace {

void gemm(bool ta, bool tb, size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
          float beta, float* c, size_t ldc, const GemmEpilogue* ep) {
  fastgrad::sgemm(ta, tb, static_cast<int64_t>(m), static_cast<int64_t>(n), static_cast<int64_t>(k), 1.0f, a,
                  static_cast<int64_t>(lda), b, static_cast<int64_t>(ldb), beta, c, static_cast<int64_t>(ldc), ep);
}

// Scratch for the masked dY and the bias column sums, reused across calls (one per JS thread): the
// training loop calls this every batch and should not allocate.
thread_local std::vector<float> masked_dy;
thread_local std::vector<float> column_sums;

// g = dy where y > 0, else 0, and col += g. Branch-free on non-aliasing rows, so it vectorises: a
// ReLU's sign pattern is random, and a branch per element would mispredict half the time.
void mask_row(const float* __restrict y, const float* __restrict dy, float* __restrict g, float* __restrict col,
              size_t n) {
  if (col) {
    for (size_t j = 0; j < n; j++) {
      const float d = dy[j];  // loaded unconditionally, so the select if-converts
      const float v = y[j] > 0.0f ? d : 0.0f;
      g[j] = v;
      col[j] += v;
    }
  } else {
    for (size_t j = 0; j < n; j++) {
      const float d = dy[j];
      g[j] = y[j] > 0.0f ? d : 0.0f;
    }
  }
}

void add_row(const float* __restrict dy, float* __restrict col, size_t n) {
  for (size_t j = 0; j < n; j++) col[j] += dy[j];
}

}  // namespace

void linear_forward(const float* x, const float* w, const float* b, float* y, size_t m, size_t n, size_t k, bool relu) {
  GemmEpilogue ep;
  ep.bias = b;
  ep.bias_per_row = false;
  ep.act = relu ? Activation::kRelu : Activation::kNone;
  gemm(false, true, m, n, k, x, k, w, k, 0.0f, y, n, &ep);
}

void linear_backward(const float* x, const float* w, const float* y, const float* dy, size_t m, size_t n, size_t k,
                     bool relu, float* dx, float* dw, float* db, bool accumulate) {
  const float* g = dy;
  float* col = nullptr;
  if (db) {
    column_sums.assign(n, 0.0f);
    col = column_sums.data();
  }
  if (relu) {
    masked_dy.resize(m * n);
    float* gm = masked_dy.data();
    for (size_t i = 0; i < m; i++) mask_row(y + i * n, dy + i * n, gm + i * n, col, n);
    g = gm;
  } else if (db) {
    for (size_t i = 0; i < m; i++) add_row(dy + i * n, col, n);
  }
  if (db) {
    for (size_t j = 0; j < n; j++) db[j] = accumulate ? db[j] + col[j] : col[j];
  }
  if (dw) gemm(true, false, n, k, m, g, n, x, k, accumulate ? 1.0f : 0.0f, dw, k, nullptr);
  if (dx) gemm(false, false, m, k, n, g, n, w, k, 0.0f, dx, k, nullptr);
}

}  // namespace fastgrad::nn
