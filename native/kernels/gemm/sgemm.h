// Single-precision matrix multiply for every kernel that needs one (Linear, conv via im2col, ...).
//
//   C = act(alpha * op(A) * op(B) + beta * C + bias)
//
// Row-major, BLAS semantics: op(A) is m x k (A is stored k x m when trans_a), op(B) is k x n (B is
// stored n x k when trans_b), C is m x n; lda, ldb, ldc are row strides. beta == 0 means C is not
// read (NaN in C does not propagate); alpha == 0 or k == 0 means A and B are not read.
//
// Thread-safe. Large problems use the shared thread pool; called from inside a parallel_for task it
// runs on the calling thread only. Inputs are assumed valid (the addon checks JS arguments).
#pragma once

#include <cstdint>

namespace fastgrad {

enum class Activation { kNone, kRelu };

// Fused into the micro-kernel's store on the last k-block, while the tile is in registers.
struct GemmEpilogue {
  // nullptr: no bias. Otherwise bias[n] added to every row (bias_per_row = false: a Linear layer's
  // bias), or bias[m] added to every column (bias_per_row = true: conv in NCHW, one bias per channel).
  const float* bias = nullptr;
  bool bias_per_row = false;
  Activation act = Activation::kNone;
};

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const GemmEpilogue* ep = nullptr);

// The active kernel's register tile and cache blocks (tests build their edge grid from these).
struct SgemmBlocking {
  const char* kernel;  // e.g. "sgemm_ukernel_6x16__avx2_fma"
  int mr, nr;          // register tile: packed A panels have mr rows, packed B panels nr columns
  int64_t kc, mc, nc;  // cache blocks: kc (depth, L1), mc (rows of A per L2 block), nc (columns of B per L3 block)
  int mr_edge;         // rows of the edge kernel for a block's leftover rows (0: none)
  int64_t narrow_n;    // products with n <= narrow_n run a narrow path: dot products along k, or C^T (0: none)
};
SgemmBlocking sgemm_blocking();

}  // namespace fastgrad
