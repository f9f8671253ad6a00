// Conv2d + BatchNorm2d + ReLU + MaxPool2d in one op, for a network's first block: a convolution with
// few taps K = c * kh * kw (one group) whose input needs no gradient. Compiled per ISA with the
// BatchNorm2d kernels; included after batchnorm2d_impl.h (its task split, statistics and pooling),
// inside the same anonymous namespace.
//
// The convolution's output at pixel p of channel o is linear in the input patch X_p (K values):
// x_o,p = b_o + W_o . X_p. So the batch statistics of every output channel follow from the patches'
// own, with S = sum_p X_p and the Gram matrix G = sum_p X_p X_p^T (K x K) over all m pixels:
//     mean_o = b_o + W_o . S / m,     var_o = W_o^T C W_o,     C = G / m - (S / m)(S / m)^T,
// and the BatchNorm backward's dense terms fold into the weight gradient the same way (dx below is
// BatchNorm's input gradient, g the gradient at its output, mdy_o and k_o as in BackwardConsts):
//     dW_o = sum_p dx_o,p X_p = fscale_o (A_o - mdy_o S - k_o m C W_o),     A_o = sum_p g_o,p X_p,
// where g is nonzero only at the pooling windows' argmax pixels: A_o is a sparse sum over the pooled
// gradient. The conv bias's gradient, sum_p dx_o,p, is exactly zero (BatchNorm subtracts the mean).
// So the forward computes the convolution once, normalising, ReLU-ing and pooling each output plane
// while it is in cache, and the backward reads the pooled gradient, the pooled output (whose sign
// is the ReLU's mask) and the argmax indices: the full-size conv output and its gradient, the two
// largest tensors of a small CNN, never exist. Patches are shifted by their input channel's first
// value (C, A_o - mdy_o S and the statistics are unchanged by a shift) so that a large mean does not
// cancel the variance away.
// The including file includes kernels/conv/conv2d.h first.

using StemShape = fastgrad::Conv2dShape;

inline int64_t round_up8(int64_t v) { return (v + 7) / 8 * 8; }

// Per-thread scratch of the stem kernels (one image's patches, a block of conv output planes).
struct StemScratch {
  std::vector<float> cols, rows, planes;  // tap-major patches, pixel-major patches, conv output
};
inline StemScratch& stem_scratch() {
  thread_local StemScratch s;
  return s;
}
inline float* grown(std::vector<float>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
  return v.data();
}

inline int64_t stem_taps(const StemShape& s) { return s.c * s.kh * s.kw; }

// One image's patches, X_p[k] - shift[ci] for tap k = (ci, ki, kj) and output pixel p < oh * ow (a
// tap in the padding reads 0 - shift; shift null: no shift), in one of two layouts:
//   tap-major (kPixelMajor false)   out[k * stride + p], stride >= oh * ow; pixels from oh * ow up to
//                                   the stride are 0, so that they add nothing to a sum
//   pixel-major (kPixelMajor true)  out[p * stride + k], stride >= K; taps from K up to it are 0
template <bool kPixelMajor>
void stem_patches(const StemShape& s, const float* img, const float* shift, int64_t stride, float* out) {
  const int64_t oh = s.out_h(), ow = s.out_w(), P = oh * ow, K = stem_taps(s);
  const int64_t ks = kPixelMajor ? 1 : stride;  // between taps
  const int64_t ps = kPixelMajor ? stride : 1;  // between pixels
  for (int64_t ci = 0; ci < s.c; ++ci) {
    const float sv = shift ? shift[ci] : 0.f;
    const float* plane = img + ci * s.h * s.w;
    for (int64_t ki = 0; ki < s.kh; ++ki) {
      for (int64_t kj = 0; kj < s.kw; ++kj) {
        float* dst = out + ((ci * s.kh + ki) * s.kw + kj) * ks;
        // Output column ox reads input column ox * sw + off: inside the row for ox in [ox0, ox1).
        const int64_t off = kj * s.dw - s.pw;
        int64_t ox0 = off >= 0 ? 0 : (-off + s.sw - 1) / s.sw;
        int64_t ox1 = s.w - off > 0 ? (s.w - off + s.sw - 1) / s.sw : 0;
        if (ox0 > ow) ox0 = ow;
        if (ox1 > ow) ox1 = ow;
        if (ox1 < ox0) ox1 = ox0;
        for (int64_t oy = 0; oy < oh; ++oy) {
          const int64_t iy = oy * s.sh - s.ph + ki * s.dh;
          float* d = dst + oy * ow * ps;
          if (iy < 0 || iy >= s.h) {
            for (int64_t ox = 0; ox < ow; ++ox) d[ox * ps] = -sv;
            continue;
          }
          const float* src = plane + iy * s.w + off;
          for (int64_t ox = 0; ox < ox0; ++ox) d[ox * ps] = -sv;
          if (s.sw == 1) {
            for (int64_t ox = ox0; ox < ox1; ++ox) d[ox * ps] = src[ox] - sv;  // tap-major: vectorises
          } else {
            for (int64_t ox = ox0; ox < ox1; ++ox) d[ox * ps] = src[ox * s.sw] - sv;
          }
          for (int64_t ox = ox1; ox < ow; ++ox) d[ox * ps] = -sv;
        }
      }
    }
  }
  if (kPixelMajor) {
    for (int64_t p = 0; p < P; ++p) {
      for (int64_t k = K; k < stride; ++k) out[p * stride + k] = 0.f;
    }
  } else {
    for (int64_t k = 0; k < K; ++k) {
      for (int64_t p = P; p < stride; ++p) out[k * stride + p] = 0.f;
    }
  }
}

// The patches' moments over the batch: mu[k] = S[k] / m of the shifted patches and the covariance
// c[j * K + k] (both full K x K halves). Sums run in float within an image, in double across images,
// per task of images, added up in a fixed order (the same result on any number of threads).
struct PatchMoments {
  std::vector<double> mu, cov;
};

PatchMoments patch_moments(const StemShape& s, const float* x, const float* shift) {
  const int64_t K = stem_taps(s), P = s.out_h() * s.out_w(), pp = round_up8(P), chw = s.c * s.h * s.w;
  const int64_t width = K + K * K;  // S, then G's rows (j <= k filled)
  const int64_t tasks = image_tasks(s.n, K * pp * 4);
  std::vector<double> partial(static_cast<size_t>(tasks * width), 0.0);
  for_images(s.n, tasks, [&](int64_t img, int t) {
    float* cols = grown(stem_scratch().cols, K * pp);
    stem_patches<false>(s, x + img * chw, shift, pp, cols);
    double* acc = partial.data() + t * width;
    for (int64_t j = 0; j < K; ++j) {
      const float* a = cols + j * pp;
      v8f sum = splat8(0.f);
      for (int64_t p = 0; p < pp; p += 8) sum += load8(a + p);
      acc[j] += hsum8(sum);
      // Four dot products at a time: four independent chains per load of row j.
      int64_t k = j;
      for (; k + 4 <= K; k += 4) {
        const float *b0 = cols + k * pp, *b1 = b0 + pp, *b2 = b1 + pp, *b3 = b2 + pp;
        v8f d0 = splat8(0.f), d1 = d0, d2 = d0, d3 = d0;
        for (int64_t p = 0; p < pp; p += 8) {
          const v8f av = load8(a + p);
          d0 += av * load8(b0 + p);
          d1 += av * load8(b1 + p);
          d2 += av * load8(b2 + p);
          d3 += av * load8(b3 + p);
        }
        acc[K + j * K + k] += hsum8(d0);
        acc[K + j * K + k + 1] += hsum8(d1);
        acc[K + j * K + k + 2] += hsum8(d2);
        acc[K + j * K + k + 3] += hsum8(d3);
      }
      for (; k < K; ++k) {
        const float* b = cols + k * pp;
        v8f d = splat8(0.f);
        for (int64_t p = 0; p < pp; p += 8) d += load8(a + p) * load8(b + p);
        acc[K + j * K + k] += hsum8(d);
      }
    }
  });
  std::vector<double> total(static_cast<size_t>(width), 0.0);
  for (int64_t t = 0; t < tasks; ++t) {
    for (int64_t i = 0; i < width; ++i) total[static_cast<size_t>(i)] += partial[static_cast<size_t>(t * width + i)];
  }
  const double m = static_cast<double>(s.n * P);
  PatchMoments pm;
  pm.mu.resize(static_cast<size_t>(K));
  pm.cov.resize(static_cast<size_t>(K * K));
  for (int64_t k = 0; k < K; ++k) pm.mu[static_cast<size_t>(k)] = total[static_cast<size_t>(k)] / m;
  for (int64_t j = 0; j < K; ++j) {
    for (int64_t k = j; k < K; ++k) {
      const double c = total[static_cast<size_t>(K + j * K + k)] / m - pm.mu[static_cast<size_t>(j)] * pm.mu[static_cast<size_t>(k)];
      pm.cov[static_cast<size_t>(j * K + k)] = c;
      pm.cov[static_cast<size_t>(k * K + j)] = c;
    }
  }
  return pm;
}

// The moments the forward saves for its backward (which would otherwise compute them again): the
// patches' mean (K, unshifted) then their covariance (K x K). The backward's patches are shifted by
// the same values again (each input channel's first value), so mean - shift is the forward's mu.
void save_moments(const StemShape& s, const PatchMoments& pm, const std::vector<float>& shift, double* moments) {
  const int64_t K = stem_taps(s), taps = s.kh * s.kw;
  for (int64_t k = 0; k < K; ++k) moments[k] = pm.mu[static_cast<size_t>(k)] + shift[static_cast<size_t>(k / taps)];
  std::copy(pm.cov.begin(), pm.cov.end(), moments + K);
}

PatchMoments loaded_moments(const StemShape& s, const double* moments, const std::vector<float>& shift) {
  const int64_t K = stem_taps(s), taps = s.kh * s.kw;
  PatchMoments pm;
  pm.mu.resize(static_cast<size_t>(K));
  for (int64_t k = 0; k < K; ++k) pm.mu[static_cast<size_t>(k)] = moments[k] - shift[static_cast<size_t>(k / taps)];
  pm.cov.assign(moments + K, moments + K + K * K);
  return pm;
}

// Each input channel's first value: the shift of its taps.
std::vector<float> stem_shift(const StemShape& s, const float* x) {
  std::vector<float> shift(static_cast<size_t>(s.c));
  for (int64_t ci = 0; ci < s.c; ++ci) shift[static_cast<size_t>(ci)] = x[ci * s.h * s.w];
  return shift;
}

// kNb output planes of one image, planes[i * pp + p] = b[i] + sum_k w[i * K + k] cols[k * pp + p]
// (b null: no bias): kNb accumulator chains per vector of pixels.
template <int kNb>
void stem_conv_planes(const float* cols, int64_t K, int64_t pp, const float* w, const float* b, float* planes) {
  for (int64_t p = 0; p < pp; p += 8) {
    v8f acc[kNb];
    for (int i = 0; i < kNb; ++i) acc[i] = splat8(b ? b[i] : 0.f);
    for (int64_t k = 0; k < K; ++k) {
      const v8f xv = load8(cols + k * pp + p);
      for (int i = 0; i < kNb; ++i) acc[i] += splat8(w[i * K + k]) * xv;
    }
    for (int i = 0; i < kNb; ++i) store8(planes + i * pp + p, acc[i]);
  }
}

void stem_forward_train(const StemShape& s, const PoolGeom& p, const float* x, const float* weight, const float* bias,
                        const float* gamma, const float* beta, float eps, float momentum, float* y, int32_t* idx,
                        float* save_mean, float* save_invstd, double* moments, float* running_mean, float* running_var) {
  const int64_t K = stem_taps(s), oh = s.out_h(), ow = s.out_w(), P = oh * ow, pp = round_up8(P);
  const int64_t chw = s.c * s.h * s.w, ohw = p.oh * p.ow;
  const std::vector<float> shift = stem_shift(s, x);
  const PatchMoments pm = patch_moments(s, x, shift.data());
  save_moments(s, pm, shift, moments);
  // Each output channel's batch statistics from the patches'.
  std::vector<float> scale(static_cast<size_t>(s.oc)), offset(static_cast<size_t>(s.oc));
  for (int64_t o = 0; o < s.oc; ++o) {
    const float* wo = weight + o * K;
    double mean = bias ? bias[o] : 0.0, var = 0.0;
    for (int64_t j = 0; j < K; ++j) {
      mean += static_cast<double>(wo[j]) * (shift[static_cast<size_t>(j / (s.kh * s.kw))] + pm.mu[static_cast<size_t>(j)]);
      double cw = 0.0;
      for (int64_t k = 0; k < K; ++k) cw += pm.cov[static_cast<size_t>(j * K + k)] * wo[k];
      var += wo[j] * cw;
    }
    finish_channel_stats(o, s.n * P, mean, var, gamma, beta, eps, momentum, save_mean, save_invstd, running_mean,
                         running_var, scale.data(), offset.data());
  }
  // The convolution, eight output planes at a time, each normalised, ReLU-ed and pooled from cache.
  constexpr int kBlock = 8;
  for_images(s.n, image_tasks(s.n, s.oc * P), [&](int64_t img, int) {
    StemScratch& scratch = stem_scratch();
    float* cols = grown(scratch.cols, K * pp);
    float* planes = grown(scratch.planes, kBlock * pp);
    stem_patches<false>(s, x + img * chw, nullptr, pp, cols);
    for (int64_t o0 = 0; o0 < s.oc; o0 += kBlock) {
      const int64_t nb = s.oc - o0 < kBlock ? s.oc - o0 : kBlock;
      const float* w = weight + o0 * K;
      const float* b = bias ? bias + o0 : nullptr;
      switch (nb) {
        case 8: stem_conv_planes<8>(cols, K, pp, w, b, planes); break;
        case 7: stem_conv_planes<7>(cols, K, pp, w, b, planes); break;
        case 6: stem_conv_planes<6>(cols, K, pp, w, b, planes); break;
        case 5: stem_conv_planes<5>(cols, K, pp, w, b, planes); break;
        case 4: stem_conv_planes<4>(cols, K, pp, w, b, planes); break;
        case 3: stem_conv_planes<3>(cols, K, pp, w, b, planes); break;
        case 2: stem_conv_planes<2>(cols, K, pp, w, b, planes); break;
        default: stem_conv_planes<1>(cols, K, pp, w, b, planes); break;
      }
      for (int64_t i = 0; i < nb; ++i) {
        const int64_t o = o0 + i, poff = (img * s.oc + o) * ohw;
        affine_relu_pool_plane(planes + i * pp, oh, ow, p, scale[static_cast<size_t>(o)], offset[static_cast<size_t>(o)],
                               y + poff, idx + poff);
      }
    }
  });
}

// One plane's backward sums: sum_g = sum_q g_q and a[0 .. K) = sum_q g_q rows[i_q], with g the
// pooled gradient masked by the ReLU (the pooled output is the max of ReLU outputs: positive exactly
// where the argmax pixel passed the ReLU) and i_q the argmax pixel. rows: one image's shifted
// patches, K = pitch floats per pixel, then 8 kNv zeros. Each patch is read as kNv vectors (8 kNv >=
// K): the lanes past K run into the next pixel's patch and land in a[K ..), which the caller ignores.
// Unpadded rows keep an image's patches in L1 (28 KB for 28x28 pixels of 9 taps; padded to 16 floats
// they took 50 KB and the backward 1.3x as long). The accumulators stay in registers.
template <int kNv>
void stem_plane_sums(const float* rows, int64_t pitch, int64_t npix, int64_t ohw, const float* gp, const float* yp,
                     const int32_t* ip, float* sum_g, float* a) {
  // Two sets of accumulators, for even and odd q: one chain of FMAs would wait on its own latency.
  v8f even[kNv], odd[kNv];
  for (int v = 0; v < kNv; ++v) even[v] = odd[v] = splat8(0.f);
  float sg = 0.f;
  // g_q, or 0 with a row of zeros for an index outside the plane (indices may come from JS: never
  // read outside it).
  const float* const zeros = rows + npix * pitch;
  auto term = [&](int64_t q, const float*& r) {
    const int32_t i = ip[q];
    const bool inside = i >= 0 && i < npix;
    r = inside ? rows + static_cast<int64_t>(i) * pitch : zeros;
    return inside && yp[q] > 0.f ? gp[q] : 0.f;
  };
  int64_t q = 0;
  for (; q + 2 <= ohw; q += 2) {
    const float *r0, *r1;
    const float g0 = term(q, r0), g1 = term(q + 1, r1);
    sg += g0 + g1;
    const v8f gv0 = splat8(g0), gv1 = splat8(g1);
    for (int v = 0; v < kNv; ++v) {
      even[v] += gv0 * load8(r0 + 8 * v);
      odd[v] += gv1 * load8(r1 + 8 * v);
    }
  }
  if (q < ohw) {
    const float* r0;
    const float g0 = term(q, r0);
    sg += g0;
    for (int v = 0; v < kNv; ++v) even[v] += splat8(g0) * load8(r0 + 8 * v);
  }
  *sum_g = sg;
  for (int v = 0; v < kNv; ++v) store8(a + 8 * v, even[v] + odd[v]);
}

// The backward: per output channel, the sums of the masked pooled gradient g and of g times the
// (shifted) patch at its argmax pixel, then the closed forms above. K8 = K rounded up to 8: one patch
// is read as one to four vectors.
void stem_backward(const StemShape& s, const PoolGeom& p, const float* x, const float* weight, const float* gamma,
                   const float* save_mean, const float* save_invstd, const double* moments, const float* y,
                   const float* dpool, const int32_t* idx, float* dweight, float* dbias, float* dgamma, float* dbeta) {
  (void)save_mean;  // the patch moments give the mean's deviations directly
  const int64_t K = stem_taps(s), K8 = round_up8(K), P = s.out_h() * s.out_w();
  const int64_t chw = s.c * s.h * s.w, ohw = p.oh * p.ow, nv = K8 / 8;
  const std::vector<float> shift = stem_shift(s, x);
  const PatchMoments pm = loaded_moments(s, moments, shift);
  const int64_t width = s.oc * (K + 1);  // per channel: sum of g, then A (K)
  const int64_t tasks = image_tasks(s.n, s.oc * ohw * K8);
  std::vector<double> partial(static_cast<size_t>(tasks * width), 0.0);
  for_images(s.n, tasks, [&](int64_t img, int t) {
    StemScratch& scratch = stem_scratch();
    float* rows = grown(scratch.rows, P * K + K8);
    stem_patches<true>(s, x + img * chw, shift.data(), K, rows);
    std::fill(rows + P * K, rows + P * K + K8, 0.f);
    double* acc = partial.data() + t * width;
    float a[32];
    for (int64_t o = 0; o < s.oc; ++o) {
      const int64_t poff = (img * s.oc + o) * ohw;
      float sum_g;
      switch (nv) {
        case 1: stem_plane_sums<1>(rows, K, P, ohw, dpool + poff, y + poff, idx + poff, &sum_g, a); break;
        case 2: stem_plane_sums<2>(rows, K, P, ohw, dpool + poff, y + poff, idx + poff, &sum_g, a); break;
        case 3: stem_plane_sums<3>(rows, K, P, ohw, dpool + poff, y + poff, idx + poff, &sum_g, a); break;
        default: stem_plane_sums<4>(rows, K, P, ohw, dpool + poff, y + poff, idx + poff, &sum_g, a); break;
      }
      double* ao = acc + o * (K + 1);
      ao[0] += sum_g;
      for (int64_t k = 0; k < K; ++k) ao[1 + k] += a[k];
    }
  });
  std::vector<double> total(static_cast<size_t>(width), 0.0);
  for (int64_t t = 0; t < tasks; ++t) {
    for (int64_t i = 0; i < width; ++i) total[static_cast<size_t>(i)] += partial[static_cast<size_t>(t * width + i)];
  }
  const double m = static_cast<double>(s.n * P);
  for (int64_t o = 0; o < s.oc; ++o) {
    const float* wo = weight + o * K;
    const double* ao = total.data() + o * (K + 1);
    const double sum_g = ao[0];
    // sum_g_dx = sum_q g (x_o,i - mean_o) = W_o . (A_o - sum_g mu), on shifted patches.
    double sum_gx = 0.0;
    for (int64_t k = 0; k < K; ++k) sum_gx += wo[k] * (ao[1 + k] - sum_g * pm.mu[static_cast<size_t>(k)]);
    const double invstd = save_invstd[o];
    if (dgamma) dgamma[o] = static_cast<float>(sum_gx * invstd);
    if (dbeta) dbeta[o] = static_cast<float>(sum_g);
    if (dbias) dbias[o] = 0.f;
    if (dweight) {
      const double fscale = (gamma ? gamma[o] : 1.0) * invstd;
      const double kk = sum_gx / m * invstd * invstd;
      for (int64_t k = 0; k < K; ++k) {
        double cw = 0.0;
        for (int64_t j = 0; j < K; ++j) cw += pm.cov[static_cast<size_t>(k * K + j)] * wo[j];
        dweight[o * K + k] = static_cast<float>(fscale * (ao[1 + k] - sum_g * pm.mu[static_cast<size_t>(k)] - kk * m * cw));
      }
    }
  }
}
