// Direct (no GEMM) kernels for the convolutions whose GEMM would be thin: stride 1, no dilation, one
// group and few taps c * kh * kw (the first layer of a network, over 1 or 3 input channels). There
// the GEMM's inner dimension is the tap count (9 for a 3x3 kernel on a grey image), so a GEMM tile
// spends as long loading and storing C as multiplying; the direct loops instead keep the taps'
// accumulators in registers and read the input from a zero-padded copy of the image in L1 (so no
// bounds checks, and vectors may run past a row into the padding).
#pragma once

#include <cstdint>

#include "kernels/conv/conv2d.h"

namespace fastgrad {

// Most taps c * kh * kw the direct path takes (beyond it the GEMM's k is deep enough).
constexpr int64_t kDirectMaxTaps = 32;

bool conv2d_direct_applies(const Conv2dShape& s);

// One image's geometry, with its padded copy: hp rows of wp floats per channel, the image at
// (ph, pw), wide enough that a vector of 8 outputs starting at any ox < ow stays inside its row.
struct DirectConvGeom {
  int64_t c, h, w, oc, kh, kw, ph, pw, oh, ow;
  int64_t hp, wp;
  explicit DirectConvGeom(const Conv2dShape& s);
  int64_t padded_size() const { return c * hp * wp; }
};

// xp (padded_size floats) = the image x [c, h, w], zero-padded.
void direct_pad_image(const DirectConvGeom& g, const float* x, float* xp);

struct Conv2dDirectKernels {
  // y [oc, oh, ow] of one image from its padded copy; bias may be null.
  void (*forward_image)(const DirectConvGeom& g, const float* xp, const float* weight, const float* bias, bool relu,
                        float* y);
  // Adds one image's weight gradient into dweight [oc, c * kh * kw] and (when not null) dbias [oc].
  void (*weight_grad_image)(const DirectConvGeom& g, const float* xp, const float* dy, float* dweight, float* dbias);
};

const Conv2dDirectKernels& conv2d_direct_kernels();

extern const Conv2dDirectKernels conv2d_direct_kernels_generic;
#if defined(FASTGRAD_HAVE_AVX2)
extern const Conv2dDirectKernels conv2d_direct_kernels_avx2;
#endif

}  // namespace fastgrad
