// The dropout mask's counter-based hash, shared by the generic and SIMD kernels (header-only and
// static inline per translation unit: each ISA file compiles its own copy). Mirrors
// src/backend/js/nn.ts: element i is kept when hash(i) >= threshold.
#pragma once

#include <cstdint>

namespace fastgrad::nn {
namespace {

// lowbias32 (Wellons): a 32-bit mixer with good avalanche.
inline uint32_t mix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  h *= 0x846ca68bu;
  h ^= h >> 16;
  return h;
}

inline void dropout_keys(uint32_t seed, uint32_t* k1, uint32_t* k2) {
  *k1 = mix32(seed ^ 0x3c6ef372u);
  *k2 = mix32(seed + 0x9e3779b9u);
}

inline uint32_t dropout_hash(uint32_t i, uint32_t k1, uint32_t k2) { return mix32(mix32(i * 0x9e3779b9u + k1) ^ k2); }

}  // namespace
}  // namespace fastgrad::nn
