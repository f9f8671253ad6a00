// The Winograd F(2x2, 3x3) tile transforms (see conv2d_winograd.h), written once over GCC vector
// extensions and compiled per ISA: conv2d_winograd.cc (baseline) and conv2d_winograd__avx2.cc.
// Included only inside an anonymous namespace; the including file includes <cstdint>, <cstring> and
// kernels/conv/conv2d_winograd.h first.
//
// One vector holds one element of 8 neighbouring tiles of a tile row. Tile j of a group starts at
// column 2j, so the 4 columns of 8 tiles are the even and odd floats of two overlapping 16-float
// runs; outputs and input gradients go back by interleaving.
//
// The matrices, for one dimension (the 2-D transforms apply them to rows, then columns):
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]     A^T = [1 1 1 0; 0 1 -1 -1]

#include "common/vec8.h"

inline v8f even8(v8f a, v8f b) { return __builtin_shuffle(a, b, v8i{0, 2, 4, 6, 8, 10, 12, 14}); }
inline v8f odd8(v8f a, v8f b) { return __builtin_shuffle(a, b, v8i{1, 3, 5, 7, 9, 11, 13, 15}); }
inline v8f zip_lo8(v8f a, v8f b) { return __builtin_shuffle(a, b, v8i{0, 8, 1, 9, 2, 10, 3, 11}); }
inline v8f zip_hi8(v8f a, v8f b) { return __builtin_shuffle(a, b, v8i{4, 12, 5, 13, 6, 14, 7, 15}); }

// The four columns of 8 tiles starting at s (s[0 .. 17] are read).
inline void load_tile_cols(const float* s, v8f* col) {
  const v8f a = load8(s), b = load8(s + 8), a2 = load8(s + 2), b2 = load8(s + 10);
  col[0] = even8(a, b);
  col[1] = odd8(a, b);
  col[2] = even8(a2, b2);
  col[3] = odd8(a2, b2);
}

// d -> B^T d for four vectors.
inline void bt4(const v8f* d, v8f* e) {
  e[0] = d[0] - d[2];
  e[1] = d[1] + d[2];
  e[2] = d[2] - d[1];
  e[3] = d[1] - d[3];
}

void wino_input_transform(const float* xp, int64_t wp, int64_t rows, int64_t tw, float* v, int64_t xi_stride) {
  const int64_t groups = (tw + 7) / 8;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t gi = 0; gi < groups; ++gi) {
      const float* s = xp + 2 * r * wp + 16 * gi;
      v8f e[4][4];  // e[i] = B^T applied along row i of the tile
      for (int i = 0; i < 4; ++i) {
        v8f d[4];
        load_tile_cols(s + i * wp, d);
        bt4(d, e[i]);
      }
      float* out = v + r * tw + 8 * gi;
      for (int l = 0; l < 4; ++l) {
        const v8f c[4] = {e[0][l], e[1][l], e[2][l], e[3][l]};
        v8f t[4];
        bt4(c, t);
        for (int k = 0; k < 4; ++k) store8(out + (4 * k + l) * xi_stride, t[k]);
      }
    }
  }
}

void wino_output_transform(const float* m, int64_t xi_stride, int64_t rows, int64_t tw, float bias, bool relu,
                           float* y, int64_t ow, int64_t out_rows) {
  const int64_t groups = (tw + 7) / 8;
  const v8f vb = splat8(bias);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t gi = 0; gi < groups; ++gi) {
      const float* in = m + r * tw + 8 * gi;
      v8f t[2][4];  // A^T along the first index (k), for each column l
      for (int l = 0; l < 4; ++l) {
        const v8f m0 = load8(in + l * xi_stride), m1 = load8(in + (4 + l) * xi_stride);
        const v8f m2 = load8(in + (8 + l) * xi_stride), m3 = load8(in + (12 + l) * xi_stride);
        t[0][l] = m0 + m1 + m2;
        t[1][l] = m1 - m2 - m3;
      }
      const int64_t col0 = 16 * gi, cnt = ow - col0 < 16 ? ow - col0 : 16;
      for (int a = 0; a < 2; ++a) {
        const int64_t row = 2 * r + a;
        if (row >= out_rows) break;
        v8f o0 = t[a][0] + t[a][1] + t[a][2] + vb, o1 = t[a][1] - t[a][2] - t[a][3] + vb;
        if (relu) {
          o0 = relu8(o0);
          o1 = relu8(o1);
        }
        float* dst = y + row * ow + col0;
        // A short group may store all 16 floats when the ones past the row land in the next row of
        // the plane and that row's first group is stored after this: the next tile row's (or next
        // chunk's) first row, or, with one group per row, this tile row's second.
        if (cnt == 16 || (row + 1 < out_rows && ow >= 16 - cnt && (a == 1 || groups == 1))) {
          store8(dst, zip_lo8(o0, o1));
          store8(dst + 8, zip_hi8(o0, o1));
        } else {
          float tmp[16];
          store8(tmp, zip_lo8(o0, o1));
          store8(tmp + 8, zip_hi8(o0, o1));
          for (int64_t j = 0; j < cnt; ++j) dst[j] = tmp[j];
        }
      }
    }
  }
}

// q (2 vectors) -> A q (4 vectors): the adjoint of A^T.
inline void a4(v8f q0, v8f q1, v8f* m) {
  m[0] = q0;
  m[1] = q0 + q1;
  m[2] = q0 - q1;
  m[3] = -q1;
}

void wino_grad_transform(const float* dyp, int64_t wd, int64_t rows, int64_t tw, float* mdy, int64_t xi_stride) {
  const int64_t groups = (tw + 7) / 8;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t gi = 0; gi < groups; ++gi) {
      const float* s = dyp + 2 * r * wd + 16 * gi;
      v8f e[2][4];  // A along each of the tile's two gradient rows
      for (int i = 0; i < 2; ++i) {
        const v8f a = load8(s + i * wd), b = load8(s + i * wd + 8);
        a4(even8(a, b), odd8(a, b), e[i]);
      }
      float* out = mdy + r * tw + 8 * gi;
      for (int l = 0; l < 4; ++l) {
        v8f t[4];
        a4(e[0][l], e[1][l], t);
        for (int k = 0; k < 4; ++k) store8(out + (4 * k + l) * xi_stride, t[k]);
      }
    }
  }
}

// v (4 vectors) -> B v: the adjoint of B^T.
inline void b4(const v8f* v, v8f* d) {
  d[0] = v[0];
  d[1] = v[1] - v[2] + v[3];
  d[2] = v[1] + v[2] - v[0];
  d[3] = -v[3];
}

void wino_input_grad_transform(const float* dv, int64_t xi_stride, int64_t rows, int64_t tw, float* dxp, int64_t wp) {
  const int64_t groups = (tw + 7) / 8;
  const v8i lane = {0, 1, 2, 3, 4, 5, 6, 7};
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t gi = 0; gi < groups; ++gi) {
      const float* in = dv + r * tw + 8 * gi;
      // Lanes past the row's last tile hold the next row's tiles (or nothing): they add nothing here.
      const int64_t valid = tw - 8 * gi;
      const v8i keep = lane < static_cast<int32_t>(valid < 8 ? valid : 8);
      v8f e[4][4];  // e[k] = B applied along row k of the transformed tile
      for (int k = 0; k < 4; ++k) {
        v8f v[4];
        for (int l = 0; l < 4; ++l) v[l] = keep ? load8(in + (4 * k + l) * xi_stride) : splat8(0.f);
        b4(v, e[k]);
      }
      for (int j = 0; j < 4; ++j) {
        const v8f c[4] = {e[0][j], e[1][j], e[2][j], e[3][j]};
        v8f d[4];
        b4(c, d);  // d[i]: input row i of the tile, column j
        e[0][j] = d[0];
        e[1][j] = d[1];
        e[2][j] = d[2];
        e[3][j] = d[3];
      }
      for (int i = 0; i < 4; ++i) {
        float* row = dxp + (2 * r + i) * wp + 16 * gi;
        store8(row, load8(row) + zip_lo8(e[i][0], e[i][1]));
        store8(row + 8, load8(row + 8) + zip_hi8(e[i][0], e[i][1]));
        store8(row + 2, load8(row + 2) + zip_lo8(e[i][2], e[i][3]));
        store8(row + 10, load8(row + 10) + zip_hi8(e[i][2], e[i][3]));
      }
    }
  }
}
