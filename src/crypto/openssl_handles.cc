#include "crypto/openssl_handles.h"

#include <openssl/err.h>

#include <climits>

namespace locai::crypto::internal {

Status OpensslError(StatusCode code, std::string_view what) {
  std::string message(what);
  unsigned long error = ERR_get_error();
  if (error != 0) {
    char buffer[256];
    ERR_error_string_n(error, buffer, sizeof(buffer));
    message += ": ";
    message += buffer;
  }
  ERR_clear_error();
  switch (code) {
    case StatusCode::kInvalidArgument:
      return Status::InvalidArgument(std::move(message));
    case StatusCode::kUnauthenticated:
      return Status::Unauthenticated(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

void ClearOpensslErrors() { ERR_clear_error(); }

BioPtr MemoryBio(std::string_view bytes) {
  if (bytes.size() > static_cast<size_t>(INT_MAX)) return nullptr;
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return {};
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace locai::crypto::internal
