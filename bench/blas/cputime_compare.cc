// Single-thread SGEMM, fastgrad's kernel vs BLIS or OpenBLAS, in one process, timed by THREAD CPU
// time (CLOCK_THREAD_CPUTIME_ID), interleaved, median of 8 rounds. On a machine shared with other
// builds the wall-clock bench (bench/gemm.js) mostly measures the neighbours; CPU time of the
// calling thread is far steadier for tuning block sizes and kernels. Build (from the repo root):
//   W=native; F="-O3 -std=c++17 -I$W -DFASTGRAD_HAVE_AVX2=1"
//   g++ $F -mavx2 -mfma -c $W/kernels/gemm/sgemm_ukernel_6x16__avx2.cc -o /tmp/avx2.o
//   g++ $F bench/blas/cputime_compare.cc $W/kernels/gemm/sgemm.cc $W/kernels/gemm/sgemm_generic.cc \
//       $W/common/isa.cc $W/common/thread_pool.cc /tmp/avx2.o -lblis -lpthread -o /tmp/cputime_blis
//   (for OpenBLAS add -DWITH_OPENBLAS and link -lopenblas instead of -lblis)
// Run: /tmp/cputime_blis 1 [ta tb m n k]...  (C is m x n, depth k; printed as m k n, the shape names)
#include <cblas.h>
#include <time.h>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <algorithm>
#include "kernels/gemm/sgemm.h"
#include "common/thread_pool.h"
#ifdef WITH_OPENBLAS
extern "C" void openblas_set_num_threads(int n);
static void set_blas_threads(int n) { openblas_set_num_threads(n); }
#else
extern "C" void bli_thread_set_num_threads(long n);
static void set_blas_threads(int n) { bli_thread_set_num_threads(n); }
#endif
static double tcpu() { timespec ts; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); return ts.tv_sec + ts.tv_nsec * 1e-9; }
static double wall() { timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec + ts.tv_nsec * 1e-9; }
int main(int argc, char** argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  bool use_wall = threads > 1;
  fastgrad::set_num_threads(threads);
  set_blas_threads(threads);
  struct S { int ta, tb; long m, n, k; };
  std::vector<S> shapes;
  if (argc > 2) {
    for (int i = 2; i + 4 < argc + 1; i += 5) shapes.push_back({atoi(argv[i]), atoi(argv[i+1]), atol(argv[i+2]), atol(argv[i+3]), atol(argv[i+4])});
  } else {
    shapes = {{0,0,256,256,256},{0,0,512,512,512},{0,0,1024,1024,1024},{0,0,2048,2048,2048},{0,0,128,256,784},{1,0,784,256,128},{0,1,128,784,256},{0,0,128,10,128}};
  }
  for (auto s : shapes) {
    std::vector<float> a(s.m * s.k), b(s.k * s.n), c(s.m * s.n);
    for (auto& x : a) x = rand() / (float)RAND_MAX - 0.5f;
    for (auto& x : b) x = rand() / (float)RAND_MAX - 0.5f;
    long lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n;
    double flops = 2.0 * s.m * s.n * s.k;
    int reps = std::max(1, (int)(3e8 / flops));
    std::vector<double> tf, tb;
    for (int round = 0; round < 9; ++round) {
      double t0 = use_wall ? wall() : tcpu();
      for (int r = 0; r < reps; ++r) fastgrad::sgemm(s.ta, s.tb, s.m, s.n, s.k, 1.f, a.data(), lda, b.data(), ldb, 0.f, c.data(), s.n);
      double t1 = use_wall ? wall() : tcpu();
      for (int r = 0; r < reps; ++r) cblas_sgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans, s.tb ? CblasTrans : CblasNoTrans, s.m, s.n, s.k, 1.f, a.data(), lda, b.data(), ldb, 0.f, c.data(), s.n);
      double t2 = use_wall ? wall() : tcpu();
      if (round) { tf.push_back((t1 - t0) / reps); tb.push_back((t2 - t1) / reps); }
    }
    std::sort(tf.begin(), tf.end()); std::sort(tb.begin(), tb.end());
    double gf = flops / tf[tf.size()/2] / 1e9, gb = flops / tb[tb.size()/2] / 1e9;
    double gfm = flops / tf[0] / 1e9, gbm = flops / tb[0] / 1e9;
    printf("%s%s %5ld %5ld %5ld  ours %6.1f (best %6.1f)  blas %6.1f (best %6.1f)  ratio %.3f\n", s.ta ? "T" : "N", s.tb ? "T" : "N", s.m, s.k, s.n, gf, gfm, gb, gbm, gf / gb);
  }
}
