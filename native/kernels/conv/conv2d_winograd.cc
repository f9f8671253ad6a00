// The Winograd F(4x4, 3x3) convolution (see conv2d_winograd.h): chunking, the weight transforms,
// the 36 GEMMs per chunk, the baseline tile transforms and the dispatch on the ISA.
#include "kernels/conv/conv2d_winograd.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "common/isa.h"
#include "kernels/conv/image_chunks.h"
#include "kernels/gemm/sgemm.h"

namespace {
#include "kernels/conv/conv2d_winograd_impl.h"
}  // namespace

namespace fastgrad {

const WinogradKernels winograd_kernels_generic = {wino_input_transform, wino_output_transform, wino_grad_transform,
                                                  wino_input_grad_transform};

const WinogradKernels& winograd_kernels() {
#if defined(FASTGRAD_HAVE_AVX2)
  // AVX-512 machines run the AVX2 transforms: they are bound by loads and stores, not width.
  if (active_isa() == Isa::kAvx2 || active_isa() == Isa::kAvx512) return winograd_kernels_avx2;
#endif
  return winograd_kernels_generic;
}

bool conv2d_winograd_applies(const Conv2dShape& s) {
  return s.kh == 3 && s.kw == 3 && s.sh == 1 && s.sw == 1 && s.dh == 1 && s.dw == 1 && s.groups == 1 && s.c >= 8 &&
         s.oc >= 8;
}

namespace {

constexpr int64_t kXi = 36;  // positions of a transformed 6x6 tile
constexpr int64_t kXiTileSum = 7;  // (1, 1): in A dy A^T, the sum of the tile's 16 gradients

// Tiles per chunk: the chunk's transformed matrices (36 floats per tile and channel: V and M in the
// forward, c + oc channels; Mdy, dV and V in the backward, oc + 2c) fill at most 2 MiB per thread
// (L2 and L3), while each GEMM has a hundred or more columns to amortise sgemm's packing and calls.
// Measured with F(2x2, 3x3) (16 floats per tile) at the CNN's conv2 (32 -> 64 channels, 14x14,
// batch 128, 2 threads, ms for forward / input grad / weight grad, each alone): 64 tiles ~1.05x
// the im2col path; 170 tiles 5.0 / 5.3 / 4.9; 341 tiles 4.8 / 5.0 / 5.2; 682 tiles 5.3 / 5.4 /
// 5.7; 1365 tiles 5.6 / 6.4 / 6.4 (two threads' chunks no longer fit in the caches together). Both
// gradients in one pass at 256 tiles: 10.4-11.7 ms against 13.7-14.2 for the two passes apart.
// With F(4x4, 3x3), budgets of 4 and 8 MiB (1.0 and 2.0 M floats) were no faster (1 thread).
constexpr int64_t kChunkFloats = 512 * 1024;
constexpr int64_t kMaxChunkTiles = 512;

struct WinogradGeom {
  Conv2dShape s;
  int64_t oh, ow;
  int64_t th, tw;  // tile rows per image, tiles per tile row
  int64_t quads;   // groups of 4 tiles per tile row (the transforms take two at a time)
  int64_t wp;      // row stride of padded input planes: the vectors of the last group of 8 tiles read 18 floats
  int64_t wd;      // row stride of padded gradient planes: 16 floats per group
  int64_t chunk_rows;  // tile rows per chunk
  // The transformed matrices of a chunk hold element (xi, channel, t) at channel * cs + xi * ts + t:
  // a channel's 16 rows together, so each tile transform touches one small block, and the GEMM of
  // position xi sees a matrix with row stride cs.
  int64_t ts;  // a chunk's tiles, and room for the 7 lanes a vector runs past them
  int64_t cs;  // kXi * ts
  // channels: the transformed channels a chunk holds per tile (forward: V and M, c + oc).
  WinogradGeom(const Conv2dShape& sh, int64_t channels) : s(sh) {
    oh = s.out_h();
    ow = s.out_w();
    th = (oh + 3) / 4;
    tw = (ow + 3) / 4;
    quads = (tw + 3) / 4;
    wp = 16 * quads + 4;
    wd = 16 * quads;
    const int64_t tiles = std::min(kMaxChunkTiles, std::max<int64_t>(1, kChunkFloats / (kXi * channels)));
    chunk_rows = std::max<int64_t>(1, tiles / tw);
    ts = (chunk_rows * tw + 8 + 7) / 8 * 8;
    cs = kXi * ts;
  }
  int64_t v_size() const { return kXi * s.c * ts; }   // V or dV of one chunk
  int64_t m_size() const { return kXi * s.oc * ts; }  // M or Mdy of one chunk
};

// Runs fn(img, ty0, ty1, t0) for each image's share of the chunk of global tile rows [gr0, gr1)
// (global row = img * th + ty); t0: the column of the share's first tile in the chunk's matrices.
template <typename F>
void for_chunk_images(const WinogradGeom& g, int64_t gr0, int64_t gr1, const F& fn) {
  for (int64_t gr = gr0; gr < gr1;) {
    const int64_t img = gr / g.th, ty0 = gr % g.th, ty1 = std::min(g.th, ty0 + (gr1 - gr));
    fn(img, ty0, ty1, (gr - gr0) * g.tw);
    gr += ty1 - ty0;
  }
}

// Runs fn(gr0, gr1) over the chunks of the tile rows of images [first, last): as few as hold
// chunk_rows rows each, of equal size (a task's 112 rows as 3 x 37-38, not 48 + 48 + 16).
template <typename F>
void for_chunks(const WinogradGeom& g, int64_t first, int64_t last, const F& fn) {
  const int64_t r0 = first * g.th, rows = (last - first) * g.th, count = (rows + g.chunk_rows - 1) / g.chunk_rows;
  for (int64_t i = 0; i < count; ++i) fn(r0 + rows * i / count, r0 + rows * (i + 1) / count);
}

// Scratch of one task: zero-filled when it grows (the lanes vectors read past the data must be
// finite numbers, never denormal garbage).
float* scratch(std::vector<float>& buf, size_t n) {
  if (buf.size() < n) buf.assign(n, 0.f);
  return buf.data();
}

inline float sum_row(const float* p, int64_t n) {
  v8f acc = splat8(0.f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) acc += load8(p + i);
  float sum = hsum8(acc);
  for (; i < n; ++i) sum += p[i];
  return sum;
}

// Padded rows [py0, py0 + rows) of one input plane (padded row py = input row py - ph; the image
// starts at column pw).
void pad_input_rows(const WinogradGeom& g, const float* plane, int64_t py0, int64_t rows, float* out) {
  const Conv2dShape& s = g.s;
  for (int64_t i = 0; i < rows; ++i) {
    float* row = out + i * g.wp;
    const int64_t iy = py0 + i - s.ph;
    zero_row(row, g.wp);
    if (iy >= 0 && iy < s.h) copy_row(row + s.pw, plane + iy * s.w, s.w);
  }
}

// Gradient rows [oy0, oy0 + rows) of one output plane, zero past its edges.
void pad_grad_rows(const WinogradGeom& g, const float* plane, int64_t oy0, int64_t rows, float* out) {
  for (int64_t i = 0; i < rows; ++i) {
    float* row = out + i * g.wd;
    const int64_t oy = oy0 + i;
    if (oy >= g.oh) {
      zero_row(row, g.wd);
      continue;
    }
    copy_row(row, plane + oy * g.ow, g.ow);
    zero_row(row + g.ow, g.wd - g.ow);
  }
}

// V of one chunk: the input transform of every tile, for every input channel.
void transform_input_chunk(const WinogradGeom& g, const WinogradKernels& k, const float* x, int64_t gr0, int64_t gr1,
                           float* v, float* xp) {
  const Conv2dShape& s = g.s;
  for_chunk_images(g, gr0, gr1, [&](int64_t img, int64_t ty0, int64_t ty1, int64_t t0) {
    const int64_t rows = ty1 - ty0;
    for (int64_t ci = 0; ci < s.c; ++ci) {
      pad_input_rows(g, x + (img * s.c + ci) * s.h * s.w, 4 * ty0, 4 * rows + 2, xp);
      k.input_transform(xp, g.wp, rows, g.tw, v + ci * g.cs + t0, g.ts);
    }
  });
}

// Mdy of one chunk: the gradient transform of every tile, for every output channel.
void transform_grad_chunk(const WinogradGeom& g, const WinogradKernels& k, const float* dy, int64_t gr0, int64_t gr1,
                          float* mdy, float* dyp) {
  const Conv2dShape& s = g.s;
  // Tile rows before a plane's last read dy in place when ow >= 8: each of their rows is read 16
  // floats per quad, at most ow past its end (16 * ceil(ow / 16) <= 2 * ow), so into the plane's
  // next row, and the columns past ow count as zero. The last tile row (no next row, maybe fewer
  // than 4) reads a zero-padded copy.
  const int64_t in_place_end = g.ow >= 8 ? g.th - 1 : 0;
  for_chunk_images(g, gr0, gr1, [&](int64_t img, int64_t ty0, int64_t ty1, int64_t t0) {
    int64_t mid = std::min(ty1, std::max(ty0, in_place_end));
    // Vectors hold two quads: an odd count in place would leave half of one idle (and another in
    // the copy), so the copy takes one more tile row then.
    if ((mid - ty0) * g.quads % 2 == 1) --mid;
    for (int64_t o = 0; o < s.oc; ++o) {
      const float* plane = dy + (img * s.oc + o) * g.oh * g.ow;
      float* out = mdy + o * g.cs + t0;
      if (mid > ty0) k.grad_transform(plane + 4 * ty0 * g.ow, g.ow, mid - ty0, g.tw, g.ow, out, g.ts);
      if (ty1 > mid) {
        pad_grad_rows(g, plane, 4 * mid, 4 * (ty1 - mid), dyp);
        k.grad_transform(dyp, g.wd, ty1 - mid, g.tw, g.ow, out + (mid - ty0) * g.tw, g.ts);
      }
    }
  });
}

// The weight transform along one dimension, u = G g, and its adjoint, g = G^T u, with
//   G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1],
// in double: a transformed weight is used by every tile, and a weight gradient sums all of them.
// (Multiplying by the reciprocals: a division costs 15-20 cycles, and there are 54 per filter.)
constexpr double kSixth = 1.0 / 6, kTwelfth = 1.0 / 12, kTwentyFourth = 1.0 / 24;
inline void g6(const double* g, int64_t stride, double* u) {
  const double g0 = g[0], g1 = g[stride], g2 = g[2 * stride];
  const double even = g0 * kTwentyFourth + g2 * kSixth, odd = g1 * kTwelfth;
  u[0] = 0.25 * g0;
  u[1] = -(g0 + g1 + g2) * kSixth;
  u[2] = -(g0 - g1 + g2) * kSixth;
  u[3] = even + odd;
  u[4] = even - odd;
  u[5] = g2;
}
inline void gt6(const double* u, int64_t stride, double* g) {
  const double u0 = u[0], u1 = u[stride], u2 = u[2 * stride], u3 = u[3 * stride], u4 = u[4 * stride];
  const double u5 = u[5 * stride];
  g[0] = 0.25 * u0 - (u1 + u2) * kSixth + (u3 + u4) * kTwentyFourth;
  g[1] = (u2 - u1) * kSixth + (u3 - u4) * kTwelfth;
  g[2] = (u3 + u4 - u1 - u2) * kSixth + u5;
}

// Runs fn(f0, f1) over ranges of the oc * c filters, spread over the pool (the weight transforms
// run once per call, before and after the parallel tile loop).
template <typename F>
void for_filter_ranges(const Conv2dShape& s, const F& fn) {
  parallel_range(static_cast<size_t>(s.oc * s.c), 256, 1, [&](size_t f0, size_t f1) {
    fn(static_cast<int64_t>(f0), static_cast<int64_t>(f1));
  });
}

// U[xi][o][ci] = (G w[o][ci] G^T)[xi].
std::vector<float> transform_weights(const Conv2dShape& s, const float* weight) {
  std::vector<float> u(static_cast<size_t>(kXi * s.oc * s.c));
  const int64_t plane = s.oc * s.c;
  for_filter_ranges(s, [&](int64_t f0, int64_t f1) {
    for (int64_t oc = f0; oc < f1; ++oc) {
      double w[9], t[6][3], r[6];  // t = G w (rows), r: a row of t G^T
      for (int i = 0; i < 9; ++i) w[i] = weight[oc * 9 + i];
      for (int j = 0; j < 3; ++j) {
        double col[6];
        g6(w + j, 3, col);
        for (int k = 0; k < 6; ++k) t[k][j] = col[k];
      }
      for (int k = 0; k < 6; ++k) {
        g6(t[k], 1, r);
        for (int l = 0; l < 6; ++l) u[static_cast<size_t>((6 * k + l) * plane + oc)] = static_cast<float>(r[l]);
      }
    }
  });
  return u;
}

// dw[o][ci] = G^T dU[.][o][ci] G: the adjoint of transform_weights.
void untransform_weight_grad(const Conv2dShape& s, const float* du, float* dweight) {
  const int64_t plane = s.oc * s.c;
  for_filter_ranges(s, [&](int64_t f0, int64_t f1) {
    for (int64_t oc = f0; oc < f1; ++oc) {
      double d[36], t[3][6];  // d: this filter's dU; t = G^T dU
      for (int xi = 0; xi < 36; ++xi) d[xi] = du[xi * plane + oc];
      for (int l = 0; l < 6; ++l) {
        double col[3];
        gt6(d + l, 6, col);
        for (int i = 0; i < 3; ++i) t[i][l] = col[i];
      }
      for (int i = 0; i < 3; ++i) {
        double row[3];
        gt6(t[i], 1, row);
        for (int j = 0; j < 3; ++j) dweight[oc * 9 + 3 * i + j] = static_cast<float>(row[j]);
      }
    }
  });
}

}  // namespace

void conv2d_winograd_forward(const Conv2dShape& s, const float* x, const float* weight, const float* bias, bool relu,
                             float* y) {
  const WinogradGeom g(s, s.c + s.oc);
  const WinogradKernels& k = winograd_kernels();
  const std::vector<float> u = transform_weights(s, weight);
  for_image_chunks(s.n, [&](int64_t first, int64_t last, int) {
    thread_local std::vector<float> vbuf, mbuf, pbuf;
    float* v = scratch(vbuf, static_cast<size_t>(g.v_size()));
    float* m = scratch(mbuf, static_cast<size_t>(g.m_size()));
    float* xp = scratch(pbuf, static_cast<size_t>((4 * g.chunk_rows + 2) * g.wp));
    for_chunks(g, first, last, [&](int64_t gr0, int64_t gr1) {
      const int64_t tiles = (gr1 - gr0) * g.tw;
      transform_input_chunk(g, k, x, gr0, gr1, v, xp);
      for (int64_t xi = 0; xi < kXi; ++xi)
        sgemm(false, false, s.oc, tiles, s.c, 1.f, u.data() + xi * s.oc * s.c, s.c, v + xi * g.ts, g.cs, 0.f,
              m + xi * g.ts, g.cs);
      for_chunk_images(g, gr0, gr1, [&](int64_t img, int64_t ty0, int64_t ty1, int64_t t0) {
        for (int64_t o = 0; o < s.oc; ++o)
          k.output_transform(m + o * g.cs + t0, g.ts, ty1 - ty0, g.tw, bias ? bias[o] : 0.f, relu,
                             y + (img * s.oc + o) * g.oh * g.ow + 4 * ty0 * g.ow, g.ow, g.oh - 4 * ty0);
      });
    });
  });
}

void conv2d_winograd_backward(const Conv2dShape& s, const float* x, const float* dy, const float* weight, float* dx,
                              float* dweight, float* dbias) {
  // Mdy, dV and V, whichever gradients are asked for: the same chunks, so the same sums, either way.
  const WinogradGeom g(s, s.oc + 2 * s.c);
  const WinogradKernels& k = winograd_kernels();
  const std::vector<float> u = dx ? transform_weights(s, weight) : std::vector<float>();
  const int64_t hw = s.h * s.w, usize = kXi * s.oc * s.c, tasks = image_chunks(s.n);
  // One dU per task, summed in task order afterwards (the result does not depend on scheduling);
  // each task's first chunk overwrites its dU (every task has at least one image, so one chunk).
  std::unique_ptr<float[]> du(dweight ? new float[static_cast<size_t>(tasks * usize)] : nullptr);
  // The bias gradient per task: position xi = 7 of A dy A^T is the sum of the tile's 4x4 gradient
  // (zero past the output's edge), so summing that row of Mdy over the tiles sums dy, from cache.
  std::vector<float> dbt(static_cast<size_t>(dbias ? tasks * s.oc : 0), 0.f);
  // Tasks own whole images: neighbouring tile rows add into the same input rows.
  for_image_chunks(s.n, [&](int64_t first, int64_t last, int task) {
    thread_local std::vector<float> mbuf, vbuf, dvbuf, pbuf;
    float* mdy = scratch(mbuf, static_cast<size_t>(g.m_size()));
    float* v = dweight ? scratch(vbuf, static_cast<size_t>(g.v_size())) : nullptr;
    float* dv = dx ? scratch(dvbuf, static_cast<size_t>(g.v_size())) : nullptr;
    float* pad = scratch(pbuf, static_cast<size_t>((4 * g.chunk_rows + 2) * std::max(g.wp, g.wd)));
    float* acc = dweight ? du.get() + task * usize : nullptr;
    bool first_chunk = true;
    for_chunks(g, first, last, [&](int64_t gr0, int64_t gr1) {
      const int64_t tiles = (gr1 - gr0) * g.tw;
      transform_grad_chunk(g, k, dy, gr0, gr1, mdy, pad);  // shared by all the gradients
      if (dbias) {
        float* bt = dbt.data() + task * s.oc;
        for (int64_t o = 0; o < s.oc; ++o) bt[o] += sum_row(mdy + o * g.cs + kXiTileSum * g.ts, tiles);
      }
      if (dweight) {
        transform_input_chunk(g, k, x, gr0, gr1, v, pad);
        for (int64_t xi = 0; xi < kXi; ++xi)
          sgemm(false, true, s.oc, s.c, tiles, 1.f, mdy + xi * g.ts, g.cs, v + xi * g.ts, g.cs, first_chunk ? 0.f : 1.f,
                acc + xi * s.oc * s.c, s.c);
        first_chunk = false;
      }
      if (!dx) return;
      for (int64_t xi = 0; xi < kXi; ++xi)
        sgemm(true, false, s.c, tiles, s.oc, 1.f, u.data() + xi * s.oc * s.c, s.c, mdy + xi * g.ts, g.cs, 0.f,
              dv + xi * g.ts, g.cs);
      for_chunk_images(g, gr0, gr1, [&](int64_t img, int64_t ty0, int64_t ty1, int64_t t0) {
        const int64_t rows = ty1 - ty0, prow0 = 4 * ty0 - s.ph;  // input row of the first padded row
        for (int64_t ci = 0; ci < s.c; ++ci) {
          zero_row(pad, (4 * rows + 2) * g.wp);
          k.input_grad_transform(dv + ci * g.cs + t0, g.ts, rows, g.tw, pad, g.wp);
          float* plane = dx + (img * s.c + ci) * hw;
          // The tile rows cover every input row. A row's first writer copies; the 2 rows a tile row
          // shares with the one before it (in an earlier chunk when ty0 > 0) add.
          for (int64_t i = 0; i < 4 * rows + 2; ++i) {
            const int64_t iy = prow0 + i;
            if (iy < 0 || iy >= s.h) continue;
            if (i < 2 && ty0 > 0) {
              add_row(plane + iy * s.w, pad + i * g.wp + s.pw, s.w);
            } else {
              copy_row(plane + iy * s.w, pad + i * g.wp + s.pw, s.w);
            }
          }
        }
      });
    });
  });
  if (dbias) {
    for (int64_t o = 0; o < s.oc; ++o) {
      float total = 0.f;
      for (int64_t t = 0; t < tasks; ++t) total += dbt[static_cast<size_t>(t * s.oc + o)];
      dbias[o] = total;
    }
  }
  if (!dweight) return;
  // The tasks' dU summed into the first's, in task order, over the pool.
  float* sum = du.get();
  parallel_range(static_cast<size_t>(usize), 4096, 16, [&](size_t j0, size_t j1) {
    for (int64_t t = 1; t < tasks; ++t) {
      const float* e = sum + t * usize;
      for (size_t j = j0; j < j1; ++j) sum[j] += e[j];
    }
  });
  untransform_weight_grad(s, sum, dweight);
}

}  // namespace fastgrad
