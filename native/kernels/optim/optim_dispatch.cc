// ISA selection for the optimizer kernels, and the driver that runs a kernel over a list of segments
// (one flat buffer, or one segment per parameter for multi-tensor apply), threaded when large.
#include <algorithm>
#include <vector>

#include "common/isa.h"
#include "common/thread_pool.h"
#include "kernels/optim/optim_kernels.h"

namespace fastgrad {

const OptimKernels& optim_kernels() {
  switch (active_isa()) {
#if defined(FASTGRAD_HAVE_AVX512)
    case Isa::kAvx512: return optim_kernels__avx512();
#endif
#if defined(FASTGRAD_HAVE_AVX2)
    case Isa::kAvx2: return optim_kernels__avx2();
#endif
#if defined(FASTGRAD_HAVE_NEON)
    case Isa::kNeon: return optim_kernels__neon();
#endif
    default: return optim_kernels_generic();
  }
}

namespace {

OptimPtrs advance(const OptimPtrs& b, size_t k) {
  OptimPtrs o;
  o.p = b.p + k;
  o.g = b.g + k;
  o.s0 = b.s0 ? b.s0 + k : nullptr;
  o.s1 = b.s1 ? b.s1 + k : nullptr;
  o.s2 = b.s2 ? b.s2 + k : nullptr;
  return o;
}

}  // namespace

void optim_apply(OptimStepFn fn, const OptimSegment* segs, size_t count, const OptimHyper& h) {
  size_t total = 0;
  for (size_t s = 0; s < count; s++) total += segs[s].n;
  size_t chunks = std::min<size_t>(static_cast<size_t>(num_threads()), total / kOptimGrain);
  if (chunks <= 1) {
    for (size_t s = 0; s < count; s++) {
      if (segs[s].n) fn(segs[s].ptrs, segs[s].n, h);
    }
    return;
  }
  // Split the concatenation of the segments into equal chunks (boundaries on 16 elements, so two
  // threads never write the same cache line of one buffer) and give each thread one chunk.
  size_t per = (total + chunks - 1) / chunks;
  per = (per + 15) / 16 * 16;
  parallel_for(static_cast<int>(chunks), [&](int t) {
    size_t begin = static_cast<size_t>(t) * per;
    size_t end = std::min(total, begin + per);
    size_t base = 0;
    for (size_t s = 0; s < count && base < end; s++) {
      size_t sb = base, se = base + segs[s].n;
      base = se;
      size_t b = std::max(sb, begin), e = std::min(se, end);
      if (b < e) fn(advance(segs[s].ptrs, b - sb), e - b, h);
    }
  });
}

}  // namespace fastgrad
