// ControlServer: `locai server`, the control plane (docs/control-plane.md).
//
// Start() lays out the data directory (server/locai.db, server/blobs, server/uploads,
// server/tls), opens the SQLite store and the blob store, on first start creates organisation
// `default` and a bootstrap admin key (printed once by the CLI, written to server/admin.key with
// mode 0600), loads or generates the TLS identity, and serves HTTPS (plain HTTP with
// insecure_http, for local development only) with these routes:
//   GET /health                                   {"status":"ok"}
//   /v1/admin/orgs|keys|join-tokens               admin/admin_routes.h
//   /v1/registry/...                              registry/registry.h
//   /v1/fleet/..., /v1/admin/nodes|deployments    control/fleet/fleet.h (when built)
//   /v1/admin/usage|plan|audit/...                control/compliance/compliance.h
// Plans, usage metering and the audit log (Compliance) are wired into the hooks, the fleet and
// the registry: plan limits are answered 402 plan_limit_exceeded.
// Errors, including those the HTTP server produces itself (404, 405, 413), are JSON in the
// OpenAI shape.
// Thread-safety: Start() and Stop() from the owning thread; the accessors from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "control/registry/registry.h"
#include "control/server/hooks.h"

namespace locai::store {
class Store;
}  // namespace locai::store

namespace locai::control::server {

struct ControlServerOptions {
  std::string data_dir;            // required; the server's files go under data_dir/server
  std::string host = "127.0.0.1";  // an IP literal to bind
  uint16_t port = 8443;            // 0 picks a free port
  std::string tls_cert_file;       // with tls_key_file: serve this certificate (leaf first)
  std::string tls_key_file;
  std::vector<std::string> tls_sans;  // extra SANs for the generated certificate
  bool insecure_http = false;         // plain HTTP (local development only)
  // The process is air-gapped: the routing policy store refuses cloud providers and the gateway
  // never reaches a cloud provider (docs/control-plane.md, "Gateway").
  bool airgapped = false;
  int io_threads = 4;
  // Bytes queued to one connection before it counts as too slow and is cut (blob downloads pace
  // themselves well below this: RegistryOptions::max_queued_download_bytes).
  size_t max_write_queue_bytes = 64 << 20;
  // The registry's limits; its now_ms is replaced by `now_ms` below when that is set.
  registry::RegistryOptions registry;
  // Audit and other hooks (no-ops when empty).
  ControlHooks hooks;
  // Unix ms; empty: the system clock. Handed to every part.
  std::function<int64_t()> now_ms;
  // One line per notable server event; empty: stderr.
  std::function<void(std::string_view line)> log;
};

struct ControlServerState;

class ControlServer {
 public:
  // Starts the server as described above. InvalidArgument for a missing data_dir or bad TLS
  // options, Unavailable when the address cannot be bound, the store's errors otherwise.
  static Result<std::unique_ptr<ControlServer>> Start(ControlServerOptions options);
  ~ControlServer();  // Stop()s
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // "https://HOST:PORT" ("http://" with insecure_http; IPv6 hosts in brackets).
  std::string url() const;
  uint16_t port() const;
  // Lowercase hex SHA-256 of the CA certificate nodes pin (in join tokens); empty over plain HTTP.
  const std::string& ca_fingerprint() const;
  // The CA certificate as PEM (for clients that verify the chain); empty over plain HTTP.
  const std::string& ca_pem() const;
  // The bootstrap admin key, only when this start created it (first start); nullopt otherwise.
  const std::optional<std::string>& bootstrap_admin_key() const;
  // Where the bootstrap key was written (server/admin.key).
  std::string admin_key_path() const;
  store::Store& store();
  registry::Registry& registry();

  // Stops serving (in-flight responses get a short grace), then the fleet and the registry's
  // transfers. Idempotent.
  void Stop();

 private:
  explicit ControlServer(std::unique_ptr<ControlServerState> state);
  std::unique_ptr<ControlServerState> state_;
};

}  // namespace locai::control::server
