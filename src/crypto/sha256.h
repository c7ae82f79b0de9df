// SHA-256 over OpenSSL's EVP interface, plus hex encoding helpers.
//
// Sha256 is an incremental hasher: Update() any number of times, then Finish() or FinishHex()
// once; after Finish the object is reset and may be reused for a new message. A moved-from
// Sha256 may only be destroyed or assigned to.
// Thread-safety: a Sha256 object is confined to one thread at a time; the free functions are
// thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

struct evp_md_ctx_st;

namespace locai::crypto {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view bytes);
  void Update(const void* data, size_t n);
  // Returns the 32-byte digest of everything passed to Update since construction or the last
  // Finish, and resets the hasher.
  std::array<uint8_t, 32> Finish();
  // Finish() as 64 lowercase hex characters.
  std::string FinishHex();

 private:
  struct CtxDeleter {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, CtxDeleter> ctx_;
};

// Lowercase hex of SHA-256(bytes).
std::string Sha256Hex(std::string_view bytes);

// Lowercase hex of the SHA-256 of a file's contents, read in 1 MiB chunks.
// NotFound when the file cannot be opened, DataLoss on a read error.
[[nodiscard]] Result<std::string> Sha256FileHex(const std::string& path);

// Lowercase hex, two characters per byte.
std::string ToHex(std::span<const uint8_t> bytes);
// Parses hex (either case). InvalidArgument for an odd length or a non-hex character.
[[nodiscard]] Result<std::vector<uint8_t>> FromHex(std::string_view hex);

}  // namespace locai::crypto
