// UpstreamCall: one HTTP/1.1 request whose response comes back head first, then body pieces as
// they arrive, over the egress Connector (plain or TLS with the HttpClient's trust settings), and
// which another thread can abort at any point, also while it waits for the first byte.
//
// The forwarder needs both things net::HttpClient does not offer (its Stream() reports the status
// and headers only at the end and can only stop when a body piece arrives); once HttpClient has a
// head callback and an abort, this class can go.
//
// Run() blocks: connect (Connector::Connect, connect_timeout), TLS handshake for https (trust as
// HttpClientOptions: pinned_ca_sha256, ca_pem, pinned_sha256, ca_file), write the request
// (write_timeout), read the head (read_timeout), then each body piece (read_timeout per wait).
// The connection is not kept: one request per UpstreamCall.
// Errors: those of HttpClient (PermissionDenied, NotFound, Unavailable, DeadlineExceeded,
// ResourceExhausted for a head over max_header_bytes, InvalidArgument, DataLoss); Cancelled when a
// callback returned false or Abort() was called.
// Thread-safety: Run() once, from one thread; Abort() from any thread, any time, any number of
// times (before Run it makes Run fail at once).
#pragma once

#include <functional>
#include <memory>

#include "common/status.h"
#include "net/egress/connector.h"
#include "net/http/http_client.h"
#include "net/http/http_message.h"

namespace locai::node::forward {

struct UpstreamHead {
  int status = 0;
  net::HttpHeaders headers;
};

// Receives the head once; returning false stops the call (Cancelled).
using HeadCallback = std::function<bool(const UpstreamHead& head)>;

class UpstreamCall {
 public:
  UpstreamCall(net::egress::Connector& connector, net::HttpClientOptions options);
  ~UpstreamCall();
  UpstreamCall(const UpstreamCall&) = delete;
  UpstreamCall& operator=(const UpstreamCall&) = delete;

  // OK once the whole body was handed to `on_chunk`.
  Status Run(const net::ClientRequest& request, const HeadCallback& on_head,
             const net::BodyChunkCallback& on_chunk);
  // Stops Run() as soon as possible (it returns Cancelled); the socket is closed.
  void Abort();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace locai::node::forward
