// The SGEMM driver: BLIS/Goto loops around the active ISA's packing routines and micro-kernel.
//
//   for jc in n, step nc          (B block of nc columns: lives in L3)
//     for pc in k, step kc        (depth block: one packed B block kc x nc, shared by all threads)
//       pack B(pc:pc+kc, jc:jc+nc) into NR-column micro-panels
//       each thread, over its own rectangle of C (whole MR x NR tiles, so no two threads ever write
//       the same cache line of C... except where a row of C is split between threads; see below):
//         for ic in its rows, step mc      (A block of mc rows: lives in L2)
//           pack A(ic:ic+mc, pc:pc+kc) into MR-row micro-panels
//           for jr in its columns, step NR (B micro-panel: stays in L1 across the ir loop)
//             for ir in mc, step MR        micro-kernel: MR x NR tile of C in registers
//
// Edges: a block's leftover rows run with the ISA's smaller edge kernel where it has one (m = 128
// as 20 x 6 + 2 x 4 rows, not 22 x 6). A narrow n (an output layer) does not pad a 16-column tile:
// with A stored plain it runs as dot products along k (narrow_product), with A stored transposed
// as C^T, so n runs along the kernel's rows (see sgemm below).
//
// alpha, beta, bias and ReLU are applied by the micro-kernel as it stores a tile: beta on the first
// depth block (later blocks accumulate with beta = 1), bias and ReLU on the last.
//
// Threads split C into a tm x tn grid of rectangles, chosen to minimise the largest share of tiles
// (preferring row splits: they share the packed B and pack disjoint parts of A). Column splits
// are on NR-column boundaries (64 bytes for the AVX2 kernel), so threads writing the same rows of C
// write different cache lines whenever ldc keeps rows 64-byte aligned, and at most one line per row
// otherwise.
#include "kernels/gemm/sgemm.h"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <utility>

#include "common/isa.h"
#include "common/thread_pool.h"
#include "kernels/gemm/sgemm_kernels.h"

namespace fastgrad {
namespace gemm {
namespace {

const SgemmKernels& active_kernels() {
  switch (active_isa()) {
#if defined(FASTGRAD_HAVE_AVX2)
    case Isa::kAvx2: return sgemm_kernels_avx2();
#endif
#if defined(FASTGRAD_HAVE_AVX512)
    case Isa::kAvx512: return sgemm_kernels_avx512();
#endif
#if defined(FASTGRAD_HAVE_NEON)
    case Isa::kNeon: return sgemm_kernels_neon();
#endif
    default: return sgemm_kernels_generic();
  }
}

// A 64-byte aligned scratch buffer that only grows; one per thread and role, reused across calls.
class PackBuffer {
 public:
  ~PackBuffer() { std::free(data_); }
  float* reserve(size_t floats) {
    if (floats > capacity_) {
      std::free(data_);
      const size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
      data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!data_) throw std::bad_alloc();
      capacity_ = bytes / sizeof(float);
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  size_t capacity_ = 0;
};

thread_local PackBuffer t_packed_a;  // this thread's A block (used by the tasks it runs)
thread_local PackBuffer t_packed_b;  // the B block of calls this thread makes (shared with helpers)

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// The block size that splits `total` into the fewest blocks of at most `max_block`, as evenly as
// possible, rounded up to a multiple of `unit` (so a 300-deep product runs as 2 x 150, not 256 + 44).
int64_t balanced_block(int64_t total, int64_t max_block, int64_t unit) {
  const int64_t blocks = ceil_div(total, max_block);
  return std::min(max_block, round_up(ceil_div(total, blocks), unit));
}

// Below this many flops a problem runs on one thread: waking helpers costs more than they save.
constexpr double kMinParallelFlops = 3.0e6;

struct Call {
  const SgemmKernels* kern;
  bool trans_a, trans_b;
  int64_t m, n, k;
  float alpha, beta;
  const float* a;
  int64_t lda;
  const float* b;
  int64_t ldb;
  float* c;
  int64_t ldc;
  const float* bias;
  bool bias_per_row, relu;
  bool c_trans;  // computing C^T = op(B)^T op(A)^T (narrow n): element (i, j) of this product is c[j * ldc + i]
};

// Where the tile at row i, column j of the product starts in C.
inline float* c_at(const Call& p, int64_t i, int64_t j) { return p.c_trans ? p.c + j * p.ldc + i : p.c + i * p.ldc + j; }

// How many of a block's `rows` rows (the last ones) run as mr_edge-row edge tiles: the leftover r =
// rows % mr, or r + mr, when mr_edge-row tiles pad fewer rows than one mr-row tile holding r rows
// (mr = 6, mr_edge = 4: r = 1 or 2 -> 7 or 8 rows as 2 edge tiles, r = 3 or 4 -> 1 edge tile,
// r = 5 -> a 6-row tile).
int64_t edge_rows(const SgemmKernels& K, int64_t rows) {
  const int64_t r = rows % K.mr;
  if (!K.ukernel_edge || r == 0) return 0;
  int64_t tail = 0, padded = K.mr;
  if (round_up(r, K.mr_edge) < padded) {
    tail = r;
    padded = round_up(r, K.mr_edge);
  }
  if (rows >= r + K.mr && round_up(r + K.mr, K.mr_edge) - K.mr < padded) tail = r + K.mr;
  return tail;
}

// Packs columns [j0, j1) (relative to jc; j0 a multiple of NR) of the kc x nc block of op(B) at
// (pc, jc) into their micro-panels of `packed`.
void pack_b_range(const Call& p, int64_t pc, int64_t jc, int64_t kc, int64_t j0, int64_t j1, float* packed) {
  const int64_t col = jc + j0;
  const float* src = p.trans_b ? p.b + col * p.ldb + pc : p.b + pc * p.ldb + col;
  p.kern->pack_b(p.trans_b, kc, j1 - j0, src, p.ldb, packed + j0 * kc);
}

// Packs rows [0, mc) of the mc x kc block of op(A) at `a_src`: the first mc - tail rows into mr-row
// panels, the last `tail` rows (see edge_rows) into mr_edge-row panels after them.
void pack_a_block(const Call& p, int64_t mc, int64_t tail, int64_t kc, const float* a_src, float* packed) {
  const SgemmKernels& K = *p.kern;
  const int64_t main = mc - tail;
  if (main > 0) K.pack_a(p.trans_a, main, kc, a_src, p.lda, packed);
  if (tail > 0) K.pack_a_edge(p.trans_a, tail, kc, p.trans_a ? a_src + main : a_src + main * p.lda, p.lda, packed + main * kc);
}

// Rows [i0, i1) x columns [j0, j1) (relative to jc) of C for depth block (pc, kc), with B packed, or
// (pack_b_here) with B packed here, each panel by the first tile that uses it (see ukernel_pack_b).
void macro_kernel(const Call& p, int64_t pc, int64_t kc, bool first_k, bool last_k, int64_t jc, float* packed_b,
                  bool pack_b_here, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  const SgemmKernels& K = *p.kern;
  const int64_t mc_block = balanced_block(i1 - i0, K.mc, K.mr);
  float* packed_a = t_packed_a.reserve(static_cast<size_t>(round_up(mc_block, K.mr) * kc));
  TileStore st;
  st.alpha = p.alpha;
  st.beta = first_k ? p.beta : 1.0f;
  st.bias_per_row = p.bias_per_row;
  st.relu = last_k && p.relu;
  st.transposed = p.c_trans;
  const float* bias = last_k ? p.bias : nullptr;
  auto tile_bias = [&](int64_t row, int64_t col) -> const float* {
    return bias ? (p.bias_per_row ? bias + row : bias + col) : nullptr;
  };
  if (K.ukernel_direct_a && j1 - j0 <= K.nr) {
    // One B panel covers these columns, so each value of A is used once: read full row panels of
    // A in place rather than copying them first (the output layer's narrow n).
    const int64_t rs = p.trans_a ? 1 : p.lda, cs = p.trans_a ? p.lda : 1;
    const int nr = static_cast<int>(j1 - j0);
    if (pack_b_here) pack_b_range(p, pc, jc, kc, j0, j1, packed_b);
    const int64_t tail = edge_rows(K, i1 - i0);
    const int64_t main_end = i1 - tail;
    for (int64_t ir = i0; ir < main_end; ir += K.mr) {
      const int mr = static_cast<int>(std::min<int64_t>(K.mr, main_end - ir));
      const float* a_src = p.a + ir * rs + pc * cs;
      st.bias = tile_bias(ir, jc + j0);
      float* c_tile = c_at(p, ir, jc + j0);
      if (mr == K.mr) {
        K.ukernel_direct_a(kc, a_src, rs, cs, packed_b + j0 * kc, c_tile, p.ldc, mr, nr, &st);
      } else {
        K.pack_a(p.trans_a, mr, kc, a_src, p.lda, packed_a);
        K.ukernel(kc, packed_a, packed_b + j0 * kc, c_tile, p.ldc, mr, nr, &st);
      }
    }
    if (tail > 0) {
      K.pack_a_edge(p.trans_a, tail, kc, p.a + main_end * rs + pc * cs, p.lda, packed_a);
      for (int64_t ir = main_end; ir < i1; ir += K.mr_edge) {
        const int mr = static_cast<int>(std::min<int64_t>(K.mr_edge, i1 - ir));
        st.bias = tile_bias(ir, jc + j0);
        K.ukernel_edge(kc, packed_a + (ir - main_end) * kc, packed_b + j0 * kc, c_at(p, ir, jc + j0), p.ldc, mr, nr,
                       &st);
      }
    }
    return;
  }
  for (int64_t ic = i0; ic < i1; ic += mc_block) {
    const int64_t mc = std::min(mc_block, i1 - ic);
    const int64_t tail = edge_rows(K, mc), main = mc - tail;
    const float* a_src = p.trans_a ? p.a + pc * p.lda + ic : p.a + ic * p.lda + pc;
    pack_a_block(p, mc, tail, kc, a_src, packed_a);
    for (int64_t jr = j0; jr < j1; jr += K.nr) {
      const int nr = static_cast<int>(std::min<int64_t>(K.nr, j1 - jr));
      float* b_panel = packed_b + jr * kc;
      int64_t ir = 0;
      if (pack_b_here && ic == i0) {
        if (nr == K.nr && main >= K.mr) {
          st.bias = tile_bias(ic, jc + jr);
          const bool next_panel = jr + 2 * K.nr <= j1;
          K.ukernel_pack_b(kc, packed_a, p.b + pc * p.ldb + jc + jr, p.ldb, b_panel, next_panel, c_at(p, ic, jc + jr),
                           p.ldc, K.mr, nr, &st);
          ir = K.mr;
        } else {
          pack_b_range(p, pc, jc, kc, jr, jr + nr, packed_b);
        }
      }
      for (; ir < main; ir += K.mr) {
        const int mr = static_cast<int>(std::min<int64_t>(K.mr, main - ir));
        st.bias = tile_bias(ic + ir, jc + jr);
        K.ukernel(kc, packed_a + ir * kc, b_panel, c_at(p, ic + ir, jc + jr), p.ldc, mr, nr, &st);
      }
      for (int64_t ir = main; ir < mc; ir += K.mr_edge) {
        const int mr = static_cast<int>(std::min<int64_t>(K.mr_edge, mc - ir));
        st.bias = tile_bias(ic + ir, jc + jr);
        K.ukernel_edge(kc, packed_a + ir * kc, b_panel, c_at(p, ic + ir, jc + jr), p.ldc, mr, nr, &st);
      }
    }
  }
}

// C = act(beta * C + bias): the whole product when k == 0 or alpha == 0 (A and B are not read).
void scale_only(const Call& p) {
  for (int64_t i = 0; i < p.m; ++i) {
    float* row = p.c + i * p.ldc;
    for (int64_t j = 0; j < p.n; ++j) {
      float v = p.beta == 0.0f ? 0.0f : p.beta * row[j];
      if (p.bias) v += p.bias_per_row ? p.bias[i] : p.bias[j];
      if (p.relu) v = v > 0.0f ? v : 0.0f;
      row[j] = v;
    }
  }
}

// The threads a product of m x n x k uses: one below kMinParallelFlops or inside a parallel task.
int threads_for(int64_t m, int64_t n, int64_t k) {
  if (in_parallel_task()) return 1;
  if (2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) < kMinParallelFlops) return 1;
  return num_threads();
}

// A narrow product with A stored plain, as dot products (NarrowCall): op(B)^T is B itself when B is
// stored transposed, otherwise a copy of its n columns as rows; rows of C are split between threads.
void narrow_product(const Call& p) {
  NarrowCall nc;
  nc.n = p.n;
  nc.k = p.k;
  nc.a = p.a;
  nc.lda = p.lda;
  nc.c = p.c;
  nc.ldc = p.ldc;
  nc.st = TileStore{p.alpha, p.beta, p.bias, p.bias_per_row, p.relu, /*transposed=*/false};
  if (p.trans_b) {
    nc.bt = p.b;
    nc.ldbt = p.ldb;
  } else {
    nc.ldbt = round_up(p.k, 8);
    float* bt = t_packed_b.reserve(static_cast<size_t>(p.n * nc.ldbt));
    p.kern->narrow_pack_b(p.k, p.n, p.b, p.ldb, bt, nc.ldbt);
    nc.bt = bt;
  }
  const int64_t quads = ceil_div(p.m, 4);
  const int threads = static_cast<int>(std::min<int64_t>(threads_for(p.m, p.n, p.k), quads));
  if (threads <= 1) {
    p.kern->narrow_dot(nc, 0, p.m);
    return;
  }
  // Whole groups of 4 rows per thread (narrow_dot's block), so only the last rows of C run smaller blocks.
  parallel_for(threads, [&](int t) {
    const int64_t i0 = std::min(p.m, quads * t / threads * 4), i1 = std::min(p.m, quads * (t + 1) / threads * 4);
    if (i0 < i1) p.kern->narrow_dot(nc, i0, i1);
  });
}

// The thread grid tm x tn (tm * tn <= threads) that minimises the most tiles any thread computes;
// ties go to more row splits. With prefer_columns, a column split (tm = 1) is taken when it gives
// a thread at most 1/16 more tiles than the best grid.
void choose_grid(int64_t row_panels, int64_t col_panels, int threads, bool prefer_columns, int* tm, int* tn) {
  int64_t best = -1;
  *tm = *tn = 1;
  for (int r = threads; r >= 1; --r) {
    const int cols = threads / r;
    if (r > row_panels || cols < 1) continue;
    const int cc = static_cast<int>(std::min<int64_t>(cols, col_panels));
    const int64_t worst = ceil_div(row_panels, r) * ceil_div(col_panels, cc);
    if (best < 0 || worst < best) {
      best = worst;
      *tm = r;
      *tn = cc;
    }
  }
  const int cols = static_cast<int>(std::min<int64_t>(threads, col_panels));
  if (prefer_columns && *tm > 1 && cols > 1 && row_panels * ceil_div(col_panels, cols) * 16 <= best * 17) {
    *tm = 1;
    *tn = cols;
  }
}

}  // namespace
}  // namespace gemm

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const GemmEpilogue* ep) {
  using namespace gemm;
  if (m <= 0 || n <= 0) return;
  Call p;
  p.kern = &active_kernels();
  p.trans_a = trans_a;
  p.trans_b = trans_b;
  p.m = m;
  p.n = n;
  p.k = k;
  p.alpha = alpha;
  p.beta = beta;
  p.a = a;
  p.lda = lda;
  p.b = b;
  p.ldb = ldb;
  p.c = c;
  p.ldc = ldc;
  p.bias = ep ? ep->bias : nullptr;
  p.bias_per_row = ep && ep->bias_per_row;
  p.relu = ep && ep->act == Activation::kRelu;
  p.c_trans = false;
  if (k <= 0 || alpha == 0.0f) {
    scale_only(p);
    return;
  }
  const SgemmKernels& K = *p.kern;
  if (n <= K.narrow_n && !trans_a) {
    narrow_product(p);
    return;
  }
  if (n <= K.narrow_n && m > n) {
    // Narrow n with A stored transposed: C^T = op(B)^T op(A)^T puts n along the kernel's rows,
    // where it splits into mr- and mr_edge-row tiles with little padding, instead of one
    // NR-column tile holding n columns. The kernels store the tiles of C^T transposed, into C.
    // A becomes the packed side, a plain copy since it is stored transposed.
    std::swap(p.a, p.b);
    std::swap(p.lda, p.ldb);
    const bool ta = p.trans_a;
    p.trans_a = !p.trans_b;
    p.trans_b = !ta;
    std::swap(p.m, p.n);
    p.bias_per_row = !p.bias_per_row;
    p.c_trans = true;
    m = p.m;
    n = p.n;
  }
  const int64_t nc_block = balanced_block(n, K.nc, K.nr);
  const int64_t kc_block = balanced_block(k, K.kc, 1);

  const int threads = threads_for(m, n, k);
  int tm = 1, tn = 1;
  // B packed by the first tile of each panel (the first A block's), where each thread packs the
  // panels it uses (no row split) and rows of B are shorter than a 4 KiB page (longer rows put
  // every step on a new page): B's loads from L3 then overlap the FMAs. On Zen 4 that is worth 1%
  // at 256^3 on one thread and neutral with more A blocks (768^3, 2048x512x512).
  const bool can_fuse_pack_b = K.ukernel_pack_b && !p.trans_b && p.ldb * static_cast<int64_t>(sizeof(float)) < 4096;
  // Where B could be packed that way, a column split about as even as a row split wins: a row
  // split shares one packed B, so it packs it in a pass of its own, FMAs idle, before each depth
  // block. 2 threads on Zen 4, best of 2000: MLP forward 128x784x256 ~165 -> ~195 GFLOPS, 512^3
  // 212 -> 222, 1000^3 196 -> 211, 2048x512x512 206 -> 220.
  if (threads > 1) {
    choose_grid(ceil_div(m, K.mr), ceil_div(std::min(n, nc_block), K.nr), threads, can_fuse_pack_b, &tm, &tn);
  }
  const int used = tm * tn;
  const bool fuse_pack_b = can_fuse_pack_b && tm == 1;

  for (int64_t jc = 0; jc < n; jc += nc_block) {
    const int64_t nc = std::min(nc_block, n - jc);
    const int64_t col_panels = ceil_div(nc, K.nr);
    for (int64_t pc = 0; pc < k; pc += kc_block) {
      const int64_t kc = std::min(kc_block, k - pc);
      const bool first_k = pc == 0, last_k = pc + kc >= k;
      float* packed_b = t_packed_b.reserve(static_cast<size_t>(col_panels * K.nr * kc));
      if (used == 1) {
        if (!fuse_pack_b) pack_b_range(p, pc, jc, kc, 0, nc, packed_b);
        macro_kernel(p, pc, kc, first_k, last_k, jc, packed_b, fuse_pack_b, 0, m, 0, nc);
        continue;
      }
      // Each thread's columns, in whole micro-panels: [col_begin(t), col_begin(t + 1)).
      auto col_begin = [&](int64_t t, int64_t parts) { return std::min(nc, col_panels * t / parts * K.nr); };
      if (tm == 1) {
        // Column split only: each thread packs exactly the B panels it uses, no barrier needed.
        parallel_for(used, [&](int t) {
          const int64_t j0 = col_begin(t, tn), j1 = col_begin(t + 1, tn);
          if (j0 >= j1) return;
          if (!fuse_pack_b) pack_b_range(p, pc, jc, kc, j0, j1, packed_b);
          macro_kernel(p, pc, kc, first_k, last_k, jc, packed_b, fuse_pack_b, 0, m, j0, j1);
        });
        continue;
      }
      // Row splits share the packed B: pack it together, then compute.
      parallel_for(used, [&](int t) {
        const int64_t j0 = col_begin(t, used), j1 = col_begin(t + 1, used);
        if (j0 < j1) pack_b_range(p, pc, jc, kc, j0, j1, packed_b);
      });
      const int64_t row_panels = ceil_div(m, K.mr);
      parallel_for(used, [&](int t) {
        const int64_t ti = t / tn, tj = t % tn;
        const int64_t i0 = std::min(m, row_panels * ti / tm * K.mr), i1 = std::min(m, row_panels * (ti + 1) / tm * K.mr);
        const int64_t j0 = col_begin(tj, tn), j1 = col_begin(tj + 1, tn);
        if (i0 < i1 && j0 < j1) macro_kernel(p, pc, kc, first_k, last_k, jc, packed_b, false, i0, i1, j0, j1);
      });
    }
  }
}

SgemmBlocking sgemm_blocking() {
  const gemm::SgemmKernels& K = gemm::active_kernels();
  return SgemmBlocking{K.name, K.mr, K.nr, K.kc, K.mc, K.nc, K.mr_edge, K.narrow_n};
}

}  // namespace fastgrad
