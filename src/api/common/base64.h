// Base64 (RFC 4648, standard alphabet, padded) and the embedding encoding the OpenAI SDKs request
// by default: the base64 of the vector's little-endian IEEE-754 float32 bytes.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace locai::api {

std::string Base64Encode(std::span<const uint8_t> bytes);
// nullopt on a character outside the alphabet or a length that is not a multiple of 4.
std::optional<std::vector<uint8_t>> Base64Decode(std::string_view text);

// Base64 of the little-endian float32 bytes of `values` (independent of the host byte order).
std::string EncodeFloat32Base64(std::span<const float> values);
// The inverse; nullopt when not base64 or not a whole number of floats.
std::optional<std::vector<float>> DecodeFloat32Base64(std::string_view text);

}  // namespace locai::api
