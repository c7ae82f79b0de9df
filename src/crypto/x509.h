// X.509 certificates for the control plane's HTTPS: a self-signed certificate authority, server
// certificates it signs, fingerprints for pinning, and chain verification against one CA.
//
// Keys are EC P-256; certificates are X.509 v3 signed with ECDSA/SHA-256; PEM text throughout
// (keys as unencrypted PKCS#8 "PRIVATE KEY"). See docs/control-plane.md, "TLS".
// Failures: InvalidArgument for unparsable PEM, a key that does not match its certificate or bad
// parameters; Unauthenticated when a certificate does not verify; Internal when OpenSSL fails.
// Thread-safety: pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace locai::crypto {

struct CertAndKey {
  std::string cert_pem;  // "-----BEGIN CERTIFICATE-----"
  std::string key_pem;   // "-----BEGIN PRIVATE KEY-----"; secret
};

// A self-signed CA valid from now for valid_days (> 0): subject CN=common_name, basicConstraints
// critical CA:TRUE, keyUsage critical keyCertSign+cRLSign, subjectKeyIdentifier, random positive
// 16-byte serial.
[[nodiscard]] Result<CertAndKey> GenerateCertificateAuthority(std::string_view common_name,
                                                              int valid_days);

// A server certificate for a new key, signed by `ca` with SHA-256, valid from now for valid_days:
// subject CN=common_name; subjectAltName from subject_alt_names (no extension when the list is
// empty), where an entry that parses as an IPv4 or IPv6 address (brackets allowed: "[::1]")
// becomes an IP SAN and any other a DNS SAN; basicConstraints CA:FALSE, keyUsage critical
// digitalSignature, extendedKeyUsage serverAuth, subject and authority key identifiers, random
// positive serial (16 bytes, top bit clear). InvalidArgument when ca's certificate or key does
// not parse, the key does not match the certificate or the certificate is no CA, the common name
// is empty, over 64 characters or holds a control character, or a DNS entry is empty or holds
// anything but printable ASCII without spaces.
[[nodiscard]] Result<CertAndKey> GenerateServerCertificate(
    const CertAndKey& ca, std::string_view common_name,
    const std::vector<std::string>& subject_alt_names, int valid_days);

// Lowercase hex (64 chars, no colons) of the SHA-256 of the DER encoding of the first certificate
// in cert_pem: the value `openssl x509 -noout -fingerprint -sha256` prints, without the colons and
// in lower case. InvalidArgument when no certificate parses.
[[nodiscard]] Result<std::string> CertificateSha256Fingerprint(std::string_view cert_pem);

// OK when the first certificate in cert_pem chains to the first certificate in ca_pem, taken as
// the only trust anchor (signature, validity period, CA constraints). Unauthenticated with
// OpenSSL's reason when it does not; InvalidArgument when either PEM does not parse.
[[nodiscard]] Status VerifyCertificateSignedBy(std::string_view cert_pem, std::string_view ca_pem);

// The subjectAltName entries of the first certificate in cert_pem as "DNS:<name>" and
// "IP:<address>" (IPv6 in RFC 5952 form), in certificate order. InvalidArgument when no
// certificate parses.
[[nodiscard]] Result<std::vector<std::string>> CertificateSubjectAltNames(
    std::string_view cert_pem);

}  // namespace locai::crypto
