// The BatchNorm2d kernels' bodies, written once over GCC vector extensions and compiled per ISA:
// batchnorm2d.cc (baseline: two SSE registers per vector) and batchnorm2d__avx2.cc (one AVX
// register). Included only inside an anonymous namespace, so each ISA's copy stays private to its
// file. The loops are memory-bound; the vectors keep the per-element work (masking by the ReLU,
// the two sums) branch-free.
// The including file includes <cmath>, <cstdint>, <cstring> and common/thread_pool.h first.

#pragma GCC diagnostic ignored "-Wpsabi"
typedef float v8f __attribute__((vector_size(32)));

inline v8f load8(const float* p) {
  v8f v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void store8(float* p, v8f v) { std::memcpy(p, &v, sizeof(v)); }
inline v8f splat8(float s) { return v8f{s, s, s, s, s, s, s, s}; }
inline float hsum8(v8f v) { return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7])); }
inline v8f relu8(v8f v) { return v > splat8(0.f) ? v : splat8(0.f); }

// The pooling window of the fused BatchNorm2d + ReLU + MaxPool2d kernels.
using PoolGeom = fastgrad::BnPoolGeom;

// Channels per task such that each task has enough elements to be worth a thread.
inline size_t channel_grain(int64_t per_channel) {
  int64_t g = per_channel > 0 ? (32768 + per_channel - 1) / per_channel : 1;
  return static_cast<size_t>(g < 1 ? 1 : g);
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

void bn_forward_train(int64_t n, int64_t c, int64_t hw, const float* x, const float* gamma, const float* beta, float eps,
                      float momentum, bool relu, float* y, float* save_mean, float* save_invstd, float* running_mean,
                      float* running_var) {
  const int64_t m = n * hw;
  fastgrad::parallel_range(static_cast<size_t>(c), channel_grain(m), 1, [&](size_t b, size_t e) {
    for (size_t cu = b; cu < e; ++cu) {
      const int64_t ch = static_cast<int64_t>(cu);
      // Sums of (x - shift) and its square, shifted by the channel's first value so that a large
      // mean does not cancel the variance away; float within a plane, double across planes.
      const float shift = x[ch * hw];
      const v8f vshift = splat8(shift);
      double s1 = 0, s2 = 0;
      for (int64_t img = 0; img < n; ++img) {
        const float* p = x + (img * c + ch) * hw;
        v8f a1 = splat8(0.f), a2 = splat8(0.f);
        int64_t i = 0;
        for (; i + 8 <= hw; i += 8) {
          const v8f d = load8(p + i) - vshift;
          a1 += d;
          a2 += d * d;
        }
        float t1 = hsum8(a1), t2 = hsum8(a2);
        for (; i < hw; ++i) {
          const float d = p[i] - shift;
          t1 += d;
          t2 += d * d;
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

void bn_forward_eval(int64_t n, int64_t c, int64_t hw, const float* x, const float* gamma, const float* beta,
                     const float* running_mean, const float* running_var, float eps, bool relu, float* y) {
  fastgrad::parallel_range(static_cast<size_t>(c), channel_grain(n * hw), 1, [&](size_t b, size_t e) {
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

// With kMask, dy is masked by the fused ReLU: the output was positive where x * scale + shift > 0,
// recomputed here from x (the same float operations as the forward) rather than read from memory.
template <bool kMask>
void bn_backward_channel(int64_t n, int64_t c, int64_t hw, int64_t ch, const float* x, const float* dy,
                         const float* gamma, const float* beta, float mean, float invstd, float* dx, float* dgamma,
                         float* dbeta) {
  const v8f vmean = splat8(mean), zero = splat8(0.f);
  const float fscale = (gamma ? gamma[ch] : 1.f) * invstd;
  const float fshift = (beta ? beta[ch] : 0.f) - mean * fscale;
  const v8f vfs = splat8(fscale), vfb = splat8(fshift);
  double sum_dy = 0, sum_dyx = 0;
  for (int64_t img = 0; img < n; ++img) {
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
    sum_dy += t1;
    sum_dyx += t2;
  }
  if (dgamma) dgamma[ch] = static_cast<float>(sum_dyx * invstd);
  if (dbeta) dbeta[ch] = static_cast<float>(sum_dy);
  // dx = gamma * invstd * (dy - mean(dy) - (x - mean) * invstd^2 * mean(dy * (x - mean)))
  const float scale = (gamma ? gamma[ch] : 1.f) * invstd;
  const float mdy = static_cast<float>(sum_dy / static_cast<double>(n * hw));
  const float k = static_cast<float>(sum_dyx / static_cast<double>(n * hw)) * invstd * invstd;
  const v8f vscale = splat8(scale), vmdy = splat8(mdy), vk = splat8(k);
  for (int64_t img = 0; img < n; ++img) {
    const int64_t off = (img * c + ch) * hw;
    const float *xp = x + off, *gp = dy + off;
    float* dp = dx + off;
    int64_t i = 0;
    for (; i + 8 <= hw; i += 8) {
      v8f g = load8(gp + i);
      const v8f xv = load8(xp + i);
      if (kMask) g = xv * vfs + vfb > zero ? g : zero;
      store8(dp + i, vscale * (g - vmdy - (xv - vmean) * vk));
    }
    for (; i < hw; ++i) {
      const float g = kMask && !(xp[i] * fscale + fshift > 0.f) ? 0.f : gp[i];
      dp[i] = scale * (g - mdy - (xp[i] - mean) * k);
    }
  }
}

void bn_backward(int64_t n, int64_t c, int64_t hw, const float* x, const float* dy, bool relu, const float* gamma,
                 const float* beta, const float* save_mean, const float* save_invstd, float* dx, float* dgamma,
                 float* dbeta) {
  fastgrad::parallel_range(static_cast<size_t>(c), channel_grain(n * hw), 1, [&](size_t b, size_t e) {
    for (size_t cu = b; cu < e; ++cu) {
      const int64_t ch = static_cast<int64_t>(cu);
      if (relu) {
        bn_backward_channel<true>(n, c, hw, ch, x, dy, gamma, beta, save_mean[ch], save_invstd[ch], dx, dgamma, dbeta);
      } else {
        bn_backward_channel<false>(n, c, hw, ch, x, dy, gamma, beta, save_mean[ch], save_invstd[ch], dx, dgamma, dbeta);
      }
    }
  });
}

// ---- BatchNorm2d + ReLU + MaxPool2d in one op (the CNN block's tail) ----
// Forward: the batch statistics, then per plane: normalise + ReLU into a plane-sized scratch buffer
// (in cache) and max-pool it; the full-size normalised activation never reaches memory. Backward:
// the pooled gradient goes straight to the argmax positions of the BatchNorm input, masked by the
// ReLU (recomputed from x), without a full-size scattered gradient in between.

// Max pooling of one plane (2x2/2 fast path), ties to the first maximum, NaN wins; as pool.cc.
void max_pool_plane(const float* in, int64_t h, int64_t w, const PoolGeom& p, float* out, int32_t* idx) {
  if (p.kh == 2 && p.kw == 2 && p.sh == 2 && p.sw == 2 && p.ph == 0 && p.pw == 0) {
    for (int64_t oy = 0; oy < p.oh; ++oy) {
      const float* r0 = in + 2 * oy * w;
      const float* r1 = r0 + w;
      const int32_t base = static_cast<int32_t>(2 * oy * w);
      for (int64_t ox = 0; ox < p.ow; ++ox) {
        const int64_t x0 = 2 * ox;
        float best = r0[x0];
        int32_t bi = base + static_cast<int32_t>(x0);
        float v = r0[x0 + 1];
        if (v > best || (v != v && best == best)) { best = v; bi = base + static_cast<int32_t>(x0 + 1); }
        v = r1[x0];
        if (v > best || (v != v && best == best)) { best = v; bi = base + static_cast<int32_t>(w + x0); }
        v = r1[x0 + 1];
        if (v > best || (v != v && best == best)) { best = v; bi = base + static_cast<int32_t>(w + x0 + 1); }
        out[oy * p.ow + ox] = best;
        idx[oy * p.ow + ox] = bi;
      }
    }
    return;
  }
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

inline void zero_plane(float* g, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) store8(g + i, splat8(0.f));
  for (; i < n; ++i) g[i] = 0.f;
}

inline float* plane_scratch(int64_t n) {
  thread_local float* buf = nullptr;
  thread_local int64_t cap = 0;
  if (cap < n) {
    delete[] buf;
    buf = new float[n];
    cap = n;
  }
  return buf;
}

void bn_relu_maxpool_forward_train(int64_t n, int64_t c, int64_t h, int64_t w, const float* x, const float* gamma,
                                   const float* beta, float eps, float momentum, const PoolGeom& p, float* y,
                                   int32_t* idx, float* save_mean, float* save_invstd, float* running_mean,
                                   float* running_var) {
  const int64_t hw = h * w, ohw = p.oh * p.ow, m = n * hw;
  fastgrad::parallel_range(static_cast<size_t>(c), channel_grain(m), 1, [&](size_t b, size_t e) {
    float* plane = plane_scratch(hw);
    for (size_t cu = b; cu < e; ++cu) {
      const int64_t ch = static_cast<int64_t>(cu);
      const float shift = x[ch * hw];
      const v8f vshift = splat8(shift);
      double s1 = 0, s2 = 0;
      for (int64_t img = 0; img < n; ++img) {
        const float* px = x + (img * c + ch) * hw;
        v8f a1 = splat8(0.f), a2 = splat8(0.f);
        int64_t i = 0;
        for (; i + 8 <= hw; i += 8) {
          const v8f d = load8(px + i) - vshift;
          a1 += d;
          a2 += d * d;
        }
        float t1 = hsum8(a1), t2 = hsum8(a2);
        for (; i < hw; ++i) {
          const float d = px[i] - shift;
          t1 += d;
          t2 += d * d;
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
        affine_plane(x + (img * c + ch) * hw, plane, hw, scale, sh, true);
        max_pool_plane(plane, h, w, p, y + (img * c + ch) * ohw, idx + (img * c + ch) * ohw);
      }
    }
  });
}

// Writes the pooled gradient of one plane to its argmax positions in g (hw floats, zeroed first).
inline void scatter_plane(const float* gp, const int32_t* ip, int64_t ohw, int64_t hw, float* g) {
  zero_plane(g, hw);
  for (int64_t q = 0; q < ohw; ++q) {
    const int32_t i = ip[q];
    if (i >= 0 && i < hw) g[i] += gp[q];  // indices may come from JS: never write outside the plane
  }
}

void bn_relu_maxpool_backward(int64_t n, int64_t c, int64_t h, int64_t w, const float* x, const float* dpool,
                              const int32_t* idx, const float* gamma, const float* beta, const float* save_mean,
                              const float* save_invstd, const PoolGeom& p, float* dx, float* dgamma, float* dbeta) {
  const int64_t hw = h * w, ohw = p.oh * p.ow, m = n * hw;
  fastgrad::parallel_range(static_cast<size_t>(c), channel_grain(m), 1, [&](size_t b, size_t e) {
    // The gradient reaching the BatchNorm output, one plane at a time: dpool scattered to the argmax
    // positions, in a cache-resident scratch plane; then the dense, branch-free passes of bn_backward.
    float* g = plane_scratch(hw);
    for (size_t cu = b; cu < e; ++cu) {
      const int64_t ch = static_cast<int64_t>(cu);
      const float mean = save_mean[ch], invstd = save_invstd[ch];
      const float fscale = (gamma ? gamma[ch] : 1.f) * invstd;
      const float fshift = (beta ? beta[ch] : 0.f) - mean * fscale;
      const v8f vmean = splat8(mean), zero = splat8(0.f), vfs = splat8(fscale), vfb = splat8(fshift);
      double sum_dy = 0, sum_dyx = 0;
      for (int64_t img = 0; img < n; ++img) {
        const int64_t off = (img * c + ch) * hw, poff = (img * c + ch) * ohw;
        scatter_plane(dpool + poff, idx + poff, ohw, hw, g);
        const float* xp = x + off;
        v8f a1 = zero, a2 = zero;
        int64_t i = 0;
        for (; i + 8 <= hw; i += 8) {
          const v8f xv = load8(xp + i);
          const v8f gv = xv * vfs + vfb > zero ? load8(g + i) : zero;
          a1 += gv;
          a2 += gv * (xv - vmean);
        }
        float t1 = hsum8(a1), t2 = hsum8(a2);
        for (; i < hw; ++i) {
          const float gv = xp[i] * fscale + fshift > 0.f ? g[i] : 0.f;
          t1 += gv;
          t2 += gv * (xp[i] - mean);
        }
        sum_dy += t1;
        sum_dyx += t2;
      }
      if (dgamma) dgamma[ch] = static_cast<float>(sum_dyx * invstd);
      if (dbeta) dbeta[ch] = static_cast<float>(sum_dy);
      const float mdy = static_cast<float>(sum_dy / static_cast<double>(m));
      const float k = static_cast<float>(sum_dyx / static_cast<double>(m)) * invstd * invstd;
      const v8f vmdy = splat8(mdy), vk = splat8(k);
      for (int64_t img = 0; img < n; ++img) {
        const int64_t off = (img * c + ch) * hw, poff = (img * c + ch) * ohw;
        scatter_plane(dpool + poff, idx + poff, ohw, hw, g);
        const float* xp = x + off;
        float* dp = dx + off;
        int64_t i = 0;
        for (; i + 8 <= hw; i += 8) {
          const v8f xv = load8(xp + i);
          const v8f gv = xv * vfs + vfb > zero ? load8(g + i) : zero;
          store8(dp + i, vfs * (gv - vmdy - (xv - vmean) * vk));
        }
        for (; i < hw; ++i) {
          const float gv = xp[i] * fscale + fshift > 0.f ? g[i] : 0.f;
          dp[i] = fscale * (gv - mdy - (xp[i] - mean) * k);
        }
      }
    }
  });
}
