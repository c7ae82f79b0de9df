// Test-only: a real HttpServer on port 0 playing the control plane's registry (GET
// /v1/registry/blobs/{digest} with Range) and enrolment endpoint, with knobs for faults (cut a
// transfer after N bytes, serve other bytes than the digest says, ignore Range).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "crypto/sha256.h"
#include "net/egress/connector.h"
#include "net/http/http_server.h"

namespace locai::node::agent::testing {

inline std::string DigestOf(const std::string& bytes) {
  return "sha256:" + crypto::Sha256Hex(bytes);
}

inline net::egress::Connector LoopbackConnector() {
  return *net::egress::Connector::FromRules({"allow 127.0.0.1:*"});
}

class FakeRegistry {
 public:
  struct Seen {
    std::string range;      // the Range header, "" when absent
    std::string node_id;    // X-Locai-Node-Id
    std::string signature;  // X-Locai-Signature
    std::string target;
  };

  explicit FakeRegistry(std::optional<net::HttpServerOptions::TlsOptions> tls = std::nullopt) {
    net::Router router;
    EXPECT_TRUE(
        router
            .Add("GET", "/v1/registry/blobs/{digest}",
                 [this](net::HttpRequest request, std::shared_ptr<net::ResponseWriter> writer) {
                   Serve(std::move(request), std::move(writer));
                 })
            .ok());
    EXPECT_TRUE(
        router
            .Add("POST", "/v1/fleet/enroll",
                 [this](net::HttpRequest request, std::shared_ptr<net::ResponseWriter> writer) {
                   std::lock_guard<std::mutex> lock(mu_);
                   enroll_bodies.push_back(request.body);
                   writer->Send(net::HttpResponse::Json(enroll_status, enroll_response));
                 })
            .ok());
    net::HttpServerOptions options;
    options.tls = std::move(tls);
    options.log = [](std::string_view) {};
    server_ = std::make_unique<net::HttpServer>(std::move(options), std::move(router));
    EXPECT_TRUE(server_->Start().ok());
  }
  ~FakeRegistry() { server_->Stop(); }

  std::string url(bool https = false) const {
    return std::string(https ? "https" : "http") +
           "://127.0.0.1:" + std::to_string(server_->port());
  }

  // Serves `bytes` under `digest` (which may deliberately not match).
  void Put(const std::string& digest, std::string bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    blobs_[digest] = std::move(bytes);
  }
  std::string Put(std::string bytes) {
    std::string digest = DigestOf(bytes);
    Put(digest, std::move(bytes));
    return digest;
  }

  std::vector<Seen> seen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

  // The next `cuts` transfers stop after `cut_after` bytes (connection closed mid-body).
  std::atomic<int> cuts{0};
  std::atomic<size_t> cut_after{0};
  std::atomic<bool> ignore_range{false};
  int enroll_status = 200;
  std::string enroll_response = R"({"node_id":"n_test1","org":"default","group":"lab"})";
  std::vector<std::string> enroll_bodies;  // guarded by mu_

 private:
  void Serve(net::HttpRequest request, std::shared_ptr<net::ResponseWriter> writer) {
    std::string bytes;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(Seen{request.headers.GetOr("Range", ""),
                           request.headers.GetOr("X-Locai-Node-Id", ""),
                           request.headers.GetOr("X-Locai-Signature", ""), request.target});
      auto it = blobs_.find(request.PathParam("digest"));
      if (it == blobs_.end()) {
        writer->Send(net::HttpResponse::Json(
            404, R"({"error":{"message":"blob not found","type":"not_found_error"}})"));
        return;
      }
      bytes = it->second;
    }
    size_t offset = 0;
    const std::string range = request.headers.GetOr("Range", "");
    if (!range.empty() && !ignore_range.load()) {
      offset = std::stoull(range.substr(6));  // "bytes=N-"
      if (offset >= bytes.size()) {
        writer->Send(net::HttpResponse::Text(416, ""));
        return;
      }
    }
    net::HttpHeaders headers;
    headers.Set("Content-Type", "application/octet-stream");
    const int status = offset > 0 ? 206 : 200;
    if (offset > 0) {
      headers.Set("Content-Range", "bytes " + std::to_string(offset) + "-" +
                                       std::to_string(bytes.size() - 1) + "/" +
                                       std::to_string(bytes.size()));
    }
    std::string body = bytes.substr(offset);
    if (cuts.load() > 0) {
      cuts.fetch_sub(1);
      // A streamed response dropped before End(): the server closes the connection mid-body.
      writer->StartStream(status, std::move(headers));
      writer->Write(body.substr(0, std::min(body.size(), cut_after.load())));
      return;
    }
    net::HttpResponse response;
    response.status = status;
    response.headers = std::move(headers);
    response.body = std::move(body);
    writer->Send(std::move(response));
  }

  mutable std::mutex mu_;
  std::map<std::string, std::string> blobs_;  // guarded by mu_
  std::vector<Seen> seen_;                    // guarded by mu_
  std::unique_ptr<net::HttpServer> server_;
};

}  // namespace locai::node::agent::testing
