#include "kernels/conv/batchnorm2d.h"

#include <cmath>

#include "common/thread_pool.h"

namespace fastgrad {
namespace {

// Channels per task such that each task has enough elements to be worth a thread.
size_t channel_grain(int64_t per_channel) {
  int64_t g = per_channel > 0 ? (32768 + per_channel - 1) / per_channel : 1;
  return static_cast<size_t>(g < 1 ? 1 : g);
}

// y[i] = x[i] * scale + shift (then ReLU) over one plane.
inline void affine_plane(const float* x, float* y, int64_t hw, float scale, float shift, bool relu) {
  if (relu) {
    for (int64_t i = 0; i < hw; ++i) {
      const float v = x[i] * scale + shift;
      y[i] = v > 0.f ? v : 0.f;
    }
  } else {
    for (int64_t i = 0; i < hw; ++i) y[i] = x[i] * scale + shift;
  }
}

}  // namespace

void batch_norm2d_forward_train(int64_t n, int64_t c, int64_t hw, const float* x, const float* gamma, const float* beta,
                                float eps, float momentum, bool relu, float* y, float* save_mean, float* save_invstd,
                                float* running_mean, float* running_var) {
  const int64_t m = n * hw;
  parallel_range(static_cast<size_t>(c), channel_grain(m), 1, [&](size_t b, size_t e) {
    for (size_t cu = b; cu < e; ++cu) {
      const int64_t ch = static_cast<int64_t>(cu);
      // Sums of (x - shift) and its square, shifted by the channel's first value so that a large
      // mean does not cancel the variance away; float per plane, double across planes.
      const float shift = m > 0 ? x[ch * hw] : 0.f;
      double s1 = 0, s2 = 0;
      for (int64_t img = 0; img < n; ++img) {
        const float* p = x + (img * c + ch) * hw;
        float a1[8] = {0, 0, 0, 0, 0, 0, 0, 0}, a2[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t i = 0;
        for (; i + 8 <= hw; i += 8) {
          for (int j = 0; j < 8; ++j) {
            const float d = p[i + j] - shift;
            a1[j] += d;
            a2[j] += d * d;
          }
        }
        float t1 = 0.f, t2 = 0.f;
        for (; i < hw; ++i) {
          const float d = p[i] - shift;
          t1 += d;
          t2 += d * d;
        }
        for (int j = 0; j < 8; ++j) {
          t1 += a1[j];
          t2 += a2[j];
        }
        s1 += t1;
        s2 += t2;
      }
      const double mean_shifted = s1 / static_cast<double>(m);
      double var = s2 / static_cast<double>(m) - mean_shifted * mean_shifted;
      if (var < 0) var = 0;
      const double mean = mean_shifted + shift;
      const float invstd = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(eps)));
      save_mean[ch] = static_cast<float>(mean);
      save_invstd[ch] = invstd;
      if (running_mean) running_mean[ch] = (1.f - momentum) * running_mean[ch] + momentum * static_cast<float>(mean);
      if (running_var) {
        const double unbiased = m > 1 ? var * static_cast<double>(m) / static_cast<double>(m - 1) : var;
        running_var[ch] = (1.f - momentum) * running_var[ch] + momentum * static_cast<float>(unbiased);
      }
      const float scale = (gamma ? gamma[ch] : 1.f) * invstd;
      const float sh = (beta ? beta[ch] : 0.f) - static_cast<float>(mean) * scale;
      for (int64_t img = 0; img < n; ++img) {
        const int64_t off = (img * c + ch) * hw;
        affine_plane(x + off, y + off, hw, scale, sh, relu);
      }
    }
  });
}

void batch_norm2d_forward_eval(int64_t n, int64_t c, int64_t hw, const float* x, const float* gamma, const float* beta,
                               const float* running_mean, const float* running_var, float eps, bool relu, float* y) {
  parallel_range(static_cast<size_t>(c), channel_grain(n * hw), 1, [&](size_t b, size_t e) {
    for (size_t cu = b; cu < e; ++cu) {
      const int64_t ch = static_cast<int64_t>(cu);
      const float invstd = 1.f / std::sqrt(running_var[ch] + eps);
      const float scale = (gamma ? gamma[ch] : 1.f) * invstd;
      const float sh = (beta ? beta[ch] : 0.f) - running_mean[ch] * scale;
      for (int64_t img = 0; img < n; ++img) {
        const int64_t off = (img * c + ch) * hw;
        affine_plane(x + off, y + off, hw, scale, sh, relu);
      }
    }
  });
}

void batch_norm2d_backward(int64_t n, int64_t c, int64_t hw, const float* x, const float* dy, const float* y,
                           const float* gamma, const float* save_mean, const float* save_invstd, float* dx, float* dgamma,
                           float* dbeta) {
  const int64_t m = n * hw;
  parallel_range(static_cast<size_t>(c), channel_grain(m), 1, [&](size_t b, size_t e) {
    for (size_t cu = b; cu < e; ++cu) {
      const int64_t ch = static_cast<int64_t>(cu);
      const float mean = save_mean[ch], invstd = save_invstd[ch];
      // sum_dy = sum(dy), sum_dyx = sum(dy * (x - mean)), with dy masked by the ReLU when fused.
      double sum_dy = 0, sum_dyx = 0;
      for (int64_t img = 0; img < n; ++img) {
        const int64_t off = (img * c + ch) * hw;
        const float* xp = x + off;
        const float* gp = dy + off;
        float a1[8] = {0, 0, 0, 0, 0, 0, 0, 0}, a2[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        float t1 = 0.f, t2 = 0.f;
        int64_t i = 0;
        if (y) {
          const float* yp = y + off;
          for (; i + 8 <= hw; i += 8) {
            for (int j = 0; j < 8; ++j) {
              const float g = yp[i + j] > 0.f ? gp[i + j] : 0.f;
              a1[j] += g;
              a2[j] += g * (xp[i + j] - mean);
            }
          }
          for (; i < hw; ++i) {
            const float g = yp[i] > 0.f ? gp[i] : 0.f;
            t1 += g;
            t2 += g * (xp[i] - mean);
          }
        } else {
          for (; i + 8 <= hw; i += 8) {
            for (int j = 0; j < 8; ++j) {
              a1[j] += gp[i + j];
              a2[j] += gp[i + j] * (xp[i + j] - mean);
            }
          }
          for (; i < hw; ++i) {
            t1 += gp[i];
            t2 += gp[i] * (xp[i] - mean);
          }
        }
        for (int j = 0; j < 8; ++j) {
          t1 += a1[j];
          t2 += a2[j];
        }
        sum_dy += t1;
        sum_dyx += t2;
      }
      if (dgamma) dgamma[ch] = static_cast<float>(sum_dyx * invstd);
      if (dbeta) dbeta[ch] = static_cast<float>(sum_dy);
      // dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat))
      const float scale = (gamma ? gamma[ch] : 1.f) * invstd;
      const float mdy = static_cast<float>(sum_dy / static_cast<double>(m));
      const float k = static_cast<float>(sum_dyx / static_cast<double>(m)) * invstd * invstd;
      for (int64_t img = 0; img < n; ++img) {
        const int64_t off = (img * c + ch) * hw;
        const float* xp = x + off;
        const float* gp = dy + off;
        float* dp = dx + off;
        if (y) {
          const float* yp = y + off;
          for (int64_t i = 0; i < hw; ++i) {
            const float g = yp[i] > 0.f ? gp[i] : 0.f;
            dp[i] = scale * (g - mdy - (xp[i] - mean) * k);
          }
        } else {
          for (int64_t i = 0; i < hw; ++i) dp[i] = scale * (gp[i] - mdy - (xp[i] - mean) * k);
        }
      }
    }
  });
}

}  // namespace fastgrad
