// AdminClient: how the admin subcommands (`locai nodes|models|deploy|deployments|keys`) reach the
// control plane's HTTP API (docs/control-plane.md).
//
// The server, key and trust come from flags, then the environment, then the local data directory
// written by `locai server` / `locai up` on this machine:
//   server: --server, LOCAI_SERVER, else https://127.0.0.1:8443
//   key:    --api-key, LOCAI_API_KEY, else $LOCAI_HOME/server/admin.key
//   trust:  --ca-sha256 / LOCAI_CA_SHA256 (pinned CA fingerprint), else --ca-file / LOCAI_CA_FILE,
//           else $LOCAI_HOME/server/tls/ca.pem when it exists, else the system CAs.
// The only outbound connection the CLI opens is to that server, through an egress Connector whose
// one rule allows it.
// Thread-safety: one AdminClient per thread.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"
#include "net/egress/connector.h"
#include "net/http/http_client.h"

namespace locai::cli {

struct AdminFlags {
  std::string server;
  std::string api_key;
  std::string ca_sha256;
  std::string ca_file;
  std::string data_dir;
  bool json = false;  // --json: print the server's JSON instead of a table
};

// Adds --server, --api-key, --ca-sha256, --ca-file, --data and --json to `cmd`.
void AddAdminFlags(CLI::App* cmd, AdminFlags* flags);

// The data directory: `flag`, else $LOCAI_HOME, else ~/.locai.
std::string ResolveDataDir(const std::string& flag);

class AdminClient {
 public:
  // Resolves the settings above. InvalidArgument for a bad URL; NotFound when no key is found.
  static Result<std::unique_ptr<AdminClient>> Create(const AdminFlags& flags);

  // Sends a JSON request (no body when `body` is null) and returns the JSON answer of a 2xx
  // response. A non-2xx answer becomes a Status whose message is the server's error message.
  Result<nlohmann::json> Call(std::string_view method, std::string_view path,
                              const nlohmann::json& body = nullptr);
  // Sends raw bytes with extra headers; returns the whole response whatever its status.
  Result<net::ClientResponse> Send(std::string_view method, std::string_view path,
                                   std::string body, const net::HttpHeaders& headers);

  const std::string& server() const { return server_; }

 private:
  AdminClient(std::string server, std::string api_key, std::unique_ptr<net::egress::Connector> c,
              net::HttpClientOptions options);

  std::string server_;
  std::string api_key_;
  std::unique_ptr<net::egress::Connector> connector_;
  std::unique_ptr<net::HttpClient> http_;
};

// The Status for a non-2xx response: the code from the HTTP status, the message from the body's
// {"error":{"message"}} (or the body itself).
Status StatusFromResponse(const net::ClientResponse& response);

// Fields of a server answer, tolerant of absent or null ones: a string field as is, any other
// value as its JSON text, "" when absent; numbers as 0 when absent or not numbers.
std::string JsonString(const nlohmann::json& object, const char* key);
uint64_t JsonU64(const nlohmann::json& object, const char* key);
int64_t JsonI64(const nlohmann::json& object, const char* key);

// Prints rows as aligned columns (first row = header).
void PrintTable(const std::vector<std::vector<std::string>>& rows);

}  // namespace locai::cli
