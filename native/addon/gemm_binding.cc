// N-API glue for SGEMM: checks every argument (types, sizes, strides, array lengths, aliasing), then
// calls the kernel. Nothing a JS caller passes can make the kernel read or write out of bounds.
#include <napi.h>

#include <cstdint>
#include <string>

#include "addon/args.h"
#include "addon/registry.h"
#include "kernels/gemm/sgemm.h"

namespace fastgrad::addon {
namespace {

// Sizes beyond this cannot describe a Float32Array anyway; the bound keeps the arithmetic in range.
constexpr int64_t kMaxDim = int64_t{1} << 40;

// Elements a row-major rows x cols matrix with row stride ld spans (0 when empty); SIZE_MAX on overflow.
size_t span(int64_t rows, int64_t cols, int64_t ld) {
  if (rows == 0 || cols == 0) return 0;
  const size_t body = checked_mul(static_cast<size_t>(rows - 1), static_cast<size_t>(ld));
  return body > SIZE_MAX - static_cast<size_t>(cols) ? SIZE_MAX : body + static_cast<size_t>(cols);
}

bool overlaps(const float* x, size_t x_len, const float* y, size_t y_len) {
  if (x_len == 0 || y_len == 0) return false;
  const auto x0 = reinterpret_cast<uintptr_t>(x), y0 = reinterpret_cast<uintptr_t>(y);
  return x0 < y0 + y_len * sizeof(float) && y0 < x0 + x_len * sizeof(float);
}

// Checks the 13 BLAS arguments shared by sgemm and sgemmBiasAct and returns the call they describe
// (empty when m or n is 0).
struct GemmCall {
  bool trans_a, trans_b;
  int64_t m, n, k, lda, ldb, ldc;
  float alpha, beta;
  const float *a, *b;
  float* c;
};

GemmCall check_gemm_args(const Args& args) {
  GemmCall g;
  g.trans_a = args.boolean(0, "transA");
  g.trans_b = args.boolean(1, "transB");
  g.m = args.integer(2, "m", 0, kMaxDim);
  g.n = args.integer(3, "n", 0, kMaxDim);
  g.k = args.integer(4, "k", 0, kMaxDim);
  g.alpha = static_cast<float>(args.number(5, "alpha"));
  const int64_t a_rows = g.trans_a ? g.k : g.m, a_cols = g.trans_a ? g.m : g.k;
  const int64_t b_rows = g.trans_b ? g.n : g.k, b_cols = g.trans_b ? g.k : g.n;
  g.lda = args.integer(7, "lda", a_cols > 1 ? a_cols : 1, kMaxDim);
  g.ldb = args.integer(9, "ldb", b_cols > 1 ? b_cols : 1, kMaxDim);
  g.beta = static_cast<float>(args.number(10, "beta"));
  g.ldc = args.integer(12, "ldc", g.n > 1 ? g.n : 1, kMaxDim);
  const size_t a_len = span(a_rows, a_cols, g.lda), b_len = span(b_rows, b_cols, g.ldb), c_len = span(g.m, g.n, g.ldc);
  const F32 a = args.f32(6, "A", a_len);
  const F32 b = args.f32(8, "B", b_len);
  const F32 c = args.f32(11, "C", c_len);
  if (overlaps(c.data, c_len, a.data, a_len) || overlaps(c.data, c_len, b.data, b_len)) {
    args.range_error("argument 'C' must not overlap A or B (the output would overwrite inputs still being read)");
  }
  g.a = a.data;
  g.b = b.data;
  g.c = c.data;
  return g;
}

// sgemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc)
Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  Args args(info, "sgemm");
  args.expect_count(13);
  const GemmCall g = check_gemm_args(args);
  if (g.m > 0 && g.n > 0) sgemm(g.trans_a, g.trans_b, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc);
  return info.Env().Undefined();
}

// sgemmBiasAct(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, bias, biasPerRow, relu):
// sgemm with the fused epilogue C = act(... + bias); bias is null or a Float32Array of n values
// (biasPerRow false) or m values (biasPerRow true).
Napi::Value SgemmBiasAct(const Napi::CallbackInfo& info) {
  Args args(info, "sgemmBiasAct");
  args.expect_count(16);
  const GemmCall g = check_gemm_args(args);
  const bool per_row = args.boolean(14, "biasPerRow");
  const bool relu = args.boolean(15, "relu");
  const F32 bias = args.f32_or_null(13, "bias");
  const size_t bias_len = static_cast<size_t>(per_row ? g.m : g.n);
  if (bias.data && bias.length < bias_len) {
    args.range_error("argument 'bias' must hold at least " + std::to_string(bias_len) + " elements (" +
                     (per_row ? "m" : "n") + "), got " + std::to_string(bias.length));
  }
  const size_t c_len = span(g.m, g.n, g.ldc);
  if (bias.data && overlaps(g.c, c_len, bias.data, bias_len)) {
    args.range_error("argument 'C' must not overlap bias");
  }
  GemmEpilogue ep;
  ep.bias = bias.data;
  ep.bias_per_row = per_row;
  ep.act = relu ? Activation::kRelu : Activation::kNone;
  if (g.m > 0 && g.n > 0) {
    sgemm(g.trans_a, g.trans_b, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc, &ep);
  }
  return info.Env().Undefined();
}

// gemmInfo() -> { kernel, mr, nr, kc, mc, nc, mrEdge, narrowN } of the active ISA's SGEMM (tests build edge grids from it).
Napi::Value GemmInfo(const Napi::CallbackInfo& info) {
  const SgemmBlocking blk = sgemm_blocking();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("kernel", blk.kernel);
  o.Set("mr", blk.mr);
  o.Set("nr", blk.nr);
  o.Set("kc", static_cast<double>(blk.kc));
  o.Set("mc", static_cast<double>(blk.mc));
  o.Set("nc", static_cast<double>(blk.nc));
  o.Set("mrEdge", blk.mr_edge);
  o.Set("narrowN", static_cast<double>(blk.narrow_n));
  return o;
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("sgemm", Napi::Function::New(env, Sgemm));
  exports.Set("sgemmBiasAct", Napi::Function::New(env, SgemmBiasAct));
  exports.Set("gemmInfo", Napi::Function::New(env, GemmInfo));
}

}  // namespace
}  // namespace fastgrad::addon

FASTGRAD_REGISTER_BINDINGS(gemm, fastgrad::addon::init)
