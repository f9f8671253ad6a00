// Softmax cross-entropy, forward and backward in one pass per row: log-sum-exp with the row maximum
// subtracted (stable for any logits), the row's loss, and (softmax - target) * scale as the logits'
// gradient. Rows are independent, so large batches split across the pool.
#include <cmath>
#include <vector>

#include "common/thread_pool.h"
#include "kernels/nn/nn.h"

namespace fastgrad::nn {
namespace {

// One row: the maximum, then ONE exp pass (float expf; the exponentials are kept in the gradient row
// or in `tmp` when no gradient is wanted), then the loss and the normalised gradient.
void xent_row(const float* x, const float* label, const float* t, size_t c, float* loss, float* g, float* tmp,
              float scale) {
  float m = -INFINITY;
  for (size_t j = 0; j < c; j++) m = x[j] > m ? x[j] : m;
  if (m == -INFINITY) m = 0.0f;
  float* e = g ? g : tmp;
  float s = 0.0f;
  for (size_t j = 0; j < c; j++) {
    e[j] = std::exp(x[j] - m);
    s += e[j];
  }
  const float log_s = std::log(s);
  const float inv_s = 1.0f / s;
  if (label) {
    const size_t yi = static_cast<size_t>(*label);
    *loss = (m - x[yi]) + log_s;
    if (g) {
      const float k = inv_s * scale;
      for (size_t j = 0; j < c; j++) g[j] = e[j] * k;
      g[yi] -= scale;
    }
  } else {
    float tsum = 0.0f, l = 0.0f;
    for (size_t j = 0; j < c; j++) {
      tsum += t[j];
      l += t[j] * ((m - x[j]) + log_s);
    }
    *loss = l;
    if (g) {
      const float k = inv_s * tsum;
      for (size_t j = 0; j < c; j++) g[j] = (e[j] * k - t[j]) * scale;
    }
  }
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
    std::vector<float> tmp(grad ? 0 : c);
    for (size_t i = b; i < e; i++) {
      xent_row(logits + i * c, labels ? labels + i : nullptr, targets ? targets + i * c : nullptr, c, losses + i,
               grad ? grad + i * c : nullptr, tmp.data(), grad_scale);
    }
  });
  return -1;
}

}  // namespace fastgrad::nn
