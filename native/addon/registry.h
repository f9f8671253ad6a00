// Each binding file registers its functions here at static-initialisation time, so adding a kernel
// family means adding files, not editing addon.cc:
//
//   static void init(Napi::Env env, Napi::Object exports) { exports.Set("sgemm", Napi::Function::New(env, Sgemm)); }
//   FASTGRAD_REGISTER_BINDINGS(gemm, init)
//
// Binding files must be "common" sources (compiled into the addon itself, not an ISA library), so
// the linker keeps their registrars.
#pragma once

#include <napi.h>

namespace fastgrad::addon {

using InitFn = void (*)(Napi::Env env, Napi::Object exports);

struct Registrar {
  Registrar(const char* name, InitFn fn);
};

// Calls every registered init function, in name order (deterministic across builds).
void init_all(Napi::Env env, Napi::Object exports);

// The module initialiser (addon.cc): refuses to load when FASTGRAD_ISA names an unavailable ISA.
Napi::Object Init(Napi::Env env, Napi::Object exports);

}  // namespace fastgrad::addon

#define FASTGRAD_REGISTER_BINDINGS(name, fn) \
  static ::fastgrad::addon::Registrar fastgrad_registrar_##name(#name, fn);
