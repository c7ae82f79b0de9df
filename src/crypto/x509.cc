#include "crypto/x509.h"

#include <arpa/inet.h>
#include <openssl/ec.h>
#include <openssl/pem.h>

#include <array>
#include <cstdint>
#include <span>

#include "crypto/openssl_handles.h"
#include "crypto/random.h"
#include "crypto/sha256.h"

namespace locai::crypto {
namespace {

using internal::Asn1Ia5StringPtr;
using internal::Asn1OctetStringPtr;
using internal::BignumPtr;
using internal::BioPtr;
using internal::EvpPkeyCtxPtr;
using internal::EvpPkeyPtr;
using internal::GeneralNamePtr;
using internal::GeneralNamesPtr;
using internal::OpensslError;
using internal::X509ExtensionPtr;
using internal::X509Ptr;
using internal::X509StoreCtxPtr;
using internal::X509StorePtr;

constexpr int kMaxValidDays = 100 * 366;
constexpr size_t kSerialBytes = 16;

// Never prompt on the terminal for a passphrase: an encrypted key simply fails to load.
int NoPassphrase(char*, int, int, void*) { return -1; }

Status ValidateName(std::string_view name, std::string_view what) {
  if (name.empty()) return Status::InvalidArgument(std::string(what) + " is empty");
  for (char c : name) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return Status::InvalidArgument(std::string(what) + " holds a control character");
    }
  }
  return Status::Ok();
}

Status ValidateDays(int valid_days) {
  if (valid_days <= 0 || valid_days > kMaxValidDays) {
    return Status::InvalidArgument("valid_days must be in 1.." + std::to_string(kMaxValidDays));
  }
  return Status::Ok();
}

Result<EvpPkeyPtr> GenerateP256Key() {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr));
  EVP_PKEY* raw_key = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), NID_X9_62_prime256v1) != 1 ||
      EVP_PKEY_keygen(ctx.get(), &raw_key) != 1) {
    return Err(OpensslError(StatusCode::kInternal, "P-256 key generation failed"));
  }
  return EvpPkeyPtr(raw_key);
}

Result<X509Ptr> ReadCertificate(std::string_view pem, std::string_view what) {
  BioPtr bio = internal::MemoryBio(pem);
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr) : nullptr);
  if (!cert) {
    return Err(OpensslError(StatusCode::kInvalidArgument,
                            std::string(what) + ": no PEM certificate could be parsed"));
  }
  return cert;
}

Result<EvpPkeyPtr> ReadPrivateKey(std::string_view pem, std::string_view what) {
  BioPtr bio = internal::MemoryBio(pem);
  EvpPkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr)
                     : nullptr);
  if (!key) {
    return Err(OpensslError(StatusCode::kInvalidArgument,
                            std::string(what) + ": no PEM private key could be parsed"));
  }
  return key;
}

// A positive random serial: 16 random bytes with the top bit cleared, as RFC 5280 wants a
// positive INTEGER of at most 20 octets.
Status SetRandomSerial(X509* cert) {
  LOCAI_ASSIGN_OR_RETURN(std::string bytes, RandomBytes(kSerialBytes));
  bytes[0] = static_cast<char>(static_cast<unsigned char>(bytes[0]) & 0x7f);
  BignumPtr serial(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                             static_cast<int>(bytes.size()), nullptr));
  if (!serial || BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) == nullptr) {
    return OpensslError(StatusCode::kInternal, "setting the serial number failed");
  }
  return Status::Ok();
}

// Version 3, serial, validity, subject CN and public key: everything but issuer, extensions and
// signature.
Result<X509Ptr> NewCertificate(std::string_view common_name, int valid_days, EVP_PKEY* key) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return Err(OpensslError(StatusCode::kInternal, "X509_new failed"));
  }
  LOCAI_RETURN_IF_ERROR(SetRandomSerial(cert.get()));
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), valid_days, 0, nullptr) == nullptr) {
    return Err(OpensslError(StatusCode::kInternal, "setting the validity period failed"));
  }
  if (X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1) {
    // OpenSSL refuses a CN over 64 characters (RFC 5280 ub-common-name).
    return Err(OpensslError(StatusCode::kInvalidArgument, "common name rejected"));
  }
  if (X509_set_pubkey(cert.get(), key) != 1) {
    return Err(OpensslError(StatusCode::kInternal, "X509_set_pubkey failed"));
  }
  return cert;
}

// Adds one extension given in OpenSSL's configuration syntax ("critical,CA:TRUE").
Status AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx{};
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpensslError(StatusCode::kInternal, std::string("adding extension ") + value);
  }
  return Status::Ok();
}

// One SAN: an IP address when the entry parses as one, otherwise a DNS name.
Result<GeneralNamePtr> MakeSubjectAltName(std::string_view entry) {
  std::string host(entry);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::array<unsigned char, 16> address{};
  int address_len = 0;
  if (inet_pton(AF_INET, host.c_str(), address.data()) == 1) {
    address_len = 4;
  } else if (inet_pton(AF_INET6, host.c_str(), address.data()) == 1) {
    address_len = 16;
  }
  GeneralNamePtr name(GENERAL_NAME_new());
  if (!name) return Err(OpensslError(StatusCode::kInternal, "GENERAL_NAME_new failed"));
  if (address_len != 0) {
    Asn1OctetStringPtr octets(ASN1_OCTET_STRING_new());
    if (!octets || ASN1_OCTET_STRING_set(octets.get(), address.data(), address_len) != 1) {
      return Err(OpensslError(StatusCode::kInternal, "building an IP SAN failed"));
    }
    GENERAL_NAME_set0_value(name.get(), GEN_IPADD, octets.release());
    return name;
  }
  for (char c : entry) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) {
      return Err(Status::InvalidArgument("subject alt name '" + std::string(entry) +
                                         "' is neither an IP address nor an ASCII host name"));
    }
  }
  if (entry.empty()) return Err(Status::InvalidArgument("empty subject alt name"));
  Asn1Ia5StringPtr dns(ASN1_IA5STRING_new());
  if (!dns || ASN1_STRING_set(dns.get(), entry.data(), static_cast<int>(entry.size())) != 1) {
    return Err(OpensslError(StatusCode::kInternal, "building a DNS SAN failed"));
  }
  GENERAL_NAME_set0_value(name.get(), GEN_DNS, dns.release());
  return name;
}

Status AddSubjectAltNames(X509* cert, const std::vector<std::string>& entries) {
  if (entries.empty()) return Status::Ok();
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) return OpensslError(StatusCode::kInternal, "allocating SANs failed");
  for (const std::string& entry : entries) {
    LOCAI_ASSIGN_OR_RETURN(GeneralNamePtr name, MakeSubjectAltName(entry));
    if (sk_GENERAL_NAME_push(names.get(), name.get()) == 0) {
      return OpensslError(StatusCode::kInternal, "allocating SANs failed");
    }
    name.release();  // now owned by the stack
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return OpensslError(StatusCode::kInternal, "adding subjectAltName failed");
  }
  return Status::Ok();
}

Result<CertAndKey> SignAndEncode(X509* cert, EVP_PKEY* signer, EVP_PKEY* subject_key) {
  if (X509_sign(cert, signer, EVP_sha256()) <= 0) {
    return Err(OpensslError(StatusCode::kInternal, "signing the certificate failed"));
  }
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), subject_key, nullptr, nullptr, 0, nullptr, nullptr) !=
          1) {
    return Err(OpensslError(StatusCode::kInternal, "PEM encoding failed"));
  }
  return CertAndKey{internal::BioContents(cert_bio.get()), internal::BioContents(key_bio.get())};
}

}  // namespace

Result<CertAndKey> GenerateCertificateAuthority(std::string_view common_name, int valid_days) {
  LOCAI_RETURN_IF_ERROR(ValidateName(common_name, "common name"));
  LOCAI_RETURN_IF_ERROR(ValidateDays(valid_days));
  LOCAI_ASSIGN_OR_RETURN(EvpPkeyPtr key, GenerateP256Key());
  LOCAI_ASSIGN_OR_RETURN(X509Ptr cert, NewCertificate(common_name, valid_days, key.get()));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1) {
    return Err(OpensslError(StatusCode::kInternal, "setting the issuer failed"));
  }
  LOCAI_RETURN_IF_ERROR(
      AddExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE"));
  LOCAI_RETURN_IF_ERROR(
      AddExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  LOCAI_RETURN_IF_ERROR(AddExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash"));
  return SignAndEncode(cert.get(), key.get(), key.get());
}

Result<CertAndKey> GenerateServerCertificate(const CertAndKey& ca, std::string_view common_name,
                                             const std::vector<std::string>& subject_alt_names,
                                             int valid_days) {
  LOCAI_RETURN_IF_ERROR(ValidateName(common_name, "common name"));
  LOCAI_RETURN_IF_ERROR(ValidateDays(valid_days));
  LOCAI_ASSIGN_OR_RETURN(X509Ptr ca_cert, ReadCertificate(ca.cert_pem, "CA certificate"));
  LOCAI_ASSIGN_OR_RETURN(EvpPkeyPtr ca_key, ReadPrivateKey(ca.key_pem, "CA key"));
  if (X509_check_private_key(ca_cert.get(), ca_key.get()) != 1) {
    return Err(OpensslError(StatusCode::kInvalidArgument,
                            "the CA key does not belong to the CA certificate"));
  }
  if (X509_check_ca(ca_cert.get()) == 0) {
    return Err(Status::InvalidArgument("the CA certificate is not a certificate authority"));
  }
  LOCAI_ASSIGN_OR_RETURN(EvpPkeyPtr key, GenerateP256Key());
  LOCAI_ASSIGN_OR_RETURN(X509Ptr cert, NewCertificate(common_name, valid_days, key.get()));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get())) != 1) {
    return Err(OpensslError(StatusCode::kInternal, "setting the issuer failed"));
  }
  X509* issuer = ca_cert.get();
  LOCAI_RETURN_IF_ERROR(AddExtension(cert.get(), issuer, NID_basic_constraints, "CA:FALSE"));
  LOCAI_RETURN_IF_ERROR(
      AddExtension(cert.get(), issuer, NID_key_usage, "critical,digitalSignature"));
  LOCAI_RETURN_IF_ERROR(AddExtension(cert.get(), issuer, NID_ext_key_usage, "serverAuth"));
  LOCAI_RETURN_IF_ERROR(AddExtension(cert.get(), issuer, NID_subject_key_identifier, "hash"));
  LOCAI_RETURN_IF_ERROR(AddExtension(cert.get(), issuer, NID_authority_key_identifier, "keyid"));
  LOCAI_RETURN_IF_ERROR(AddSubjectAltNames(cert.get(), subject_alt_names));
  return SignAndEncode(cert.get(), ca_key.get(), key.get());
}

Result<std::string> CertificateSha256Fingerprint(std::string_view cert_pem) {
  LOCAI_ASSIGN_OR_RETURN(X509Ptr cert, ReadCertificate(cert_pem, "certificate"));
  int der_len = i2d_X509(cert.get(), nullptr);
  if (der_len <= 0) return Err(OpensslError(StatusCode::kInternal, "DER encoding failed"));
  std::string der(static_cast<size_t>(der_len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_X509(cert.get(), &out) != der_len) {
    return Err(OpensslError(StatusCode::kInternal, "DER encoding failed"));
  }
  return Sha256Hex(der);
}

Status VerifyCertificateSignedBy(std::string_view cert_pem, std::string_view ca_pem) {
  LOCAI_ASSIGN_OR_RETURN(X509Ptr cert, ReadCertificate(cert_pem, "certificate"));
  LOCAI_ASSIGN_OR_RETURN(X509Ptr ca, ReadCertificate(ca_pem, "CA certificate"));
  // A store with no lookup methods: the CA is the only certificate it will ever trust.
  X509StorePtr store(X509_STORE_new());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), ca.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1) {
    return OpensslError(StatusCode::kInternal, "setting up verification failed");
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    std::string reason = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
    internal::ClearOpensslErrors();
    return Status::Unauthenticated("certificate does not verify against the CA: " + reason);
  }
  return Status::Ok();
}

Result<std::vector<std::string>> CertificateSubjectAltNames(std::string_view cert_pem) {
  LOCAI_ASSIGN_OR_RETURN(X509Ptr cert, ReadCertificate(cert_pem, "certificate"));
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  std::vector<std::string> out;
  if (!names) {
    internal::ClearOpensslErrors();
    return out;
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) {
      const ASN1_IA5STRING* dns = name->d.dNSName;
      out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                         static_cast<size_t>(ASN1_STRING_length(dns))));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = name->d.iPAddress;
      int len = ASN1_STRING_length(ip);
      if (len != 4 && len != 16) continue;
      char text[INET6_ADDRSTRLEN] = {};
      if (inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(ip), text, sizeof(text)) ==
          nullptr) {
        continue;
      }
      out.push_back(std::string("IP:") + text);
    }
  }
  return out;
}

}  // namespace locai::crypto
