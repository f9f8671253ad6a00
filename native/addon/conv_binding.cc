// N-API glue for the conv family (conv2d, pooling, BatchNorm2d): every argument is checked here, so
// no JS input can make a kernel read or write out of bounds. No maths.
#include <napi.h>

#include <cstdint>
#include <string>
#include <utility>

#include "addon/args.h"
#include "addon/registry.h"
#include "kernels/conv/batchnorm2d.h"
#include "kernels/conv/batchnorm2d_kernels.h"
#include "kernels/conv/conv2d.h"
#include "kernels/conv/pool.h"

namespace fastgrad::addon {
namespace {

constexpr int64_t kMaxDim = (int64_t{1} << 31) - 1;

size_t mul(std::initializer_list<int64_t> xs) {
  size_t p = 1;
  for (int64_t x : xs) p = checked_mul(p, static_cast<size_t>(x));
  return p;
}

// A writable Int32Array of at least `needed` elements: args.h's accessor checks type and length and
// returns the data read-only; the array itself is the caller's to write.
int32_t* i32_mut(const Args& args, size_t i, const char* name, size_t needed) {
  return const_cast<int32_t*>(args.i32(i, name, needed));
}

// Reads the 14 geometry integers n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups starting at
// argument `at`, and checks that they describe a convolution with a non-empty output.
Conv2dShape conv_shape(const Args& args, size_t at) {
  Conv2dShape s;
  s.n = args.integer(at + 0, "n", 0, kMaxDim);
  s.c = args.integer(at + 1, "inChannels", 1, kMaxDim);
  s.h = args.integer(at + 2, "height", 1, kMaxDim);
  s.w = args.integer(at + 3, "width", 1, kMaxDim);
  s.oc = args.integer(at + 4, "outChannels", 1, kMaxDim);
  s.kh = args.integer(at + 5, "kernelH", 1, kMaxDim);
  s.kw = args.integer(at + 6, "kernelW", 1, kMaxDim);
  s.sh = args.integer(at + 7, "strideH", 1, kMaxDim);
  s.sw = args.integer(at + 8, "strideW", 1, kMaxDim);
  s.ph = args.integer(at + 9, "padH", 0, kMaxDim);
  s.pw = args.integer(at + 10, "padW", 0, kMaxDim);
  s.dh = args.integer(at + 11, "dilationH", 1, kMaxDim);
  s.dw = args.integer(at + 12, "dilationW", 1, kMaxDim);
  s.groups = args.integer(at + 13, "groups", 1, kMaxDim);
  if (s.c % s.groups != 0 || s.oc % s.groups != 0) {
    args.range_error("inChannels (" + std::to_string(s.c) + ") and outChannels (" + std::to_string(s.oc) +
                     ") must be divisible by groups (" + std::to_string(s.groups) + ")");
  }
  const int64_t eh = s.dh * (s.kh - 1) + 1, ew = s.dw * (s.kw - 1) + 1;  // dilated kernel extent
  if (eh > s.h + 2 * s.ph || ew > s.w + 2 * s.pw) {
    args.range_error("the dilated kernel (" + std::to_string(eh) + " x " + std::to_string(ew) +
                     ") is larger than the padded input (" + std::to_string(s.h + 2 * s.ph) + " x " +
                     std::to_string(s.w + 2 * s.pw) + ")");
  }
  // Every flat index a kernel computes must fit in int64 comfortably.
  if (mul({s.n, s.c, s.h, s.w}) > (size_t{1} << 40) || mul({s.n, s.oc, s.out_h(), s.out_w()}) > (size_t{1} << 40) ||
      mul({s.oc, s.c / s.groups, s.kh, s.kw}) > (size_t{1} << 40)) {
    args.range_error("sizes too large");
  }
  return s;
}

Napi::Value Conv2dForward(const Napi::CallbackInfo& info) {
  Args args(info, "conv2dForward");
  args.expect_count(19);
  Conv2dShape s = conv_shape(args, 4);
  const bool relu = args.boolean(18, "relu");
  F32 x = args.f32(0, "x", mul({s.n, s.c, s.h, s.w}));
  F32 w = args.f32(1, "weight", mul({s.oc, s.c / s.groups, s.kh, s.kw}));
  F32 b = args.f32_or_null(2, "bias");
  if (b.data && b.length < static_cast<size_t>(s.oc)) args.range_error("argument 'bias' must hold at least outChannels elements");
  F32 y = args.f32(3, "out", mul({s.n, s.oc, s.out_h(), s.out_w()}));
  conv2d_forward(s, x.data, w.data, b.data, relu, y.data);
  return info.Env().Undefined();
}

Napi::Value Conv2dBackward(const Napi::CallbackInfo& info) {
  Args args(info, "conv2dBackward");
  args.expect_count(20);
  Conv2dShape s = conv_shape(args, 6);
  F32 x = args.f32(0, "x", mul({s.n, s.c, s.h, s.w}));
  F32 dy = args.f32(1, "gradOut", mul({s.n, s.oc, s.out_h(), s.out_w()}));
  F32 w = args.f32(2, "weight", mul({s.oc, s.c / s.groups, s.kh, s.kw}));
  F32 dx = args.f32_or_null(3, "gradInput");
  if (dx.data && dx.length < mul({s.n, s.c, s.h, s.w})) args.range_error("argument 'gradInput' must hold at least n * c * h * w elements");
  F32 dw = args.f32_or_null(4, "gradWeight");
  if (dw.data && dw.length < mul({s.oc, s.c / s.groups, s.kh, s.kw}))
    args.range_error("argument 'gradWeight' must hold at least outChannels * c / groups * kh * kw elements");
  F32 db = args.f32_or_null(5, "gradBias");
  if (db.data && db.length < static_cast<size_t>(s.oc)) args.range_error("argument 'gradBias' must hold at least outChannels elements");
  conv2d_backward(s, x.data, dy.data, w.data, dx.data, dw.data, db.data);
  return info.Env().Undefined();
}

// The window integers kh, kw, sh, sw, ph, pw from argument `at`, for pooling n x c planes of h x w,
// checked. Padding may be at most half the kernel (as PyTorch requires), so every window holds at
// least one input element. A non-empty prefix names the arguments prefixKernelH etc.
Pool2dShape pool_window(const Args& args, size_t at, int64_t n, int64_t c, int64_t h, int64_t w, const std::string& prefix) {
  auto name = [&](std::string base) {
    if (prefix.empty()) return base;
    base[0] = static_cast<char>(base[0] - 'a' + 'A');
    return prefix + base;
  };
  Pool2dShape s;
  s.n = n;
  s.c = c;
  s.h = h;
  s.w = w;
  s.kh = args.integer(at + 0, name("kernelH").c_str(), 1, kMaxDim);
  s.kw = args.integer(at + 1, name("kernelW").c_str(), 1, kMaxDim);
  s.sh = args.integer(at + 2, name("strideH").c_str(), 1, kMaxDim);
  s.sw = args.integer(at + 3, name("strideW").c_str(), 1, kMaxDim);
  s.ph = args.integer(at + 4, name("padH").c_str(), 0, s.kh / 2);
  s.pw = args.integer(at + 5, name("padW").c_str(), 0, s.kw / 2);
  if (s.kh > s.h + 2 * s.ph || s.kw > s.w + 2 * s.pw) {
    args.range_error("the " + (prefix.empty() ? std::string() : prefix + " ") + "kernel (" + std::to_string(s.kh) +
                     " x " + std::to_string(s.kw) + ") is larger than the padded input (" + std::to_string(s.h + 2 * s.ph) + " x " +
                     std::to_string(s.w + 2 * s.pw) + ")");
  }
  if (s.h * s.w > kMaxDim || mul({s.n, s.c, s.h, s.w}) > (size_t{1} << 40)) args.range_error("sizes too large");
  return s;
}

// n, c, h, w, then the window, from argument `at`.
Pool2dShape pool_shape(const Args& args, size_t at) {
  const int64_t n = args.integer(at + 0, "n", 0, kMaxDim);
  const int64_t c = args.integer(at + 1, "channels", 1, kMaxDim);
  const int64_t h = args.integer(at + 2, "height", 1, kMaxDim);
  const int64_t w = args.integer(at + 3, "width", 1, kMaxDim);
  return pool_window(args, at + 4, n, c, h, w, "");
}

Napi::Value MaxPool2dForward(const Napi::CallbackInfo& info) {
  Args args(info, "maxPool2dForward");
  args.expect_count(13);
  Pool2dShape s = pool_shape(args, 3);
  const size_t out = mul({s.n, s.c, s.out_h(), s.out_w()});
  F32 x = args.f32(0, "x", mul({s.n, s.c, s.h, s.w}));
  F32 y = args.f32(1, "out", out);
  int32_t* idx = i32_mut(args, 2, "indices", out);
  max_pool2d_forward(s, x.data, y.data, idx);
  return info.Env().Undefined();
}

Napi::Value MaxPool2dBackward(const Napi::CallbackInfo& info) {
  Args args(info, "maxPool2dBackward");
  args.expect_count(13);
  Pool2dShape s = pool_shape(args, 3);
  const size_t out = mul({s.n, s.c, s.out_h(), s.out_w()});
  F32 dy = args.f32(0, "gradOut", out);
  const int32_t* idx = args.i32(1, "indices", out);
  F32 dx = args.f32(2, "gradInput", mul({s.n, s.c, s.h, s.w}));
  max_pool2d_backward(s, dy.data, idx, dx.data);  // the kernel skips indices outside the plane
  return info.Env().Undefined();
}

Napi::Value AvgPool2dForward(const Napi::CallbackInfo& info) {
  Args args(info, "avgPool2dForward");
  args.expect_count(13);
  Pool2dShape s = pool_shape(args, 2);
  const bool include_pad = args.boolean(12, "countIncludePad");
  F32 x = args.f32(0, "x", mul({s.n, s.c, s.h, s.w}));
  F32 y = args.f32(1, "out", mul({s.n, s.c, s.out_h(), s.out_w()}));
  avg_pool2d_forward(s, include_pad, x.data, y.data);
  return info.Env().Undefined();
}

Napi::Value AvgPool2dBackward(const Napi::CallbackInfo& info) {
  Args args(info, "avgPool2dBackward");
  args.expect_count(13);
  Pool2dShape s = pool_shape(args, 2);
  const bool include_pad = args.boolean(12, "countIncludePad");
  F32 dy = args.f32(0, "gradOut", mul({s.n, s.c, s.out_h(), s.out_w()}));
  F32 dx = args.f32(1, "gradInput", mul({s.n, s.c, s.h, s.w}));
  avg_pool2d_backward(s, include_pad, dy.data, dx.data);
  return info.Env().Undefined();
}

Napi::Value GlobalAvgPool2dForward(const Napi::CallbackInfo& info) {
  Args args(info, "globalAvgPool2dForward");
  args.expect_count(4);
  const int64_t planes = args.integer(2, "planes", 0, int64_t{1} << 40);
  const int64_t hw = args.integer(3, "planeSize", 1, int64_t{1} << 40);
  F32 x = args.f32(0, "x", mul({planes, hw}));
  F32 y = args.f32(1, "out", static_cast<size_t>(planes));
  global_avg_pool_forward(planes, hw, x.data, y.data);
  return info.Env().Undefined();
}

Napi::Value GlobalAvgPool2dBackward(const Napi::CallbackInfo& info) {
  Args args(info, "globalAvgPool2dBackward");
  args.expect_count(4);
  const int64_t planes = args.integer(2, "planes", 0, int64_t{1} << 40);
  const int64_t hw = args.integer(3, "planeSize", 1, int64_t{1} << 40);
  F32 dy = args.f32(0, "gradOut", static_cast<size_t>(planes));
  F32 dx = args.f32(1, "gradInput", mul({planes, hw}));
  global_avg_pool_backward(planes, hw, dy.data, dx.data);
  return info.Env().Undefined();
}

// A per-channel vector: null allowed when optional, else at least c elements.
// BatchNorm's eps at argument `at`: > 0.
float checked_eps(const Args& args, size_t at) {
  const double eps = args.number(at, "eps");
  if (!(eps > 0)) args.range_error("argument 'eps' must be > 0");
  return static_cast<float>(eps);
}

// Training-mode BatchNorm's eps and momentum at arguments `at` and `at + 1`.
std::pair<float, float> train_hyper(const Args& args, size_t at) {
  const float eps = checked_eps(args, at);
  const double momentum = args.number(at + 1, "momentum");
  if (momentum < 0 || momentum > 1) args.range_error("argument 'momentum' must be in [0, 1]");
  return {eps, static_cast<float>(momentum)};
}

F32 channel_vec(const Args& args, size_t i, const char* name, int64_t c, bool optional) {
  F32 v = optional ? args.f32_or_null(i, name) : args.f32(i, name);
  if ((v.data || !optional) && v.length < static_cast<size_t>(c)) {
    args.range_error(std::string("argument '") + name + "' must hold at least " + std::to_string(c) +
                     " elements (one per channel), got " + std::to_string(v.length));
  }
  return v;
}

struct BnDims {
  int64_t n, c, hw;
  size_t total;
};

BnDims bn_dims(const Args& args, size_t at) {
  BnDims d;
  d.n = args.integer(at, "n", 0, int64_t{1} << 40);
  d.c = args.integer(at + 1, "channels", 1, int64_t{1} << 40);
  d.hw = args.integer(at + 2, "planeSize", 1, int64_t{1} << 40);
  d.total = mul({d.n, d.c, d.hw});
  if (d.total > (size_t{1} << 40)) args.range_error("sizes too large");
  return d;
}

Napi::Value BatchNorm2dForwardTrain(const Napi::CallbackInfo& info) {
  Args args(info, "batchNorm2dForwardTrain");
  args.expect_count(14);
  BnDims d = bn_dims(args, 8);
  const auto [eps, momentum] = train_hyper(args, 11);
  const bool relu = args.boolean(13, "relu");
  F32 x = args.f32(0, "x", d.total);
  F32 gamma = channel_vec(args, 1, "weight", d.c, true);
  F32 beta = channel_vec(args, 2, "bias", d.c, true);
  F32 y = args.f32(3, "out", d.total);
  F32 sm = channel_vec(args, 4, "saveMean", d.c, false);
  F32 si = channel_vec(args, 5, "saveInvstd", d.c, false);
  F32 rm = channel_vec(args, 6, "runningMean", d.c, true);
  F32 rv = channel_vec(args, 7, "runningVar", d.c, true);
  if (d.n * d.hw == 0) args.range_error("training-mode batch norm needs at least one value per channel");
  batch_norm2d_forward_train(d.n, d.c, d.hw, x.data, gamma.data, beta.data, eps,
                             momentum, relu, y.data, sm.data, si.data, rm.data, rv.data);
  return info.Env().Undefined();
}

Napi::Value BatchNorm2dForwardEval(const Napi::CallbackInfo& info) {
  Args args(info, "batchNorm2dForwardEval");
  args.expect_count(11);
  BnDims d = bn_dims(args, 6);
  const float eps = checked_eps(args, 9);
  const bool relu = args.boolean(10, "relu");
  F32 x = args.f32(0, "x", d.total);
  F32 gamma = channel_vec(args, 1, "weight", d.c, true);
  F32 beta = channel_vec(args, 2, "bias", d.c, true);
  F32 rm = channel_vec(args, 3, "runningMean", d.c, false);
  F32 rv = channel_vec(args, 4, "runningVar", d.c, false);
  F32 y = args.f32(5, "out", d.total);
  batch_norm2d_forward_eval(d.n, d.c, d.hw, x.data, gamma.data, beta.data, rm.data, rv.data, eps, relu,
                            y.data);
  return info.Env().Undefined();
}

Napi::Value BatchNorm2dBackward(const Napi::CallbackInfo& info) {
  Args args(info, "batchNorm2dBackward");
  args.expect_count(13);
  BnDims d = bn_dims(args, 10);
  F32 x = args.f32(0, "x", d.total);
  F32 dy = args.f32(1, "gradOut", d.total);
  const bool relu = args.boolean(2, "relu");
  F32 gamma = channel_vec(args, 3, "weight", d.c, true);
  F32 beta = channel_vec(args, 4, "bias", d.c, true);
  F32 sm = channel_vec(args, 5, "saveMean", d.c, false);
  F32 si = channel_vec(args, 6, "saveInvstd", d.c, false);
  F32 dx = args.f32(7, "gradInput", d.total);
  F32 dg = channel_vec(args, 8, "gradWeight", d.c, true);
  F32 db = channel_vec(args, 9, "gradBias", d.c, true);
  if (d.n * d.hw == 0) args.range_error("training-mode batch norm needs at least one value per channel");
  batch_norm2d_backward(d.n, d.c, d.hw, x.data, dy.data, relu, gamma.data, beta.data, sm.data, si.data, dx.data, dg.data,
                        db.data);
  return info.Env().Undefined();
}

// The pooling geometry of the fused BatchNorm2d + ReLU + MaxPool2d ops, from pool_shape's checks.
BnPoolGeom bn_pool_geom(const Pool2dShape& s) {
  return BnPoolGeom{s.kh, s.kw, s.sh, s.sw, s.ph, s.pw, s.out_h(), s.out_w()};
}

Napi::Value BatchNorm2dReluMaxPool2dForwardTrain(const Napi::CallbackInfo& info) {
  Args args(info, "batchNorm2dReluMaxPool2dForwardTrain");
  args.expect_count(21);
  Pool2dShape s = pool_shape(args, 9);
  const auto [eps, momentum] = train_hyper(args, 19);
  if (s.n == 0) args.range_error("training-mode batch norm needs at least one value per channel");
  const size_t total = mul({s.n, s.c, s.h, s.w}), pooled = mul({s.n, s.c, s.out_h(), s.out_w()});
  F32 x = args.f32(0, "x", total);
  F32 gamma = channel_vec(args, 1, "weight", s.c, true);
  F32 beta = channel_vec(args, 2, "bias", s.c, true);
  F32 y = args.f32(3, "out", pooled);
  int32_t* idx = i32_mut(args, 4, "indices", pooled);
  F32 sm = channel_vec(args, 5, "saveMean", s.c, false);
  F32 si = channel_vec(args, 6, "saveInvstd", s.c, false);
  F32 rm = channel_vec(args, 7, "runningMean", s.c, true);
  F32 rv = channel_vec(args, 8, "runningVar", s.c, true);
  batch_norm2d_relu_max_pool2d_forward_train(s.n, s.c, s.h, s.w, x.data, gamma.data, beta.data, eps,
                                             momentum, bn_pool_geom(s), y.data, idx, sm.data, si.data,
                                             rm.data, rv.data);
  return info.Env().Undefined();
}

Napi::Value BatchNorm2dReluMaxPool2dBackward(const Napi::CallbackInfo& info) {
  Args args(info, "batchNorm2dReluMaxPool2dBackward");
  args.expect_count(21);
  Pool2dShape s = pool_shape(args, 11);
  if (s.n == 0) args.range_error("training-mode batch norm needs at least one value per channel");
  const size_t total = mul({s.n, s.c, s.h, s.w}), pooled = mul({s.n, s.c, s.out_h(), s.out_w()});
  F32 x = args.f32(0, "x", total);
  F32 y = args.f32(1, "out", pooled);
  F32 dy = args.f32(2, "gradOut", pooled);
  const int32_t* idx = args.i32(3, "indices", pooled);
  F32 gamma = channel_vec(args, 4, "weight", s.c, true);
  F32 beta = channel_vec(args, 5, "bias", s.c, true);
  F32 sm = channel_vec(args, 6, "saveMean", s.c, false);
  F32 si = channel_vec(args, 7, "saveInvstd", s.c, false);
  F32 dx = args.f32(8, "gradInput", total);
  F32 dg = channel_vec(args, 9, "gradWeight", s.c, true);
  F32 db = channel_vec(args, 10, "gradBias", s.c, true);
  // The kernel skips indices outside the plane.
  batch_norm2d_relu_max_pool2d_backward(s.n, s.c, s.h, s.w, x.data, y.data, dy.data, idx, gamma.data, beta.data, sm.data, si.data,
                                        bn_pool_geom(s), dx.data, dg.data, db.data);
  return info.Env().Undefined();
}

// The geometry of the fused Conv2d + BatchNorm2d + ReLU + MaxPool2d: 14 conv integers (one group,
// few taps) from `at`, then the pooling window over the conv output.
struct ConvBnPoolShape {
  Conv2dShape conv;
  Pool2dShape pool;
};

ConvBnPoolShape conv_bn_pool_shape(const Args& args, size_t at) {
  ConvBnPoolShape g;
  g.conv = conv_shape(args, at);
  if (g.conv.groups != 1) args.range_error("groups must be 1, got " + std::to_string(g.conv.groups));
  const int64_t taps = g.conv.c * g.conv.kh * g.conv.kw;
  if (taps > kConvBnPoolMaxTaps) {
    args.range_error("inChannels * kernelH * kernelW must be at most " + std::to_string(kConvBnPoolMaxTaps) + ", got " +
                     std::to_string(taps));
  }
  if (g.conv.n == 0) args.range_error("training-mode batch norm needs at least one value per channel");
  g.pool = pool_window(args, at + 14, g.conv.n, g.conv.oc, g.conv.out_h(), g.conv.out_w(), "pool");
  return g;
}

// The patch moments the fused op's forward saves for its backward: K means and a K x K covariance.
size_t moments_size(const Conv2dShape& s) {
  const size_t taps = mul({s.c, s.kh, s.kw});
  return taps + taps * taps;
}

Napi::Value Conv2dBatchNorm2dReluMaxPool2dForwardTrain(const Napi::CallbackInfo& info) {
  Args args(info, "conv2dBatchNorm2dReluMaxPool2dForwardTrain");
  args.expect_count(34);
  const ConvBnPoolShape g = conv_bn_pool_shape(args, 12);
  const Conv2dShape& s = g.conv;
  const auto [eps, momentum] = train_hyper(args, 32);
  const size_t pooled = mul({s.n, s.oc, g.pool.out_h(), g.pool.out_w()});
  F32 x = args.f32(0, "x", mul({s.n, s.c, s.h, s.w}));
  F32 w = args.f32(1, "convWeight", mul({s.oc, s.c, s.kh, s.kw}));
  F32 b = channel_vec(args, 2, "convBias", s.oc, true);
  F32 gamma = channel_vec(args, 3, "bnWeight", s.oc, true);
  F32 beta = channel_vec(args, 4, "bnBias", s.oc, true);
  F32 y = args.f32(5, "out", pooled);
  int32_t* idx = i32_mut(args, 6, "indices", pooled);
  F32 sm = channel_vec(args, 7, "saveMean", s.oc, false);
  F32 si = channel_vec(args, 8, "saveInvstd", s.oc, false);
  double* moments = args.f64_mut(9, "patchMoments", moments_size(s));
  F32 rm = channel_vec(args, 10, "runningMean", s.oc, true);
  F32 rv = channel_vec(args, 11, "runningVar", s.oc, true);
  conv2d_batch_norm2d_relu_max_pool2d_forward_train(s, bn_pool_geom(g.pool), x.data, w.data, b.data, gamma.data, beta.data,
                                                    eps, momentum, y.data, idx, sm.data, si.data, moments, rm.data,
                                                    rv.data);
  return info.Env().Undefined();
}

Napi::Value Conv2dBatchNorm2dReluMaxPool2dBackward(const Napi::CallbackInfo& info) {
  Args args(info, "conv2dBatchNorm2dReluMaxPool2dBackward");
  args.expect_count(35);
  const ConvBnPoolShape g = conv_bn_pool_shape(args, 15);
  const Conv2dShape& s = g.conv;
  const size_t pooled = mul({s.n, s.oc, g.pool.out_h(), g.pool.out_w()});
  F32 x = args.f32(0, "x", mul({s.n, s.c, s.h, s.w}));
  F32 w = args.f32(1, "convWeight", mul({s.oc, s.c, s.kh, s.kw}));
  channel_vec(args, 2, "convBias", s.oc, true);  // checked for the interface's sake; its gradient alone needs no input
  F32 gamma = channel_vec(args, 3, "bnWeight", s.oc, true);
  channel_vec(args, 4, "bnBias", s.oc, true);  // the mask comes from the pooled output
  F32 y = args.f32(5, "out", pooled);
  F32 dy = args.f32(6, "gradOut", pooled);
  const int32_t* idx = args.i32(7, "indices", pooled);
  F32 sm = channel_vec(args, 8, "saveMean", s.oc, false);
  F32 si = channel_vec(args, 9, "saveInvstd", s.oc, false);
  const double* moments = args.f64_mut(10, "patchMoments", moments_size(s));
  F32 dw = args.f32_or_null(11, "gradConvWeight");
  if (dw.data && dw.length < mul({s.oc, s.c, s.kh, s.kw})) args.range_error("argument 'gradConvWeight' is shorter than the weight");
  F32 db = channel_vec(args, 12, "gradConvBias", s.oc, true);
  F32 dg = channel_vec(args, 13, "gradBnWeight", s.oc, true);
  F32 dbeta = channel_vec(args, 14, "gradBnBias", s.oc, true);
  // The kernel skips indices outside the plane.
  conv2d_batch_norm2d_relu_max_pool2d_backward(s, bn_pool_geom(g.pool), x.data, w.data, gamma.data, sm.data, si.data,
                                               moments, y.data, dy.data, idx, dw.data, db.data, dg.data, dbeta.data);
  return info.Env().Undefined();
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2dBatchNorm2dReluMaxPool2dForwardTrain", Napi::Function::New(env, Conv2dBatchNorm2dReluMaxPool2dForwardTrain));
  exports.Set("conv2dBatchNorm2dReluMaxPool2dBackward", Napi::Function::New(env, Conv2dBatchNorm2dReluMaxPool2dBackward));
  exports.Set("batchNorm2dReluMaxPool2dForwardTrain", Napi::Function::New(env, BatchNorm2dReluMaxPool2dForwardTrain));
  exports.Set("batchNorm2dReluMaxPool2dBackward", Napi::Function::New(env, BatchNorm2dReluMaxPool2dBackward));
  exports.Set("conv2dForward", Napi::Function::New(env, Conv2dForward));
  exports.Set("conv2dBackward", Napi::Function::New(env, Conv2dBackward));
  exports.Set("maxPool2dForward", Napi::Function::New(env, MaxPool2dForward));
  exports.Set("maxPool2dBackward", Napi::Function::New(env, MaxPool2dBackward));
  exports.Set("avgPool2dForward", Napi::Function::New(env, AvgPool2dForward));
  exports.Set("avgPool2dBackward", Napi::Function::New(env, AvgPool2dBackward));
  exports.Set("globalAvgPool2dForward", Napi::Function::New(env, GlobalAvgPool2dForward));
  exports.Set("globalAvgPool2dBackward", Napi::Function::New(env, GlobalAvgPool2dBackward));
  exports.Set("batchNorm2dForwardTrain", Napi::Function::New(env, BatchNorm2dForwardTrain));
  exports.Set("batchNorm2dForwardEval", Napi::Function::New(env, BatchNorm2dForwardEval));
  exports.Set("batchNorm2dBackward", Napi::Function::New(env, BatchNorm2dBackward));
}

}  // namespace

FASTGRAD_REGISTER_BINDINGS(conv, init)

}  // namespace fastgrad::addon
