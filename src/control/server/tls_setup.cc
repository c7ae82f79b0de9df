#include "control/server/tls_setup.h"

#include <unistd.h>

#include <algorithm>
#include <string>
#include <utility>

#include "control/server/files.h"
#include "crypto/x509.h"

namespace locai::control::server {
namespace {

constexpr int kCaValidDays = 3650;
constexpr int kServerCertValidDays = 825;
constexpr std::string_view kBeginCert = "-----BEGIN CERTIFICATE-----";

// The machine's host name when it is a plausible DNS name (else "": it is only a convenience SAN).
std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "";
  std::string host = name;
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.';
    if (!ok) return "";
  }
  return host;
}

// The last PEM certificate in `pem`, or "" when there is none.
std::string LastCertificate(const std::string& pem) {
  const size_t begin = pem.rfind(kBeginCert);
  if (begin == std::string::npos) return "";
  return pem.substr(begin);
}

Result<TlsIdentity> LoadGiven(const TlsSetupOptions& options) {
  TlsIdentity identity;
  LOCAI_ASSIGN_OR_RETURN(identity.cert_pem, ReadWholeFile(options.cert_file));
  LOCAI_ASSIGN_OR_RETURN(identity.key_pem, ReadWholeFile(options.key_file));
  identity.ca_pem = LastCertificate(identity.cert_pem);
  if (identity.ca_pem.empty()) {
    return Err(Status::InvalidArgument(options.cert_file + " holds no PEM certificate"));
  }
  LOCAI_ASSIGN_OR_RETURN(identity.ca_fingerprint,
                         crypto::CertificateSha256Fingerprint(identity.ca_pem));
  return identity;
}

// "IP:127.0.0.1" / "DNS:localhost" -> "127.0.0.1" / "localhost".
std::string SanValue(const std::string& entry) {
  const size_t colon = entry.find(':');
  return colon == std::string::npos ? entry : entry.substr(colon + 1);
}

bool CoversSans(const std::string& cert_pem, const std::vector<std::string>& wanted) {
  auto present = crypto::CertificateSubjectAltNames(cert_pem);
  if (!present) return false;
  std::vector<std::string> values;
  for (const auto& entry : *present) values.push_back(SanValue(entry));
  for (std::string san : wanted) {
    if (san.size() > 2 && san.front() == '[' && san.back() == ']') san = san.substr(1, san.size() - 2);
    if (std::find(values.begin(), values.end(), san) == values.end()) return false;
  }
  return true;
}

}  // namespace

Result<TlsIdentity> LoadOrCreateTlsIdentity(const TlsSetupOptions& options) {
  if (options.cert_file.empty() != options.key_file.empty()) {
    return Err(Status::InvalidArgument("--tls-cert and --tls-key go together"));
  }
  if (!options.cert_file.empty()) return LoadGiven(options);

  LOCAI_RETURN_IF_ERROR(MakeDirectories(options.tls_dir));
  const std::string ca_cert_path = options.tls_dir + "/ca.pem";
  const std::string ca_key_path = options.tls_dir + "/ca.key";
  const std::string cert_path = options.tls_dir + "/server.pem";
  const std::string key_path = options.tls_dir + "/server.key";

  crypto::CertAndKey ca;
  auto ca_cert = ReadWholeFile(ca_cert_path);
  auto ca_key = ReadWholeFile(ca_key_path);
  if (ca_cert && ca_key) {
    ca = {std::move(*ca_cert), std::move(*ca_key)};
  } else {
    LOCAI_ASSIGN_OR_RETURN(ca, crypto::GenerateCertificateAuthority("Locai control plane CA",
                                                                    kCaValidDays));
    LOCAI_RETURN_IF_ERROR(WriteFileAtomically(ca_key_path, ca.key_pem, 0600));
    LOCAI_RETURN_IF_ERROR(WriteFileAtomically(ca_cert_path, ca.cert_pem, 0644));
  }

  std::vector<std::string> sans = {"localhost", "127.0.0.1", "::1"};
  const std::string host = HostName();
  if (!host.empty() && host != "localhost") sans.push_back(host);
  for (const auto& san : options.sans) {
    if (std::find(sans.begin(), sans.end(), san) == sans.end()) sans.push_back(san);
  }

  TlsIdentity identity;
  identity.generated = true;
  auto cert = ReadWholeFile(cert_path);
  auto key = ReadWholeFile(key_path);
  if (cert && key && CoversSans(*cert, sans) &&
      crypto::VerifyCertificateSignedBy(*cert, ca.cert_pem).ok()) {
    identity.cert_pem = std::move(*cert);
    identity.key_pem = std::move(*key);
  } else {
    LOCAI_ASSIGN_OR_RETURN(crypto::CertAndKey issued,
                           crypto::GenerateServerCertificate(ca, sans.front(), sans,
                                                             kServerCertValidDays));
    LOCAI_RETURN_IF_ERROR(WriteFileAtomically(key_path, issued.key_pem, 0600));
    LOCAI_RETURN_IF_ERROR(WriteFileAtomically(cert_path, issued.cert_pem, 0644));
    identity.cert_pem = std::move(issued.cert_pem);
    identity.key_pem = std::move(issued.key_pem);
  }
  identity.chain_pem = ca.cert_pem;
  identity.ca_pem = ca.cert_pem;
  LOCAI_ASSIGN_OR_RETURN(identity.ca_fingerprint, crypto::CertificateSha256Fingerprint(ca.cert_pem));
  return identity;
}

}  // namespace locai::control::server
