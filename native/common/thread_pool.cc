#include "common/thread_pool.h"

#include <sched.h>

#include <atomic>
#include <cstdint>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace fastgrad {
namespace {

int default_threads() {
  if (const char* env = std::getenv("FASTGRAD_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1 && n <= 1024) return n;
  }
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n >= 1) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

thread_local bool t_inside_task = false;

class Pool {
 public:
  Pool() { resize(default_threads()); }
  ~Pool() { stop_workers(); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int n) {
    std::lock_guard<std::mutex> dispatch(dispatch_mu_);
    stop_workers();
    stopping_ = false;
    for (int i = 1; i < n; ++i) workers_.emplace_back([this] { worker_loop(); });
  }

  void run(int n_tasks, TaskFn fn) {
    if (n_tasks <= 0) return;
    std::unique_lock<std::mutex> dispatch(dispatch_mu_, std::try_to_lock);
    if (n_tasks == 1 || n_tasks > kMaxTasks || workers_.empty() || t_inside_task || !dispatch.owns_lock()) {
      // When another JS thread (worker_threads) holds the pool, run serially and say so, so that
      // kernels called from these tasks do not split their work into pieces that also run serially.
      const bool was_inside = t_inside_task;
      if (!dispatch.owns_lock()) t_inside_task = true;
      for (int i = 0; i < n_tasks; ++i) fn(i);
      t_inside_task = was_inside;
      return;
    }
    const uint64_t gen = (generation_.load(std::memory_order_relaxed) + 1) & kGenMask;
    job_fn_ = &fn;
    pending_.store(n_tasks, std::memory_order_relaxed);
    claim_.store((gen << 40) | (static_cast<uint64_t>(n_tasks) << 20), std::memory_order_release);
    {
      std::lock_guard<std::mutex> lk(mu_);
      generation_.store(gen, std::memory_order_release);
    }
    cv_.notify_all();
    work(gen);
    // Wait for the tasks other threads took; they are short, so spin, yielding.
    while (pending_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
    job_fn_ = nullptr;
  }

 private:
  // Claims tasks of job `gen` until none are left. The claim word packs generation (24 bits), task
  // count and next index (20 bits each), so a worker that wakes late, after its job is over, can
  // never claim a task of the next job or read that job's state.
  void work(uint64_t gen) {
    t_inside_task = true;
    uint64_t v = claim_.load(std::memory_order_acquire);
    for (;;) {
      if ((v >> 40) != gen) break;
      const uint64_t tasks = (v >> 20) & kIdxMask, idx = v & kIdxMask;
      if (idx >= tasks) break;
      if (!claim_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      (*job_fn_)(static_cast<int>(idx));
      pending_.fetch_sub(1, std::memory_order_acq_rel);
      v = claim_.load(std::memory_order_acquire);
    }
    t_inside_task = false;
  }

  void worker_loop() {
    uint64_t seen = generation_.load(std::memory_order_acquire);
    for (;;) {
      // Spin briefly before sleeping: back-to-back kernels (a training step) then start at once.
      bool woke = false;
      for (int spin = 0; spin < 20000; ++spin) {
        if (generation_.load(std::memory_order_acquire) != seen || stopping_) {
          woke = true;
          break;
        }
#if defined(__x86_64__)
        __builtin_ia32_pause();
#endif
      }
      if (!woke) {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return generation_.load(std::memory_order_acquire) != seen || stopping_; });
      }
      if (stopping_) return;
      seen = generation_.load(std::memory_order_acquire);
      work(seen);
    }
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::mutex dispatch_mu_;  // one job at a time; other callers run serially
  std::mutex mu_;
  std::condition_variable cv_;
  static constexpr uint64_t kIdxMask = (1ull << 20) - 1;
  static constexpr uint64_t kGenMask = (1ull << 24) - 1;
  static constexpr int kMaxTasks = static_cast<int>(kIdxMask);
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> claim_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<int> pending_{0};
  TaskFn* job_fn_ = nullptr;
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: workers may outlive static destruction order
  return *p;
}

}  // namespace

int num_threads() { return pool().size(); }
void set_num_threads(int n) { pool().resize(n < 1 ? 1 : n); }
void parallel_for(int n_tasks, TaskFn fn) { pool().run(n_tasks, fn); }
bool in_parallel_task() { return t_inside_task; }

}  // namespace fastgrad
