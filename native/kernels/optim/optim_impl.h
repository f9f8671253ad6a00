// The bodies of the fused optimizer kernels. This file is included INSIDE an anonymous namespace by
// each ISA's translation unit (optim_generic.cc, optim__avx2.cc ...), so every ISA gets its own
// instantiation with its own flags and no inline function is shared between ISA files (the linker
// could otherwise keep an AVX-512 copy and call it on a CPU without AVX-512).
//
// The loops are plain C++ over __restrict pointers that GCC and Clang vectorise at -O3 (with
// -fno-math-errno, sqrtf becomes a vector square root). Structural options are template parameters
// so each loop body is branch-free; maximize is a sign multiplier and an absent weight decay a zero
// multiplier, both exact.
//
// Math goes through __builtin_* (never the inline std:: wrappers, which are shared across TUs).
// Requires: <cstddef>, "kernels/optim/optim_kernels.h" included before.

template <bool kMomentum, bool kNesterov, bool kFirst, bool kL1>
void sgd_loop(float* __restrict p, const float* __restrict g, float* __restrict buf, size_t n, const OptimHyper& h) {
  const float sign = h.sign, wd = h.weight_decay, lr = h.lr, mom = h.momentum, damp1 = h.one_minus_dampening, thr = h.l1_threshold;
  for (size_t i = 0; i < n; i++) {
    float d = sign * g[i] + wd * p[i];
    if (kMomentum) {
      const float b = kFirst ? d : mom * buf[i] + damp1 * d;
      buf[i] = b;
      d = kNesterov ? d + mom * b : b;
    }
    float x = p[i] - lr * d;
    if (kL1) {
      // Soft threshold; NaN stays NaN (a < 0 is false for NaN).
      const float a = __builtin_fabsf(x) - thr;
      x = __builtin_copysignf(a < 0.f ? 0.f : a, x);
    }
    p[i] = x;
  }
}

template <bool kMomentum, bool kNesterov, bool kFirst>
void sgd_l1(const OptimPtrs& b, size_t n, const OptimHyper& h) {
  if (h.l1) sgd_loop<kMomentum, kNesterov, kFirst, true>(b.p, b.g, b.s0, n, h);
  else sgd_loop<kMomentum, kNesterov, kFirst, false>(b.p, b.g, b.s0, n, h);
}

void sgd_step(const OptimPtrs& b, size_t n, const OptimHyper& h) {
  if (!h.has_momentum) return sgd_l1<false, false, false>(b, n, h);
  if (h.first_step) return h.nesterov ? sgd_l1<true, true, true>(b, n, h) : sgd_l1<true, false, true>(b, n, h);
  return h.nesterov ? sgd_l1<true, true, false>(b, n, h) : sgd_l1<true, false, false>(b, n, h);
}

void adagrad_step(const OptimPtrs& b, size_t n, const OptimHyper& h) {
  float* __restrict p = b.p;
  const float* __restrict g = b.g;
  float* __restrict sum = b.s0;
  const float sign = h.sign, wd = h.weight_decay, clr = h.clr, eps = h.eps;
  for (size_t i = 0; i < n; i++) {
    const float gi = sign * g[i] + wd * p[i];
    const float s = sum[i] + gi * gi;
    sum[i] = s;
    p[i] = p[i] - clr * (gi / (__builtin_sqrtf(s) + eps));
  }
}

template <bool kCentered, bool kMomentum>
void rmsprop_loop(const OptimPtrs& b, size_t n, const OptimHyper& h) {
  float* __restrict p = b.p;
  const float* __restrict g = b.g;
  float* __restrict sq = b.s0;
  float* __restrict ga = b.s1;
  float* __restrict mb = b.s2;
  const float sign = h.sign, wd = h.weight_decay, alpha = h.alpha, alpha1 = h.one_minus_alpha, eps = h.eps, mom = h.momentum, lr = h.lr;
  for (size_t i = 0; i < n; i++) {
    const float gi = sign * g[i] + wd * p[i];
    const float s = alpha * sq[i] + alpha1 * gi * gi;
    sq[i] = s;
    float avg;
    if (kCentered) {
      const float a = alpha * ga[i] + alpha1 * gi;
      ga[i] = a;
      avg = __builtin_sqrtf(s - a * a) + eps;
    } else {
      avg = __builtin_sqrtf(s) + eps;
    }
    if (kMomentum) {
      const float m = mom * mb[i] + gi / avg;
      mb[i] = m;
      p[i] = p[i] - lr * m;
    } else {
      p[i] = p[i] - lr * (gi / avg);
    }
  }
}

void rmsprop_step(const OptimPtrs& b, size_t n, const OptimHyper& h) {
  if (h.centered) return h.has_momentum ? rmsprop_loop<true, true>(b, n, h) : rmsprop_loop<true, false>(b, n, h);
  return h.has_momentum ? rmsprop_loop<false, true>(b, n, h) : rmsprop_loop<false, false>(b, n, h);
}

void adadelta_step(const OptimPtrs& b, size_t n, const OptimHyper& h) {
  float* __restrict p = b.p;
  const float* __restrict g = b.g;
  float* __restrict sq = b.s0;
  float* __restrict acc = b.s1;
  const float sign = h.sign, wd = h.weight_decay, rho = h.rho, rho1 = h.one_minus_rho, eps = h.eps, lr = h.lr;
  for (size_t i = 0; i < n; i++) {
    const float gi = sign * g[i] + wd * p[i];
    const float s = rho * sq[i] + rho1 * gi * gi;
    sq[i] = s;
    // One square root of the quotient instead of two (square roots are the costly part here).
    const float d = __builtin_sqrtf((acc[i] + eps) / (s + eps)) * gi;
    acc[i] = rho * acc[i] + rho1 * d * d;
    p[i] = p[i] - lr * d;
  }
}

template <bool kAmsgrad>
void adam_loop(const OptimPtrs& b, size_t n, const OptimHyper& h) {
  float* __restrict p = b.p;
  const float* __restrict g = b.g;
  float* __restrict m = b.s0;
  float* __restrict v = b.s1;
  float* __restrict vmax = b.s2;
  const float sign = h.sign, wd = h.weight_decay, decay = h.decay_factor, b1 = h.beta1, b1c = h.one_minus_beta1;
  const float b2 = h.beta2, b2c = h.one_minus_beta2, eps = h.eps, step = h.step_size, inv_bc2 = h.inv_bc2_sqrt;
  for (size_t i = 0; i < n; i++) {
    const float x = p[i] * decay;
    const float gi = sign * g[i] + wd * x;
    const float mi = b1 * m[i] + b1c * gi;
    float vi = b2 * v[i] + b2c * gi * gi;
    m[i] = mi;
    v[i] = vi;
    if (kAmsgrad) {
      const float vm = vmax[i];
      vi = (vm > vi || vm != vm) ? vm : vi;
      vmax[i] = vi;
    }
    const float denom = __builtin_sqrtf(vi) * inv_bc2 + eps;
    p[i] = x - step * (mi / denom);
  }
}

void adam_step(const OptimPtrs& b, size_t n, const OptimHyper& h) {
  if (h.amsgrad) adam_loop<true>(b, n, h);
  else adam_loop<false>(b, n, h);
}

void adamax_step(const OptimPtrs& b, size_t n, const OptimHyper& h) {
  float* __restrict p = b.p;
  const float* __restrict g = b.g;
  float* __restrict m = b.s0;
  float* __restrict u = b.s1;
  const float sign = h.sign, wd = h.weight_decay, b1 = h.beta1, b1c = h.one_minus_beta1, b2 = h.beta2, eps = h.eps, clr = h.clr;
  for (size_t i = 0; i < n; i++) {
    const float gi = sign * g[i] + wd * p[i];
    const float mi = b1 * m[i] + b1c * gi;
    const float a = b2 * u[i];
    const float c = __builtin_fabsf(gi) + eps;
    const float ui = (a > c || a != a) ? a : c;  // max that keeps NaN, like torch.amax
    m[i] = mi;
    u[i] = ui;
    p[i] = p[i] - clr * (mi / ui);
  }
}

void nadam_step(const OptimPtrs& b, size_t n, const OptimHyper& h) {
  float* __restrict p = b.p;
  const float* __restrict g = b.g;
  float* __restrict m = b.s0;
  float* __restrict v = b.s1;
  const float sign = h.sign, wd = h.weight_decay, b1 = h.beta1, b1c = h.one_minus_beta1, b2 = h.beta2, b2c = h.one_minus_beta2;
  const float eps = h.eps, inv_bc2 = 1.f / h.bc2, cg = h.c_grad, ca = h.c_avg;
  for (size_t i = 0; i < n; i++) {
    const float gi = sign * g[i] + wd * p[i];
    const float mi = b1 * m[i] + b1c * gi;
    const float vi = b2 * v[i] + b2c * gi * gi;
    m[i] = mi;
    v[i] = vi;
    // One division per element (the reciprocal of denom), not three: division and square root are
    // what keep this loop from the memory roofline.
    const float r = 1.f / (__builtin_sqrtf(vi * inv_bc2) + eps);
    const float x = p[i] + cg * (gi * r);
    p[i] = x + ca * (mi * r);
  }
}

template <bool kAdaptive>
void radam_loop(const OptimPtrs& b, size_t n, const OptimHyper& h) {
  float* __restrict p = b.p;
  const float* __restrict g = b.g;
  float* __restrict m = b.s0;
  float* __restrict v = b.s1;
  const float sign = h.sign, wd = h.weight_decay, b1 = h.beta1, b1c = h.one_minus_beta1, b2 = h.beta2, b2c = h.one_minus_beta2;
  const float eps = h.eps, coef = h.coef;
  for (size_t i = 0; i < n; i++) {
    const float gi = sign * g[i] + wd * p[i];
    const float mi = b1 * m[i] + b1c * gi;
    const float vi = b2 * v[i] + b2c * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = kAdaptive ? p[i] - coef * mi / (__builtin_sqrtf(vi) + eps) : p[i] - coef * mi;
  }
}

void radam_step(const OptimPtrs& b, size_t n, const OptimHyper& h) {
  if (h.adaptive) radam_loop<true>(b, n, h);
  else radam_loop<false>(b, n, h);
}

void lion_step(const OptimPtrs& b, size_t n, const OptimHyper& h) {
  float* __restrict p = b.p;
  const float* __restrict g = b.g;
  float* __restrict m = b.s0;
  const float sign = h.sign, lr = h.lr, decay = h.decay_factor, b1 = h.beta1, b1c = h.one_minus_beta1, b2 = h.beta2, b2c = h.one_minus_beta2;
  for (size_t i = 0; i < n; i++) {
    const float gi = sign * g[i];
    const float c = b1 * m[i] + b1c * gi;
    const float s = c > 0.f ? 1.f : (c < 0.f ? -1.f : c);  // sign, 0 for 0, NaN for NaN
    p[i] = p[i] * decay - lr * s;
    m[i] = b2 * m[i] + b2c * gi;
  }
}

// Reductions keep kLanes independent partial sums, so the loop vectorises without reassociating a
// single sum (which -O3 alone may not do for floating point).
constexpr size_t kLanes = 16;

double sum_sq(const float* __restrict x, size_t n) {
  double acc[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t j = 0; j < kLanes; j++) {
      const double v = x[i + j];
      acc[j] += v * v;
    }
  }
  double s = 0;
  for (; i < n; i++) s += static_cast<double>(x[i]) * x[i];
  for (size_t j = 0; j < kLanes; j++) s += acc[j];
  return s;
}

double sum_abs(const float* __restrict x, size_t n) {
  double acc[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t j = 0; j < kLanes; j++) acc[j] += __builtin_fabs(static_cast<double>(x[i + j]));
  }
  double s = 0;
  for (; i < n; i++) s += __builtin_fabs(static_cast<double>(x[i]));
  for (size_t j = 0; j < kLanes; j++) s += acc[j];
  return s;
}

double sum_pow(const float* __restrict x, size_t n, double p) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += __builtin_pow(__builtin_fabs(static_cast<double>(x[i])), p);
  return s;
}

float max_abs(const float* __restrict x, size_t n) {
  float mx[kLanes] = {}, nan[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t j = 0; j < kLanes; j++) {
      const float a = __builtin_fabsf(x[i + j]);
      mx[j] = mx[j] > a ? mx[j] : a;
      nan[j] += x[i + j] - x[i + j];  // NaN for NaN or Inf input; 0 otherwise
    }
  }
  float m = 0, bad = 0;
  for (; i < n; i++) {
    const float a = __builtin_fabsf(x[i]);
    m = m > a ? m : a;
    bad += x[i] - x[i];
  }
  for (size_t j = 0; j < kLanes; j++) {
    m = m > mx[j] ? m : mx[j];
    bad += nan[j];
  }
  // bad is NaN for an Inf too; only a NaN input makes the max NaN (Inf is a valid max).
  if (bad != bad) {
    for (size_t k = 0; k < n; k++) if (x[k] != x[k]) return x[k];
  }
  return m;
}

bool all_finite(const float* __restrict x, size_t n) {
  float acc[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t j = 0; j < kLanes; j++) acc[j] += x[i + j] - x[i + j];
  }
  float s = 0;
  for (; i < n; i++) s += x[i] - x[i];
  for (size_t j = 0; j < kLanes; j++) s += acc[j];
  return s == 0.f;
}

void scale(float* __restrict x, size_t n, float s) {
  for (size_t i = 0; i < n; i++) x[i] *= s;
}

void clamp(float* __restrict x, size_t n, float lo, float hi) {
  for (size_t i = 0; i < n; i++) {
    const float v = x[i];
    x[i] = v < lo ? lo : (v > hi ? hi : v);
  }
}

template <int kCount>
void roofline_loop(float* const* rw, const float* __restrict r, size_t n, float s) {
  float* __restrict a = rw[0];
  float* __restrict b = kCount > 1 ? rw[1] : nullptr;
  float* __restrict c = kCount > 2 ? rw[2] : nullptr;
  float* __restrict d = kCount > 3 ? rw[3] : nullptr;
  for (size_t i = 0; i < n; i++) {
    const float x = s * r[i];
    a[i] += x;
    if (kCount > 1) b[i] += x;
    if (kCount > 2) c[i] += x;
    if (kCount > 3) d[i] += x;
  }
}

void roofline(float* const* rw, int count, const float* r, size_t n, float s) {
  switch (count) {
    case 1: return roofline_loop<1>(rw, r, n, s);
    case 2: return roofline_loop<2>(rw, r, n, s);
    case 3: return roofline_loop<3>(rw, r, n, s);
    default: return roofline_loop<4>(rw, r, n, s);
  }
}

OptimKernels make_optim_kernels() {
  return OptimKernels{sgd_step,  adagrad_step, rmsprop_step, adadelta_step, adam_step, adamax_step,
                      nadam_step, radam_step,  lion_step,    sum_sq,        sum_abs,   sum_pow,
                      max_abs,    all_finite,  scale,        clamp,         roofline};
}
