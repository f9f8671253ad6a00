/* A tiny server that times cblas_sgemm for bench/gemm.js, so BLIS and OpenBLAS are measured in the
 * same run as fastgrad. Built by bench/gemm.js on first use, once per library:
 *   cc -O2 blas_harness.c -lblis      -DHARNESS_BLIS     -o build/harness-blis
 *   cc -O2 blas_harness.c -lopenblas  -DHARNESS_OPENBLAS -o build/harness-openblas
 * Protocol (one request per line on stdin, one answer per line on stdout):
 *   "<transA 0|1> <transB 0|1> <m> <n> <k> <threads> <minMs> [<cold 0|1>]"  ->  "<seconds per call>"
 * Inputs are random in [-1, 1) (reused while the shape stays the same); each request runs the product
 * once untimed (warm caches, as for the other contenders), then in batches of about 10 MFLOP (as
 * bench/gemm.js times fastgrad) until minMs passed, and answers the median batch's time per call.
 * With cold = 1 every call is timed alone, right after writing a 64 MiB buffer (evict_caches below,
 * as bench/gemm.js does for fastgrad), so A, B and C come from memory. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(HARNESS_BLIS)
void bli_thread_set_num_threads(long n);
static void set_threads(int n) { bli_thread_set_num_threads(n); }
#elif defined(HARNESS_OPENBLAS)
void openblas_set_num_threads(int n);
static void set_threads(int n) { openblas_set_num_threads(n); }
#else
#error define HARNESS_BLIS or HARNESS_OPENBLAS
#endif

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int compare_doubles(const void* x, const void* y) {
  const double a = *(const double*)x, b = *(const double*)y;
  return (a > b) - (a < b);
}
static float* random_matrix(size_t len) {
  float* p = aligned_alloc(64, (len * sizeof(float) + 63) / 64 * 64);
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  for (size_t i = 0; i < len; i++) p[i] = (float)rand() / RAND_MAX * 2.0f - 1.0f;
  return p;
}

/* Writes one float per cache line of a 64 MiB buffer: twice this machine's L3, so the caches hold
 * none of the product's operands afterwards. */
static void evict_caches(void) {
  static float* junk = NULL;
  const size_t len = (size_t)16 << 20;
  if (!junk) junk = random_matrix(len);
  for (size_t i = 0; i < len; i += 16) junk[i] += 1.0f;
}

int main(void) {
  char line[256];
  float *a = NULL, *b = NULL, *c = NULL;
  long cur_m = -1, cur_n = -1, cur_k = -1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    int ta, tb, threads, cold = 0;
    long m, n, k;
    double min_ms;
    const int fields = sscanf(line, "%d %d %ld %ld %ld %d %lf %d", &ta, &tb, &m, &n, &k, &threads, &min_ms, &cold);
    if (fields < 7 || m < 1 || n < 1 || k < 1 || threads < 1 || cold < 0 || cold > 1) {
      printf("error: bad request\n");
      continue;
    }
    set_threads(threads);
    if (m != cur_m || n != cur_n || k != cur_k) {
      free(a);
      free(b);
      free(c);
      a = random_matrix((size_t)m * k);
      b = random_matrix((size_t)k * n);
      c = random_matrix((size_t)m * n);
      cur_m = m;
      cur_n = n;
      cur_k = k;
    }
    const long lda = ta ? m : k, ldb = tb ? k : n;
    const enum CBLAS_TRANSPOSE opa = ta ? CblasTrans : CblasNoTrans, opb = tb ? CblasTrans : CblasNoTrans;
    cblas_sgemm(CblasRowMajor, opa, opb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
    const double flops = 2.0 * m * n * k;
    const int reps = cold || flops >= 1e7 ? 1 : (int)(1e7 / flops + 0.999);
    size_t count = 0, cap = 64;
    double* times = malloc(cap * sizeof(double));
    const double start = now();
    do {
      if (cold) evict_caches();
      const double t0 = now();
      for (int r = 0; r < reps; r++) cblas_sgemm(CblasRowMajor, opa, opb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
      if (count == cap) times = realloc(times, (cap *= 2) * sizeof(double));
      if (!times) {
        fprintf(stderr, "out of memory\n");
        exit(1);
      }
      times[count++] = (now() - t0) / reps;
    } while ((now() - start) * 1e3 < min_ms);
    qsort(times, count, sizeof(double), compare_doubles);
    printf("%.9g\n", count % 2 ? times[count / 2] : (times[count / 2 - 1] + times[count / 2]) / 2);
    free(times);
  }
  return 0;
}
