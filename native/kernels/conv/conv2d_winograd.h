// Winograd F(4x4, 3x3) for 3x3 convolutions with stride 1, no dilation and one group (the body of a
// VGG-style CNN): each 4x4 block of outputs ("tile") comes from a 6x6 block of input through
//   y = A^T [ (G g G^T) (.) (B^T d B) ] A
// so a tile costs 36 multiplies per (in, out) channel pair instead of 144: 4x fewer than the im2col
// GEMM (3.1x at 14x14, whose tiles overhang the map by 2 of 16 columns and rows; F(2x2, 3x3), which
// this replaced, saves 2.25x). Summed over input channels, the 36 element-wise products become 36
// GEMMs, one per position xi of the 6x6 transformed tile:
//   forward       M[xi][oc, t]  = U[xi][oc, c] x V[xi][c, t]            U = G g G^T, V = B^T d B
//   input grad    dV[xi][c, t]  = U[xi]^T x Mdy[xi][oc, t]              Mdy = A dy A^T; dd = B dV B^T
//   weight grad   dU[xi][oc, c] += Mdy[xi][oc, t] x V[xi]^T             dg = G^T dU G
// (the backward passes are the adjoints of each linear step). t runs over the tiles of a chunk of
// tile rows, possibly spanning images, sized so the transformed matrices stay in cache. With inputs
// of magnitude 1 the transforms' rounding (their largest coefficients are 8 and 1/24) stays near
// 1e-6 relative to the output's scale, as the tests check against the pure-JS oracle.
//
// The transforms work on 8 tiles at once (two quads of 4 tiles of a tile row, one vector per
// element of the 6x6 tile), from zero-padded copies of a few rows of one plane, so they need no
// bounds checks; they compile per ISA (conv2d_winograd_impl.h). The GEMMs are sgemm's.
#pragma once

#include <cstdint>

#include "kernels/conv/conv2d.h"

namespace fastgrad {

// 3x3, stride 1, dilation 1, one group, and enough channels on both sides that the GEMMs over
// channels are worth their transforms (a thin first layer takes the direct path).
bool conv2d_winograd_applies(const Conv2dShape& s);

void conv2d_winograd_forward(const Conv2dShape& s, const float* x, const float* weight, const float* bias, bool relu,
                             float* y);
// dx, dweight and dbias (any may be null) in one pass over the tiles, sharing the gradient's transform.
void conv2d_winograd_backward(const Conv2dShape& s, const float* x, const float* dy, const float* weight, float* dx,
                              float* dweight, float* dbias);

// The per-ISA tile transforms. Every one walks `rows` tile rows of `tw` tiles each (a row's quads of
// 4 tiles, two at a time); transformed values of tile t (counted from the first tile of the first
// row) and position xi live at out[xi * xi_stride + t]. Vectors may run up to 7 tiles past the last
// tile of the last row (callers leave that room; the lanes are never used), and the lanes of a
// row's last quad that pass the row's end are overwritten by the next row, so rows go in order.
// Padded rows are wp = 16 * ceil(tw / 4) + 4 floats apart (a quad's 16 columns, the last tile's 2
// more, rounded to a 4-float load).
struct WinogradKernels {
  // V = B^T d B. xp: rows 4 * rows + 2 of a zero-padded plane, wp floats apart.
  void (*input_transform)(const float* xp, int64_t wp, int64_t rows, int64_t tw, float* v, int64_t xi_stride);
  // y = A^T M A + bias (ReLU when relu) into the output rows of one plane, ow floats apart; of each
  // tile row's four output rows, only those before out_rows are stored (the last tile row of a
  // height that is not a multiple of 4 has fewer), and of its columns only those before ow.
  void (*output_transform)(const float* m, int64_t xi_stride, int64_t rows, int64_t tw, float bias, bool relu,
                           float* y, int64_t ow, int64_t out_rows);
  // Mdy = A dy A^T. dyp: rows 4 * rows of a gradient plane, wd floats apart, from which 16 * ceil(tw / 4)
  // floats per row are read (a zero-padded copy, or the plane itself where that stays in bounds);
  // columns from `cols` on count as zero.
  void (*grad_transform)(const float* dyp, int64_t wd, int64_t rows, int64_t tw, int64_t cols, float* mdy,
                         int64_t xi_stride);
  // Adds B dV B^T of each tile into the overlapping 6x6 blocks of dxp (rows 4 * rows + 2, wp apart).
  void (*input_grad_transform)(const float* dv, int64_t xi_stride, int64_t rows, int64_t tw, float* dxp, int64_t wp);
};

const WinogradKernels& winograd_kernels();

extern const WinogradKernels winograd_kernels_generic;
#if defined(FASTGRAD_HAVE_AVX2)
extern const WinogradKernels winograd_kernels_avx2;
#endif

}  // namespace fastgrad
