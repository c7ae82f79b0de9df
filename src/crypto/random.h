// Cryptographically secure random bytes from OpenSSL's RAND_bytes (the OS-seeded DRBG).
// Thread-safety: thread-safe.
#pragma once

#include <cstddef>
#include <string>

#include "common/status.h"

namespace locai::crypto {

// n random bytes. Internal when the generator fails (e.g. not seeded).
[[nodiscard]] Result<std::string> RandomBytes(size_t n);

// n_bytes random bytes as 2 * n_bytes lowercase hex characters (tokens, ids, salts).
[[nodiscard]] Result<std::string> RandomHex(size_t n_bytes);

}  // namespace locai::crypto
