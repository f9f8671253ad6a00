// The direct convolution path: geometry, padding, the baseline kernels and the dispatch on the ISA.
#include "kernels/conv/conv2d_direct.h"

#include <cstdint>
#include <cstring>

#include "common/isa.h"

namespace {
#include "kernels/conv/conv2d_direct_impl.h"
}  // namespace

namespace fastgrad {

bool conv2d_direct_applies(const Conv2dShape& s) {
  return s.groups == 1 && s.sh == 1 && s.sw == 1 && s.dh == 1 && s.dw == 1 && s.c * s.kh * s.kw <= kDirectMaxTaps;
}

DirectConvGeom::DirectConvGeom(const Conv2dShape& s)
    : c(s.c), h(s.h), w(s.w), oc(s.oc), kh(s.kh), kw(s.kw), ph(s.ph), pw(s.pw), oh(s.out_h()), ow(s.out_w()) {
  // Output row oy reads padded rows oy .. oy + kh - 1; a vector at ox reads columns up to
  // ox + 7 + kw - 1 <= ow + kw + 5 = w + 2 pw + 6.
  hp = oh + kh - 1;
  wp = w + 2 * pw + 8;
}

void direct_pad_image(const DirectConvGeom& g, const float* x, float* xp) {
  std::memset(xp, 0, static_cast<size_t>(g.padded_size()) * sizeof(float));
  for (int64_t ci = 0; ci < g.c; ++ci) {
    for (int64_t iy = 0; iy < g.h; ++iy) {
      const int64_t py = iy + g.ph;
      std::memcpy(xp + (ci * g.hp + py) * g.wp + g.pw, x + (ci * g.h + iy) * g.w, static_cast<size_t>(g.w) * sizeof(float));
    }
  }
}

const Conv2dDirectKernels conv2d_direct_kernels_generic = {direct_forward_image, direct_weight_grad_image};

const Conv2dDirectKernels& conv2d_direct_kernels() {
#if defined(FASTGRAD_HAVE_AVX2)
  // AVX-512 machines run the AVX2 kernels: these loops are bound by loads and stores, not width.
  if (active_isa() == Isa::kAvx2 || active_isa() == Isa::kAvx512) return conv2d_direct_kernels_avx2;
#endif
  return conv2d_direct_kernels_generic;
}

}  // namespace fastgrad
