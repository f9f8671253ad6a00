// How the conv kernels spread a batch over the thread pool: contiguous chunks of images, a few per
// thread, each task running its GEMMs single-threaded.
#pragma once

#include <algorithm>
#include <cstdint>

#include "common/thread_pool.h"

namespace fastgrad {

// How many contiguous chunks of the batch for_image_chunks makes: a few per thread, so that a thread
// the OS preempts (or a slower core) does not hold the others up at the end; one when there are
// fewer images than threads, so that sgemm can use the pool itself for each image.
inline int64_t image_chunks(int64_t n) {
  const int64_t t = num_threads();
  if (t <= 1 || n < t) return 1;
  return std::min<int64_t>(n, 4 * t);
}

// Runs fn(first, last, chunk) over image_chunks(n) contiguous chunks of the batch, spread over the
// pool (sgemm then runs single-threaded inside each task).
template <typename F>
void for_image_chunks(int64_t n, const F& fn) {
  const int64_t chunks = image_chunks(n);
  if (chunks <= 1) {
    fn(int64_t{0}, n, 0);
    return;
  }
  parallel_for(static_cast<int>(chunks), [&](int task) { fn(n * task / chunks, n * (task + 1) / chunks, task); });
}

}  // namespace fastgrad
