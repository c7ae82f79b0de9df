#include "crypto/random.h"

#include <openssl/rand.h>

#include <climits>
#include <cstdint>
#include <span>

#include "crypto/sha256.h"

namespace locai::crypto {

Result<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n == 0) return out;
  if (n > static_cast<size_t>(INT_MAX)) {
    return Err(Status::InvalidArgument("RandomBytes: too many bytes requested"));
  }
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return Err(Status::Internal("RAND_bytes failed"));
  }
  return out;
}

Result<std::string> RandomHex(size_t n_bytes) {
  LOCAI_ASSIGN_OR_RETURN(std::string bytes, RandomBytes(n_bytes));
  return ToHex(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

}  // namespace locai::crypto
