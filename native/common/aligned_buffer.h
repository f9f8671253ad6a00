// A 64-byte aligned float buffer that only grows (one per thread and role, reused across calls:
// sgemm's packed panels, the Winograd convolution's transformed tiles). New memory is zeroed, so
// lanes a vector kernel computes past the data it was given are finite numbers, never garbage
// that could be denormal or NaN.
#pragma once

#include <cstdlib>
#include <cstring>
#include <new>

namespace fastgrad {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { std::free(data_); }
  float* reserve(size_t floats) {
    if (floats > capacity_) {
      std::free(data_);
      const size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
      data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!data_) throw std::bad_alloc();
      std::memset(data_, 0, bytes);
      capacity_ = bytes / sizeof(float);
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace fastgrad
