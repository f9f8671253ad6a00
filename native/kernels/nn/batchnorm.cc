// Batch normalisation over x [n, c, inner] per channel (BatchNorm1d: inner = 1 or L; BatchNorm2d:
// inner = H*W). Statistics in double, two passes (mean, then centred squares) for accuracy; the
// normalisation itself is one per-channel affine y = x * a + b (the per-ISA kernel).
#include <cmath>
#include <vector>

#include "kernels/nn/nn.h"

namespace fastgrad::nn {
namespace {

// Per-channel sums of x (and of (x - mean)^2 when mean is given), laid out [n, c, inner].
void channel_sums(const float* x, size_t n, size_t c, size_t inner, const double* mean, double* out) {
  for (size_t ch = 0; ch < c; ch++) out[ch] = 0.0;
  for (size_t i = 0; i < n; i++) {
    for (size_t ch = 0; ch < c; ch++) {
      const float* xs = x + (i * c + ch) * inner;
      double s = 0.0;
      if (mean) {
        const double m = mean[ch];
        for (size_t j = 0; j < inner; j++) {
          const double d = xs[j] - m;
          s += d * d;
        }
      } else {
        for (size_t j = 0; j < inner; j++) s += xs[j];
      }
      out[ch] += s;
    }
  }
}

}  // namespace

void batch_norm_forward(const float* x, const float* gamma, const float* beta, float* run_mean, float* run_var,
                        float* y, float* save_mean, float* save_inv_std, size_t n, size_t c, size_t inner, double eps,
                        double momentum, bool training) {
  const size_t count = n * inner;
  std::vector<double> mean(c), var(c);
  std::vector<float> a(c), b(c);
  if (training) {
    channel_sums(x, n, c, inner, nullptr, mean.data());
    for (size_t ch = 0; ch < c; ch++) mean[ch] /= static_cast<double>(count);
    channel_sums(x, n, c, inner, mean.data(), var.data());
  }
  for (size_t ch = 0; ch < c; ch++) {
    double m, inv_std;
    if (training) {
      m = mean[ch];
      const double var_b = var[ch] / static_cast<double>(count);
      inv_std = 1.0 / std::sqrt(var_b + eps);
      if (run_mean) run_mean[ch] = static_cast<float>((1.0 - momentum) * run_mean[ch] + momentum * m);
      if (run_var) {
        const double unbiased = count > 1 ? var[ch] / static_cast<double>(count - 1) : var_b;
        run_var[ch] = static_cast<float>((1.0 - momentum) * run_var[ch] + momentum * unbiased);
      }
    } else {
      m = run_mean ? run_mean[ch] : 0.0;
      inv_std = 1.0 / std::sqrt((run_var ? static_cast<double>(run_var[ch]) : 1.0) + eps);
    }
    save_mean[ch] = static_cast<float>(m);
    save_inv_std[ch] = static_cast<float>(inv_std);
    const double g = gamma ? gamma[ch] : 1.0, bt = beta ? beta[ch] : 0.0;
    a[ch] = static_cast<float>(g * inv_std);
    b[ch] = static_cast<float>(bt - m * g * inv_std);
  }
  nn_kernels().channel_affine(x, y, n, c, inner, a.data(), b.data());
}

void batch_norm_backward(const float* x, const float* gamma, const float* save_mean, const float* save_inv_std,
                         const float* dy, float* dx, float* dgamma, float* dbeta, size_t n, size_t c, size_t inner,
                         bool training) {
  const size_t count = n * inner;
  std::vector<double> sdy(c, 0.0), sdyx(c, 0.0);
  for (size_t i = 0; i < n; i++) {
    for (size_t ch = 0; ch < c; ch++) {
      const size_t o = (i * c + ch) * inner;
      const double m = save_mean[ch];
      double s1 = 0.0, s2 = 0.0;
      for (size_t j = 0; j < inner; j++) {
        s1 += dy[o + j];
        s2 += static_cast<double>(dy[o + j]) * (x[o + j] - m);
      }
      sdy[ch] += s1;
      sdyx[ch] += s2;
    }
  }
  for (size_t ch = 0; ch < c; ch++) {
    if (dgamma) dgamma[ch] = static_cast<float>(sdyx[ch] * save_inv_std[ch]);
    if (dbeta) dbeta[ch] = static_cast<float>(sdy[ch]);
  }
  if (!dx) return;
  for (size_t i = 0; i < n; i++) {
    for (size_t ch = 0; ch < c; ch++) {
      const size_t o = (i * c + ch) * inner;
      const double inv_std = save_inv_std[ch], m = save_mean[ch];
      const double g = gamma ? gamma[ch] : 1.0;
      if (training) {
        // dx = gamma * inv_std / N * (N dy - sum(dy) - xhat * sum(dy * xhat)).
        const double k = g * inv_std / static_cast<double>(count);
        const double sxh = sdyx[ch] * inv_std;
        for (size_t j = 0; j < inner; j++) {
          const double xhat = (x[o + j] - m) * inv_std;
          dx[o + j] = static_cast<float>(k * (static_cast<double>(count) * dy[o + j] - sdy[ch] - xhat * sxh));
        }
      } else {
        const float k = static_cast<float>(g * inv_std);
        for (size_t j = 0; j < inner; j++) dx[o + j] = dy[o + j] * k;
      }
    }
  }
}

}  // namespace fastgrad::nn
