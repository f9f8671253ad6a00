#include "kernels/conv/conv2d.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/thread_pool.h"
#include "kernels/conv/conv2d_direct.h"
#include "kernels/conv/conv2d_winograd.h"
#include "kernels/conv/image_chunks.h"
#include "kernels/gemm/sgemm.h"

namespace fastgrad {
namespace {

// The im2col buffer of one tile holds at most this many floats (256 KiB: half of a core's L2), so
// the packing inside sgemm reads it from cache.
constexpr int64_t kColsCapFloats = 64 * 1024;

#include "common/vec8.h"

// The range [lo, hi) of output columns ox in [0, ow) whose input column ox * sw + ix0 is inside [0, w).
inline void valid_cols(int64_t ix0, int64_t sw, int64_t w, int64_t ow, int64_t* lo, int64_t* hi) {
  int64_t l = ix0 >= 0 ? 0 : (-ix0 + sw - 1) / sw;
  int64_t r = w - ix0 - 1 >= 0 ? (w - ix0 - 1) / sw + 1 : 0;
  *lo = std::min(l, ow);
  *hi = std::max(*lo, std::min(r, ow));
}

struct Geometry {
  Conv2dShape s;
  int64_t oh, ow, ohw, hw, cg, ocg, kk;  // kk = cg * kh * kw: the GEMM's inner dimension
  bool pointwise;                        // 1x1, stride 1, no padding: the image itself is cols
  int64_t tile;                          // output pixels per im2col tile
  explicit Geometry(const Conv2dShape& sh) : s(sh) {
    oh = s.out_h();
    ow = s.out_w();
    ohw = oh * ow;
    hw = s.h * s.w;
    cg = s.c / s.groups;
    ocg = s.oc / s.groups;
    kk = cg * s.kh * s.kw;
    pointwise = s.kh == 1 && s.kw == 1 && s.sh == 1 && s.sw == 1 && s.ph == 0 && s.pw == 0;
    int64_t t = kColsCapFloats / kk;
    t = t >= ow ? t / ow * ow : (t >= 32 ? t / 16 * 16 : 16);  // whole output rows when they fit
    tile = std::min(ohw, t);
    rows_contiguous = s.sh == 1 && s.sw == 1 && ow == s.w;
  }
  // Stride 1 and ow == w (a 'same' convolution): for one (ci, ki, kj), a run of whole output rows reads
  // one contiguous run of the input plane, shifted; only the columns that fall into the padding
  // need fixing up. im2col/col2im then move long runs instead of a dozen floats at a time.
  bool rows_contiguous;
};

// cols[r, p - p0] for r = (ci, ki, kj) and output pixels p in [p0, p1) of one image's group
// (xg: its first channel). Padding reads as zero.
// The rows_contiguous case of im2col (p0 and p1 on output-row boundaries).
void im2col_rows(const Geometry& g, const float* xg, int64_t p0, int64_t p1, float* cols) {
  const Conv2dShape& s = g.s;
  const int64_t np = p1 - p0, w = s.w, oy0 = p0 / w, oy1 = p1 / w;
  for (int64_t ci = 0; ci < g.cg; ++ci) {
    const float* plane = xg + ci * g.hw;
    for (int64_t ki = 0; ki < s.kh; ++ki) {
      // Output rows [a, b) read input rows a + dy inside the image.
      const int64_t dy = ki * s.dh - s.ph;
      const int64_t a = std::min(std::max(oy0, -dy), oy1), b = std::max(a, std::min(oy1, s.h - dy));
      for (int64_t kj = 0; kj < s.kw; ++kj) {
        float* row = cols + ((ci * s.kh + ki) * s.kw + kj) * np - p0;  // row[p] for p in [p0, p1)
        const int64_t ix0 = kj * s.dw - s.pw;
        int64_t lo, hi;
        valid_cols(ix0, 1, w, w, &lo, &hi);
        zero_row(row + oy0 * w, (a - oy0) * w);
        if (b > a) {
          // One long copy, reading ix0 past each row's start; the columns outside [lo, hi) read
          // the neighbouring row (or one past the run) and are zeroed after.
          const int64_t first = a * w + std::max<int64_t>(0, -ix0);
          const int64_t last = (b - 1) * w + std::min<int64_t>(w, w - ix0);  // exclusive
          copy_row(row + first, plane + dy * w + first + ix0, last - first);
          for (int64_t oy = a; oy < b; ++oy) {
            float* r = row + oy * w;
            for (int64_t ox = 0; ox < lo; ++ox) r[ox] = 0.f;
            for (int64_t ox = hi; ox < w; ++ox) r[ox] = 0.f;
          }
        }
        zero_row(row + b * w, (oy1 - b) * w);
      }
    }
  }
}

// The adjoint of im2col_rows. Zeroes the padding columns of dcols (scratch) so that one long add
// per (ci, ki, kj) is exact.
void col2im_rows(const Geometry& g, float* dcols, int64_t p0, int64_t p1, float* dxg) {
  const Conv2dShape& s = g.s;
  const int64_t np = p1 - p0, w = s.w, oy0 = p0 / w, oy1 = p1 / w;
  for (int64_t ci = 0; ci < g.cg; ++ci) {
    float* plane = dxg + ci * g.hw;
    for (int64_t ki = 0; ki < s.kh; ++ki) {
      const int64_t dy = ki * s.dh - s.ph;
      const int64_t a = std::min(std::max(oy0, -dy), oy1), b = std::max(a, std::min(oy1, s.h - dy));
      if (b <= a) continue;
      for (int64_t kj = 0; kj < s.kw; ++kj) {
        float* row = dcols + ((ci * s.kh + ki) * s.kw + kj) * np - p0;
        const int64_t ix0 = kj * s.dw - s.pw;
        int64_t lo, hi;
        valid_cols(ix0, 1, w, w, &lo, &hi);
        for (int64_t oy = a; oy < b; ++oy) {
          float* r = row + oy * w;
          for (int64_t ox = 0; ox < lo; ++ox) r[ox] = 0.f;
          for (int64_t ox = hi; ox < w; ++ox) r[ox] = 0.f;
        }
        const int64_t first = a * w + std::max<int64_t>(0, -ix0);
        const int64_t last = (b - 1) * w + std::min<int64_t>(w, w - ix0);
        add_row(plane + dy * w + first + ix0, row + first, last - first);
      }
    }
  }
}

void im2col(const Geometry& g, const float* xg, int64_t p0, int64_t p1, float* cols) {
  const Conv2dShape& s = g.s;
  const int64_t np = p1 - p0;
  if (g.rows_contiguous && p0 % g.ow == 0 && p1 % g.ow == 0) {
    im2col_rows(g, xg, p0, p1, cols);
    return;
  }
  for (int64_t ci = 0; ci < g.cg; ++ci) {
    const float* plane = xg + ci * g.hw;
    for (int64_t ki = 0; ki < s.kh; ++ki) {
      for (int64_t kj = 0; kj < s.kw; ++kj) {
        float* row = cols + ((ci * s.kh + ki) * s.kw + kj) * np;
        const int64_t ix0 = kj * s.dw - s.pw;
        int64_t lo, hi;
        valid_cols(ix0, s.sw, s.w, g.ow, &lo, &hi);
        int64_t p = p0;
        while (p < p1) {
          const int64_t oy = p / g.ow, ox0 = p % g.ow, ox1 = std::min(g.ow, ox0 + (p1 - p));
          float* dst = row + (p - p0) - ox0;  // dst[ox]
          const int64_t iy = oy * s.sh - s.ph + ki * s.dh;
          if (iy < 0 || iy >= s.h) {
            zero_row(dst + ox0, ox1 - ox0);
          } else {
            const int64_t a = std::min(std::max(ox0, lo), ox1), b = std::max(a, std::min(ox1, hi));
            const float* src = plane + iy * s.w + ix0;  // src[ox * sw]
            for (int64_t ox = ox0; ox < a; ++ox) dst[ox] = 0.f;
            if (s.sw == 1) {
              copy_row(dst + a, src + a, b - a);
            } else {
              for (int64_t ox = a; ox < b; ++ox) dst[ox] = src[ox * s.sw];
            }
            for (int64_t ox = b; ox < ox1; ++ox) dst[ox] = 0.f;
          }
          p += ox1 - ox0;
        }
      }
    }
  }
}

// The adjoint of im2col: adds dcols[r, p - p0] into the image's group gradient dxg.
void col2im(const Geometry& g, float* dcols, int64_t p0, int64_t p1, float* dxg) {
  const Conv2dShape& s = g.s;
  const int64_t np = p1 - p0;
  if (g.rows_contiguous && p0 % g.ow == 0 && p1 % g.ow == 0) {
    col2im_rows(g, dcols, p0, p1, dxg);
    return;
  }
  for (int64_t ci = 0; ci < g.cg; ++ci) {
    float* plane = dxg + ci * g.hw;
    for (int64_t ki = 0; ki < s.kh; ++ki) {
      for (int64_t kj = 0; kj < s.kw; ++kj) {
        const float* row = dcols + ((ci * s.kh + ki) * s.kw + kj) * np;
        const int64_t ix0 = kj * s.dw - s.pw;
        int64_t lo, hi;
        valid_cols(ix0, s.sw, s.w, g.ow, &lo, &hi);
        int64_t p = p0;
        while (p < p1) {
          const int64_t oy = p / g.ow, ox0 = p % g.ow, ox1 = std::min(g.ow, ox0 + (p1 - p));
          const float* src = row + (p - p0) - ox0;
          const int64_t iy = oy * s.sh - s.ph + ki * s.dh;
          if (iy >= 0 && iy < s.h) {
            const int64_t a = std::max(ox0, lo), b = std::min(ox1, hi);
            float* dst = plane + iy * s.w + ix0;
            if (s.sw == 1) {
              if (b > a) add_row(dst + a, src + a, b - a);
            } else {
              for (int64_t ox = a; ox < b; ++ox) dst[ox * s.sw] += src[ox];
            }
          }
          p += ox1 - ox0;
        }
      }
    }
  }
}

float* scratch(size_t n) {
  thread_local std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

// ---- GEMM path ----

void forward_gemm(const Geometry& g, const float* x, const float* weight, const float* bias, bool relu, float* y) {
  const Conv2dShape& s = g.s;
  for_image_chunks(s.n, [&](int64_t first, int64_t last, int) {
    float* cols = g.pointwise ? nullptr : scratch(static_cast<size_t>(g.kk * g.tile));
    for (int64_t img = first; img < last; ++img) {
      for (int64_t gr = 0; gr < s.groups; ++gr) {
        const float* xg = x + (img * s.c + gr * g.cg) * g.hw;
        const float* wg = weight + gr * g.ocg * g.kk;
        float* yg = y + (img * s.oc + gr * g.ocg) * g.ohw;
        GemmEpilogue ep;
        ep.bias = bias ? bias + gr * g.ocg : nullptr;
        ep.bias_per_row = true;
        ep.act = relu ? Activation::kRelu : Activation::kNone;
        for (int64_t p0 = 0; p0 < g.ohw; p0 += g.tile) {
          const int64_t p1 = std::min(g.ohw, p0 + g.tile);
          if (g.pointwise) {
            sgemm(false, false, g.ocg, p1 - p0, g.kk, 1.f, wg, g.kk, xg + p0, g.hw, 0.f, yg + p0, g.ohw, &ep);
          } else {
            im2col(g, xg, p0, p1, cols);
            sgemm(false, false, g.ocg, p1 - p0, g.kk, 1.f, wg, g.kk, cols, p1 - p0, 0.f, yg + p0, g.ohw, &ep);
          }
        }
      }
    }
  });
}

void backward_input_gemm(const Geometry& g, const float* dy, const float* weight, float* dx) {
  const Conv2dShape& s = g.s;
  for_image_chunks(s.n, [&](int64_t first, int64_t last, int) {
    float* dcols = g.pointwise ? nullptr : scratch(static_cast<size_t>(g.kk * g.tile));
    for (int64_t img = first; img < last; ++img) {
      float* dximg = dx + img * s.c * g.hw;
      if (!g.pointwise) std::memset(dximg, 0, static_cast<size_t>(s.c * g.hw) * sizeof(float));
      for (int64_t gr = 0; gr < s.groups; ++gr) {
        float* dxg = dximg + gr * g.cg * g.hw;
        const float* wg = weight + gr * g.ocg * g.kk;
        const float* dyg = dy + (img * s.oc + gr * g.ocg) * g.ohw;
        for (int64_t p0 = 0; p0 < g.ohw; p0 += g.tile) {
          const int64_t p1 = std::min(g.ohw, p0 + g.tile);
          if (g.pointwise) {
            sgemm(true, false, g.kk, p1 - p0, g.ocg, 1.f, wg, g.kk, dyg + p0, g.ohw, 0.f, dxg + p0, g.hw);
          } else {
            sgemm(true, false, g.kk, p1 - p0, g.ocg, 1.f, wg, g.kk, dyg + p0, g.ohw, 0.f, dcols, p1 - p0);
            col2im(g, dcols, p0, p1, dxg);
          }
        }
      }
    }
  });
}

// dbias[o] = the sum of dy over images and pixels of channel o; channels spread over the pool, each
// summed in the same order whatever the thread count.
void bias_grad(const Conv2dShape& s, int64_t ohw, const float* dy, float* dbias) {
  parallel_range(static_cast<size_t>(s.oc), 8, 1, [&](size_t b, size_t e) {
    for (size_t ou = b; ou < e; ++ou) {
      const int64_t o = static_cast<int64_t>(ou);
      float total = 0.f;
      for (int64_t img = 0; img < s.n; ++img) {
        const float* row = dy + (img * s.oc + o) * ohw;
        v8f acc = splat8(0.f);
        int64_t p = 0;
        for (; p + 8 <= ohw; p += 8) acc += load8(row + p);
        float sum = hsum8(acc);
        for (; p < ohw; ++p) sum += row[p];
        total += sum;
      }
      dbias[o] = total;
    }
  });
}

void backward_weight_gemm(const Geometry& g, const float* x, const float* dy, float* dweight) {
  const Conv2dShape& s = g.s;
  const int64_t wsize = s.oc * g.kk;
  const int64_t t = image_chunks(s.n);
  // Chunk 0 accumulates into dweight itself, chunk i > 0 into extra[i - 1]; then one reduction.
  std::vector<float> extra(static_cast<size_t>(t > 1 ? (t - 1) * wsize : 0));
  for_image_chunks(s.n, [&](int64_t first, int64_t last, int task) {
    float* acc = task == 0 ? dweight : extra.data() + (task - 1) * wsize;
    std::memset(acc, 0, static_cast<size_t>(wsize) * sizeof(float));
    float* cols = g.pointwise ? nullptr : scratch(static_cast<size_t>(g.kk * g.tile));
    for (int64_t img = first; img < last; ++img) {
      for (int64_t gr = 0; gr < s.groups; ++gr) {
        const float* xg = x + (img * s.c + gr * g.cg) * g.hw;
        const float* dyg = dy + (img * s.oc + gr * g.ocg) * g.ohw;
        float* accg = acc + gr * g.ocg * g.kk;
        for (int64_t p0 = 0; p0 < g.ohw; p0 += g.tile) {
          const int64_t p1 = std::min(g.ohw, p0 + g.tile);
          if (g.pointwise) {
            sgemm(false, true, g.ocg, g.kk, p1 - p0, 1.f, dyg + p0, g.ohw, xg + p0, g.hw, 1.f, accg, g.kk);
          } else {
            im2col(g, xg, p0, p1, cols);
            sgemm(false, true, g.ocg, g.kk, p1 - p0, 1.f, dyg + p0, g.ohw, cols, p1 - p0, 1.f, accg, g.kk);
          }
        }
      }
    }
  });
  for (int64_t i = 1; i < t; ++i) {
    const float* e = extra.data() + (i - 1) * wsize;
    for (int64_t j = 0; j < wsize; ++j) dweight[j] += e[j];
  }
}

// ---- Depthwise path: one input channel per group, `mult` output channels per input channel ----

void forward_depthwise(const Geometry& g, const float* x, const float* weight, const float* bias, bool relu, float* y) {
  const Conv2dShape& s = g.s;
  const int64_t mult = g.ocg;
  parallel_range(static_cast<size_t>(s.n * s.oc), 4, 1, [&](size_t b, size_t e) {
    for (size_t plane = b; plane < e; ++plane) {
      const int64_t img = static_cast<int64_t>(plane) / s.oc, o = static_cast<int64_t>(plane) % s.oc;
      const float* in = x + (img * s.c + o / mult) * g.hw;
      const float* wk = weight + o * s.kh * s.kw;
      float* out = y + static_cast<int64_t>(plane) * g.ohw;
      std::fill(out, out + g.ohw, bias ? bias[o] : 0.f);
      for (int64_t ki = 0; ki < s.kh; ++ki) {
        for (int64_t kj = 0; kj < s.kw; ++kj) {
          const float wv = wk[ki * s.kw + kj];
          const int64_t ix0 = kj * s.dw - s.pw;
          int64_t lo, hi;
          valid_cols(ix0, s.sw, s.w, g.ow, &lo, &hi);
          for (int64_t oy = 0; oy < g.oh; ++oy) {
            const int64_t iy = oy * s.sh - s.ph + ki * s.dh;
            if (iy < 0 || iy >= s.h) continue;
            const float* src = in + iy * s.w + ix0;
            float* dst = out + oy * g.ow;
            if (s.sw == 1) {
              for (int64_t ox = lo; ox < hi; ++ox) dst[ox] += wv * src[ox];
            } else {
              for (int64_t ox = lo; ox < hi; ++ox) dst[ox] += wv * src[ox * s.sw];
            }
          }
        }
      }
      if (relu)
        for (int64_t p = 0; p < g.ohw; ++p) out[p] = out[p] > 0.f ? out[p] : 0.f;
    }
  });
}

void backward_input_depthwise(const Geometry& g, const float* dy, const float* weight, float* dx) {
  const Conv2dShape& s = g.s;
  const int64_t mult = g.ocg;
  parallel_range(static_cast<size_t>(s.n * s.c), 4, 1, [&](size_t b, size_t e) {
    for (size_t plane = b; plane < e; ++plane) {
      const int64_t img = static_cast<int64_t>(plane) / s.c, ci = static_cast<int64_t>(plane) % s.c;
      float* din = dx + static_cast<int64_t>(plane) * g.hw;
      std::fill(din, din + g.hw, 0.f);
      for (int64_t m = 0; m < mult; ++m) {
        const int64_t o = ci * mult + m;
        const float* dout = dy + (img * s.oc + o) * g.ohw;
        const float* wk = weight + o * s.kh * s.kw;
        for (int64_t ki = 0; ki < s.kh; ++ki) {
          for (int64_t kj = 0; kj < s.kw; ++kj) {
            const float wv = wk[ki * s.kw + kj];
            const int64_t ix0 = kj * s.dw - s.pw;
            int64_t lo, hi;
            valid_cols(ix0, s.sw, s.w, g.ow, &lo, &hi);
            for (int64_t oy = 0; oy < g.oh; ++oy) {
              const int64_t iy = oy * s.sh - s.ph + ki * s.dh;
              if (iy < 0 || iy >= s.h) continue;
              float* dst = din + iy * s.w + ix0;
              const float* src = dout + oy * g.ow;
              if (s.sw == 1) {
                for (int64_t ox = lo; ox < hi; ++ox) dst[ox] += wv * src[ox];
              } else {
                for (int64_t ox = lo; ox < hi; ++ox) dst[ox * s.sw] += wv * src[ox];
              }
            }
          }
        }
      }
    }
  });
}

void backward_weight_depthwise(const Geometry& g, const float* x, const float* dy, float* dweight) {
  const Conv2dShape& s = g.s;
  const int64_t mult = g.ocg;
  parallel_range(static_cast<size_t>(s.oc), 1, 1, [&](size_t b, size_t e) {
    for (size_t ou = b; ou < e; ++ou) {
      const int64_t o = static_cast<int64_t>(ou);
      for (int64_t ki = 0; ki < s.kh; ++ki) {
        for (int64_t kj = 0; kj < s.kw; ++kj) {
          const int64_t ix0 = kj * s.dw - s.pw;
          int64_t lo, hi;
          valid_cols(ix0, s.sw, s.w, g.ow, &lo, &hi);
          double total = 0;
          for (int64_t img = 0; img < s.n; ++img) {
            const float* in = x + (img * s.c + o / mult) * g.hw;
            const float* dout = dy + (img * s.oc + o) * g.ohw;
            float acc = 0.f;
            for (int64_t oy = 0; oy < g.oh; ++oy) {
              const int64_t iy = oy * s.sh - s.ph + ki * s.dh;
              if (iy < 0 || iy >= s.h) continue;
              const float* src = in + iy * s.w + ix0;
              const float* d = dout + oy * g.ow;
              for (int64_t ox = lo; ox < hi; ++ox) acc += d[ox] * src[ox * s.sw];
            }
            total += acc;
          }
          dweight[(o * s.kh + ki) * s.kw + kj] = static_cast<float>(total);
        }
      }
    }
  });
}

// ---- Direct path: few taps (see conv2d_direct.h) ----

void forward_direct(const Conv2dShape& s, const float* x, const float* weight, const float* bias, bool relu, float* y) {
  const DirectConvGeom g(s);
  const Conv2dDirectKernels& k = conv2d_direct_kernels();
  for_image_chunks(s.n, [&](int64_t first, int64_t last, int) {
    float* xp = scratch(static_cast<size_t>(g.padded_size()));
    for (int64_t img = first; img < last; ++img) {
      direct_pad_image(g, x + img * s.c * s.h * s.w, xp);
      k.forward_image(g, xp, weight, bias, relu, y + img * s.oc * g.oh * g.ow);
    }
  });
}

void backward_weight_direct(const Conv2dShape& s, const float* x, const float* dy, float* dweight, float* dbias) {
  const DirectConvGeom g(s);
  const Conv2dDirectKernels& k = conv2d_direct_kernels();
  const int64_t wsize = s.oc * s.c * s.kh * s.kw, stride = wsize + s.oc;  // per chunk: weights, then bias
  const int64_t chunks = image_chunks(s.n);
  std::vector<float> acc(static_cast<size_t>(chunks * stride), 0.f);
  for_image_chunks(s.n, [&](int64_t first, int64_t last, int chunk) {
    float* xp = scratch(static_cast<size_t>(g.padded_size()));
    float* dw = acc.data() + chunk * stride;
    for (int64_t img = first; img < last; ++img) {
      direct_pad_image(g, x + img * s.c * s.h * s.w, xp);
      k.weight_grad_image(g, xp, dy + img * s.oc * g.oh * g.ow, dw, dw + wsize);
    }
  });
  for (int64_t j = 0; j < wsize; ++j) {
    float t = 0.f;
    for (int64_t ch = 0; ch < chunks; ++ch) t += acc[ch * stride + j];
    dweight[j] = t;
  }
  if (dbias) {
    for (int64_t o = 0; o < s.oc; ++o) {
      float t = 0.f;
      for (int64_t ch = 0; ch < chunks; ++ch) t += acc[ch * stride + wsize + o];
      dbias[o] = t;
    }
  }
}

}  // namespace

void conv2d_forward(const Conv2dShape& s, const float* x, const float* weight, const float* bias, bool relu, float* y) {
  Geometry g(s);
  if (g.ohw == 0 || s.n == 0 || s.oc == 0) return;
  if (conv2d_direct_applies(s)) {
    forward_direct(s, x, weight, bias, relu, y);
  } else if (conv2d_winograd_applies(s)) {
    conv2d_winograd_forward(s, x, weight, bias, relu, y);
  } else if (g.cg == 1 && s.groups > 1) {
    forward_depthwise(g, x, weight, bias, relu, y);
  } else {
    forward_gemm(g, x, weight, bias, relu, y);
  }
}

void conv2d_backward(const Conv2dShape& s, const float* x, const float* dy, const float* weight, float* dx,
                     float* dweight, float* dbias) {
  Geometry g(s);
  const bool empty = s.n == 0 || g.ohw == 0 || s.oc == 0;
  if (dx && empty) std::memset(dx, 0, static_cast<size_t>(s.n * s.c * g.hw) * sizeof(float));
  if (dweight && (s.n == 0 || g.ohw == 0)) std::memset(dweight, 0, static_cast<size_t>(s.oc * g.kk) * sizeof(float));
  if (dbias && (s.n == 0 || g.ohw == 0)) std::memset(dbias, 0, static_cast<size_t>(s.oc) * sizeof(float));
  if (empty) return;
  if (conv2d_winograd_applies(s) && (dx || dweight)) {
    conv2d_winograd_backward(s, x, dy, weight, dx, dweight, dbias);  // all three in one pass
    return;
  }
  if (dx) {
    if (g.cg == 1 && s.groups > 1) {
      backward_input_depthwise(g, dy, weight, dx);
    } else {
      backward_input_gemm(g, dy, weight, dx);
    }
  }
  if (dweight) {
    if (conv2d_direct_applies(s)) {
      backward_weight_direct(s, x, dy, dweight, dbias);  // the bias gradient too, in the same pass over dy
      return;
    }
    if (g.cg == 1 && s.groups > 1) {
      backward_weight_depthwise(g, x, dy, dweight);
    } else {
      backward_weight_gemm(g, x, dy, dweight);
    }
  }
  if (dbias) bias_grad(s, g.ohw, dy, dbias);
}

}  // namespace fastgrad
