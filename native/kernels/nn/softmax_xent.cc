// Softmax cross-entropy, forward and backward in one pass per row: log-sum-exp with the row maximum
// subtracted (stable for any logits), the row's loss, and (softmax - target) * scale as the logits'
// gradient. Rows are independent, so large batches split across the pool.
#include <cmath>

#include "common/thread_pool.h"
#include "kernels/nn/nn.h"

namespace fastgrad::nn {
namespace {

// Returns false when the row's label is not a class id.
bool xent_row(const float* x, const float* label, const float* t, size_t c, float* loss, float* g, float scale) {
  float m = -INFINITY;
  for (size_t j = 0; j < c; j++) m = x[j] > m ? x[j] : m;
  if (m == -INFINITY) m = 0.0f;
  double s = 0.0;
  for (size_t j = 0; j < c; j++) s += std::exp(static_cast<double>(x[j]) - m);
  const double lse = m + std::log(s);
  if (label) {
    const float y = *label;
    // Integral and in range; NaN fails both comparisons.
    if (!(y >= 0.0f && y < static_cast<float>(c)) || y != std::floor(y)) return false;
    const size_t yi = static_cast<size_t>(y);
    *loss = static_cast<float>(lse - x[yi]);
    if (g) {
      for (size_t j = 0; j < c; j++) g[j] = static_cast<float>(std::exp(x[j] - lse) * scale);
      g[yi] = static_cast<float>(static_cast<double>(g[yi]) - scale);
    }
  } else {
    double tsum = 0.0, l = 0.0;
    for (size_t j = 0; j < c; j++) {
      tsum += t[j];
      l += static_cast<double>(t[j]) * (lse - x[j]);
    }
    *loss = static_cast<float>(l);
    if (g) {
      for (size_t j = 0; j < c; j++) g[j] = static_cast<float>((std::exp(x[j] - lse) * tsum - t[j]) * scale);
    }
  }
  return true;
}

}  // namespace

int64_t softmax_cross_entropy(const float* logits, const float* labels, const float* targets, size_t n, size_t c,
                              float* losses, float* grad, float grad_scale) {
  // Validate labels first, so a bad batch is reported before any thread writes.
  if (labels) {
    for (size_t i = 0; i < n; i++) {
      const float y = labels[i];
      if (!(y >= 0.0f && y < static_cast<float>(c)) || y != std::floor(y)) return static_cast<int64_t>(i);
    }
  }
  const size_t grain = c >= 4096 ? 1 : (4096 + c - 1) / c;  // about 4K logits per task at least
  parallel_range(n, grain, 1, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; i++) {
      xent_row(logits + i * c, labels ? labels + i : nullptr, targets ? targets + i * c : nullptr, c, losses + i,
               grad ? grad + i * c : nullptr, grad_scale);
    }
  });
  return -1;
}

}  // namespace fastgrad::nn
