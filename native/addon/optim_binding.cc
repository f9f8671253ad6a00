// N-API glue for the fused optimizer kernels (native/kernels/optim). Every buffer argument is one
// Float32Array or an Array of Float32Arrays (multi-tensor apply); the checks here guarantee that all
// buffers of a call agree in count and length, and that every hyperparameter is a finite number, so
// no call from JS can make a kernel touch memory out of bounds. Function names and argument order are
// those of OptimOps (src/backend/optim.ts).
#include <napi.h>

#include <cmath>
#include <string>
#include <vector>

#include "addon/args.h"
#include "addon/registry.h"
#include "kernels/optim/optim_kernels.h"

namespace fastgrad::addon {
namespace {

// One buffer argument: absent (null), one array, or a list of arrays.
struct Buf {
  bool present = false;
  bool list = false;
  std::vector<F32> items;
};

Buf parse_buf(const Args& args, const Napi::CallbackInfo& info, size_t i, const char* name, bool optional) {
  Buf b;
  if (i >= info.Length()) args.type_error(std::string("missing argument '") + name + "'");
  Napi::Value v = info[i];
  if (v.IsNull() || v.IsUndefined()) {
    if (!optional) args.type_error(std::string("argument '") + name + "' must be a Float32Array or an Array of them, got " + describe(v));
    return b;
  }
  b.present = true;
  if (v.IsArray()) {
    b.list = true;
    // Straight N-API (two calls per entry): multi-tensor apply over many small tensors must stay
    // cheap, and the C++ wrappers make several calls per typed-array property.
    napi_env env = info.Env();
    napi_value arr = v;
    uint32_t n = 0;
    napi_get_array_length(env, arr, &n);
    b.items.reserve(n);
    for (uint32_t k = 0; k < n; k++) {
      napi_value e;
      napi_typedarray_type type;
      size_t length = 0;
      void* data = nullptr;
      // napi_get_typedarray_info fails (napi_invalid_arg) for anything but a typed array.
      bool ok = napi_get_element(env, arr, k, &e) == napi_ok &&
                napi_get_typedarray_info(env, e, &type, &length, &data, nullptr, nullptr) == napi_ok && type == napi_float32_array;
      if (!ok) {
        args.type_error(std::string("argument '") + name + "'[" + std::to_string(k) + "] must be a Float32Array, got " +
                        describe(Napi::Value(env, e)));
      }
      b.items.push_back(F32{static_cast<float*>(data), length});
    }
  } else {
    b.items.push_back(args.f32(i, name));
  }
  return b;
}

// Checks that `b` has the same form, count and lengths as `ref`.
void check_like(const Args& args, const Buf& ref, const char* ref_name, const Buf& b, const char* name) {
  if (!b.present) return;
  if (b.list != ref.list) {
    args.type_error(std::string("argument '") + name + "' must be " + (ref.list ? "an Array" : "a Float32Array") + " like '" + ref_name + "'");
  }
  if (b.items.size() != ref.items.size()) {
    args.range_error(std::string("argument '") + name + "' has " + std::to_string(b.items.size()) + " entries, '" + ref_name + "' has " +
                     std::to_string(ref.items.size()));
  }
  for (size_t k = 0; k < b.items.size(); k++) {
    if (b.items[k].length != ref.items[k].length) {
      args.range_error(std::string("argument '") + name + "'" + (b.list ? "[" + std::to_string(k) + "]" : "") + " has " +
                       std::to_string(b.items[k].length) + " elements, '" + ref_name + "' has " + std::to_string(ref.items[k].length));
    }
  }
}

float as_float(const Args& args, size_t i, const char* name) {
  double d = args.number(i, name);
  if (std::fabs(d) > 3.4028234663852886e38) args.range_error(std::string("argument '") + name + "' does not fit in a float32");
  return static_cast<float>(d);
}

// A step function takes `n` arguments and, optionally, one more: the Int32Array of segments.
void expect_step_args(const Args& args, size_t n) {
  args.expect_count(n, true);
  if (args.count() > n + 1) args.type_error("expected at most " + std::to_string(n + 1) + " arguments, got " + std::to_string(args.count()));
}

// beta1 and beta2 at arguments i and i+1, with 1 - beta computed in double (rounding beta to float
// first is off by ~1e-5 for 0.999).
void read_betas(const Args& args, size_t i, OptimHyper* h) {
  h->beta1 = as_float(args, i, "beta1");
  h->one_minus_beta1 = static_cast<float>(1.0 - args.number(i, "beta1"));
  h->beta2 = as_float(args, i + 1, "beta2");
  h->one_minus_beta2 = static_cast<float>(1.0 - args.number(i + 1, "beta2"));
}

// Parses p, g and up to three state buffers (names, optional flags), checks them, and runs `fn`.
void run_step(const Args& args, const Napi::CallbackInfo& info, OptimStepFn fn, std::initializer_list<std::pair<const char*, bool>> state,
              const OptimHyper& h, size_t seg_index) {
  Buf p = parse_buf(args, info, 0, "p", false);
  Buf g = parse_buf(args, info, 1, "g", false);
  check_like(args, p, "p", g, "g");
  std::vector<Buf> s;
  size_t idx = 2;
  for (auto& [name, optional] : state) {
    s.push_back(parse_buf(args, info, idx++, name, optional));
    check_like(args, p, "p", s.back(), name);
  }
  // Optional segments (Int32Array of [offset, length] pairs): multi-tensor apply over ranges of one
  // flat buffer per argument, one N-API call per buffer whatever the number of tensors.
  std::vector<std::pair<size_t, size_t>> ranges;
  bool has_ranges = seg_index < info.Length() && !info[seg_index].IsNull() && !info[seg_index].IsUndefined();
  if (has_ranges) {
    if (p.list) args.type_error("argument 'segments' needs one Float32Array per buffer, not lists");
    Napi::Value v = info[seg_index];
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
      args.type_error("argument 'segments' must be an Int32Array of [offset, length] pairs, got " + describe(v));
    }
    auto ia = v.As<Napi::Int32Array>();
    size_t count = ia.ElementLength();
    if (count % 2) args.range_error("argument 'segments' must hold [offset, length] pairs, got an odd length");
    const int32_t* d = ia.Data();
    const size_t total = p.items[0].length;
    for (size_t k = 0; k < count; k += 2) {
      if (d[k] < 0 || d[k + 1] < 0 || static_cast<size_t>(d[k]) + static_cast<size_t>(d[k + 1]) > total) {
        args.range_error("argument 'segments': pair " + std::to_string(k / 2) + " [" + std::to_string(d[k]) + ", " + std::to_string(d[k + 1]) +
                         "] is outside the buffers of " + std::to_string(total) + " elements");
      }
      ranges.emplace_back(static_cast<size_t>(d[k]), static_cast<size_t>(d[k + 1]));
    }
  }
  std::vector<OptimSegment> segs;
  auto add = [&](size_t k, size_t off, size_t n) {
    OptimSegment sg;
    sg.n = n;
    sg.ptrs.p = p.items[k].data + off;
    sg.ptrs.g = g.items[k].data + off;
    float** slots[3] = {&sg.ptrs.s0, &sg.ptrs.s1, &sg.ptrs.s2};
    for (size_t j = 0; j < s.size(); j++) *slots[j] = s[j].present ? s[j].items[k].data + off : nullptr;
    segs.push_back(sg);
  };
  if (has_ranges) {
    for (auto& [off, n] : ranges) add(0, off, n);
  } else {
    for (size_t k = 0; k < p.items.size(); k++) add(k, 0, p.items[k].length);
  }
  optim_apply(fn, segs.data(), segs.size(), h);
}

// Options come after the buffers; `first` is the index of the first option.
Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  Args a(info, "sgdStep");
  expect_step_args(a, 11);
  OptimHyper h;
  h.lr = as_float(a, 3, "lr");
  h.momentum = as_float(a, 4, "momentum");
  h.one_minus_dampening = static_cast<float>(1.0 - a.number(5, "dampening"));
  h.weight_decay = as_float(a, 6, "weightDecay");
  h.nesterov = a.boolean(7, "nesterov");
  h.sign = a.boolean(8, "maximize") ? -1.f : 1.f;
  h.first_step = a.boolean(9, "firstStep");
  double l1 = a.number(10, "l1");
  if (l1 < 0) a.range_error("argument 'l1' must be >= 0");
  h.l1 = l1 > 0;
  h.l1_threshold = static_cast<float>(a.number(3, "lr") * l1);
  Buf mb = parse_buf(a, info, 2, "momentumBuf", true);
  h.has_momentum = mb.present;
  run_step(a, info, optim_kernels().sgd, {{"momentumBuf", true}}, h, 11);
  return info.Env().Undefined();
}

Napi::Value AdagradStep(const Napi::CallbackInfo& info) {
  Args a(info, "adagradStep");
  expect_step_args(a, 7);
  OptimHyper h;
  h.clr = as_float(a, 3, "clr");
  h.eps = as_float(a, 4, "eps");
  h.weight_decay = as_float(a, 5, "weightDecay");
  h.sign = a.boolean(6, "maximize") ? -1.f : 1.f;
  run_step(a, info, optim_kernels().adagrad, {{"sum", false}}, h, 7);
  return info.Env().Undefined();
}

Napi::Value RmspropStep(const Napi::CallbackInfo& info) {
  Args a(info, "rmspropStep");
  expect_step_args(a, 11);
  OptimHyper h;
  h.lr = as_float(a, 5, "lr");
  h.alpha = as_float(a, 6, "alpha");
  h.one_minus_alpha = static_cast<float>(1.0 - a.number(6, "alpha"));
  h.eps = as_float(a, 7, "eps");
  h.weight_decay = as_float(a, 8, "weightDecay");
  h.momentum = as_float(a, 9, "momentum");
  h.sign = a.boolean(10, "maximize") ? -1.f : 1.f;
  h.centered = !(info[3].IsNull() || info[3].IsUndefined());
  h.has_momentum = !(info[4].IsNull() || info[4].IsUndefined());
  run_step(a, info, optim_kernels().rmsprop, {{"squareAvg", false}, {"gradAvg", true}, {"momentumBuf", true}}, h, 11);
  return info.Env().Undefined();
}

Napi::Value AdadeltaStep(const Napi::CallbackInfo& info) {
  Args a(info, "adadeltaStep");
  expect_step_args(a, 9);
  OptimHyper h;
  h.lr = as_float(a, 4, "lr");
  h.rho = as_float(a, 5, "rho");
  h.one_minus_rho = static_cast<float>(1.0 - a.number(5, "rho"));
  h.eps = as_float(a, 6, "eps");
  h.weight_decay = as_float(a, 7, "weightDecay");
  h.sign = a.boolean(8, "maximize") ? -1.f : 1.f;
  run_step(a, info, optim_kernels().adadelta, {{"squareAvg", false}, {"accDelta", false}}, h, 9);
  return info.Env().Undefined();
}

Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  Args a(info, "adamStep");
  expect_step_args(a, 13);
  OptimHyper h;
  read_betas(a, 5, &h);
  h.eps = as_float(a, 7, "eps");
  h.weight_decay = as_float(a, 8, "weightDecay");
  h.decay_factor = as_float(a, 9, "decayFactor");
  h.step_size = as_float(a, 10, "stepSize");
  double bc2s = a.number(11, "bc2Sqrt");
  if (!(bc2s > 0)) a.range_error("argument 'bc2Sqrt' must be > 0");
  h.inv_bc2_sqrt = static_cast<float>(1.0 / bc2s);
  h.sign = a.boolean(12, "maximize") ? -1.f : 1.f;
  h.amsgrad = !(info[4].IsNull() || info[4].IsUndefined());
  run_step(a, info, optim_kernels().adam, {{"expAvg", false}, {"expAvgSq", false}, {"maxExpAvgSq", true}}, h, 13);
  return info.Env().Undefined();
}

Napi::Value AdamaxStep(const Napi::CallbackInfo& info) {
  Args a(info, "adamaxStep");
  expect_step_args(a, 10);
  OptimHyper h;
  read_betas(a, 4, &h);
  h.eps = as_float(a, 6, "eps");
  h.weight_decay = as_float(a, 7, "weightDecay");
  h.clr = as_float(a, 8, "clr");
  h.sign = a.boolean(9, "maximize") ? -1.f : 1.f;
  run_step(a, info, optim_kernels().adamax, {{"expAvg", false}, {"expInf", false}}, h, 10);
  return info.Env().Undefined();
}

Napi::Value NadamStep(const Napi::CallbackInfo& info) {
  Args a(info, "nadamStep");
  expect_step_args(a, 12);
  OptimHyper h;
  read_betas(a, 4, &h);
  h.eps = as_float(a, 6, "eps");
  h.weight_decay = as_float(a, 7, "weightDecay");
  h.bc2 = as_float(a, 8, "bc2");
  h.c_grad = as_float(a, 9, "cGrad");
  h.c_avg = as_float(a, 10, "cAvg");
  h.sign = a.boolean(11, "maximize") ? -1.f : 1.f;
  run_step(a, info, optim_kernels().nadam, {{"expAvg", false}, {"expAvgSq", false}}, h, 12);
  return info.Env().Undefined();
}

Napi::Value RadamStep(const Napi::CallbackInfo& info) {
  Args a(info, "radamStep");
  expect_step_args(a, 14);
  OptimHyper h;
  read_betas(a, 4, &h);
  h.eps = as_float(a, 6, "eps");
  h.weight_decay = as_float(a, 7, "weightDecay");
  double lr = a.number(8, "lr"), bc1 = a.number(9, "bc1"), bc2s = a.number(10, "bc2Sqrt"), rect = a.number(11, "rect");
  if (bc1 == 0) a.range_error("argument 'bc1' must not be 0");
  h.adaptive = a.boolean(12, "adaptive");
  h.coef = static_cast<float>(h.adaptive ? lr * rect * bc2s / bc1 : lr / bc1);
  h.sign = a.boolean(13, "maximize") ? -1.f : 1.f;
  run_step(a, info, optim_kernels().radam, {{"expAvg", false}, {"expAvgSq", false}}, h, 14);
  return info.Env().Undefined();
}

Napi::Value LionStep(const Napi::CallbackInfo& info) {
  Args a(info, "lionStep");
  expect_step_args(a, 8);
  OptimHyper h;
  double lr = a.number(3, "lr");
  h.lr = static_cast<float>(lr);
  read_betas(a, 4, &h);
  h.decay_factor = static_cast<float>(1.0 - lr * a.number(6, "weightDecay"));
  h.sign = a.boolean(7, "maximize") ? -1.f : 1.f;
  run_step(a, info, optim_kernels().lion, {{"expAvg", false}}, h, 8);
  return info.Env().Undefined();
}

// gradNorm(x, normType): float64 accumulation over every segment.
Napi::Value GradNorm(const Napi::CallbackInfo& info) {
  Args a(info, "gradNorm");
  a.expect_count(2);
  Buf x = parse_buf(a, info, 0, "x", false);
  if (!info[1].IsNumber()) a.type_error("argument 'normType' must be a number, got " + describe(info[1]));
  double p = info[1].As<Napi::Number>().DoubleValue();
  if (!(p > 0)) a.range_error("argument 'normType' must be > 0 or Infinity, got " + describe(info[1]));
  const OptimKernels& k = optim_kernels();
  double acc = 0;
  for (const F32& s : x.items) {
    if (std::isinf(p)) {
      double m = k.max_abs(s.data, s.length);
      if (m != m) return Napi::Number::New(info.Env(), m);  // NaN wins
      if (m > acc) acc = m;
    } else if (p == 2) {
      acc += k.sum_sq(s.data, s.length);
    } else if (p == 1) {
      acc += k.sum_abs(s.data, s.length);
    } else {
      acc += k.sum_pow(s.data, s.length, p);
    }
  }
  double norm = std::isinf(p) || p == 1 ? acc : p == 2 ? std::sqrt(acc) : std::pow(acc, 1.0 / p);
  return Napi::Number::New(info.Env(), norm);
}

Napi::Value ScaleInPlace(const Napi::CallbackInfo& info) {
  Args a(info, "scaleInPlace");
  a.expect_count(2);
  Buf x = parse_buf(a, info, 0, "x", false);
  float s = as_float(a, 1, "scale");
  const OptimKernels& k = optim_kernels();
  for (const F32& t : x.items) k.scale(t.data, t.length, s);
  return info.Env().Undefined();
}

Napi::Value ClampInPlace(const Napi::CallbackInfo& info) {
  Args a(info, "clampInPlace");
  a.expect_count(3);
  Buf x = parse_buf(a, info, 0, "x", false);
  float lo = as_float(a, 1, "lo"), hi = as_float(a, 2, "hi");
  if (!(lo <= hi)) a.range_error("argument 'lo' must be <= 'hi'");
  const OptimKernels& k = optim_kernels();
  for (const F32& t : x.items) k.clamp(t.data, t.length, lo, hi);
  return info.Env().Undefined();
}

Napi::Value AllFinite(const Napi::CallbackInfo& info) {
  Args a(info, "allFinite");
  a.expect_count(1);
  Buf x = parse_buf(a, info, 0, "x", false);
  const OptimKernels& k = optim_kernels();
  for (const F32& t : x.items) {
    if (!k.all_finite(t.data, t.length)) return Napi::Boolean::New(info.Env(), false);
  }
  return Napi::Boolean::New(info.Env(), true);
}

// roofline(rw: Float32Array[1..4], r: Float32Array, s): threaded like the optimizer steps.
Napi::Value Roofline(const Napi::CallbackInfo& info) {
  Args a(info, "roofline");
  a.expect_count(3);
  if (!info[0].IsArray()) a.type_error("argument 'rw' must be an Array of 1 to 4 Float32Arrays, got " + describe(info[0]));
  Buf rw = parse_buf(a, info, 0, "rw", false);
  if (rw.items.empty() || rw.items.size() > 4) a.range_error("argument 'rw' must hold 1 to 4 Float32Arrays");
  F32 r = a.f32(1, "r");
  for (size_t k = 0; k < rw.items.size(); k++) {
    if (rw.items[k].length != r.length) a.range_error("argument 'rw'[" + std::to_string(k) + "] must have the length of 'r'");
  }
  float s = as_float(a, 2, "s");
  // Reuse the step driver: pack the arrays into OptimPtrs (p = rw[0], s0..s2 = rw[1..3], g = r).
  int count = static_cast<int>(rw.items.size());
  OptimSegment seg;
  seg.n = r.length;
  seg.ptrs.p = rw.items[0].data;
  seg.ptrs.g = r.data;
  seg.ptrs.s0 = count > 1 ? rw.items[1].data : nullptr;
  seg.ptrs.s1 = count > 2 ? rw.items[2].data : nullptr;
  seg.ptrs.s2 = count > 3 ? rw.items[3].data : nullptr;
  OptimHyper h;
  h.lr = s;
  h.momentum = static_cast<float>(count);
  optim_apply(
      [](const OptimPtrs& b, size_t n, const OptimHyper& hh) {
        float* arrs[4] = {b.p, b.s0, b.s1, b.s2};
        optim_kernels().roofline(arrs, static_cast<int>(hh.momentum), b.g, n, hh.lr);
      },
      &seg, 1, h);
  return info.Env().Undefined();
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("sgdStep", Napi::Function::New(env, SgdStep));
  exports.Set("adagradStep", Napi::Function::New(env, AdagradStep));
  exports.Set("rmspropStep", Napi::Function::New(env, RmspropStep));
  exports.Set("adadeltaStep", Napi::Function::New(env, AdadeltaStep));
  exports.Set("adamStep", Napi::Function::New(env, AdamStep));
  exports.Set("adamaxStep", Napi::Function::New(env, AdamaxStep));
  exports.Set("nadamStep", Napi::Function::New(env, NadamStep));
  exports.Set("radamStep", Napi::Function::New(env, RadamStep));
  exports.Set("lionStep", Napi::Function::New(env, LionStep));
  exports.Set("gradNorm", Napi::Function::New(env, GradNorm));
  exports.Set("scaleInPlace", Napi::Function::New(env, ScaleInPlace));
  exports.Set("clampInPlace", Napi::Function::New(env, ClampInPlace));
  exports.Set("allFinite", Napi::Function::New(env, AllFinite));
  exports.Set("roofline", Napi::Function::New(env, Roofline));
}

}  // namespace
}  // namespace fastgrad::addon

FASTGRAD_REGISTER_BINDINGS(optim, fastgrad::addon::init)
