// Internal to the HTTP server: the ResponseWriter that handlers get, bound to one response of one
// Connection. Included only by server_connection.cc.
// Thread-safety: see ResponseWriter (any thread; calls applied in order).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "net/http/response_writer.h"
#include "net/http/server_connection.h"

namespace locai::net::internal {

// The ResponseWriter handed to handlers. Keeps its connection alive; every operation is checked
// against the writer's own state under `state_->mu` (so calls from one thread return accurate
// results) and then posted to the connection's strand in call order.
class WriterImpl final : public ResponseWriter {
 public:
  WriterImpl(std::shared_ptr<Connection> connection, std::shared_ptr<ResponseState> state,
             uint64_t seq)
      : connection_(std::move(connection)), state_(std::move(state)), seq_(seq) {}

  ~WriterImpl() override {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->complete || state_->closed.load()) return;
    connection_->Post([c = connection_, seq = seq_, started = started_] {
      c->WriterDropped(seq, started, false);
    });
  }

  bool Send(HttpResponse response) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (started_ || state_->complete || state_->closed.load()) return false;
    started_ = true;
    state_->complete = true;
    connection_->Post([c = connection_, seq = seq_, r = std::move(response)]() mutable {
      c->SendWhole(seq, std::move(r));
    });
    return true;
  }

  bool StartStream(int status, HttpHeaders headers) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (started_ || state_->complete || state_->closed.load()) return false;
    started_ = true;
    connection_->Post([c = connection_, seq = seq_, status, h = std::move(headers)]() mutable {
      c->SendStreamHead(seq, status, std::move(h));
    });
    return true;
  }

  bool Write(std::string chunk) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!started_ || state_->complete || state_->closed.load()) return false;
    if (chunk.empty()) return true;
    connection_->AddPostedBytes(chunk.size());
    connection_->Post([c = connection_, seq = seq_, d = std::move(chunk)]() mutable {
      c->SendChunk(seq, std::move(d));
    });
    return true;
  }

  bool End() override {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!started_ || state_->complete || state_->closed.load()) return false;
    state_->complete = true;
    connection_->Post([c = connection_, seq = seq_] { c->SendStreamEnd(seq); });
    return true;
  }

  bool closed() const override { return state_->closed.load(); }

  void OnClose(std::function<void()> callback) override {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      if (!state_->closed.load()) {
        if (!state_->complete) state_->on_close.push_back(std::move(callback));
        return;
      }
    }
    callback();
  }

  size_t queued_bytes() const override { return connection_->queued_bytes(); }

  // After a handler exception: lets the connection answer 500 (or abort a started stream).
  void MarkFailed(std::string_view what) {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->complete || state_->closed.load()) return;
    state_->complete = true;
    connection_->Post(
        [c = connection_, seq = seq_, w = std::string(what)] { c->HandlerFailed(seq, w); });
  }

 private:
  std::shared_ptr<Connection> connection_;
  std::shared_ptr<ResponseState> state_;
  const uint64_t seq_;
  bool started_ = false;  // guarded by state_->mu
};

}  // namespace locai::net::internal
