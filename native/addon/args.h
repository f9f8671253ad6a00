// Argument checks for the N-API glue. The addon is the wall between JavaScript and kernels that
// assume valid input: every length, size and offset is checked here, and a bad one throws a JS
// TypeError or RangeError naming the function, the argument, what was expected and what was given.
// (The TypeScript API checks again, with fastgrad's typed errors; these checks keep direct callers
// of the addon from ever reaching memory out of bounds.)
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace fastgrad::addon {

struct F32 {
  float* data = nullptr;
  size_t length = 0;  // in elements
};

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* fn) : info_(info), fn_(fn) {}

  Napi::Env env() const { return info_.Env(); }
  size_t count() const { return info_.Length(); }

  // Throws unless exactly `n` arguments (or at least n when at_least) were given.
  void expect_count(size_t n, bool at_least = false) const;

  F32 f32(size_t i, const char* name) const;
  // A Float32Array that must hold at least `needed` elements.
  F32 f32(size_t i, const char* name, size_t needed) const;
  F32 f32_or_null(size_t i, const char* name) const;  // data == nullptr when null/undefined
  const int32_t* i32(size_t i, const char* name, size_t needed) const;
  const uint8_t* u8(size_t i, const char* name, size_t needed) const;
  uint8_t* u8_mut(size_t i, const char* name, size_t needed) const;
  double* f64_mut(size_t i, const char* name, size_t needed) const;  // a Float64Array of >= needed elements

  // An integer-valued number in [lo, hi].
  int64_t integer(size_t i, const char* name, int64_t lo, int64_t hi) const;
  // A finite number.
  double number(size_t i, const char* name) const;
  bool boolean(size_t i, const char* name) const;

  [[noreturn]] void type_error(const std::string& what) const;
  [[noreturn]] void range_error(const std::string& what) const;

 private:
  Napi::Value at(size_t i, const char* name) const;
  bool typed_array_info(size_t i, const char* name, napi_typedarray_type* type, size_t* length, void** data) const;
  template <typename T>
  T* typed(size_t i, const char* name, size_t needed, napi_typedarray_type type, const char* type_name) const;
  std::string where(const char* name) const;
  const Napi::CallbackInfo& info_;
  const char* fn_;
};

// A description of a JS value for error messages ("number 3", "Float64Array(12)", "undefined").
std::string describe(const Napi::Value& v);

// The product of non-negative sizes, or SIZE_MAX on overflow (so a length check then fails).
size_t checked_mul(size_t a, size_t b);

}  // namespace fastgrad::addon
