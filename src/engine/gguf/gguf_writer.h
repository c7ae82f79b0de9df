// GgufWriter: builds a GGUF v3 file (format: docs/gguf.md) from metadata and tensors.
//
// Tensor data may be given as bytes or produced on demand by a callback, so that a multi-gigabyte
// model can be written without holding it in memory. WriteFile() writes to a temporary file beside
// the target, fsyncs it and renames it into place: a reader never sees a half-written file.
// Thread-safety: a writer is used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/gguf/gguf_file.h"

namespace locai::engine::gguf {

class GgufWriter {
 public:
  explicit GgufWriter(uint64_t alignment = 32) : alignment_(alignment) {}

  // Metadata, written in the order set. Setting a key twice replaces the value in place.
  void Set(std::string key, Value value);
  void SetString(std::string key, std::string value);
  void SetUint32(std::string key, uint32_t value);
  void SetInt32(std::string key, int32_t value);
  void SetUint64(std::string key, uint64_t value);
  void SetFloat32(std::string key, float value);
  void SetBool(std::string key, bool value);
  void SetStringArray(std::string key, std::vector<std::string> values);
  void SetFloat32Array(std::string key, const std::vector<float>& values);
  void SetInt32Array(std::string key, const std::vector<int32_t>& values);
  // Copies every key of `source` whose name starts with `prefix` (e.g. "tokenizer.").
  void CopyMetadata(const GgufFile& source, std::string_view prefix);

  // Fills `out` (exactly the tensor's byte size) with the tensor's data.
  using Producer = std::function<Status(std::span<uint8_t> out)>;

  // Adds a tensor; dims[0] is the innermost dimension. Fails when dims[0] is not a whole number
  // of blocks of `type`.
  Status AddTensor(std::string name, std::vector<int64_t> dims, TensorType type, Producer produce);
  Status AddTensor(std::string name, std::vector<int64_t> dims, TensorType type,
                   std::vector<uint8_t> bytes);

  // Writes the file atomically (temp file, fsync, rename). `progress`, when given, is called
  // after each tensor with (tensors written, tensors total).
  Status WriteFile(const std::string& path,
                   const std::function<void(size_t, size_t)>& progress = nullptr) const;

  // The whole file in memory (tests).
  Result<std::vector<uint8_t>> Serialize() const;

 private:
  struct PendingTensor {
    std::string name;
    std::vector<int64_t> dims;
    TensorType type;
    uint64_t size_bytes;
    Producer produce;
  };
  std::vector<uint8_t> EncodeHeader() const;

  uint64_t alignment_;
  std::vector<KeyValue> metadata_;
  std::vector<PendingTensor> tensors_;
};

}  // namespace locai::engine::gguf
