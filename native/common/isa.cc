#include "common/isa.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#define FASTGRAD_X86 1
#endif

namespace fastgrad {
namespace {

#ifdef FASTGRAD_X86
// XGETBV without needing -mxsave on this (baseline) translation unit.
unsigned long long read_xcr0() {
  unsigned int eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}
#endif

CpuFeatures detect() {
  CpuFeatures f;
#ifdef FASTGRAD_X86
  unsigned int a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = c & (1u << 27);
  const bool avx = c & (1u << 28);
  const bool fma = c & (1u << 12);
  if (!osxsave || !avx) return f;
  const unsigned long long xcr0 = read_xcr0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;            // SSE + AVX state saved by the OS
  const bool zmm_state = (xcr0 & 0xe6) == 0xe6;          // + opmask, ZMM_Hi256, Hi16_ZMM
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
  const bool avx2 = b & (1u << 5);
  const bool avx512f = b & (1u << 16), avx512dq = b & (1u << 17);
  const bool avx512bw = b & (1u << 30), avx512vl = b & (1u << 31);
  f.avx2_fma = ymm_state && avx2 && fma;
  f.avx512 = f.avx2_fma && zmm_state && avx512f && avx512dq && avx512bw && avx512vl;
#elif defined(__aarch64__)
  f.neon = true;  // Advanced SIMD is part of the arm64 baseline.
#endif
  return f;
}

std::atomic<int> g_active{-1};
std::string g_error;

Isa choose() {
  const char* forced = std::getenv("FASTGRAD_ISA");
  if (forced && *forced) {
    Isa isa;
    if (!isa_from_name(forced, &isa)) {
      g_error = std::string("FASTGRAD_ISA must be one of generic, avx2, avx512, neon; got '") + forced + "'";
    } else if (!isa_available(isa)) {
      g_error = std::string("FASTGRAD_ISA=") + forced + " is not available: " +
                (isa_compiled(isa) ? "this CPU does not support it" : "this binary was built without it");
    } else {
      return isa;
    }
  }
  for (Isa isa : {Isa::kAvx512, Isa::kAvx2, Isa::kNeon}) {
    if (isa_available(isa) && isa_verified(isa)) return isa;
  }
  return Isa::kGeneric;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = detect();
  return f;
}

bool isa_compiled(Isa isa) {
  switch (isa) {
    case Isa::kGeneric: return true;
#if defined(FASTGRAD_HAVE_AVX2)
    case Isa::kAvx2: return true;
#endif
#if defined(FASTGRAD_HAVE_AVX512)
    case Isa::kAvx512: return true;
#endif
#if defined(FASTGRAD_HAVE_NEON)
    case Isa::kNeon: return true;
#endif
    default: return false;
  }
}

bool isa_verified(Isa isa) {
  // AVX-512: the kernels pass every kernel test on an AVX-512 CPU (AMD Zen 4, 2026-12-05: SGEMM edge
  // grid, optimizers, nn and conv kernels against the pure-JS oracle), but are not the default there:
  // Zen 4 runs 512-bit FMAs as two 256-bit halves, and its AVX2 SGEMM measured faster (1024^3: 104
  // vs 96 GFLOPS one thread; the output layer 128x128x10: 40 vs 23). CPUs with two 512-bit FMA pipes
  // (Intel Xeon) have not been measured, so AVX-512 stays opt-in (FASTGRAD_ISA=avx512) everywhere.
  // NEON kernels pass the kernel tests on arm64 under qemu-user in CI (scripts/ci/arm64-test.sh),
  // which checks correctness; they are the default there.
  return isa != Isa::kAvx512;
}

bool isa_available(Isa isa) {
  if (!isa_compiled(isa)) return false;
  const CpuFeatures& f = cpu_features();
  switch (isa) {
    case Isa::kGeneric: return true;
    case Isa::kAvx2: return f.avx2_fma;
    case Isa::kAvx512: return f.avx512;
    case Isa::kNeon: return f.neon;
  }
  return false;
}

Isa active_isa() {
  int v = g_active.load(std::memory_order_acquire);
  if (v < 0) {
    v = static_cast<int>(choose());
    int expected = -1;
    if (!g_active.compare_exchange_strong(expected, v)) v = expected;
  }
  return static_cast<Isa>(v);
}

const char* select_isa_error() {
  active_isa();
  return g_error.c_str();
}

bool set_active_isa(Isa isa) {
  if (!isa_available(isa)) return false;
  g_active.store(static_cast<int>(isa), std::memory_order_release);
  return true;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kGeneric: return "generic";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
    case Isa::kNeon: return "neon";
  }
  return "unknown";
}

bool isa_from_name(const char* name, Isa* out) {
  for (Isa isa : {Isa::kGeneric, Isa::kAvx2, Isa::kAvx512, Isa::kNeon}) {
    if (std::strcmp(name, isa_name(isa)) == 0) {
      *out = isa;
      return true;
    }
  }
  return false;
}

}  // namespace fastgrad
