#include "addon/args.h"

#include <cmath>
#include <limits>
#include <sstream>

namespace fastgrad::addon {

std::string describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? "boolean true" : "boolean false";
  if (v.IsNumber()) {
    std::ostringstream s;
    s << "number " << v.As<Napi::Number>().DoubleValue();
    return s.str();
  }
  if (v.IsString()) return "string '" + v.As<Napi::String>().Utf8Value() + "'";
  if (v.IsTypedArray()) {
    static const char* names[] = {"Int8Array",    "Uint8Array",   "Uint8ClampedArray", "Int16Array",
                                  "Uint16Array",  "Int32Array",   "Uint32Array",       "Float32Array",
                                  "Float64Array", "BigInt64Array", "BigUint64Array"};
    auto ta = v.As<Napi::TypedArray>();
    int t = static_cast<int>(ta.TypedArrayType());
    std::string name = t >= 0 && t < 11 ? names[t] : "TypedArray";
    return name + "(" + std::to_string(ta.ElementLength()) + ")";
  }
  if (v.IsArray()) return "Array(" + std::to_string(v.As<Napi::Array>().Length()) + ")";
  if (v.IsFunction()) return "function";
  return "object";
}

size_t checked_mul(size_t a, size_t b) {
  if (a != 0 && b > std::numeric_limits<size_t>::max() / a) return std::numeric_limits<size_t>::max();
  return a * b;
}

std::string Args::where(const char* name) const { return std::string(fn_) + ": argument '" + name + "'"; }

void Args::type_error(const std::string& what) const { throw Napi::TypeError::New(env(), std::string(fn_) + ": " + what); }
void Args::range_error(const std::string& what) const { throw Napi::RangeError::New(env(), std::string(fn_) + ": " + what); }

void Args::expect_count(size_t n, bool at_least) const {
  size_t got = info_.Length();
  if (at_least ? got < n : got != n) {
    type_error("expected " + std::string(at_least ? "at least " : "") + std::to_string(n) + " arguments, got " +
               std::to_string(got));
  }
}

Napi::Value Args::at(size_t i, const char* name) const {
  if (i >= info_.Length()) type_error(std::string("missing argument '") + name + "'");
  return info_[i];
}

// The accessors below make one or two raw N-API calls per argument (node-addon-api's wrappers ask V8
// for a typed array's details up to three times): a kernel call checks up to 20 arguments, and at
// the MLP's output layer the whole product takes about 4 us.

// Type, length and data of a typed array argument, or false when it is not one.
bool Args::typed_array_info(size_t i, const char* name, napi_typedarray_type* type, size_t* length,
                            void** data) const {
  // napi_get_typedarray_info itself answers napi_invalid_arg for any other value (no exception).
  return napi_get_typedarray_info(env(), at(i, name), type, length, data, nullptr, nullptr) == napi_ok;
}

F32 Args::f32(size_t i, const char* name) const {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (!typed_array_info(i, name, &type, &length, &data) || type != napi_float32_array) {
    throw Napi::TypeError::New(env(), where(name) + " must be a Float32Array, got " + describe(at(i, name)));
  }
  return F32{static_cast<float*>(data), length};
}

F32 Args::f32(size_t i, const char* name, size_t needed) const {
  F32 a = f32(i, name);
  if (a.length < needed) {
    throw Napi::RangeError::New(env(), where(name) + " must hold at least " + std::to_string(needed) +
                                           " elements for the given sizes, got " + std::to_string(a.length));
  }
  return a;
}

F32 Args::f32_or_null(size_t i, const char* name) const {
  if (i >= info_.Length() || info_[i].IsNull() || info_[i].IsUndefined()) return F32{};
  return f32(i, name);
}

// The data of argument i as a typed array of element type T (array type `type`, named `type_name`
// in the error) holding at least `needed` elements.
template <typename T>
T* Args::typed(size_t i, const char* name, size_t needed, napi_typedarray_type type, const char* type_name) const {
  napi_typedarray_type got;
  size_t length = 0;
  void* data = nullptr;
  if (!typed_array_info(i, name, &got, &length, &data) || got != type) {
    throw Napi::TypeError::New(env(), where(name) + " must be " + type_name + ", got " + describe(at(i, name)));
  }
  if (length < needed) {
    throw Napi::RangeError::New(env(), where(name) + " must hold at least " + std::to_string(needed) +
                                           " elements, got " + std::to_string(length));
  }
  return static_cast<T*>(data);
}

const int32_t* Args::i32(size_t i, const char* name, size_t needed) const {
  return typed<int32_t>(i, name, needed, napi_int32_array, "an Int32Array");
}

uint8_t* Args::u8_mut(size_t i, const char* name, size_t needed) const {
  return typed<uint8_t>(i, name, needed, napi_uint8_array, "a Uint8Array");
}

const uint8_t* Args::u8(size_t i, const char* name, size_t needed) const { return u8_mut(i, name, needed); }

double* Args::f64_mut(size_t i, const char* name, size_t needed) const {
  return typed<double>(i, name, needed, napi_float64_array, "a Float64Array");
}

int64_t Args::integer(size_t i, const char* name, int64_t lo, int64_t hi) const {
  Napi::Value v = at(i, name);
  double d = 0;
  if (napi_get_value_double(env(), v, &d) != napi_ok) {
    throw Napi::TypeError::New(env(), where(name) + " must be an integer, got " + describe(v));
  }
  if (!std::isfinite(d) || d != std::floor(d)) {
    throw Napi::TypeError::New(env(), where(name) + " must be an integer, got " + describe(v));
  }
  if (d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
    throw Napi::RangeError::New(env(), where(name) + " must be in [" + std::to_string(lo) + ", " +
                                           std::to_string(hi) + "], got " + describe(v));
  }
  return static_cast<int64_t>(d);
}

double Args::number(size_t i, const char* name) const {
  Napi::Value v = at(i, name);
  double d = 0;
  if (napi_get_value_double(env(), v, &d) != napi_ok) {
    throw Napi::TypeError::New(env(), where(name) + " must be a number, got " + describe(v));
  }
  if (!std::isfinite(d)) throw Napi::RangeError::New(env(), where(name) + " must be finite, got " + describe(v));
  return d;
}

bool Args::boolean(size_t i, const char* name) const {
  Napi::Value v = at(i, name);
  bool b = false;
  if (napi_get_value_bool(env(), v, &b) != napi_ok) {
    throw Napi::TypeError::New(env(), where(name) + " must be a boolean, got " + describe(v));
  }
  return b;
}

}  // namespace fastgrad::addon
