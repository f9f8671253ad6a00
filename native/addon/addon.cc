// The addon's entry point: module registration and the functions that describe the build and the
// machine (ISA, threads). Kernel bindings live in their own *_binding.cc files and register
// themselves (registry.h).
#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "addon/args.h"
#include "addon/registry.h"
#include "common/isa.h"
#include "common/thread_pool.h"

namespace fastgrad::addon {
namespace {

std::vector<std::pair<std::string, InitFn>>& registry() {
  static std::vector<std::pair<std::string, InitFn>> r;
  return r;
}

// { isa, threads, available: [...], compiled: [...], verified: [...] }
Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", isa_name(active_isa()));
  o.Set("threads", num_threads());
  Napi::Array available = Napi::Array::New(env), compiled = Napi::Array::New(env), unverified = Napi::Array::New(env);
  for (Isa isa : {Isa::kGeneric, Isa::kAvx2, Isa::kAvx512, Isa::kNeon}) {
    if (isa_available(isa)) available.Set(available.Length(), isa_name(isa));
    if (isa_compiled(isa)) compiled.Set(compiled.Length(), isa_name(isa));
    if (isa_compiled(isa) && !isa_verified(isa)) unverified.Set(unverified.Length(), isa_name(isa));
  }
  o.Set("availableIsas", available);
  o.Set("compiledIsas", compiled);
  o.Set("unverifiedIsas", unverified);
#if defined(__x86_64__)
  o.Set("arch", "x64");
#elif defined(__aarch64__)
  o.Set("arch", "arm64");
#else
  o.Set("arch", "other");
#endif
  return o;
}

// setIsa(name): switches every kernel family to another ISA (tests run each path in one process).
Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  Args args(info, "setIsa");
  args.expect_count(1);
  if (!info[0].IsString()) args.type_error("argument 'isa' must be a string, got " + describe(info[0]));
  std::string name = info[0].As<Napi::String>().Utf8Value();
  Isa isa;
  if (!isa_from_name(name.c_str(), &isa)) {
    args.range_error("argument 'isa' must be one of generic, avx2, avx512, neon; got '" + name + "'");
  }
  if (!set_active_isa(isa)) args.range_error("ISA '" + name + "' is not available on this CPU or in this build");
  return info.Env().Undefined();
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Args args(info, "setNumThreads");
  args.expect_count(1);
  set_num_threads(static_cast<int>(args.integer(0, "threads", 1, 1024)));
  return info.Env().Undefined();
}

// dataAlignment(typedArray): the address of its first element modulo 64 (benchmarks align their
// inputs to cache lines, as the C harness does for BLIS and OpenBLAS).
Napi::Value DataAlignment(const Napi::CallbackInfo& info) {
  Args args(info, "dataAlignment");
  args.expect_count(1);
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(info.Env(), info[0], &type, &length, &data, nullptr, nullptr) != napi_ok) {
    args.type_error("argument 'array' must be a typed array, got " + describe(info[0]));
  }
  return Napi::Number::New(info.Env(), static_cast<double>(reinterpret_cast<uintptr_t>(data) % 64));
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  const char* err = select_isa_error();
  if (err && *err) throw Napi::Error::New(env, err);
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  exports.Set("dataAlignment", Napi::Function::New(env, DataAlignment));
  init_all(env, exports);
  return exports;
}

Registrar::Registrar(const char* name, InitFn fn) { registry().emplace_back(name, fn); }

void init_all(Napi::Env env, Napi::Object exports) {
  auto entries = registry();
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& e : entries) e.second(env, exports);
}

}  // namespace fastgrad::addon

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return fastgrad::addon::Init(env, exports); }
NODE_API_MODULE(fastgrad, InitModule)
