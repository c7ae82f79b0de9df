// Compliance wired into a real ControlServer (port 0, HTTPS pinned to its CA, temp data
// directory with a plans.json of one tiny plan): the node, registry and egress limits answer 402
// plan_limit_exceeded, admin actions land in a verifiable audit log, and usage follows.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "control/server/control_server.h"
#include "crypto/base64.h"
#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include "net/egress/connector.h"
#include "net/http/http_client.h"
#include "store/testing/temp_dir.h"

namespace locai::control::compliance {
namespace {

using nlohmann::json;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Model(const std::string& name) {
  return ReadFile(std::string(LOCAI_CONFORMANCE_DIR) + "/models/" + name + ".gguf");
}

// One plan: 1 node, 3 MB of registry, 3 MB of egress a month.
constexpr const char* kTinyPlans =
    R"({"currency":"GBP","default_plan":"tiny","plans":[{"name":"tiny","display_name":"Tiny",)"
    R"("monthly_fee_gbp":0,"max_nodes":1,"max_registry_gb":"0.003","max_egress_gb":"0.003",)"
    R"("bills_overage":false},{"name":"big","display_name":"Big","monthly_fee_gbp":1,)"
    R"("bills_overage":false}]})";

class ComplianceServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.File("server"));
    std::ofstream(dir_.File("server/plans.json")) << kTinyPlans;
    server::ControlServerOptions options;
    options.data_dir = dir_.path();
    options.port = 0;
    options.io_threads = 2;
    options.log = [](std::string_view) {};
    auto started = server::ControlServer::Start(options);
    ASSERT_TRUE(started) << started.error().ToString();
    server_ = std::move(*started);
    admin_key_ = server_->bootstrap_admin_key().value_or("");
    net::HttpClientOptions client_options;
    client_options.pinned_ca_sha256 = server_->ca_fingerprint();
    client_ = std::make_unique<net::HttpClient>(connector_, client_options);

    // Organisation acme (created with the default "free": the catalog's default, tiny).
    ASSERT_EQ(Call("POST", "/v1/admin/orgs", admin_key_, R"({"name":"acme"})").status, 201);
    auto key = Call("POST", "/v1/admin/keys", admin_key_,
                    R"({"name":"acme-admin","role":"admin","org":"acme"})");
    ASSERT_EQ(key.status, 201) << key.body;
    acme_key_ = json::parse(key.body)["key"];
  }

  net::ClientResponse Call(const std::string& method, const std::string& path,
                           const std::string& key, const std::string& body = "",
                           net::HttpHeaders headers = {}) {
    net::ClientRequest request;
    request.method = method;
    request.url = server_->url() + path;
    request.headers = std::move(headers);
    if (!key.empty()) request.headers.Set("Authorization", "Bearer " + key);
    if (!body.empty() && !request.headers.Has("Content-Type")) {
      request.headers.Set("Content-Type", "application/json");
    }
    request.body = body;
    auto response = client_->Fetch(request);
    EXPECT_TRUE(response) << response.error().ToString();
    return response ? *response : net::ClientResponse{};
  }

  static void ExpectPlanLimit(const net::ClientResponse& response, const std::string& what) {
    EXPECT_EQ(response.status, 402) << response.body;
    const json body = json::parse(response.body, nullptr, false);
    EXPECT_EQ(body["error"]["type"], "plan_limit_exceeded") << response.body;
    EXPECT_EQ(body["error"]["code"], "plan_limit_exceeded");
    EXPECT_NE(body["error"]["message"].get<std::string>().find(what), std::string::npos)
        << response.body;
  }

  net::ClientResponse Enroll(const std::string& token, const std::string& name) {
    const crypto::Ed25519KeyPair pair = crypto::GenerateEd25519().value();
    return Call(
        "POST", "/v1/fleet/enroll", "",
        json{
            {"token", token}, {"public_key", crypto::Base64Encode(pair.public_key)}, {"name", name}}
            .dump());
  }

  // Uploads `bytes` in one chunk and publishes it; the PUT's response.
  net::ClientResponse Push(const std::string& key, const std::string& bytes) {
    auto started = Call("POST", "/v1/registry/uploads", key, json{{"size", bytes.size()}}.dump());
    if (started.status != 201) return started;
    const std::string id = json::parse(started.body)["upload_id"];
    net::HttpHeaders headers;
    headers.Set("Upload-Offset", "0");
    headers.Set("Content-Type", "application/octet-stream");
    auto patched = Call("PATCH", "/v1/registry/uploads/" + id, key, bytes, headers);
    EXPECT_EQ(patched.status, 200) << patched.body;
    return Call("PUT", "/v1/registry/uploads/" + id + "?digest=sha256:" + crypto::Sha256Hex(bytes),
                key);
  }

  store::testing::TempDir dir_;
  net::egress::Connector connector_ = *net::egress::Connector::FromRules({"allow 127.0.0.1:*"});
  std::unique_ptr<server::ControlServer> server_;
  std::unique_ptr<net::HttpClient> client_;
  std::string admin_key_;
  std::string acme_key_;
};

TEST_F(ComplianceServerTest, EnrolmentPastThePlansNodesIs402) {
  auto token = Call("POST", "/v1/admin/join-tokens", acme_key_, R"({"uses":3})");
  ASSERT_EQ(token.status, 201) << token.body;
  const std::string secret = json::parse(token.body)["token"];
  ASSERT_EQ(Enroll(secret, "one").status, 200);
  ExpectPlanLimit(Enroll(secret, "two"), "node limit");
  // The refusal took no use of the token: a bigger plan lets the next one in.
  ASSERT_EQ(Call("PUT", "/v1/admin/plan", admin_key_, R"({"org":"acme","plan":"big"})").status,
            200);
  EXPECT_EQ(Enroll(secret, "two").status, 200);
  // The default organisation (unlimited) is not limited.
  auto own = Call("POST", "/v1/admin/join-tokens", admin_key_, R"({"uses":3})");
  const std::string own_secret = json::parse(own.body)["token"];
  for (const char* name : {"a", "b", "c"}) EXPECT_EQ(Enroll(own_secret, name).status, 200);
}

TEST_F(ComplianceServerTest, RegistryAndEgressPastThePlanAre402) {
  const std::string model = Model("small-q4_0");  // 2.36 MB of the 3 MB
  ASSERT_FALSE(model.empty());
  auto pushed = Push(acme_key_, model);
  ASSERT_EQ(pushed.status, 201) << pushed.body;
  // Another 1.2 MB model does not fit: refused when the upload starts.
  ExpectPlanLimit(Push(acme_key_, Model("stories260K")), "registry");

  const std::string blob = "/v1/registry/blobs/sha256:" + crypto::Sha256Hex(model);
  auto first = Call("GET", blob, acme_key_);
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.body.size(), model.size());
  // A second whole download would pass 3 MB: refused before any byte; a small range still fits.
  ExpectPlanLimit(Call("GET", blob, acme_key_), "egress");
  net::HttpHeaders range;
  range.Set("Range", "bytes=0-99");
  EXPECT_EQ(Call("GET", blob, acme_key_, "", range).status, 206);

  auto usage = Call("GET", "/v1/admin/usage", acme_key_);
  ASSERT_EQ(usage.status, 200) << usage.body;
  const json report = json::parse(usage.body);
  EXPECT_EQ(report["plan"]["name"], "tiny");
  EXPECT_EQ(report["usage"]["egress_registry_bytes"], model.size() + 100);
  EXPECT_EQ(report["usage"]["registry_bytes"], model.size());
}

TEST_F(ComplianceServerTest, AdminActionsAreInAVerifiableAuditLog) {
  ASSERT_EQ(Call("PUT", "/v1/admin/plan", admin_key_, R"({"org":"acme","plan":"big"})").status,
            200);
  auto exported = Call("GET", "/v1/admin/audit/export", admin_key_);
  ASSERT_EQ(exported.status, 200) << exported.body;
  std::istringstream lines(exported.body);
  std::vector<std::string> actions;
  for (std::string line; std::getline(lines, line);) {
    actions.push_back(json::parse(line)["action"]);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"org.create", "key.create", "plan.update"}));
  auto verified = Call("GET", "/v1/admin/audit/verify", admin_key_);
  ASSERT_EQ(verified.status, 200);
  EXPECT_EQ(json::parse(verified.body)["ok"], true) << verified.body;
  EXPECT_EQ(json::parse(verified.body)["records_checked"], 3);
}

}  // namespace
}  // namespace locai::control::compliance
