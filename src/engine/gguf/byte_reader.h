// ByteReader: bounds-checked little-endian reads from a byte span, for the GGUF parser.
//
// Every read checks the remaining length first and reports failure instead of reading past the
// end; the parser turns a failure into an error naming the field it was reading.
// Thread-safety: a reader is used by one thread.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>

namespace locai::engine::gguf {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  uint64_t offset() const { return offset_; }
  uint64_t remaining() const { return bytes_.size() - offset_; }

  template <typename T>
  bool Read(T* out) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (remaining() < sizeof(T)) return false;
    std::memcpy(out, bytes_.data() + offset_, sizeof(T));
    offset_ += sizeof(T);
    return true;
  }

  // Reads `len` bytes into `out`; fails without allocating when fewer remain.
  bool ReadBytes(uint64_t len, std::string* out) {
    if (len > remaining()) return false;
    out->assign(reinterpret_cast<const char*>(bytes_.data() + offset_), len);
    offset_ += len;
    return true;
  }

  bool Skip(uint64_t len) {
    if (len > remaining()) return false;
    offset_ += len;
    return true;
  }

 private:
  std::span<const uint8_t> bytes_;
  uint64_t offset_ = 0;
};

}  // namespace locai::engine::gguf
