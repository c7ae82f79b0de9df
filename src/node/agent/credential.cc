#include "node/agent/credential.h"

#include <algorithm>

#include "crypto/base64.h"
#include "crypto/ed25519.h"
#include "crypto/node_signature.h"
#include "node/agent/atomic_file.h"
#include "node/agent/join_token.h"

namespace locai::node::agent {
namespace {

using nlohmann::json;

constexpr int kCredentialVersion = 1;

Result<std::string> DecodeKey(const json& doc, const char* field, const std::string& path) {
  auto it = doc.find(field);
  if (it == doc.end() || !it->is_string()) {
    return Err(Status::DataLoss(path + ": field '" + field + "' is missing"));
  }
  auto raw = crypto::Base64Decode(it->get<std::string>());
  if (!raw || raw->size() != crypto::kEd25519KeySize) {
    return Err(Status::DataLoss(path + ": field '" + field + "' is not a base64 32-byte key"));
  }
  return *raw;
}

Result<std::string> StringField(const json& doc, const char* field, const std::string& path,
                                bool required) {
  auto it = doc.find(field);
  if (it == doc.end() || it->is_null()) {
    if (required) return Err(Status::DataLoss(path + ": field '" + field + "' is missing"));
    return std::string();
  }
  if (!it->is_string() || (required && it->get<std::string>().empty())) {
    return Err(Status::DataLoss(path + ": field '" + field + "' is not a non-empty string"));
  }
  return it->get<std::string>();
}

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

bool IsHttps(std::string_view url) { return url.rfind("https://", 0) == 0; }

Status StatusForHttp(int status, const std::string& message) {
  if (status == 401 || status == 403) return Status::Unauthenticated(message);
  if (status == 400 || status == 422) return Status::InvalidArgument(message);
  if (status == 404) return Status::NotFound(message);
  if (status == 409) return Status::AlreadyExists(message);
  if (status == 429) return Status::ResourceExhausted(message);
  return Status::Unavailable(message);
}

}  // namespace

std::string CredentialPath(const std::string& data_dir) {
  return TrimSlash(data_dir) + "/node/credential.json";
}

Status SaveCredential(const std::string& path, const Credential& credential) {
  json doc = {
      {"version", kCredentialVersion},
      {"node_id", credential.node_id},
      {"server_url", credential.server_url},
      {"ca_sha256", credential.ca_sha256},
      {"private_key", crypto::Base64Encode(credential.private_key)},
      {"public_key", crypto::Base64Encode(credential.public_key)},
      {"name", credential.name},
      {"org", credential.org},
      {"group", credential.group},
  };
  return WriteFileAtomically(path, doc.dump(2) + "\n", 0600);
}

Result<Credential> LoadCredential(const std::string& path) {
  LOCAI_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Err(Status::DataLoss(path + " is not a JSON object"));
  }
  Credential credential;
  LOCAI_ASSIGN_OR_RETURN(credential.node_id, StringField(doc, "node_id", path, true));
  LOCAI_ASSIGN_OR_RETURN(credential.server_url, StringField(doc, "server_url", path, true));
  LOCAI_ASSIGN_OR_RETURN(credential.ca_sha256, StringField(doc, "ca_sha256", path, true));
  if (!IsSha256Hex(credential.ca_sha256)) {
    return Err(Status::DataLoss(path + ": field 'ca_sha256' is not 64 hex characters"));
  }
  LOCAI_ASSIGN_OR_RETURN(credential.private_key, DecodeKey(doc, "private_key", path));
  LOCAI_ASSIGN_OR_RETURN(credential.public_key, DecodeKey(doc, "public_key", path));
  LOCAI_ASSIGN_OR_RETURN(credential.name, StringField(doc, "name", path, false));
  LOCAI_ASSIGN_OR_RETURN(credential.org, StringField(doc, "org", path, false));
  LOCAI_ASSIGN_OR_RETURN(credential.group, StringField(doc, "group", path, false));
  return credential;
}

net::HttpClientOptions ControlPlaneHttpOptions(const std::string& ca_sha256) {
  net::HttpClientOptions options;
  options.purpose = "control-plane";
  options.user_agent = "locai-node";
  options.pinned_ca_sha256 = ca_sha256;
  return options;
}

std::string ServerErrorMessage(int status, std::string_view body) {
  const json doc = json::parse(body, nullptr, false);
  if (!doc.is_discarded() && doc.is_object()) {
    auto error = doc.find("error");
    if (error != doc.end() && error->is_object()) {
      auto message = error->find("message");
      if (message != error->end() && message->is_string()) return message->get<std::string>();
    }
  }
  std::string text(body.substr(0, 200));
  if (text.empty()) text = "HTTP " + std::to_string(status);
  return text;
}

Result<Credential> Enroll(const std::string& server_url, const std::string& join_token,
                          const std::string& name, net::egress::Connector& connector,
                          const EnrollOptions& options) {
  LOCAI_ASSIGN_OR_RETURN(JoinToken token, ParseJoinToken(join_token));
  const std::string base = TrimSlash(server_url);
  if (!IsHttps(base) && base.rfind("http://", 0) != 0) {
    return Err(
        Status::InvalidArgument("the control plane URL must start with https:// (or "
                                "http:// for development), got '" +
                                server_url + "'"));
  }
  LOCAI_ASSIGN_OR_RETURN(crypto::Ed25519KeyPair keys, crypto::GenerateEd25519());

  net::HttpClientOptions http_options = ControlPlaneHttpOptions(token.ca_sha256);
  http_options.connect_timeout = options.timeout;
  http_options.read_timeout = options.timeout;
  http_options.write_timeout = options.timeout;
  net::HttpClient client(connector, http_options);
  net::ClientRequest request;
  request.method = "POST";
  request.url = base + "/v1/fleet/enroll";
  request.headers.Set("Content-Type", "application/json");
  request.body = json{{"token", token.text},
                      {"public_key", crypto::Base64Encode(keys.public_key)},
                      {"name", name},
                      {"capabilities", options.capabilities}}
                     .dump();
  auto response = client.Fetch(request);
  if (!response) {
    if (IsHttps(base) && response.error().code() == StatusCode::kUnavailable) {
      return Err(Status::Unavailable("refusing to enrol: could not reach " + base +
                                     " or its certificate does not verify "
                                     "against the CA fingerprint in the join token (" +
                                     token.ca_sha256.substr(0, 16) +
                                     "...): " + response.error().message()));
    }
    return Err(response.error().WithContext("enrolment at " + base + " failed"));
  }
  if (response->status < 200 || response->status >= 300) {
    const std::string message = ServerErrorMessage(response->status, response->body);
    return Err(StatusForHttp(response->status, "the control plane refused the enrolment (HTTP " +
                                                   std::to_string(response->status) +
                                                   "): " + message));
  }
  const json doc = json::parse(response->body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Err(Status::DataLoss("the enrolment response is not a JSON object"));
  }
  Credential credential;
  LOCAI_ASSIGN_OR_RETURN(credential.node_id,
                         StringField(doc, "node_id", "enrolment response", true));
  LOCAI_ASSIGN_OR_RETURN(credential.org, StringField(doc, "org", "enrolment response", false));
  LOCAI_ASSIGN_OR_RETURN(credential.group, StringField(doc, "group", "enrolment response", false));
  credential.server_url = base;
  credential.ca_sha256 = token.ca_sha256;
  credential.private_key = std::move(keys.private_key);
  credential.public_key = std::move(keys.public_key);
  credential.name = name;
  return credential;
}

Status SignRequest(const Credential& credential, std::string_view method, std::string_view target,
                   int64_t now_s, net::HttpHeaders* headers) {
  LOCAI_ASSIGN_OR_RETURN(
      crypto::NodeSignature signature,
      crypto::SignNodeRequest(credential.node_id, credential.private_key, method, target, now_s));
  headers->Set(std::string(crypto::kNodeIdHeader), signature.node_id);
  headers->Set(std::string(crypto::kNodeTimestampHeader), signature.timestamp);
  headers->Set(std::string(crypto::kNodeSignatureHeader), signature.signature_b64);
  return Status::Ok();
}

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace locai::node::agent
