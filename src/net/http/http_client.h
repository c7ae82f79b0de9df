// HttpClient: a blocking HTTP/1.1 client whose every connection goes through an egress Connector.
//
// Fetch() returns a whole response; Stream() hands the response body to a callback piece by piece
// as it arrives (chunked encoding removed), for SSE. Connections are kept alive and reused per
// host:port; a request on a reused connection that the server had meanwhile closed is retried once
// on a fresh connection. Timeouts: connect_timeout for the TCP connect, write_timeout for sending
// the request, read_timeout for each wait on response bytes (so a stream may last long as long
// as bytes keep coming). https:// uses OpenSSL (TLS 1.2+) and verifies the server, by the first
// of these that is set: `pinned_ca_sha256` (the server's chain must contain the CA with this
// SHA-256 fingerprint and the leaf must verify against it, host name / IP checked against the
// SANs: the control plane's own CA), `ca_pem` (in-memory CA certificates, host checked),
// `pinned_sha256` (the leaf certificate's own fingerprint alone), else the CA bundle `ca_file` or
// the system's CAs with host checking. A failed verification is Unavailable and the message says
// why ("server certificate is not signed by the pinned CA (expected sha256 ..., server offered
// ...)").
// Errors: PermissionDenied (egress denied), NotFound (DNS), Unavailable (connect/IO failure),
// DeadlineExceeded (a timeout), ResourceExhausted (response over a limit), Cancelled (the stream
// callback returned false), InvalidArgument (bad URL or method), DataLoss (malformed response).
// A non-2xx status is not an error: it comes back in ClientResponse::status.
// Thread-safety: not thread-safe; use one HttpClient per thread. The Connector is shared.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "net/egress/connector.h"
#include "net/http/http_message.h"

namespace locai::net {

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds write_timeout{60'000};
  std::chrono::milliseconds read_timeout{60'000};
  size_t max_header_bytes = 64 << 10;
  size_t max_body_bytes = 64 << 20;  // Fetch() only; Stream() has no total limit
  bool keep_alive = true;
  std::string purpose = "http";  // egress log purpose when the request gives none
  std::string user_agent = "locai";
  std::string ca_file;           // PEM CA bundle for https; empty: the system's default CAs
  std::string pinned_sha256;     // hex SHA-256 of the server certificate (DER); colons allowed
  std::string pinned_ca_sha256;  // hex SHA-256 of the CA certificate (DER) in the server's chain
  std::string ca_pem;            // PEM CA certificates to trust (in memory)
};

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // "http://127.0.0.1:8080/v1/models"
  HttpHeaders headers;
  std::string body;
  std::string purpose;  // egress log purpose; empty: HttpClientOptions::purpose
};

struct ClientResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;  // empty for Stream()
};

// Receives each piece of a streamed body; returning false stops the transfer (Cancelled).
using BodyChunkCallback = std::function<bool(std::string_view chunk)>;

// Connects to the https `url` (egress-checked like any request), checks that its chain holds the
// CA with fingerprint `pinned_ca_sha256` and that the server's certificate verifies against it,
// and returns that CA certificate as PEM (for a node to store after first contact). Unavailable
// when the pin does not match, InvalidArgument for a non-https URL or a malformed pin.
Result<std::string> FetchServerCaPem(const std::string& url, std::string_view pinned_ca_sha256,
                                     egress::Connector& connector,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

class HttpClient {
 public:
  HttpClient(egress::Connector& connector, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Result<ClientResponse> Fetch(const ClientRequest& request);
  Result<ClientResponse> Stream(const ClientRequest& request, const BodyChunkCallback& on_chunk);

  // Closes the connections kept for reuse.
  void CloseIdleConnections();
  // TCP connections opened so far (tests use it to observe keep-alive).
  size_t connections_opened() const;

 private:
  friend Result<std::string> FetchServerCaPem(const std::string& url,
                                              std::string_view pinned_ca_sha256,
                                              egress::Connector& connector,
                                              std::chrono::milliseconds timeout);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace locai::net
