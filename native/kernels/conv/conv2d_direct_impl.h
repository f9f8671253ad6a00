// The direct convolution kernels' bodies (see conv2d_direct.h), written once over GCC vector
// extensions and compiled per ISA: conv2d_direct.cc (baseline: two SSE registers per vector) and
// conv2d_direct__avx2.cc (one AVX register). Included only inside an anonymous namespace, so each
// ISA's copy stays private to its file.
// The including file includes <cstdint>, <cstring> and kernels/conv/conv2d_direct.h first.

#include "common/vec8.h"

// Output channels per register block of the forward pass: 8 accumulators, the input vector and a
// broadcast weight fit in the 16 AVX registers.
constexpr int kOcBlock = 8;
// Most weight-gradient taps (ci, ki, kj) per register block: 12 accumulators, the bias's, the
// gradient vector and an input vector. The taps are split into equal blocks (27 = 3 x 9, not
// 12 + 12 + 3): each block is one pass over the gradient plane.
constexpr int kTapBlock = 12;

// The offset of tap r = (ci, ki, kj) in the padded image, relative to the output pixel's row start.
inline int64_t tap_offset(const fastgrad::DirectConvGeom& g, int64_t r) {
  const int64_t kj = r % g.kw, ki = (r / g.kw) % g.kh, ci = r / (g.kw * g.kh);
  return (ci * g.hp + ki) * g.wp + kj;
}

// Output channels [o0, o0 + OB) of one image: OB accumulators per vector of 8 output pixels.
template <int OB>
void forward_block(const fastgrad::DirectConvGeom& g, const int64_t* offs, int64_t taps, const float* xp,
                   const float* w0, const float* bias, bool relu, float* y0) {
  const int64_t ohw = g.oh * g.ow;
  for (int64_t oy = 0; oy < g.oh; ++oy) {
    const float* row = xp + oy * g.wp;
    for (int64_t ox = 0; ox < g.ow; ox += 8) {
      v8f acc[OB];
      for (int j = 0; j < OB; ++j) acc[j] = splat8(bias ? bias[j] : 0.f);
      for (int64_t r = 0; r < taps; ++r) {
        const v8f v = load8(row + offs[r] + ox);
        for (int j = 0; j < OB; ++j) acc[j] += v * splat8(w0[j * taps + r]);
      }
      const int64_t cnt = g.ow - ox < 8 ? g.ow - ox : 8;
      for (int j = 0; j < OB; ++j) {
        v8f a = acc[j];
        if (relu) a = relu8(a);
        float* dst = y0 + j * ohw + oy * g.ow + ox;
        if (cnt == 8) {
          store8(dst, a);
        } else {
          for (int64_t l = 0; l < cnt; ++l) dst[l] = a[l];
        }
      }
    }
  }
}

void direct_forward_image(const fastgrad::DirectConvGeom& g, const float* xp, const float* weight, const float* bias,
                          bool relu, float* y) {
  const int64_t taps = g.c * g.kh * g.kw, ohw = g.oh * g.ow;
  int64_t offs[fastgrad::kDirectMaxTaps];
  for (int64_t r = 0; r < taps; ++r) offs[r] = tap_offset(g, r);
  for (int64_t o0 = 0; o0 < g.oc; o0 += kOcBlock) {
    const float* w0 = weight + o0 * taps;
    const float* b0 = bias ? bias + o0 : nullptr;
    float* y0 = y + o0 * ohw;
    switch (g.oc - o0 < kOcBlock ? g.oc - o0 : kOcBlock) {
      case 1: forward_block<1>(g, offs, taps, xp, w0, b0, relu, y0); break;
      case 2: forward_block<2>(g, offs, taps, xp, w0, b0, relu, y0); break;
      case 3: forward_block<3>(g, offs, taps, xp, w0, b0, relu, y0); break;
      case 4: forward_block<4>(g, offs, taps, xp, w0, b0, relu, y0); break;
      case 5: forward_block<5>(g, offs, taps, xp, w0, b0, relu, y0); break;
      case 6: forward_block<6>(g, offs, taps, xp, w0, b0, relu, y0); break;
      case 7: forward_block<7>(g, offs, taps, xp, w0, b0, relu, y0); break;
      default: forward_block<kOcBlock>(g, offs, taps, xp, w0, b0, relu, y0); break;
    }
  }
}

// The gradient plane dplane [oh, ow] of one output channel against NR taps (offsets offs[0..NR)):
// sums[j] += its dot product with tap j's shifted input; with the bias, *bsum += its sum.
template <int NR>
void wgrad_block(const fastgrad::DirectConvGeom& g, const int64_t* offs, const float* xp, const float* dplane,
                 float* sums, float* bsum) {
  v8f acc[NR], accb = splat8(0.f);
  for (int j = 0; j < NR; ++j) acc[j] = splat8(0.f);
  auto step = [&](const float* row, int64_t ox, v8f d) {
    if (bsum) accb += d;
    for (int j = 0; j < NR; ++j) acc[j] += d * load8(row + offs[j] + ox);
  };
  const int64_t full = g.ow / 8 * 8;
  for (int64_t oy = 0; oy < g.oh; ++oy) {
    const float* row = xp + oy * g.wp;
    const float* drow = dplane + oy * g.ow;
    for (int64_t ox = 0; ox < full; ox += 8) step(row, ox, load8(drow + ox));
    if (full < g.ow) {
      // The row's partial last vector: lanes past the row are zero, so the input lanes they meet
      // (inside the padded row) add nothing; the gradient is read no further than the row.
      float tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (int64_t l = 0; l < g.ow - full; ++l) tmp[l] = drow[full + l];
      step(row, full, load8(tmp));
    }
  }
  for (int j = 0; j < NR; ++j) sums[j] += hsum8(acc[j]);
  if (bsum) *bsum += hsum8(accb);
}

void direct_weight_grad_image(const fastgrad::DirectConvGeom& g, const float* xp, const float* dy, float* dweight,
                              float* dbias) {
  const int64_t taps = g.c * g.kh * g.kw, ohw = g.oh * g.ow;
  int64_t offs[fastgrad::kDirectMaxTaps];
  for (int64_t r = 0; r < taps; ++r) offs[r] = tap_offset(g, r);
  for (int64_t o = 0; o < g.oc; ++o) {
    const float* dplane = dy + o * ohw;
    const int64_t blocks = (taps + kTapBlock - 1) / kTapBlock, per_block = (taps + blocks - 1) / blocks;
    for (int64_t r0 = 0; r0 < taps; r0 += per_block) {
      float* sums = dweight + o * taps + r0;
      float* bsum = r0 == 0 && dbias ? dbias + o : nullptr;  // the bias with the first block
      switch (taps - r0 < per_block ? taps - r0 : per_block) {
        case 1: wgrad_block<1>(g, offs + r0, xp, dplane, sums, bsum); break;
        case 2: wgrad_block<2>(g, offs + r0, xp, dplane, sums, bsum); break;
        case 3: wgrad_block<3>(g, offs + r0, xp, dplane, sums, bsum); break;
        case 4: wgrad_block<4>(g, offs + r0, xp, dplane, sums, bsum); break;
        case 5: wgrad_block<5>(g, offs + r0, xp, dplane, sums, bsum); break;
        case 6: wgrad_block<6>(g, offs + r0, xp, dplane, sums, bsum); break;
        case 7: wgrad_block<7>(g, offs + r0, xp, dplane, sums, bsum); break;
        case 8: wgrad_block<8>(g, offs + r0, xp, dplane, sums, bsum); break;
        case 9: wgrad_block<9>(g, offs + r0, xp, dplane, sums, bsum); break;
        case 10: wgrad_block<10>(g, offs + r0, xp, dplane, sums, bsum); break;
        case 11: wgrad_block<11>(g, offs + r0, xp, dplane, sums, bsum); break;
        default: wgrad_block<kTapBlock>(g, offs + r0, xp, dplane, sums, bsum); break;
      }
    }
  }
}
