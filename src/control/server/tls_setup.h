// The server's TLS identity (docs/control-plane.md, "TLS").
//
// With a certificate and key given (--tls-cert/--tls-key) they are read as they are; the "CA
// fingerprint" that nodes pin is then that of the last certificate in the certificate file (the
// top of the chain the operator supplied; the certificate itself when it is alone). Otherwise the
// server keeps its own CA under `tls_dir` (ca.pem, ca.key, server.pem, server.key; keys 0600):
// created on first start, reused afterwards, and the server certificate is re-issued when a
// requested SAN is missing from it.
// Thread-safety: a function over the file system; call from one thread.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace locai::control::server {

struct TlsIdentity {
  std::string cert_pem;  // leaf first
  std::string key_pem;
  std::string chain_pem;  // certificates sent after the leaf (the generated CA); may be empty
  std::string ca_pem;     // what nodes pin
  std::string ca_fingerprint;  // lowercase hex SHA-256 of ca_pem's certificate (DER)
  bool generated = false;      // true when this server made (or reuses) its own CA
};

struct TlsSetupOptions {
  std::string tls_dir;        // <data>/server/tls
  std::string cert_file;      // both set or both empty
  std::string key_file;
  std::vector<std::string> sans;  // extra SANs; localhost, 127.0.0.1, ::1 and the host name always
};

// Loads or creates the identity. InvalidArgument when only one of cert_file/key_file is given or a
// given file does not parse; NotFound when a given file is missing; the crypto errors otherwise.
Result<TlsIdentity> LoadOrCreateTlsIdentity(const TlsSetupOptions& options);

}  // namespace locai::control::server
