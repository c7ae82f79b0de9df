// GgufFile: a validated, memory-mapped GGUF v2/v3 file (format: docs/gguf.md).
//
// Open() maps the file read-only and parses its header, metadata and tensor table. Every count,
// length, offset and size is checked against the bytes the file actually has before anything is
// read or allocated, so a hostile file can neither read out of bounds nor make us allocate more
// than a small multiple of its own size. Errors name the file, the field and the reason.
//
// Tensor data is not copied: TensorInfo::data points into the mapping, which lives as long as the
// GgufFile. Thread-safety: immutable after Open(); safe to share between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"
#include "engine/kernels/tensor_type.h"

namespace locai::engine::gguf {

// Metadata value types, numbered as in the file.
enum class ValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

std::string_view ValueTypeName(ValueType type);

struct Value;

struct Array {
  ValueType element_type = ValueType::kUint8;
  std::vector<Value> items;
};

// One metadata value. Integers keep their signedness; the file's exact type is in `type`.
struct Value {
  ValueType type = ValueType::kUint8;
  std::variant<uint64_t, int64_t, double, bool, std::string, Array> data;

  bool is_integer() const;
  bool is_string() const { return type == ValueType::kString; }
  bool is_array() const { return type == ValueType::kArray; }
  // The value as a signed integer when it is an integer that fits; nullopt otherwise.
  std::optional<int64_t> AsInt() const;
  // The value as a float when it is a float or an integer; nullopt otherwise.
  std::optional<double> AsFloat() const;
  const std::string* AsString() const { return std::get_if<std::string>(&data); }
  const Array* AsArray() const { return std::get_if<Array>(&data); }
};

struct KeyValue {
  std::string key;
  Value value;
};

struct TensorInfo {
  std::string name;
  std::vector<int64_t> dims;  // dims[0] is the innermost (contiguous) dimension, as in GGUF
  TensorType type = TensorType::kF32;
  uint64_t offset = 0;        // from the start of the data section
  uint64_t size_bytes = 0;
  int64_t n_elements = 0;
  const uint8_t* data = nullptr;  // into the mapping

  int64_t rows() const;  // product of dims[1..], the number of rows of dims[0] elements
};

// Limits beyond which a file is refused even when its bytes would allow it.
struct ParseLimits {
  uint64_t max_tensors = 1 << 20;
  uint64_t max_kv = 1 << 20;
  uint32_t max_dims = 4;
  uint32_t max_array_depth = 2;
  uint64_t max_string_bytes = 1 << 24;  // one key or string value
};

class GgufFile {
 public:
  // Maps and parses the file at `path`. The error message starts with the path.
  static Result<std::unique_ptr<GgufFile>> Open(const std::string& path,
                                                const ParseLimits& limits = {});

  // Parses a file image held in memory (tests, fuzzing). `bytes` must outlive the result.
  static Result<std::unique_ptr<GgufFile>> Parse(std::span<const uint8_t> bytes,
                                                 std::string display_name,
                                                 const ParseLimits& limits = {});

  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t file_size() const { return bytes_.size(); }
  uint64_t data_offset() const { return data_offset_; }

  const std::vector<KeyValue>& metadata() const { return metadata_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }

  // Lookups; null when absent.
  const Value* Find(std::string_view key) const;
  const TensorInfo* FindTensor(std::string_view name) const;

  // Typed getters for required keys: an error naming the file and key when the key is absent or
  // of the wrong type.
  Result<std::string> GetString(std::string_view key) const;
  Result<int64_t> GetInt(std::string_view key) const;
  Result<double> GetFloat(std::string_view key) const;
  Result<bool> GetBool(std::string_view key) const;
  Result<const Array*> GetArray(std::string_view key) const;

  // Optional keys: the default when absent, an error when present with the wrong type.
  Result<int64_t> GetIntOr(std::string_view key, int64_t fallback) const;
  Result<double> GetFloatOr(std::string_view key, double fallback) const;
  Result<bool> GetBoolOr(std::string_view key, bool fallback) const;
  Result<std::string> GetStringOr(std::string_view key, std::string fallback) const;

  // An error for `field` of this file: "PATH: FIELD: reason".
  Status Error(StatusCode code, std::string_view field, std::string_view reason) const;

 private:
  class Mapping;
  GgufFile() = default;
  Status ParseAll(const ParseLimits& limits);

  std::string path_;
  std::unique_ptr<Mapping> mapping_;  // null when parsing a caller's buffer
  std::span<const uint8_t> bytes_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<KeyValue> metadata_;
  std::vector<TensorInfo> tensors_;
};

}  // namespace locai::engine::gguf
