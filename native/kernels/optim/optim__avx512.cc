// The fused optimizer kernels compiled for avx512 (this file's flags come from its name; see native/sources.js).
// The bodies live in optim_impl.h, included here inside an anonymous namespace: a private copy per ISA.
#if defined(FASTGRAD_HAVE_AVX512)
#include <cstddef>

#include "kernels/optim/optim_kernels.h"

namespace fastgrad {
namespace {
#include "kernels/optim/optim_impl.h"
}  // namespace

const OptimKernels& optim_kernels__avx512() {
  static const OptimKernels k = make_optim_kernels();
  return k;
}

}  // namespace fastgrad
#endif  // FASTGRAD_HAVE_AVX512
