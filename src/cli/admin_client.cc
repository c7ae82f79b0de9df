#include "cli/admin_client.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "net/http/url.h"

namespace locai::cli {

using nlohmann::json;

namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

bool FileExists(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

Status StatusForHttp(int status, std::string message) {
  switch (status) {
    case 400: return Status::InvalidArgument(std::move(message));
    case 401: return Status::Unauthenticated(std::move(message));
    case 402:
    case 403: return Status::PermissionDenied(std::move(message));
    case 404: return Status::NotFound(std::move(message));
    case 409: return Status::FailedPrecondition(std::move(message));
    case 413:
    case 429: return Status::ResourceExhausted(std::move(message));
    case 503: return Status::Unavailable(std::move(message));
    case 504: return Status::DeadlineExceeded(std::move(message));
    default:
      return status >= 500 ? Status::Internal(std::move(message))
                           : Status::InvalidArgument(std::move(message));
  }
}

}  // namespace

void AddAdminFlags(CLI::App* cmd, AdminFlags* flags) {
  cmd->add_option("--server", flags->server,
                  "Control plane URL (default: LOCAI_SERVER, else https://127.0.0.1:8443)");
  cmd->add_option("--api-key", flags->api_key,
                  "API key (default: LOCAI_API_KEY, else DATA/server/admin.key)");
  cmd->add_option("--ca-sha256", flags->ca_sha256,
                  "Trust the server whose CA has this SHA-256 fingerprint (LOCAI_CA_SHA256)");
  cmd->add_option("--ca-file", flags->ca_file, "CA certificate (PEM) to verify the server with");
  cmd->add_option("--data", flags->data_dir, "Data directory (default: LOCAI_HOME, else ~/.locai)");
  cmd->add_flag("--json", flags->json, "Print JSON");
}

std::string ResolveDataDir(const std::string& flag) {
  if (!flag.empty()) return flag;
  std::string home = EnvOr("LOCAI_HOME", "");
  if (!home.empty()) return home;
  return EnvOr("HOME", ".") + "/.locai";
}

Result<std::unique_ptr<AdminClient>> AdminClient::Create(const AdminFlags& flags) {
  const std::string data_dir = ResolveDataDir(flags.data_dir);
  std::string server = !flags.server.empty() ? flags.server
                                             : EnvOr("LOCAI_SERVER", "https://127.0.0.1:8443");
  while (!server.empty() && server.back() == '/') server.pop_back();
  LOCAI_ASSIGN_OR_RETURN(net::Url url, net::ParseUrl(server + "/"));

  std::string key = !flags.api_key.empty() ? flags.api_key : EnvOr("LOCAI_API_KEY", "");
  if (key.empty()) {
    std::ifstream in(data_dir + "/server/admin.key");
    std::stringstream text;
    text << in.rdbuf();
    key = Trim(text.str());
  }
  if (key.empty()) {
    return Err(Status::NotFound("no API key: pass --api-key, set LOCAI_API_KEY, or run on the "
                                "server's machine (" + data_dir + "/server/admin.key)"));
  }

  net::HttpClientOptions options;
  options.purpose = "control-plane";
  options.read_timeout = std::chrono::minutes(10);  // GC or a large finish may take a while
  const std::string ca_sha256 = !flags.ca_sha256.empty() ? flags.ca_sha256
                                                         : EnvOr("LOCAI_CA_SHA256", "");
  const std::string ca_file = !flags.ca_file.empty() ? flags.ca_file : EnvOr("LOCAI_CA_FILE", "");
  if (!ca_sha256.empty()) {
    options.pinned_ca_sha256 = ca_sha256;  // the server sends its CA in its chain
  } else if (!ca_file.empty()) {
    options.ca_file = ca_file;
  } else if (FileExists(data_dir + "/server/tls/ca.pem")) {
    options.ca_file = data_dir + "/server/tls/ca.pem";
  }

  net::egress::EgressRule rule;
  rule.host = url.host;
  rule.port = url.port;
  auto connector = std::make_unique<net::egress::Connector>(
      net::egress::ConnectorOptions{.rules = {rule}});
  return std::unique_ptr<AdminClient>(
      new AdminClient(server, key, std::move(connector), std::move(options)));
}

AdminClient::AdminClient(std::string server, std::string api_key,
                         std::unique_ptr<net::egress::Connector> connector,
                         net::HttpClientOptions options)
    : server_(std::move(server)),
      api_key_(std::move(api_key)),
      connector_(std::move(connector)),
      http_(std::make_unique<net::HttpClient>(*connector_, std::move(options))) {}

Result<net::ClientResponse> AdminClient::Send(std::string_view method, std::string_view path,
                                              std::string body, const net::HttpHeaders& headers) {
  net::ClientRequest request;
  request.method = std::string(method);
  request.url = server_ + std::string(path);
  request.headers = headers;
  request.headers.Set("Authorization", "Bearer " + api_key_);
  request.body = std::move(body);
  return http_->Fetch(request);
}

Result<json> AdminClient::Call(std::string_view method, std::string_view path, const json& body) {
  net::HttpHeaders headers;
  std::string payload;
  if (!body.is_null()) {
    headers.Set("Content-Type", "application/json");
    payload = body.dump();
  }
  LOCAI_ASSIGN_OR_RETURN(net::ClientResponse response,
                         Send(method, path, std::move(payload), headers));
  if (response.status < 200 || response.status > 299) return Err(StatusFromResponse(response));
  if (response.body.empty()) return json::object();
  json parsed = json::parse(response.body, nullptr, false);
  if (parsed.is_discarded()) {
    return Err(Status::DataLoss("the server answered with malformed JSON"));
  }
  return parsed;
}

Status StatusFromResponse(const net::ClientResponse& response) {
  std::string message;
  json parsed = json::parse(response.body, nullptr, false);
  if (!parsed.is_discarded() && parsed.is_object() && parsed.contains("error")) {
    const json& error = parsed["error"];
    if (error.is_object() && error.value("message", json()).is_string()) {
      message = error["message"].get<std::string>();
    } else if (error.is_string()) {
      message = error.get<std::string>();
    }
  }
  if (message.empty()) message = Trim(response.body);
  if (message.empty()) message = std::string(net::StatusReason(response.status));
  return StatusForHttp(response.status,
                       "HTTP " + std::to_string(response.status) + ": " + message);
}

std::string JsonString(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

uint64_t JsonU64(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return 0;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  if (it->is_number_integer()) return static_cast<uint64_t>(std::max<int64_t>(0, it->get<int64_t>()));
  return static_cast<uint64_t>(std::max(0.0, it->get<double>()));
}

int64_t JsonI64(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<int64_t>() : 0;
}

void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t col = 0; col < row.size(); ++col) widths[col] = std::max(widths[col], row[col].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t col = 0; col < row.size(); ++col) {
      line += row[col];
      if (col + 1 < row.size()) line += std::string(widths[col] - row[col].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
  std::fflush(stdout);
}

}  // namespace locai::cli
