// The contract between the SGEMM driver (sgemm.cc, baseline code) and the per-ISA parts: a
// register-blocked micro-kernel and the two packing routines, with the block sizes they are tuned
// for. Each ISA file defines one SgemmKernels table; the driver picks one by active_isa().
#pragma once

#include <cstdint>

namespace fastgrad::gemm {

// How a micro-kernel stores its tile: C = act(alpha * AB + beta * C + bias).
struct TileStore {
  float alpha;
  float beta;           // 0: C is not read
  const float* bias;    // nullptr, or this tile's bias: bias[j] per column j, or bias[i] per row i
  bool bias_per_row;
  bool relu;
  // The tile is stored transposed: element (i, j) at c[j * ldc + i] (row i of the tile is column i
  // of C), with bias[i] / bias[j] as above in tile coordinates. Only set for a kernel table with
  // narrow_n > 0; the other kernels ignore it.
  bool transposed;
};

// Multiplies a packed A micro-panel (kc steps of MR values: a[p * MR + i] = A[i][p]) by a packed B
// micro-panel (kc steps of NR values: b[p * NR + j] = B[p][j]) and stores rows i < m, columns j < n
// of the MR x NR result into c (row stride ldc) as `st` says. Panels are 64-byte aligned and
// zero-padded to MR/NR, so the kernel always computes the full tile; kc >= 1.
using Ukernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int m, int n,
                         const TileStore* st);

// Packs the mc x kc block of op(A) whose top-left element is at `a` into ceil(mc / MR) micro-panels
// (each MR * kc floats, rows past mc zero). Not transposed: element (i, p) is a[i * lda + p];
// transposed: a[p * lda + i].
// Optional: the micro-kernel reading A in place, row i of step p at a[i * rs_a + p * cs_a], for MR
// full rows (no packing of A when A is used only once). nullptr where an ISA has none.
using UkernelDirectA = void (*)(int64_t kc, const float* a, int64_t rs_a, int64_t cs_a, const float* b, float* c,
                                int64_t ldc, int m, int n, const TileStore* st);

using UkernelPackB = void (*)(int64_t kc, const float* a, const float* b_src, int64_t ldb, float* b_packed,
                              bool next_panel, float* c, int64_t ldc, int m, int n, const TileStore* st);

using PackA = void (*)(bool trans, int64_t mc, int64_t kc, const float* a, int64_t lda, float* dst);

// A narrow product with A stored plain (an output layer: n <= narrow_n) as dot products along k:
// C(i, j) = row i of A . row j of bt, where bt holds op(B)^T (n rows of k floats, row stride ldbt;
// op(B) stored transposed is its own bt). Both operands are read along k, contiguous, with every
// vector lane used, and neither is copied into panels (bt is copied only when B is stored plain).
struct NarrowCall {
  int64_t n, k;
  const float* a;
  int64_t lda;
  const float* bt;
  int64_t ldbt;
  float* c;
  int64_t ldc;
  TileStore st;  // st.transposed unused
};

// Rows [i0, i1) of a NarrowCall's C.
using NarrowDot = void (*)(const NarrowCall& call, int64_t i0, int64_t i1);

// Copies op(B) (k x n, stored plain: element (p, j) at b[p * ldb + j]) as bt for a NarrowCall: row j
// of bt holds column j, at bt + j * ldbt, ldbt = k rounded up to a multiple of 8 (the padding is
// written but never read as data).
using NarrowPackB = void (*)(int64_t k, int64_t n, const float* b, int64_t ldb, float* bt, int64_t ldbt);

// Packs the kc x nc block of op(B) whose top-left element is at `b` into ceil(nc / NR) micro-panels
// (each NR * kc floats, columns past nc zero). Not transposed: element (p, j) is b[p * ldb + j];
// transposed: b[j * ldb + p].
using PackB = void (*)(bool trans, int64_t kc, int64_t nc, const float* b, int64_t ldb, float* dst);

struct SgemmKernels {
  const char* name;
  int mr, nr;
  int64_t kc, mc, nc;  // upper bounds of the cache blocks; mc % mr == 0, nc % nr == 0
  Ukernel ukernel;
  PackA pack_a;
  PackB pack_b;
  UkernelDirectA ukernel_direct_a;
  // Optional (0 / nullptr where an ISA has none): a micro-kernel for the last rows of a block, with
  // mr_edge < mr rows and the same NR; its A panels are packed by pack_a_edge (mr_edge rows per
  // step). The driver runs a block's leftover rows with it when that wastes fewer rows than a
  // padded mr-row tile (m = 128 with mr = 6 runs as 20 x 6 + 2 x 4 rather than 21 x 6 + a 6-row
  // tile holding 2 rows).
  int mr_edge;
  Ukernel ukernel_edge;
  PackA pack_a_edge;
  // Optional (0 where an ISA has none; then narrow_dot and narrow_pack_b are set): products with
  // n <= narrow_n run as narrow_dot when A is stored plain, and when it is stored transposed (and
  // m > n) as C^T = op(B)^T op(A)^T, so the narrow side runs along the kernel's rows (mr, mr_edge)
  // instead of padding n to NR columns; the kernels then store with TileStore::transposed.
  int64_t narrow_n;
  // Optional: the micro-kernel for the first full tile (mr rows) of a full B panel when op(B) is
  // stored plain, reading the panel from b_src (step p at b_src + p * ldb) and writing it packed
  // to b_packed, as pack_b would, while it computes; the driver then skips packing B up front.
  // next_panel: the next NR columns of B (b_src + NR on) are a full panel the same thread packs
  // next, so the kernel may prefetch them.
  UkernelPackB ukernel_pack_b;
  // The narrow product (n <= narrow_n) when A is stored plain (see narrow_n); nullptr where
  // narrow_n is 0.
  NarrowDot narrow_dot;
  NarrowPackB narrow_pack_b;  // set with narrow_dot
};

const SgemmKernels& sgemm_kernels_generic();
#if defined(FASTGRAD_HAVE_AVX2)
const SgemmKernels& sgemm_kernels_avx2();
#endif
#if defined(FASTGRAD_HAVE_AVX512)
const SgemmKernels& sgemm_kernels_avx512();
#endif
#if defined(FASTGRAD_HAVE_NEON)
const SgemmKernels& sgemm_kernels_neon();
#endif

}  // namespace fastgrad::gemm
