// Fused first-order optimizer updates over raw float buffers: each kernel makes one pass over memory,
// reading the parameter, its gradient and the state buffers once and writing each once. Kernels are
// written once as plain loops (optim_impl.h) and compiled per ISA (optim_generic.cc, optim__avx2.cc,
// optim__avx512.cc, optim__neon.cc), where the compiler vectorises them for that ISA. optim_kernels()
// picks the table for active_isa() on every call, so setIsa takes effect at once.
//
// Kernels assume valid input (the addon checks lengths and values): n elements in every buffer,
// buffers not overlapping each other (except that none may alias another).
#pragma once

#include <cstddef>

namespace fastgrad {

// Per-step scalars, computed by the caller in double precision and rounded once to float. Each
// kernel reads the fields its optimizer uses (see the formulas in src/backend/optim.ts).
struct OptimHyper {
  float lr = 0, sign = 1, weight_decay = 0;
  float momentum = 0, one_minus_dampening = 1, l1_threshold = 0;  // SGD (l1_threshold = lr * l1)
  // one_minus_* are computed in double then rounded (1 - 0.999f in float would be off by 1.3e-5).
  float beta1 = 0, beta2 = 0, eps = 0, one_minus_beta1 = 1, one_minus_beta2 = 1;
  float decay_factor = 1, step_size = 0, inv_bc2_sqrt = 1;  // Adam / AdamW
  float alpha = 0, rho = 0, one_minus_alpha = 1, one_minus_rho = 1, clr = 0;                        // RMSprop, Adadelta, Adagrad / Adamax
  float bc2 = 1, c_grad = 0, c_avg = 0;                       // NAdam
  float coef = 0;                                             // RAdam: the step multiplier
  bool nesterov = false, first_step = false, has_momentum = false, l1 = false;
  bool centered = false, amsgrad = false, adaptive = false;
};

// The buffers of one contiguous run: p and g, and up to three state buffers in the order the
// optimizer names them (e.g. Adam: exp_avg, exp_avg_sq, max_exp_avg_sq).
struct OptimPtrs {
  float* p = nullptr;
  const float* g = nullptr;
  float* s0 = nullptr;
  float* s1 = nullptr;
  float* s2 = nullptr;
};

using OptimStepFn = void (*)(const OptimPtrs& b, size_t n, const OptimHyper& h);

struct OptimKernels {
  OptimStepFn sgd, adagrad, rmsprop, adadelta, adam, adamax, nadam, radam, lion;
  // Reductions, accumulated in double: sum of x^2, sum of |x|, sum of |x|^p.
  double (*sum_sq)(const float* x, size_t n);
  double (*sum_abs)(const float* x, size_t n);
  double (*sum_pow)(const float* x, size_t n, double p);
  // max |x|; NaN when any x is NaN.
  float (*max_abs)(const float* x, size_t n);
  bool (*all_finite)(const float* x, size_t n);
  void (*scale)(float* x, size_t n, float s);
  void (*clamp)(float* x, size_t n, float lo, float hi);
  // rw[k][i] += s * r[i] for k < count (1..4): the memory roofline of an update that writes `count`
  // arrays and reads one more.
  void (*roofline)(float* const* rw, int count, const float* r, size_t n, float s);
};

const OptimKernels& optim_kernels_generic();
#if defined(FASTGRAD_HAVE_AVX2)
const OptimKernels& optim_kernels__avx2();
#endif
#if defined(FASTGRAD_HAVE_AVX512)
const OptimKernels& optim_kernels__avx512();
#endif
#if defined(FASTGRAD_HAVE_NEON)
const OptimKernels& optim_kernels__neon();
#endif

// The table for the active ISA.
const OptimKernels& optim_kernels();

// A run of `n` elements at `ptrs`.
struct OptimSegment {
  OptimPtrs ptrs;
  size_t n;
};

// Runs fn over every segment, threaded over the concatenation of the segments when the total is
// large (>= 2 * kOptimGrain elements), on the calling thread otherwise.
constexpr size_t kOptimGrain = size_t{1} << 17;
void optim_apply(OptimStepFn fn, const OptimSegment* segs, size_t count, const OptimHyper& h);

}  // namespace fastgrad
