// TLS plumbing shared by the HTTP server, HttpClient and WebSocketClient: OpenSSL contexts
// (TLS 1.2+) and the verification of a server's certificate chain. Internal to locai_net
// (includes Boost.Asio's ssl context).
//
// How a client trusts a server (ClientTrust), strongest setting first:
// - pinned_ca_sha256: the server must send, after its leaf, a CA certificate whose SHA-256
//   fingerprint (lowercase hex of the DER) is this value, and the leaf must verify against that CA
//   alone with the host name / IP in its SANs (the control plane's self-made CA, pinned from the
//   join token);
// - ca_pem: the leaf must verify against these in-memory CA certificates, host checked;
// - pinned_cert_sha256: the leaf certificate's own fingerprint (no chain or host check);
// - otherwise the CA file `ca_file` or the system's CAs, host checked by OpenSSL.
// The first three are checked by VerifyAfterHandshake(); the last during the handshake.
// Thread-safety: pure functions; a context is shared read-only by the streams made from it.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

struct ssl_st;

namespace locai::net::tls {

struct ClientTrust {
  std::string pinned_ca_sha256;
  std::string ca_pem;
  std::string pinned_cert_sha256;
  std::string ca_file;

  // True when the chain is checked by VerifyAfterHandshake() rather than by OpenSSL.
  bool checked_after_handshake() const {
    return !pinned_ca_sha256.empty() || !ca_pem.empty() || !pinned_cert_sha256.empty();
  }
};

// A server context presenting `cert_pem` followed by the certificates in `chain_pem`.
// InvalidArgument when a certificate or the key does not parse or they do not match.
Result<std::unique_ptr<boost::asio::ssl::context>> MakeServerContext(std::string_view cert_pem,
                                                                     std::string_view key_pem,
                                                                     std::string_view chain_pem);

// A client context for `trust`. InvalidArgument for a malformed pin or an unreadable CA file.
Result<std::unique_ptr<boost::asio::ssl::context>> MakeClientContext(const ClientTrust& trust);

// Before the client handshake: SNI for a host name, and host / IP checking when OpenSSL verifies.
Status PrepareClientHandshake(ssl_st* ssl, const std::string& host, const ClientTrust& trust);

// After the client handshake: the checks of pinned_ca_sha256 / ca_pem / pinned_cert_sha256 (a no-op
// otherwise). Unavailable with the reason on failure, e.g. "server certificate is not signed by the
// pinned CA (expected sha256 X, server offered Y)". When `ca_pem_out` is given and a pinned CA
// matched, it receives that CA certificate as PEM.
Status VerifyAfterHandshake(ssl_st* ssl, const std::string& host, const ClientTrust& trust,
                            std::string* ca_pem_out = nullptr);

// "AB:cd ..." -> "abcd..."; empty when `text` holds anything but hex digits, ':' and spaces.
std::string NormalizeFingerprint(std::string_view text);

// Why the last handshake failed, with OpenSSL's verification result when there is one.
std::string DescribeHandshakeFailure(ssl_st* ssl, std::string_view error);

}  // namespace locai::net::tls
