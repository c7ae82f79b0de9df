// Internal to locai_crypto: unique_ptr owners for OpenSSL handles and the one place that turns
// OpenSSL's per-thread error queue into a Status.
// Thread-safety: the handles are confined like the objects they own; OpensslError touches only
// the calling thread's error queue.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace locai::crypto::internal {

template <typename T, void (*kFree)(T*)>
struct Deleter {
  void operator()(T* handle) const { kFree(handle); }
};

// BIO_free returns int, so it gets a void wrapper.
inline void FreeBio(BIO* bio) { BIO_free(bio); }

using BioPtr = std::unique_ptr<BIO, Deleter<BIO, FreeBio>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using X509ExtensionPtr =
    std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using X509StoreCtxPtr =
    std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, Deleter<GENERAL_NAME, GENERAL_NAME_free>>;
using Asn1OctetStringPtr =
    std::unique_ptr<ASN1_OCTET_STRING, Deleter<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>>;
using Asn1Ia5StringPtr =
    std::unique_ptr<ASN1_IA5STRING, Deleter<ASN1_IA5STRING, ASN1_IA5STRING_free>>;

// Returns a Status with `code`'s factory semantics: "<what>: <first OpenSSL error>" and clears
// the thread's error queue, so a stale error cannot surface later in an unrelated TLS call on the
// same thread.
Status OpensslError(StatusCode code, std::string_view what);

// Discards the thread's queued OpenSSL errors (after a failure that is reported another way).
void ClearOpensslErrors();

// A read-only memory BIO over `bytes` (which must outlive it). Null on allocation failure.
BioPtr MemoryBio(std::string_view bytes);

// The contents written so far to a memory BIO.
std::string BioContents(BIO* bio);

}  // namespace locai::crypto::internal
