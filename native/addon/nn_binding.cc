// N-API glue for the fused layer kernels (kernels/nn). Every argument is checked (Args): types,
// sizes, and that every buffer holds what the sizes imply, so no call from JS can reach memory out
// of bounds. Signatures match NNOps in src/backend/nn.ts exactly.
#include <napi.h>

#include <cstdint>

#include "addon/args.h"
#include "addon/registry.h"
#include "kernels/nn/nn.h"

namespace fastgrad::addon {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 40;

size_t dim(const Args& a, size_t i, const char* name, int64_t lo = 0) {
  return static_cast<size_t>(a.integer(i, name, lo, kMaxDim));
}

// softmaxCrossEntropy(logits, labels|null, targets|null, n, c, losses, grad|null, gradScale) -> -1 | bad row
Napi::Value SoftmaxCrossEntropy(const Napi::CallbackInfo& info) {
  Args a(info, "softmaxCrossEntropy");
  a.expect_count(8);
  const size_t n = dim(a, 3, "n"), c = dim(a, 4, "c", 1);
  const size_t nc = checked_mul(n, c);
  F32 logits = a.f32(0, "logits", nc);
  F32 labels = a.f32_or_null(1, "labels");
  F32 targets = a.f32_or_null(2, "targets");
  if ((labels.data == nullptr) == (targets.data == nullptr)) {
    a.type_error("exactly one of 'labels' and 'targets' must be a Float32Array, the other null");
  }
  if (labels.data) labels = a.f32(1, "labels", n);
  if (targets.data) targets = a.f32(2, "targets", nc);
  F32 losses = a.f32(5, "losses", n);
  F32 grad = a.f32_or_null(6, "grad");
  if (grad.data) grad = a.f32(6, "grad", nc);
  const double scale = a.number(7, "gradScale");
  int64_t bad = nn::softmax_cross_entropy(logits.data, labels.data, targets.data, n, c, losses.data, grad.data,
                                          static_cast<float>(scale));
  return Napi::Number::New(info.Env(), static_cast<double>(bad));
}

// linearForward(x, w, b|null, y, m, n, k, relu)
Napi::Value LinearForward(const Napi::CallbackInfo& info) {
  Args a(info, "linearForward");
  a.expect_count(8);
  const size_t m = dim(a, 4, "m"), n = dim(a, 5, "n"), k = dim(a, 6, "k");
  F32 x = a.f32(0, "x", checked_mul(m, k));
  F32 w = a.f32(1, "w", checked_mul(n, k));
  F32 b = a.f32_or_null(2, "b");
  if (b.data) b = a.f32(2, "b", n);
  F32 y = a.f32(3, "y", checked_mul(m, n));
  const bool relu = a.boolean(7, "relu");
  nn::linear_forward(x.data, w.data, b.data, y.data, m, n, k, relu);
  return info.Env().Undefined();
}

// linearBackward(x, w, y, dy, m, n, k, relu, dx|null, dw|null, db|null, accumulate)
Napi::Value LinearBackward(const Napi::CallbackInfo& info) {
  Args a(info, "linearBackward");
  a.expect_count(12);
  const size_t m = dim(a, 4, "m"), n = dim(a, 5, "n"), k = dim(a, 6, "k");
  const size_t mk = checked_mul(m, k), nk = checked_mul(n, k), mn = checked_mul(m, n);
  F32 x = a.f32(0, "x", mk);
  F32 w = a.f32(1, "w", nk);
  F32 y = a.f32(2, "y", mn);
  F32 dy = a.f32(3, "dy", mn);
  const bool relu = a.boolean(7, "relu");
  F32 dx = a.f32_or_null(8, "dx");
  if (dx.data) dx = a.f32(8, "dx", mk);
  F32 dw = a.f32_or_null(9, "dw");
  if (dw.data) dw = a.f32(9, "dw", nk);
  F32 db = a.f32_or_null(10, "db");
  if (db.data) db = a.f32(10, "db", n);
  const bool accumulate = a.boolean(11, "accumulate");
  nn::linear_backward(x.data, w.data, y.data, dy.data, m, n, k, relu, dx.data, dw.data, db.data, accumulate);
  return info.Env().Undefined();
}

// dropout(src, dst, n, p, seed)
Napi::Value Dropout(const Napi::CallbackInfo& info) {
  Args a(info, "dropout");
  a.expect_count(5);
  const size_t n = dim(a, 2, "n");
  F32 src = a.f32(0, "src", n);
  F32 dst = a.f32(1, "dst", n);
  const double p = a.number(3, "p");
  if (!(p >= 0.0 && p <= 1.0)) a.range_error("argument 'p' must be in [0, 1], got " + std::to_string(p));
  const uint32_t seed = static_cast<uint32_t>(a.integer(4, "seed", 0, 4294967295LL));
  nn::dropout(src.data, dst.data, n, p, seed);
  return info.Env().Undefined();
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("softmaxCrossEntropy", Napi::Function::New(env, SoftmaxCrossEntropy));
  exports.Set("linearForward", Napi::Function::New(env, LinearForward));
  exports.Set("linearBackward", Napi::Function::New(env, LinearBackward));
  exports.Set("dropout", Napi::Function::New(env, Dropout));
}

}  // namespace

FASTGRAD_REGISTER_BINDINGS(nn, init)

}  // namespace fastgrad::addon
