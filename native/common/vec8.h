// Eight floats as one GCC vector: one AVX register in an -mavx2 file, two SSE registers in a
// baseline file, two NEON registers on arm64. Kernels written over these compile per ISA from one
// body. Include only inside an anonymous namespace (each ISA's copy must stay private to its file:
// the linker could otherwise pick the AVX copy of an inline function for baseline code), after
// <cstdint> and <cstring>.
#pragma once

// (The build passes -Wno-psabi: these helpers take and return 32-byte vectors by value, inline,
// never across a library boundary, so GCC's note about that ABI does not apply.)
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

// Unaligned load and store (memcpy compiles to one vector move).
inline v8f load8(const float* p) {
  v8f v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void store8(float* p, v8f v) { std::memcpy(p, &v, sizeof(v)); }
inline v8f splat8(float s) { return v8f{s, s, s, s, s, s, s, s}; }
inline float hsum8(v8f v) { return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7])); }
inline v8f relu8(v8f v) { return v > splat8(0.f) ? v : splat8(0.f); }

// Short row copies, fills and adds, inlined: the rows of a small image are a dozen floats, where a
// call to memcpy costs more than the copy.
inline void copy_row(float* dst, const float* src, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) store8(dst + i, load8(src + i));
  for (; i < n; ++i) dst[i] = src[i];
}
inline void zero_row(float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) store8(dst + i, splat8(0.f));
  for (; i < n; ++i) dst[i] = 0.f;
}
inline void add_row(float* dst, const float* src, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) store8(dst + i, load8(dst + i) + load8(src + i));
  for (; i < n; ++i) dst[i] += src[i];
}
