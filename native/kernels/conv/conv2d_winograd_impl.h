// The Winograd F(4x4, 3x3) tile transforms (see conv2d_winograd.h), written once over GCC vector
// extensions and compiled per ISA: conv2d_winograd.cc (baseline) and conv2d_winograd__avx2.cc.
// Included only inside an anonymous namespace; the including file includes <cstdint>, <cstring> and
// kernels/conv/conv2d_winograd.h first.
//
// One vector holds one element of 8 tiles: two "quads" of 4 neighbouring tiles of a tile row, one
// per 128-bit half. The two quads are consecutive in row-major order, so where a row has 4 tiles (the
// CNN's 14x14 maps) they are two tile rows, and no lane idles. Tile j of a quad starts 4j columns
// into it, so each of its rows is 16 consecutive floats (and 2 more the last tile overlaps): four
// 4-float loads per half, transposed 4x4 within each half (unpack and shuffle, which never cross
// halves), give the first 4 columns of the 8 tiles. Outputs and input gradients go back the same way.
//
// The matrices, for one dimension (the 2-D transforms apply them to rows, then columns), at the
// points 0, 1, -1, 2, -2 and infinity:
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
// (G, for the weights, is in conv2d_winograd.cc.)

#include "common/vec8.h"

typedef float v4f __attribute__((vector_size(16)));

inline v4f load4(const float* p) {
  v4f v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void store4(float* p, v4f v) { std::memcpy(p, &v, sizeof(v)); }
inline v8f join4(v4f lo, v4f hi) { return __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7); }
inline v4f half4(v8f v, int h) {
  return h == 0 ? __builtin_shufflevector(v, v, 0, 1, 2, 3) : __builtin_shufflevector(v, v, 4, 5, 6, 7);
}

// Within each half: {a0 b0 a1 b1}, {a2 b2 a3 b3}, {a0 a1 b0 b1}, {a2 a3 b2 b3}.
inline v8f unpack_lo(v8f a, v8f b) { return __builtin_shuffle(a, b, v8i{0, 8, 1, 9, 4, 12, 5, 13}); }
inline v8f unpack_hi(v8f a, v8f b) { return __builtin_shuffle(a, b, v8i{2, 10, 3, 11, 6, 14, 7, 15}); }
inline v8f pairs_lo(v8f a, v8f b) { return __builtin_shuffle(a, b, v8i{0, 1, 8, 9, 4, 5, 12, 13}); }
inline v8f pairs_hi(v8f a, v8f b) { return __builtin_shuffle(a, b, v8i{2, 3, 10, 11, 6, 7, 14, 15}); }

// The 4x4 transpose within each half: out[l][j] = in[j][l] (its own inverse).
inline void transpose4(const v8f* in, v8f* out) {
  const v8f t0 = unpack_lo(in[0], in[1]), t1 = unpack_hi(in[0], in[1]);
  const v8f t2 = unpack_lo(in[2], in[3]), t3 = unpack_hi(in[2], in[3]);
  out[0] = pairs_lo(t0, t2);
  out[1] = pairs_hi(t0, t2);
  out[2] = pairs_lo(t1, t3);
  out[3] = pairs_hi(t1, t3);
}

// Two quads of the tiles of `rows` tile rows of tw tiles, consecutive in row-major order.
struct QuadPair {
  int64_t row[2];    // tile row of each quad
  int64_t col[2];    // its first tile in the row
  int64_t tiles[2];  // its tiles (< 4 at a row's end; 0 for a missing second quad, which repeats the first)
  int64_t t[2];      // its first tile's index among the call's tiles (row * tw + col)
  bool contiguous;   // the second quad's tiles follow the first's four: one 8-lane access
};

// The kernels' per-pair lambdas are always_inline: GCC otherwise calls them once per pair, with the
// QuadPair passed through memory (2-3% of the conv's time, alternating builds).
template <typename F>
void for_quad_pairs(int64_t rows, int64_t tw, const F& fn) {
  const int64_t per_row = (tw + 3) / 4, total = rows * per_row;
  for (int64_t f = 0; f < total; f += 2) {
    QuadPair p;
    for (int h = 0; h < 2; ++h) {
      const int64_t q = f + h < total ? f + h : f;
      p.row[h] = q / per_row;
      p.col[h] = 4 * (q % per_row);
      p.tiles[h] = f + h >= total ? 0 : tw - p.col[h] < 4 ? tw - p.col[h] : 4;
      p.t[h] = p.row[h] * tw + p.col[h];
    }
    p.contiguous = p.tiles[1] > 0 && p.t[1] == p.t[0] + 4;
    fn(p);
  }
}

// Element xi of the pair's 8 tiles in a transformed matrix (row `m`, tiles along it). Lanes of tiles
// past a quad's last hold other tiles' values (or, past the call's tiles, anything finite).
inline v8f load_pair(const float* m, const QuadPair& p) {
  return p.contiguous ? load8(m + p.t[0]) : join4(load4(m + p.t[0]), load4(m + p.t[1]));
}
// A quad's 4 lanes may land past its last tile: on the next row's first tiles, which are stored
// after it (the second quad, or a later pair), or into the room callers leave past the last tile.
inline void store_pair(float* m, const QuadPair& p, v8f v) {
  if (p.contiguous) {
    store8(m + p.t[0], v);
    return;
  }
  store4(m + p.t[0], half4(v, 0));
  if (p.tiles[1] > 0) store4(m + p.t[1], half4(v, 1));
}

// d -> B^T d.
inline void bt6(const v8f* d, v8f* e) {
  const v8f t1 = d[4] - 4.f * d[2], t2 = d[3] - 4.f * d[1];
  const v8f t3 = d[4] - d[2], t4 = 2.f * (d[3] - d[1]);
  e[0] = 4.f * d[0] - 5.f * d[2] + d[4];
  e[1] = t1 + t2;
  e[2] = t1 - t2;
  e[3] = t3 + t4;
  e[4] = t3 - t4;
  e[5] = 4.f * d[1] - 5.f * d[3] + d[5];
}

// m -> A^T m (6 values to 4).
inline void at6(const v8f* m, v8f* o) {
  const v8f s12 = m[1] + m[2], d12 = m[1] - m[2], s34 = m[3] + m[4], d34 = m[3] - m[4];
  o[0] = m[0] + s12 + s34;
  o[1] = d12 + 2.f * d34;
  o[2] = s12 + 4.f * s34;
  o[3] = d12 + 8.f * d34 + m[5];
}

// q -> A q (4 values to 6): the adjoint of A^T.
inline void a6(const v8f* q, v8f* m) {
  const v8f a = q[0] + q[2], b = q[1] + q[3], c = q[0] + 4.f * q[2], d = 2.f * q[1] + 8.f * q[3];
  m[0] = q[0];
  m[1] = a + b;
  m[2] = a - b;
  m[3] = c + d;
  m[4] = c - d;
  m[5] = q[3];
}

// v -> B v: the adjoint of B^T.
inline void b6(const v8f* v, v8f* d) {
  const v8f p = v[1] + v[2], q = v[1] - v[2], r = v[3] + v[4], s = v[3] - v[4];
  d[0] = 4.f * v[0];
  d[1] = 4.f * (v[5] - q) - 2.f * s;
  d[2] = -5.f * v[0] - 4.f * p - r;
  d[3] = q + 2.f * s - 5.f * v[5];
  d[4] = v[0] + p + r;
  d[5] = v[5];
}

// The 6 columns of the pair's tiles in one row of their input: half h from row_h (its quad's first
// column; 20 floats are read).
inline void load_tile_cols(const float* row0, const float* row1, v8f* col) {
  v8f r[5];
  for (int j = 0; j < 5; ++j) r[j] = join4(load4(row0 + 4 * j), load4(row1 + 4 * j));
  transpose4(r, col);
  // Columns 4 and 5 of tile j are columns 0 and 1 of tile j + 1.
  const v8f u0 = unpack_lo(r[1], r[2]), u1 = unpack_lo(r[3], r[4]);
  col[4] = pairs_lo(u0, u1);
  col[5] = pairs_hi(u0, u1);
}

void wino_input_transform(const float* xp, int64_t wp, int64_t rows, int64_t tw, float* v, int64_t xi_stride) {
  for_quad_pairs(rows, tw, [&](const QuadPair& p) __attribute__((always_inline)) {
    const float* s0 = xp + 4 * p.row[0] * wp + 4 * p.col[0];
    const float* s1 = xp + 4 * p.row[1] * wp + 4 * p.col[1];
    v8f e[6][6];  // e[i] = B^T applied along row i of the tiles
    for (int i = 0; i < 6; ++i) {
      v8f d[6];
      load_tile_cols(s0 + i * wp, s1 + i * wp, d);
      bt6(d, e[i]);
    }
    for (int l = 0; l < 6; ++l) {
      const v8f c[6] = {e[0][l], e[1][l], e[2][l], e[3][l], e[4][l], e[5][l]};
      v8f t[6];
      bt6(c, t);
      for (int k = 0; k < 6; ++k) store_pair(v + (6 * k + l) * xi_stride, p, t[k]);
    }
  });
}

// The first n floats of v (0 < n < 4).
inline void store_partial4(float* dst, v4f v, int64_t n) {
  if (n >= 2) std::memcpy(dst, &v, 2 * sizeof(float));
  if (n != 2) dst[n - 1] = v[n - 1];
}

void wino_output_transform(const float* m, int64_t xi_stride, int64_t rows, int64_t tw, float bias, bool relu,
                           float* y, int64_t ow, int64_t out_rows) {
  for_quad_pairs(rows, tw, [&](const QuadPair& p) __attribute__((always_inline)) {
    v8f t[4][6];  // A^T along the first index (k), for each column l
    for (int l = 0; l < 6; ++l) {
      v8f c[6], o[4];
      for (int k = 0; k < 6; ++k) c[k] = load_pair(m + (6 * k + l) * xi_stride, p);
      at6(c, o);
      for (int a = 0; a < 4; ++a) t[a][l] = o[a];
    }
    for (int a = 0; a < 4; ++a) {
      v8f o[4], r[4];  // o[b]: output column b of the 8 tiles; r[j]: tile j's 4 columns
      at6(t[a], o);
      for (int b = 0; b < 4; ++b) {
        o[b] += bias;
        if (relu) o[b] = relu8(o[b]);
      }
      transpose4(o, r);
      for (int h = 0; h < 2; ++h) {
        const int64_t row = 4 * p.row[h] + a;
        if (p.tiles[h] == 0 || row >= out_rows) continue;
        float* dst = y + row * ow + 4 * p.col[h];
        const int64_t cols = ow - 4 * p.col[h];  // this row's columns from dst on
        const int full = cols >= 16 ? 4 : static_cast<int>(cols / 4);
        for (int j = 0; j < full; ++j) store4(dst + 4 * j, half4(r[j], h));
        if (full < 4 && cols % 4 != 0) store_partial4(dst + 4 * full, half4(r[full], h), cols % 4);
      }
    }
  });
}

void wino_grad_transform(const float* dyp, int64_t wd, int64_t rows, int64_t tw, int64_t cols, float* mdy,
                         int64_t xi_stride) {
  const v8i lane_col = {0, 4, 8, 12, 0, 4, 8, 12};  // column of each lane's tile in its quad
  for_quad_pairs(rows, tw, [&](const QuadPair& p) __attribute__((always_inline)) {
    const float* s0 = dyp + 4 * p.row[0] * wd + 4 * p.col[0];
    const float* s1 = dyp + 4 * p.row[1] * wd + 4 * p.col[1];
    // A lane's column c of its tile is the gradient's column first + c: past `cols`, the load read
    // the next row (or padding), which the tile must see as zero.
    const int32_t f0 = static_cast<int32_t>(4 * p.col[0]), f1 = static_cast<int32_t>(4 * p.col[1]);
    const v8i first = lane_col + v8i{f0, f0, f0, f0, f1, f1, f1, f1};
    v8f e[4][6];  // A along each of the tiles' 4 gradient rows
    for (int i = 0; i < 4; ++i) {
      v8f r[4], c[4];
      for (int j = 0; j < 4; ++j) r[j] = join4(load4(s0 + i * wd + 4 * j), load4(s1 + i * wd + 4 * j));
      transpose4(r, c);
      for (int l = 0; l < 4; ++l) c[l] = first + l < static_cast<int32_t>(cols) ? c[l] : splat8(0.f);
      a6(c, e[i]);
    }
    for (int l = 0; l < 6; ++l) {
      const v8f q[4] = {e[0][l], e[1][l], e[2][l], e[3][l]};
      v8f t[6];
      a6(q, t);
      for (int k = 0; k < 6; ++k) store_pair(mdy + (6 * k + l) * xi_stride, p, t[k]);
    }
  });
}

inline void add4(float* p, v4f v) { store4(p, load4(p) + v); }

void wino_input_grad_transform(const float* dv, int64_t xi_stride, int64_t rows, int64_t tw, float* dxp, int64_t wp) {
  const v8i lane = {0, 1, 2, 3, 0, 1, 2, 3};
  for_quad_pairs(rows, tw, [&](const QuadPair& p) __attribute__((always_inline)) {
    // Lanes past a quad's last tile hold other tiles (or nothing): they add nothing here.
    const int32_t n0 = static_cast<int32_t>(p.tiles[0]), n1 = static_cast<int32_t>(p.tiles[1]);
    const v8i keep = lane < v8i{n0, n0, n0, n0, n1, n1, n1, n1};
    v8f e[6][6];  // e[k] = B applied along row k of the transformed tiles, then (below) along columns
    for (int k = 0; k < 6; ++k) {
      v8f v[6];
      for (int l = 0; l < 6; ++l) v[l] = keep ? load_pair(dv + (6 * k + l) * xi_stride, p) : splat8(0.f);
      b6(v, e[k]);
    }
    for (int j = 0; j < 6; ++j) {
      const v8f c[6] = {e[0][j], e[1][j], e[2][j], e[3][j], e[4][j], e[5][j]};
      v8f d[6];
      b6(c, d);  // d[i]: input row i of the tiles, column j
      for (int i = 0; i < 6; ++i) e[i][j] = d[i];
    }
    const v8f zero = splat8(0.f);
    for (int i = 0; i < 6; ++i) {
      v8f r[4];  // r[j]: columns 0-3 of tile j, at 4j
      transpose4(e[i], r);
      // Columns 4 and 5 of tile j, at 4j + 4 (w[j] = {col4, col5, 0, 0} of tile j).
      const v8f u0 = unpack_lo(e[i][4], e[i][5]), u1 = unpack_hi(e[i][4], e[i][5]);
      const v8f w[4] = {pairs_lo(u0, zero), pairs_hi(u0, zero), pairs_lo(u1, zero), pairs_hi(u1, zero)};
      const v8f run[5] = {r[0], r[1] + w[0], r[2] + w[1], r[3] + w[2], w[3]};
      // The second quad after the first: where they are neighbours, its first 4 floats are the
      // first's last.
      for (int h = 0; h < 2; ++h) {
        if (p.tiles[h] == 0) continue;
        float* dst = dxp + (4 * p.row[h] + i) * wp + 4 * p.col[h];
        for (int s = 0; s < 5; ++s) add4(dst + 4 * s, half4(run[s], h));
      }
    }
  });
}
