#include "kernels/conv/pool.h"

#include <algorithm>
#include <cstring>

#include "common/thread_pool.h"

namespace fastgrad {
namespace {

// Planes per task: at least ~16K elements of work so small problems stay on one thread.
size_t plane_grain(int64_t plane_elems) {
  int64_t g = plane_elems > 0 ? (16384 + plane_elems - 1) / plane_elems : 1;
  return static_cast<size_t>(std::max<int64_t>(g, 1));
}

// 2x2 windows, stride 2, no padding: the CNN's pooling, read row pair by row pair.
void max_pool_2x2(const Pool2dShape& s, int64_t oh, int64_t ow, const float* in, float* out, int32_t* idx) {
  for (int64_t oy = 0; oy < oh; ++oy) {
    const float* r0 = in + (2 * oy) * s.w;
    const float* r1 = r0 + s.w;
    const int32_t base = static_cast<int32_t>(2 * oy * s.w);
    for (int64_t ox = 0; ox < ow; ++ox) {
      const int64_t x0 = 2 * ox;
      float best = r0[x0];
      int32_t bi = base + static_cast<int32_t>(x0);
      float v = r0[x0 + 1];
      if (v > best || (v != v && best == best)) { best = v; bi = base + static_cast<int32_t>(x0 + 1); }
      v = r1[x0];
      if (v > best || (v != v && best == best)) { best = v; bi = base + static_cast<int32_t>(s.w + x0); }
      v = r1[x0 + 1];
      if (v > best || (v != v && best == best)) { best = v; bi = base + static_cast<int32_t>(s.w + x0 + 1); }
      out[oy * ow + ox] = best;
      idx[oy * ow + ox] = bi;
    }
  }
}

}  // namespace

void max_pool2d_forward(const Pool2dShape& s, const float* x, float* y, int32_t* idx) {
  const int64_t oh = s.out_h(), ow = s.out_w(), hw = s.h * s.w, ohw = oh * ow;
  const bool two = s.kh == 2 && s.kw == 2 && s.sh == 2 && s.sw == 2 && s.ph == 0 && s.pw == 0;
  parallel_range(static_cast<size_t>(s.n * s.c), plane_grain(hw), 1, [&](size_t b, size_t e) {
    for (size_t p = b; p < e; ++p) {
      const float* in = x + static_cast<int64_t>(p) * hw;
      float* out = y + static_cast<int64_t>(p) * ohw;
      int32_t* ix = idx + static_cast<int64_t>(p) * ohw;
      if (two) {
        max_pool_2x2(s, oh, ow, in, out, ix);
        continue;
      }
      for (int64_t oy = 0; oy < oh; ++oy) {
        const int64_t y0 = std::max<int64_t>(oy * s.sh - s.ph, 0), y1 = std::min(oy * s.sh - s.ph + s.kh, s.h);
        for (int64_t ox = 0; ox < ow; ++ox) {
          const int64_t x0 = std::max<int64_t>(ox * s.sw - s.pw, 0), x1 = std::min(ox * s.sw - s.pw + s.kw, s.w);
          float best = -__builtin_inff();
          int64_t bi = y0 * s.w + x0;
          for (int64_t iy = y0; iy < y1; ++iy) {
            for (int64_t ixx = x0; ixx < x1; ++ixx) {
              const float v = in[iy * s.w + ixx];
              if (v > best || v != v) {
                best = v;
                bi = iy * s.w + ixx;
                if (v != v) goto done;
              }
            }
          }
        done:
          out[oy * ow + ox] = best;
          ix[oy * ow + ox] = static_cast<int32_t>(bi);
        }
      }
    }
  });
}

void max_pool2d_backward(const Pool2dShape& s, const float* dy, const int32_t* idx, float* dx) {
  const int64_t oh = s.out_h(), ow = s.out_w(), hw = s.h * s.w, ohw = oh * ow;
  parallel_range(static_cast<size_t>(s.n * s.c), plane_grain(hw), 1, [&](size_t b, size_t e) {
    for (size_t p = b; p < e; ++p) {
      float* din = dx + static_cast<int64_t>(p) * hw;
      const float* dout = dy + static_cast<int64_t>(p) * ohw;
      const int32_t* ix = idx + static_cast<int64_t>(p) * ohw;
      std::memset(din, 0, static_cast<size_t>(hw) * sizeof(float));
      for (int64_t q = 0; q < ohw; ++q) {
        const int32_t i = ix[q];
        if (i >= 0 && i < hw) din[i] += dout[q];  // the index may come from JS: never write outside
      }
    }
  });
}

namespace {
inline int64_t avg_divisor(const Pool2dShape& s, bool include_pad, int64_t oy, int64_t ox) {
  if (include_pad) {
    const int64_t ys = oy * s.sh - s.ph, xs = ox * s.sw - s.pw;
    const int64_t ye = std::min(ys + s.kh, s.h + s.ph), xe = std::min(xs + s.kw, s.w + s.pw);
    return (ye - ys) * (xe - xs);
  }
  const int64_t y0 = std::max<int64_t>(oy * s.sh - s.ph, 0), y1 = std::min(oy * s.sh - s.ph + s.kh, s.h);
  const int64_t x0 = std::max<int64_t>(ox * s.sw - s.pw, 0), x1 = std::min(ox * s.sw - s.pw + s.kw, s.w);
  return std::max<int64_t>((y1 - y0) * (x1 - x0), 1);
}
}  // namespace

void avg_pool2d_forward(const Pool2dShape& s, bool include_pad, const float* x, float* y) {
  const int64_t oh = s.out_h(), ow = s.out_w(), hw = s.h * s.w, ohw = oh * ow;
  parallel_range(static_cast<size_t>(s.n * s.c), plane_grain(hw), 1, [&](size_t b, size_t e) {
    for (size_t p = b; p < e; ++p) {
      const float* in = x + static_cast<int64_t>(p) * hw;
      float* out = y + static_cast<int64_t>(p) * ohw;
      for (int64_t oy = 0; oy < oh; ++oy) {
        const int64_t y0 = std::max<int64_t>(oy * s.sh - s.ph, 0), y1 = std::min(oy * s.sh - s.ph + s.kh, s.h);
        for (int64_t ox = 0; ox < ow; ++ox) {
          const int64_t x0 = std::max<int64_t>(ox * s.sw - s.pw, 0), x1 = std::min(ox * s.sw - s.pw + s.kw, s.w);
          float sum = 0.f;
          for (int64_t iy = y0; iy < y1; ++iy)
            for (int64_t ixx = x0; ixx < x1; ++ixx) sum += in[iy * s.w + ixx];
          out[oy * ow + ox] = sum / static_cast<float>(avg_divisor(s, include_pad, oy, ox));
        }
      }
    }
  });
}

void avg_pool2d_backward(const Pool2dShape& s, bool include_pad, const float* dy, float* dx) {
  const int64_t oh = s.out_h(), ow = s.out_w(), hw = s.h * s.w, ohw = oh * ow;
  parallel_range(static_cast<size_t>(s.n * s.c), plane_grain(hw), 1, [&](size_t b, size_t e) {
    for (size_t p = b; p < e; ++p) {
      float* din = dx + static_cast<int64_t>(p) * hw;
      const float* dout = dy + static_cast<int64_t>(p) * ohw;
      std::memset(din, 0, static_cast<size_t>(hw) * sizeof(float));
      for (int64_t oy = 0; oy < oh; ++oy) {
        const int64_t y0 = std::max<int64_t>(oy * s.sh - s.ph, 0), y1 = std::min(oy * s.sh - s.ph + s.kh, s.h);
        for (int64_t ox = 0; ox < ow; ++ox) {
          const int64_t x0 = std::max<int64_t>(ox * s.sw - s.pw, 0), x1 = std::min(ox * s.sw - s.pw + s.kw, s.w);
          const float g = dout[oy * ow + ox] / static_cast<float>(avg_divisor(s, include_pad, oy, ox));
          for (int64_t iy = y0; iy < y1; ++iy)
            for (int64_t ixx = x0; ixx < x1; ++ixx) din[iy * s.w + ixx] += g;
        }
      }
    }
  });
}

void global_avg_pool_forward(int64_t planes, int64_t hw, const float* x, float* y) {
  parallel_range(static_cast<size_t>(planes), plane_grain(hw), 1, [&](size_t b, size_t e) {
    for (size_t p = b; p < e; ++p) {
      const float* in = x + static_cast<int64_t>(p) * hw;
      float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      int64_t i = 0;
      for (; i + 8 <= hw; i += 8)
        for (int j = 0; j < 8; ++j) acc[j] += in[i + j];
      float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
      for (; i < hw; ++i) sum += in[i];
      y[p] = hw > 0 ? sum / static_cast<float>(hw) : 0.f;
    }
  });
}

void global_avg_pool_backward(int64_t planes, int64_t hw, const float* dy, float* dx) {
  parallel_range(static_cast<size_t>(planes), plane_grain(hw), 1, [&](size_t b, size_t e) {
    for (size_t p = b; p < e; ++p) {
      const float g = dy[p] / static_cast<float>(hw);
      std::fill(dx + static_cast<int64_t>(p) * hw, dx + static_cast<int64_t>(p + 1) * hw, g);
    }
  });
}

}  // namespace fastgrad
