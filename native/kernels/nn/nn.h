// Fused layer kernels (softmax cross-entropy, Linear, dropout, batch norm): plain C++ over raw
// pointers, no N-API. The addon (addon/nn_binding.cc) validates every argument first; these assume
// valid sizes. The pure-JS twins in src/backend/js/nn.ts define the same semantics.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fastgrad::nn {

// Per-ISA entry points for the kernels where vectorising pays (dropout's hash and batch norm's
// per-channel loops); the rest are generic. nn_kernels() switches on active_isa() each call, so
// setIsa in tests takes effect at once.
struct NNKernels {
  // dst[i] = hash(i) >= threshold ? src[i] * scale : 0, for i in [begin, end).
  void (*dropout_range)(const float* src, float* dst, size_t begin, size_t end, uint32_t k1, uint32_t k2,
                        uint32_t threshold, float scale);
  // y = x * a[ch] + b[ch] over x [n, c, inner].
  void (*channel_affine)(const float* x, float* y, size_t n, size_t c, size_t inner, const float* a, const float* b);
  const char* isa;
};

const NNKernels& nn_kernels();
const NNKernels& nn_kernels_generic();
#if defined(FASTGRAD_HAVE_AVX2)
const NNKernels& nn_kernels_avx2();
#endif

// Softmax cross-entropy forward + backward over logits [n, c] (see NNOps.softmaxCrossEntropy).
// Returns -1, or the first row whose label is not an integer in [0, c).
int64_t softmax_cross_entropy(const float* logits, const float* labels, const float* targets, size_t n, size_t c,
                              float* losses, float* grad, float grad_scale);

// Linear: y[m, n] = x[m, k] w[n, k]^T + b (optional), ReLU optional: one SGEMM with the epilogue.
void linear_forward(const float* x, const float* w, const float* b, float* y, size_t m, size_t n, size_t k, bool relu);
void linear_backward(const float* x, const float* w, const float* y, const float* dy, size_t m, size_t n, size_t k,
                     bool relu, float* dx, float* dw, float* db, bool accumulate);

// Dropout with the counter-based mask (dropout_keys / dropout_hash below).
void dropout(const float* src, float* dst, size_t n, double p, uint32_t seed);

}  // namespace fastgrad::nn
