// One persistent thread pool for the whole process (shared by every kernel family).
//
// parallel_for(n, fn) runs fn(0..n-1) on the pool's threads and the calling thread, and returns when
// all are done. Work is handed out task by task from an atomic counter, so callers should split work
// into tasks that never share a cache line of output (e.g. GEMM panels of NR columns).
// Calls from inside a task, or while another JS thread (worker_threads) holds the pool, run serially
// on the caller: correct, never deadlocked.
#pragma once

#include <cstddef>

namespace fastgrad {

// Threads that parallel_for uses, the caller included. Default: FASTGRAD_NUM_THREADS, else the CPUs
// this process may run on (sched_getaffinity).
int num_threads();

// Resizes the pool (n >= 1). Not to be called while a parallel_for is running.
void set_num_threads(int n);

// Type-erased callable without allocation: the callable outlives the call.
class TaskFn {
 public:
  template <typename F>
  TaskFn(const F& f) : obj_(&f), call_([](const void* o, int i) { (*static_cast<const F*>(o))(i); }) {}
  void operator()(int i) const { call_(obj_, i); }

 private:
  const void* obj_;
  void (*call_)(const void*, int);
};

void parallel_for(int n_tasks, TaskFn fn);

// True inside a parallel_for task: a kernel called there should not split its work again (the
// pool would run the pieces one after another on this thread).
bool in_parallel_task();

// Splits [0, n) into at most num_threads() contiguous chunks of at least `grain` elements whose
// boundaries are multiples of `align`, and runs fn(begin, end) on each. For memory-bound loops.
template <typename F>
void parallel_range(size_t n, size_t grain, size_t align, const F& fn) {
  size_t chunks = static_cast<size_t>(num_threads());
  if (grain == 0) grain = 1;
  if (n / grain < chunks) chunks = n / grain;
  if (chunks <= 1) {
    fn(size_t{0}, n);
    return;
  }
  size_t per = (n + chunks - 1) / chunks;
  if (align > 1) per = (per + align - 1) / align * align;
  parallel_for(static_cast<int>(chunks), [&](int t) {
    size_t b = static_cast<size_t>(t) * per;
    size_t e = b + per < n ? b + per : n;
    if (b < e) fn(b, e);
  });
}

}  // namespace fastgrad
