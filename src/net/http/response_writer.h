// ResponseWriter: how a handler answers a request, now or later, from any thread.
//
// A handler receives a std::shared_ptr<ResponseWriter> and either calls Send() once with a whole
// response, or StartStream() once, Write() any number of times and End() once (chunked transfer
// encoding, each Write flushed as one chunk; used for SSE). The handler may keep the writer and
// answer from another thread (the engine thread producing tokens); the I/O happens on the server's
// io threads, so no call here blocks on the network.
//
// Failure and close: if the client disconnects (or the connection is cut by a timeout, a slow
// consumer or server shutdown) before the response is complete, closed() becomes true and the
// OnClose callbacks run once, promptly (the server watches the socket while the handler works).
// Calls after that, or after the response is complete, are dropped and return false.
//
// Backpressure: the bytes of a connection that are queued but not yet written are bounded
// (HttpServerOptions::max_write_queue_bytes). Write() never blocks; a client that reads so slowly
// that the queue overflows is disconnected (closed() -> true, OnClose runs). queued_bytes() lets a
// producer throttle itself before that happens.
//
// If the last reference to a writer is dropped without a response, the server answers 500; if it
// is dropped mid-stream without End(), the connection is closed so the client sees a truncated
// body rather than a well-formed short one.
// Thread-safety: every method may be called from any thread; calls are applied in the order they
// are made.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "net/http/http_message.h"

namespace locai::net {

class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;

  // Sends a complete response (Content-Length is set by the server). Returns false, doing
  // nothing, when a response was already started or the connection is closed.
  virtual bool Send(HttpResponse response) = 0;

  // Sends the status line and headers of a streamed response. Returns false when a response was
  // already started or the connection is closed.
  virtual bool StartStream(int status, HttpHeaders headers) = 0;
  // Queues one chunk of a streamed response (empty chunks are ignored). Returns false when the
  // stream is not started, already ended, or the connection is closed.
  virtual bool Write(std::string chunk) = 0;
  // Ends a streamed response. Returns false when not streaming or closed.
  virtual bool End() = 0;

  // True once the connection went away before the response was complete.
  virtual bool closed() const = 0;
  // Registers `callback`, run once when the connection closes before the response is complete
  // (on an io thread, so it must be quick: set a flag, post to a queue). If it is already closed,
  // `callback` runs immediately on the caller's thread. Never runs after a complete response.
  virtual void OnClose(std::function<void()> callback) = 0;
  // Bytes queued on this connection but not yet written to the socket.
  virtual size_t queued_bytes() const = 0;
};

}  // namespace locai::net
