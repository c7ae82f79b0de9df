// The node's identity with the control plane: enrolment with a join token, the credential file,
// and request signing.
//
// Enroll() parses the join token, generates an Ed25519 key pair, and POSTs
// /v1/fleet/enroll {token, public_key, name, capabilities} to the control plane over HTTPS whose
// certificate chain must verify against the CA fingerprint in the token (plain http:// is accepted
// for a control plane started with --insecure-http, for development). The credential is then
// stored in `<data>/node/credential.json` (mode 0600, written atomically) and loaded on later
// starts, when the token is no longer needed. Every later request of the node carries the signature
// headers of docs/control-plane.md (Authentication: node credential).
// Thread-safety: pure functions over values; Enroll blocks on the network.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"
#include "net/egress/connector.h"
#include "net/http/http_client.h"
#include "net/http/http_message.h"

namespace locai::node::agent {

struct Credential {
  std::string node_id;      // "n_..."
  std::string server_url;   // "https://control.example:8443", no trailing slash
  std::string ca_sha256;    // 64 lowercase hex: the pinned CA of the control plane
  std::string private_key;  // 32 raw bytes (Ed25519 seed); secret
  std::string public_key;   // 32 raw bytes
  std::string name;         // the name the node enrolled with
  std::string org;
  std::string group;
};

// "<data_dir>/node/credential.json".
std::string CredentialPath(const std::string& data_dir);

// Writes the credential as JSON (private key in base64), mode 0600, atomically (temp file, fsync,
// rename, directory fsync). Unavailable on an I/O error.
[[nodiscard]] Status SaveCredential(const std::string& path, const Credential& credential);
// Reads a credential written by SaveCredential. NotFound when the file does not exist; DataLoss
// (naming the field) when it is not valid JSON, a field is missing, or a key has the wrong size.
[[nodiscard]] Result<Credential> LoadCredential(const std::string& path);

struct EnrollOptions {
  nlohmann::json capabilities = nlohmann::json::object();  // sent with the enrolment
  std::chrono::milliseconds timeout{30'000};
};

// Enrols this device. Errors: InvalidArgument for a bad token or URL (not http:// or https://);
// Unavailable when the control plane cannot be reached or its certificate does not verify against
// the token's CA fingerprint (the message says so: the node refuses to enrol); Unauthenticated when
// the control plane refuses the token (expired, used up, unknown); DataLoss for a response without
// a node_id; otherwise the status the HTTP code maps to, with the server's message.
[[nodiscard]] Result<Credential> Enroll(const std::string& server_url,
                                        const std::string& join_token, const std::string& name,
                                        net::egress::Connector& connector,
                                        const EnrollOptions& options = {});

// HttpClient options for talking to the control plane: egress purpose "control-plane" and, for
// https, the CA fingerprint pinned.
net::HttpClientOptions ControlPlaneHttpOptions(const std::string& ca_sha256);

// Adds the node signature headers (X-Locai-Node-Id, X-Locai-Timestamp, X-Locai-Signature) for a
// request `method target` at Unix time `now_s`. InvalidArgument for a malformed private key.
[[nodiscard]] Status SignRequest(const Credential& credential, std::string_view method,
                                 std::string_view target, int64_t now_s, net::HttpHeaders* headers);

// Unix seconds now (system clock).
int64_t UnixNow();

// The message of an error body in the OpenAI shape {"error":{"message"}}, else the body itself
// (cut to 200 bytes), for error messages about control-plane answers.
std::string ServerErrorMessage(int status, std::string_view body);

}  // namespace locai::node::agent
