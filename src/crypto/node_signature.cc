#include "crypto/node_signature.h"

#include <charconv>

#include "crypto/base64.h"
#include "crypto/ed25519.h"

namespace locai::crypto {
namespace {

constexpr std::string_view kPayloadPrefix = "locai-node-v1\n";
// Enough digits for any int64 seconds value; longer is malformed, not merely far away.
constexpr size_t kMaxTimestampDigits = 19;

// The payload's fields are newline-separated, so a field holding a newline (or any control
// character, which no HTTP method or request target may contain) could make two requests sign
// the same bytes.
bool IsPlainField(std::string_view field) {
  if (field.empty()) return false;
  for (char c : field) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return false;
  }
  return true;
}

// Parses plain decimal digits (no sign, no spaces) into a non-negative int64.
bool ParseTimestamp(std::string_view text, int64_t* out) {
  if (text.empty() || text.size() > kMaxTimestampDigits) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return error == std::errc() && end == text.data() + text.size();
}

// |a - b| without overflow: the true difference of two int64 values fits in a uint64.
uint64_t AbsoluteDifference(int64_t a, int64_t b) {
  return a >= b ? static_cast<uint64_t>(a) - static_cast<uint64_t>(b)
                : static_cast<uint64_t>(b) - static_cast<uint64_t>(a);
}

}  // namespace

std::string NodeSignaturePayload(std::string_view method, std::string_view target,
                                 int64_t unix_seconds) {
  std::string payload(kPayloadPrefix);
  payload += method;
  payload += '\n';
  payload += target;
  payload += '\n';
  payload += std::to_string(unix_seconds);
  return payload;
}

Result<NodeSignature> SignNodeRequest(std::string_view node_id, std::string_view private_key,
                                      std::string_view method, std::string_view target,
                                      int64_t now_s) {
  if (!IsPlainField(node_id)) {
    return Err(Status::InvalidArgument("node id is empty or holds a control character"));
  }
  if (!IsPlainField(method) || !IsPlainField(target)) {
    return Err(Status::InvalidArgument("method and target must be non-empty, without newlines"));
  }
  if (now_s < 0) return Err(Status::InvalidArgument("negative timestamp"));
  LOCAI_ASSIGN_OR_RETURN(std::string signature,
                         Ed25519Sign(private_key, NodeSignaturePayload(method, target, now_s)));
  return NodeSignature{std::string(node_id), std::to_string(now_s), Base64Encode(signature)};
}

Status VerifyNodeSignature(std::string_view public_key, std::string_view method,
                           std::string_view target, std::string_view timestamp,
                           std::string_view signature_b64, int64_t now_s, int64_t max_skew_s) {
  if (public_key.size() != kEd25519KeySize) {
    return Status::Unauthenticated("malformed node public key");
  }
  if (!IsPlainField(method) || !IsPlainField(target)) {
    return Status::Unauthenticated("malformed request method or target");
  }
  int64_t signed_at = 0;
  if (!ParseTimestamp(timestamp, &signed_at)) {
    return Status::Unauthenticated("malformed timestamp");
  }
  Result<std::string> signature = Base64Decode(signature_b64);
  if (!signature || signature->size() != kEd25519SignatureSize) {
    return Status::Unauthenticated("malformed signature");
  }
  uint64_t allowed = max_skew_s > 0 ? static_cast<uint64_t>(max_skew_s) : 0;
  if (AbsoluteDifference(now_s, signed_at) > allowed) {
    return Status::Unauthenticated("timestamp outside the window");
  }
  // Verified over the timestamp text as sent, not a re-encoding of the parsed value.
  std::string payload(kPayloadPrefix);
  payload += method;
  payload += '\n';
  payload += target;
  payload += '\n';
  payload += timestamp;
  if (!Ed25519Verify(public_key, payload, *signature)) {
    return Status::Unauthenticated("bad signature");
  }
  return Status::Ok();
}

}  // namespace locai::crypto
