#include "crypto/ed25519.h"

#include "crypto/openssl_handles.h"

namespace locai::crypto {
namespace {

using internal::EvpMdCtxPtr;
using internal::EvpPkeyCtxPtr;
using internal::EvpPkeyPtr;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Result<EvpPkeyPtr> LoadPrivate(std::string_view private_key) {
  if (private_key.size() != kEd25519KeySize) {
    return Err(Status::InvalidArgument("Ed25519 private key must be 32 bytes"));
  }
  EvpPkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, Bytes(private_key),
                                              private_key.size()));
  if (!key) return Err(internal::OpensslError(StatusCode::kInternal, "Ed25519 key load failed"));
  return key;
}

Result<std::string> RawPublic(EVP_PKEY* key) {
  std::string out(kEd25519KeySize, '\0');
  size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(out.data()), &len) != 1 ||
      len != kEd25519KeySize) {
    return Err(internal::OpensslError(StatusCode::kInternal, "Ed25519 public key export failed"));
  }
  return out;
}

}  // namespace

Result<Ed25519KeyPair> GenerateEd25519() {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* raw_key = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw_key) != 1) {
    return Err(internal::OpensslError(StatusCode::kInternal, "Ed25519 key generation failed"));
  }
  EvpPkeyPtr key(raw_key);
  Ed25519KeyPair pair;
  pair.private_key.assign(kEd25519KeySize, '\0');
  size_t len = pair.private_key.size();
  if (EVP_PKEY_get_raw_private_key(
          key.get(), reinterpret_cast<unsigned char*>(pair.private_key.data()), &len) != 1 ||
      len != kEd25519KeySize) {
    return Err(internal::OpensslError(StatusCode::kInternal, "Ed25519 private key export failed"));
  }
  LOCAI_ASSIGN_OR_RETURN(pair.public_key, RawPublic(key.get()));
  return pair;
}

Result<std::string> Ed25519Sign(std::string_view private_key, std::string_view message) {
  LOCAI_ASSIGN_OR_RETURN(EvpPkeyPtr key, LoadPrivate(private_key));
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  std::string signature(kEd25519SignatureSize, '\0');
  size_t len = signature.size();
  // Ed25519 is a one-shot scheme: no digest is named and the whole message goes in one call.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                     Bytes(message), message.size()) != 1 ||
      len != kEd25519SignatureSize) {
    return Err(internal::OpensslError(StatusCode::kInternal, "Ed25519 signing failed"));
  }
  return signature;
}

bool Ed25519Verify(std::string_view public_key, std::string_view message,
                   std::string_view signature) {
  if (public_key.size() != kEd25519KeySize || signature.size() != kEd25519SignatureSize) {
    return false;
  }
  EvpPkeyPtr key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, Bytes(public_key), public_key.size()));
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  bool valid = key && ctx &&
               EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
               EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(), Bytes(message),
                                message.size()) == 1;
  // A rejected signature leaves an error on the thread's queue; it is an answer, not a failure.
  if (!valid) internal::ClearOpensslErrors();
  return valid;
}

Result<std::string> Ed25519PublicFromPrivate(std::string_view private_key) {
  LOCAI_ASSIGN_OR_RETURN(EvpPkeyPtr key, LoadPrivate(private_key));
  return RawPublic(key.get());
}

}  // namespace locai::crypto
