// Instruction-set selection, done once at load time.
//
// Every kernel family (gemm, optim, nn ...) keeps its own table of function pointers per ISA and
// picks one with active_isa(). Kernels for an ISA live in files named *__<isa>.cc, compiled with that
// ISA's flags in a static library of their own (see binding.gyp), so baseline code never executes an
// instruction the CPU lacks.
#pragma once

namespace fastgrad {

enum class Isa { kGeneric = 0, kAvx2 = 1, kAvx512 = 2, kNeon = 3 };

// What this CPU (and the OS, for the AVX register state) supports.
struct CpuFeatures {
  bool avx2_fma = false;    // AVX2 + FMA3, with OS support for YMM state
  bool avx512 = false;      // AVX-512 F/BW/DQ/VL, with OS support for ZMM state
  bool neon = false;        // arm64 Advanced SIMD
};

const CpuFeatures& cpu_features();

// Whether the binary contains kernels for an ISA (x86 paths only on x86-64, NEON only on arm64).
bool isa_compiled(Isa isa);

// Whether an ISA path may be chosen by default: it has passed its tests on a CPU that has it, and
// measured faster there than the path below it. The others can still be forced with FASTGRAD_ISA
// (AVX-512: correct on Zen 4, slower there than AVX2; see isa.cc).
bool isa_verified(Isa isa);

// The ISA in use. Chosen on first call: FASTGRAD_ISA when set (generic|avx2|avx512|neon), else the
// best verified one the CPU supports. select_isa_error() is non-empty when FASTGRAD_ISA named an ISA
// this CPU or binary cannot run; the addon then refuses to load with that message.
Isa active_isa();
const char* select_isa_error();

// Forces a choice at run time (tests use this to run every path in one process). Returns false,
// changing nothing, when the ISA is not available here.
bool set_active_isa(Isa isa);
bool isa_available(Isa isa);

const char* isa_name(Isa isa);
bool isa_from_name(const char* name, Isa* out);

}  // namespace fastgrad
