// The BatchNorm2d kernels' bodies, written once over GCC vector extensions and compiled per ISA:
// batchnorm2d.cc (baseline: two SSE registers per vector) and batchnorm2d__avx2.cc (one AVX
// register). Included only inside an anonymous namespace, so each ISA's copy stays private to its
// file. The loops are memory-bound; the vectors keep the per-element work (masking by the ReLU,
// the two sums) branch-free.
//
// Every pass walks the activation image by image, channel by channel: the order it lies in memory
// (NCHW), so the hardware prefetcher streams it. (Channel by channel across images reads one short
// plane, then jumps a whole image ahead: a dozen cache lines per jump at conv2's size, which
// leaves the loop waiting on memory latency.) Per-channel sums are accumulated per task of whole
// images and added up after, in a fixed order: the task split depends on the sizes only, not on
// the thread count, so results are the same on any number of threads.
// The including file includes <cmath>, <cstdint>, <cstring>, <vector> and common/thread_pool.h first.

#include "common/vec8.h"

// The pooling window of the fused BatchNorm2d + ReLU + MaxPool2d kernels.
using PoolGeom = fastgrad::BnPoolGeom;

// The image-major task split: tasks of whole images, each at least ~64K elements, at most 32 (enough
// to balance two to sixteen threads).
inline int64_t image_tasks(int64_t n, int64_t per_image) {
  int64_t t = n * per_image / 65536;
  if (t > 32) t = 32;
  if (t > n) t = n;
  return t < 1 ? 1 : t;
}

// Runs fn(img, task) for every image, tasks of contiguous images spread over the pool.
template <typename F>
void for_images(int64_t n, int64_t tasks, const F& fn) {
  auto run = [&](int t) {
    for (int64_t img = n * t / tasks; img < n * (t + 1) / tasks; ++img) fn(img, t);
  };
  if (tasks <= 1) {
    run(0);
    return;
  }
  fastgrad::parallel_for(static_cast<int>(tasks), run);
}

// Per-channel sums of kWidth terms over every plane: plane(img, ch, acc) adds one plane's terms to
// acc[0 .. kWidth); out[ch * kWidth + k] receives the totals.
template <int kWidth, typename F>
void channel_sums(int64_t n, int64_t c, int64_t hw, const F& plane, double* out) {
  const int64_t tasks = image_tasks(n, c * hw);
  std::vector<double> partial(static_cast<size_t>(tasks * c * kWidth), 0.0);
  for_images(n, tasks, [&](int64_t img, int t) {
    double* acc = partial.data() + t * c * kWidth;
    for (int64_t ch = 0; ch < c; ++ch) plane(img, ch, acc + ch * kWidth);
  });
  for (int64_t i = 0; i < c * kWidth; ++i) {
    double total = 0;
    for (int64_t t = 0; t < tasks; ++t) total += partial[static_cast<size_t>(t * c * kWidth + i)];
    out[i] = total;
  }
}

// y = x * scale + shift (then ReLU) over one plane.
inline void affine_plane(const float* x, float* y, int64_t hw, float scale, float shift, bool relu) {
  const v8f vs = splat8(scale), vb = splat8(shift);
  int64_t i = 0;
  if (relu) {
    for (; i + 8 <= hw; i += 8) store8(y + i, relu8(load8(x + i) * vs + vb));
    for (; i < hw; ++i) {
      const float v = x[i] * scale + shift;
      y[i] = v > 0.f ? v : 0.f;
    }
  } else {
    for (; i + 8 <= hw; i += 8) store8(y + i, load8(x + i) * vs + vb);
    for (; i < hw; ++i) y[i] = x[i] * scale + shift;
  }
}

// One channel's saved statistics (mean, 1 / sqrt(var + eps)), its running statistics moved by momentum
// (unbiased variance, as PyTorch), and the affine map y = x * scale + shift that normalises it (with
// gamma and beta), from the batch mean and biased variance over m values (a variance below 0 from
// rounding counts as 0).
inline void finish_channel_stats(int64_t ch, int64_t m, double mean, double var, const float* gamma, const float* beta,
                                 float eps, float momentum, float* save_mean, float* save_invstd, float* running_mean,
                                 float* running_var, float* scale, float* shift) {
  if (var < 0) var = 0;
  const float invstd = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(eps)));
  save_mean[ch] = static_cast<float>(mean);
  save_invstd[ch] = invstd;
  if (running_mean) running_mean[ch] = (1.f - momentum) * running_mean[ch] + momentum * static_cast<float>(mean);
  if (running_var) {
    const double unbiased = m > 1 ? var * static_cast<double>(m) / static_cast<double>(m - 1) : var;
    running_var[ch] = (1.f - momentum) * running_var[ch] + momentum * static_cast<float>(unbiased);
  }
  scale[ch] = (gamma ? gamma[ch] : 1.f) * invstd;
  shift[ch] = (beta ? beta[ch] : 0.f) - static_cast<float>(mean) * scale[ch];
}

// The batch statistics of every channel, the running statistics updated, and the affine map
// y = x * scale[ch] + shift[ch] that normalises (with gamma and beta).
void batch_stats(int64_t n, int64_t c, int64_t hw, const float* x, const float* gamma, const float* beta, float eps,
                 float momentum, float* save_mean, float* save_invstd, float* running_mean, float* running_var,
                 float* scale, float* shift) {
  // Sums of (x - s) and its square, with s the channel's first value so that a large mean does not
  // cancel the variance away; float within a plane, double across planes.
  std::vector<double> sums(static_cast<size_t>(2 * c));
  channel_sums<2>(n, c, hw, [&](int64_t img, int64_t ch, double* acc) {
    const float s = x[ch * hw];
    const float* p = x + (img * c + ch) * hw;
    const v8f vs = splat8(s);
    v8f a1 = splat8(0.f), a2 = splat8(0.f);
    int64_t i = 0;
    for (; i + 8 <= hw; i += 8) {
      const v8f d = load8(p + i) - vs;
      a1 += d;
      a2 += d * d;
    }
    float t1 = hsum8(a1), t2 = hsum8(a2);
    for (; i < hw; ++i) {
      const float d = p[i] - s;
      t1 += d;
      t2 += d * d;
    }
    acc[0] += t1;
    acc[1] += t2;
  }, sums.data());
  const int64_t m = n * hw;
  for (int64_t ch = 0; ch < c; ++ch) {
    const double mean_shifted = sums[2 * ch] / static_cast<double>(m);
    const double var = sums[2 * ch + 1] / static_cast<double>(m) - mean_shifted * mean_shifted;
    finish_channel_stats(ch, m, mean_shifted + x[ch * hw], var, gamma, beta, eps, momentum, save_mean, save_invstd,
                         running_mean, running_var, scale, shift);
  }
}

void bn_forward_train(int64_t n, int64_t c, int64_t hw, const float* x, const float* gamma, const float* beta, float eps,
                      float momentum, bool relu, float* y, float* save_mean, float* save_invstd, float* running_mean,
                      float* running_var) {
  std::vector<float> scale(static_cast<size_t>(c)), shift(static_cast<size_t>(c));
  batch_stats(n, c, hw, x, gamma, beta, eps, momentum, save_mean, save_invstd, running_mean, running_var, scale.data(),
              shift.data());
  for_images(n, image_tasks(n, c * hw), [&](int64_t img, int) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const int64_t off = (img * c + ch) * hw;
      affine_plane(x + off, y + off, hw, scale[ch], shift[ch], relu);
    }
  });
}

void bn_forward_eval(int64_t n, int64_t c, int64_t hw, const float* x, const float* gamma, const float* beta,
                     const float* running_mean, const float* running_var, float eps, bool relu, float* y) {
  std::vector<float> scale(static_cast<size_t>(c)), shift(static_cast<size_t>(c));
  for (int64_t ch = 0; ch < c; ++ch) {
    const float invstd = 1.f / std::sqrt(running_var[ch] + eps);
    scale[ch] = (gamma ? gamma[ch] : 1.f) * invstd;
    shift[ch] = (beta ? beta[ch] : 0.f) - running_mean[ch] * scale[ch];
  }
  for_images(n, image_tasks(n, c * hw), [&](int64_t img, int) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const int64_t off = (img * c + ch) * hw;
      affine_plane(x + off, y + off, hw, scale[ch], shift[ch], relu);
    }
  });
}

// The backward's per-channel constants: with sum_dy = sum of the output gradient g and sum_dyx =
// sum of g * (x - mean) over the channel,
//   dx = fscale * (g - mdy - (x - mean) * k),   mdy = sum_dy / m,   k = sum_dyx / m * invstd^2
// (g masked by the fused ReLU, which was positive where x * fscale + fshift > 0).
struct BackwardConsts {
  float mean, fscale, fshift, mdy, k;
};

// From the sums (sums[2 ch] = sum_dy, sums[2 ch + 1] = sum_dyx): dgamma, dbeta and the constants.
std::vector<BackwardConsts> backward_consts(int64_t c, int64_t m, const double* sums, const float* gamma,
                                            const float* beta, const float* save_mean, const float* save_invstd,
                                            float* dgamma, float* dbeta) {
  std::vector<BackwardConsts> k(static_cast<size_t>(c));
  for (int64_t ch = 0; ch < c; ++ch) {
    const float invstd = save_invstd[ch];
    BackwardConsts& q = k[static_cast<size_t>(ch)];
    q.mean = save_mean[ch];
    q.fscale = (gamma ? gamma[ch] : 1.f) * invstd;
    q.fshift = (beta ? beta[ch] : 0.f) - q.mean * q.fscale;
    if (dgamma) dgamma[ch] = static_cast<float>(sums[2 * ch + 1] * invstd);
    if (dbeta) dbeta[ch] = static_cast<float>(sums[2 * ch]);
    q.mdy = static_cast<float>(sums[2 * ch] / static_cast<double>(m));
    q.k = static_cast<float>(sums[2 * ch + 1] / static_cast<double>(m)) * invstd * invstd;
  }
  return k;
}

// dx over one plane from its (unmasked) gradient g; with kMask, g is masked by the fused ReLU,
// recomputed from x (the same float operations as the forward) rather than read from memory.
template <bool kMask>
inline void backward_plane(const float* xp, const float* gp, int64_t hw, const BackwardConsts& q, float* dp) {
  const v8f vmean = splat8(q.mean), zero = splat8(0.f), vfs = splat8(q.fscale), vfb = splat8(q.fshift);
  const v8f vmdy = splat8(q.mdy), vk = splat8(q.k);
  int64_t i = 0;
  for (; i + 8 <= hw; i += 8) {
    const v8f xv = load8(xp + i);
    v8f g = load8(gp + i);
    if (kMask) g = xv * vfs + vfb > zero ? g : zero;
    store8(dp + i, vfs * (g - vmdy - (xv - vmean) * vk));
  }
  for (; i < hw; ++i) {
    const float g = kMask && !(xp[i] * q.fscale + q.fshift > 0.f) ? 0.f : gp[i];
    dp[i] = q.fscale * (g - q.mdy - (xp[i] - q.mean) * q.k);
  }
}

template <bool kMask>
void bn_backward_impl(int64_t n, int64_t c, int64_t hw, const float* x, const float* dy, const float* gamma,
                      const float* beta, const float* save_mean, const float* save_invstd, float* dx, float* dgamma,
                      float* dbeta) {
  std::vector<double> sums(static_cast<size_t>(2 * c));
  channel_sums<2>(n, c, hw, [&](int64_t img, int64_t ch, double* acc) {
    const float mean = save_mean[ch];
    const float fscale = (gamma ? gamma[ch] : 1.f) * save_invstd[ch];
    const float fshift = (beta ? beta[ch] : 0.f) - mean * fscale;
    const v8f vmean = splat8(mean), zero = splat8(0.f), vfs = splat8(fscale), vfb = splat8(fshift);
    const int64_t off = (img * c + ch) * hw;
    const float *xp = x + off, *gp = dy + off;
    v8f a1 = zero, a2 = zero;
    int64_t i = 0;
    for (; i + 8 <= hw; i += 8) {
      v8f g = load8(gp + i);
      const v8f xv = load8(xp + i);
      if (kMask) g = xv * vfs + vfb > zero ? g : zero;
      a1 += g;
      a2 += g * (xv - vmean);
    }
    float t1 = hsum8(a1), t2 = hsum8(a2);
    for (; i < hw; ++i) {
      const float g = kMask && !(xp[i] * fscale + fshift > 0.f) ? 0.f : gp[i];
      t1 += g;
      t2 += g * (xp[i] - mean);
    }
    acc[0] += t1;
    acc[1] += t2;
  }, sums.data());
  const std::vector<BackwardConsts> k =
      backward_consts(c, n * hw, sums.data(), gamma, beta, save_mean, save_invstd, dgamma, dbeta);
  for_images(n, image_tasks(n, c * hw), [&](int64_t img, int) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const int64_t off = (img * c + ch) * hw;
      backward_plane<kMask>(x + off, dy + off, hw, k[static_cast<size_t>(ch)], dx + off);
    }
  });
}

void bn_backward(int64_t n, int64_t c, int64_t hw, const float* x, const float* dy, bool relu, const float* gamma,
                 const float* beta, const float* save_mean, const float* save_invstd, float* dx, float* dgamma,
                 float* dbeta) {
  if (relu) {
    bn_backward_impl<true>(n, c, hw, x, dy, gamma, beta, save_mean, save_invstd, dx, dgamma, dbeta);
  } else {
    bn_backward_impl<false>(n, c, hw, x, dy, gamma, beta, save_mean, save_invstd, dx, dgamma, dbeta);
  }
}

// ---- BatchNorm2d + ReLU + MaxPool2d in one op (the CNN block's tail) ----
// Forward: the batch statistics, then per plane: normalise + ReLU + max-pool in one pass (a
// plane-sized scratch buffer in cache for windows other than 2x2/2); the full-size normalised
// activation never reaches memory. Backward: the pooled gradient goes straight to the argmax
// positions of the BatchNorm input, masked by the ReLU (recomputed from x), without a full-size
// scattered gradient in between.

// Max pooling of one plane, any window (the 2x2/2 case has its own kernel below), ties to the first
// maximum, NaN wins; as pool.cc.
void max_pool_plane(const float* in, int64_t h, int64_t w, const PoolGeom& p, float* out, int32_t* idx) {
  for (int64_t oy = 0; oy < p.oh; ++oy) {
    const int64_t y0 = oy * p.sh - p.ph > 0 ? oy * p.sh - p.ph : 0;
    const int64_t y1 = oy * p.sh - p.ph + p.kh < h ? oy * p.sh - p.ph + p.kh : h;
    for (int64_t ox = 0; ox < p.ow; ++ox) {
      const int64_t x0 = ox * p.sw - p.pw > 0 ? ox * p.sw - p.pw : 0;
      const int64_t x1 = ox * p.sw - p.pw + p.kw < w ? ox * p.sw - p.pw + p.kw : w;
      float best = -__builtin_inff();
      int64_t bi = y0 * w + x0;
      bool nan = false;
      for (int64_t iy = y0; iy < y1 && !nan; ++iy) {
        for (int64_t ix = x0; ix < x1; ++ix) {
          const float v = in[iy * w + ix];
          if (v > best || v != v) {
            best = v;
            bi = iy * w + ix;
            if (v != v) { nan = true; break; }
          }
        }
      }
      out[oy * p.ow + ox] = best;
      idx[oy * p.ow + ox] = static_cast<int32_t>(bi);
    }
  }
}

// relu(x * scale + shift) max-pooled 2x2 with stride 2 straight from the BatchNorm input: the same
// float operations, candidate order and ties as affine_plane followed by max_pool_plane, eight
// outputs at a time. Lanes of a vector past the row's end are computed and dropped; a vector that
// would read past the plane falls back to the scalar loop.
inline bool is_pool_2x2(const PoolGeom& p) {
  return p.kh == 2 && p.kw == 2 && p.sh == 2 && p.sw == 2 && p.ph == 0 && p.pw == 0;
}

void affine_relu_max_pool_2x2(const float* in, int64_t h, int64_t w, const PoolGeom& p, float scale, float shift,
                              float* out, int32_t* idx) {
  const v8f vs = splat8(scale), vb = splat8(shift);
  const v8i even = {0, 2, 4, 6, 8, 10, 12, 14}, odd = {1, 3, 5, 7, 9, 11, 13, 15};
  const v8i lane2 = {0, 2, 4, 6, 8, 10, 12, 14};
  auto f = [&](float v) {
    const float a = v * scale + shift;
    return a > 0.f ? a : 0.f;
  };
  for (int64_t oy = 0; oy < p.oh; ++oy) {
    const float* r0 = in + 2 * oy * w;
    const float* r1 = r0 + w;
    const int32_t base = static_cast<int32_t>(2 * oy * w);
    int64_t ox = 0;
    // A vector reads r1[2 * ox .. 2 * ox + 15]: inside the plane while (2 * oy + 1) * w + 2 * ox + 16 <= h * w.
    for (; ox < p.ow && (2 * oy + 1) * w + 2 * ox + 16 <= h * w; ox += 8) {
      const v8f a0 = relu8(load8(r0 + 2 * ox) * vs + vb), a1 = relu8(load8(r0 + 2 * ox + 8) * vs + vb);
      const v8f b0 = relu8(load8(r1 + 2 * ox) * vs + vb), b1 = relu8(load8(r1 + 2 * ox + 8) * vs + vb);
      const v8i i00 = lane2 + static_cast<int32_t>(base + 2 * ox);
      // The window's candidates in order; ReLU outputs, never NaN (relu8 and f map NaN to 0).
      const v8f c0 = __builtin_shuffle(a0, a1, even), c1 = __builtin_shuffle(a0, a1, odd);
      const v8f c2 = __builtin_shuffle(b0, b1, even), c3 = __builtin_shuffle(b0, b1, odd);
      const v8f m01 = c1 > c0 ? c1 : c0, m23 = c3 > c2 ? c3 : c2;
      const v8f best = m23 > m01 ? m23 : m01;
      // The first candidate equal to the maximum: what taking each strictly greater one in turn gives.
      v8i bi = c2 == best ? i00 + static_cast<int32_t>(w) : i00 + static_cast<int32_t>(w + 1);
      bi = c1 == best ? i00 + 1 : bi;
      bi = c0 == best ? i00 : bi;
      if (p.ow - ox >= 8) {
        store8(out + oy * p.ow + ox, best);
        std::memcpy(idx + oy * p.ow + ox, &bi, sizeof(bi));
      } else {
        for (int64_t l = 0; l < p.ow - ox; ++l) {
          out[oy * p.ow + ox + l] = best[l];
          idx[oy * p.ow + ox + l] = bi[l];
        }
      }
    }
    for (; ox < p.ow; ++ox) {
      const int64_t x0 = 2 * ox;
      float best = f(r0[x0]);
      int32_t bi = base + static_cast<int32_t>(x0);
      float v = f(r0[x0 + 1]);
      if (v > best || (v != v && best == best)) { best = v; bi = base + static_cast<int32_t>(x0 + 1); }
      v = f(r1[x0]);
      if (v > best || (v != v && best == best)) { best = v; bi = base + static_cast<int32_t>(w + x0); }
      v = f(r1[x0 + 1]);
      if (v > best || (v != v && best == best)) { best = v; bi = base + static_cast<int32_t>(w + x0 + 1); }
      out[oy * p.ow + ox] = best;
      idx[oy * p.ow + ox] = bi;
    }
  }
}

inline float* plane_scratch(int64_t n) {
  thread_local std::vector<float> buf;
  if (static_cast<int64_t>(buf.size()) < n) buf.resize(static_cast<size_t>(n));
  return buf.data();
}

// relu(x * scale + shift) max-pooled over one h x w plane: out and idx (flat within the plane).
inline void affine_relu_pool_plane(const float* x, int64_t h, int64_t w, const PoolGeom& p, float scale, float shift,
                                   float* out, int32_t* idx) {
  if (is_pool_2x2(p)) {
    affine_relu_max_pool_2x2(x, h, w, p, scale, shift, out, idx);
  } else {
    float* plane = plane_scratch(h * w);
    affine_plane(x, plane, h * w, scale, shift, true);
    max_pool_plane(plane, h, w, p, out, idx);
  }
}

void bn_relu_maxpool_forward_train(int64_t n, int64_t c, int64_t h, int64_t w, const float* x, const float* gamma,
                                   const float* beta, float eps, float momentum, const PoolGeom& p, float* y,
                                   int32_t* idx, float* save_mean, float* save_invstd, float* running_mean,
                                   float* running_var) {
  const int64_t hw = h * w, ohw = p.oh * p.ow;
  std::vector<float> scale(static_cast<size_t>(c)), shift(static_cast<size_t>(c));
  batch_stats(n, c, hw, x, gamma, beta, eps, momentum, save_mean, save_invstd, running_mean, running_var, scale.data(),
              shift.data());
  for_images(n, image_tasks(n, c * hw), [&](int64_t img, int) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const int64_t off = (img * c + ch) * hw, poff = (img * c + ch) * ohw;
      affine_relu_pool_plane(x + off, h, w, p, scale[ch], shift[ch], y + poff, idx + poff);
    }
  });
}

void bn_relu_maxpool_backward(int64_t n, int64_t c, int64_t h, int64_t w, const float* x, const float* y,
                              const float* dpool,
                              const int32_t* idx, const float* gamma, const float* beta, const float* save_mean,
                              const float* save_invstd, const PoolGeom& p, float* dx, float* dgamma, float* dbeta) {
  const int64_t hw = h * w, ohw = p.oh * p.ow;
  // The sums over a plane only have terms where the scattered gradient is nonzero, the argmax
  // positions. There the pooled output is the normalised value, y = fscale (x - mean) + beta, or 0
  // where the ReLU cut it (and its gradient): so x - mean = (y - beta) / fscale, from the pooled
  // planes (a quarter of x for a 2x2 pool), without reading x. That recovers x - mean to about
  // 1e-7 |beta / gamma| relative to the channel's deviation: where |beta| > 1024 |gamma| (or gamma
  // is 0, when y says nothing about x), x is read at the argmax positions instead.
  std::vector<double> sums(static_cast<size_t>(2 * c));
  channel_sums<2>(n, c, ohw, [&](int64_t img, int64_t ch, double* acc) {
    const float mean = save_mean[ch], g_ch = gamma ? gamma[ch] : 1.f, b_ch = beta ? beta[ch] : 0.f;
    const float fscale = g_ch * save_invstd[ch];
    const float fshift = b_ch - mean * fscale;
    const float* gp = dpool + (img * c + ch) * ohw;
    if (fscale != 0.f && std::fabs(b_ch) <= 1024.f * std::fabs(g_ch)) {
      const float* yp = y + (img * c + ch) * ohw;
      const float inv = 1.f / fscale;
      float t1 = 0.f, t2 = 0.f;
      for (int64_t q = 0; q < ohw; ++q) {
        const float yv = yp[q], g = gp[q] * static_cast<float>(yv > 0.f);
        t1 += g;
        t2 += g * ((yv - b_ch) * inv);
      }
      acc[0] += t1;
      acc[1] += t2;
      return;
    }
    const int32_t* ip = idx + (img * c + ch) * ohw;
    const float* xp = x + (img * c + ch) * hw;
    float t1 = 0.f, t2 = 0.f;
    for (int64_t q = 0; q < ohw; ++q) {
      const int32_t i = ip[q];
      if (i < 0 || i >= hw) continue;  // indices may come from JS: never read outside the plane
      // The ReLU's mask as 0 or 1, not a branch: it is a coin flip per element.
      const float xv = xp[i], g = gp[q] * static_cast<float>(xv * fscale + fshift > 0.f);
      t1 += g;
      t2 += g * (xv - mean);
    }
    acc[0] += t1;
    acc[1] += t2;
  }, sums.data());
  const std::vector<BackwardConsts> k =
      backward_consts(c, n * hw, sums.data(), gamma, beta, save_mean, save_invstd, dgamma, dbeta);
  for_images(n, image_tasks(n, c * hw), [&](int64_t img, int) {
    // The gradient reaching the BatchNorm output, one plane at a time: dpool scattered to the
    // argmax positions, in a cache-resident scratch plane.
    float* g = plane_scratch(hw);
    for (int64_t ch = 0; ch < c; ++ch) {
      const int64_t off = (img * c + ch) * hw, poff = (img * c + ch) * ohw;
      std::memset(g, 0, static_cast<size_t>(hw) * sizeof(float));
      for (int64_t q = 0; q < ohw; ++q) {
        const int32_t i = idx[poff + q];
        if (i >= 0 && i < hw) g[i] += dpool[poff + q];  // never write outside the plane
      }
      backward_plane<true>(x + off, g, hw, k[static_cast<size_t>(ch)], dx + off);
    }
  });
}
