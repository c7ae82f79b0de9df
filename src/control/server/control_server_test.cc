// End-to-end tests of the control server: a real ControlServer on port 0 in a temp directory,
// spoken to over HTTPS by the net HttpClient pinned to the server's CA.
#include "control/server/control_server.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "control/router/fake_upstream.h"
#include "crypto/ed25519.h"
#include "crypto/node_signature.h"
#include "crypto/sha256.h"
#include "net/egress/connector.h"
#include "net/http/http_client.h"
#include "store/store.h"
#include "store/testing/temp_dir.h"

namespace locai::control::server {
namespace {

using nlohmann::json;

constexpr size_t kChunk = 1 << 20;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

const std::string& SmallModel() {
  static const std::string* bytes =
      new std::string(ReadFile(std::string(LOCAI_CONFORMANCE_DIR) + "/models/small-q4_0.gguf"));
  return *bytes;
}

std::string DigestOf(std::string_view bytes) { return "sha256:" + crypto::Sha256Hex(bytes); }

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(SmallModel().empty());
    StartServer();
    ASSERT_TRUE(server_->bootstrap_admin_key().has_value());
    admin_key_ = *server_->bootstrap_admin_key();
  }

  void StartServer() {
    ControlServerOptions options = server_options_;
    options.data_dir = dir_.path();
    options.port = 0;
    options.io_threads = 2;
    options.registry = registry_options_;
    options.log = [](std::string_view) {};
    auto started = ControlServer::Start(options);
    ASSERT_TRUE(started) << started.error().ToString();
    server_ = std::move(*started);
    net::HttpClientOptions client_options;
    client_options.pinned_ca_sha256 = server_->ca_fingerprint();
    client_ = std::make_unique<net::HttpClient>(connector_, client_options);
  }

  void RestartServer() {
    client_.reset();
    server_->Stop();
    server_.reset();
    StartServer();
  }

  net::ClientResponse Call(const std::string& method, const std::string& path,
                           const std::string& key, const std::string& body = "",
                           net::HttpHeaders headers = {}) {
    net::ClientRequest request;
    request.method = method;
    request.url = server_->url() + path;
    request.headers = std::move(headers);
    if (!key.empty()) request.headers.Set("Authorization", "Bearer " + key);
    if (!body.empty()) request.headers.Set("Content-Type", "application/json");
    request.body = body;
    auto response = client_->Fetch(request);
    EXPECT_TRUE(response) << response.error().ToString();
    return response ? *response : net::ClientResponse{};
  }

  static json Body(const net::ClientResponse& response) {
    return json::parse(response.body, nullptr, false);
  }

  std::string MakeKey(const std::string& role, const std::string& org = "") {
    json request = {{"name", role + "-key"}, {"role", role}};
    if (!org.empty()) request["org"] = org;
    auto response = Call("POST", "/v1/admin/keys", admin_key_, request.dump());
    EXPECT_EQ(response.status, 201) << response.body;
    return Body(response).value("key", "");
  }

  std::string StartUpload(const std::string& key, size_t size) {
    auto response = Call("POST", "/v1/registry/uploads", key, json{{"size", size}}.dump());
    EXPECT_EQ(response.status, 201) << response.body;
    return Body(response).value("upload_id", "");
  }

  net::ClientResponse Patch(const std::string& key, const std::string& id, size_t offset,
                            std::string_view bytes) {
    net::HttpHeaders headers;
    headers.Set("Upload-Offset", std::to_string(offset));
    headers.Set("Content-Type", "application/octet-stream");
    net::ClientRequest request;
    request.method = "PATCH";
    request.url = server_->url() + "/v1/registry/uploads/" + id;
    request.headers = headers;
    request.headers.Set("Authorization", "Bearer " + key);
    request.body = std::string(bytes);
    auto response = client_->Fetch(request);
    EXPECT_TRUE(response) << response.error().ToString();
    return response ? *response : net::ClientResponse{};
  }

  // Uploads `bytes` in kChunk pieces and finishes with `digest`; returns the PUT's response.
  net::ClientResponse Push(const std::string& key, const std::string& bytes,
                           const std::string& digest) {
    const std::string id = StartUpload(key, bytes.size());
    for (size_t offset = 0; offset < bytes.size(); offset += kChunk) {
      auto response = Patch(key, id, offset, std::string_view(bytes).substr(offset, kChunk));
      EXPECT_EQ(response.status, 200) << response.body;
    }
    return Call("PUT", "/v1/registry/uploads/" + id + "?digest=" + digest, key);
  }

  std::string BlobPath(const std::string& digest) const {
    const std::string hex = digest.substr(7);
    return dir_.path() + "/server/blobs/sha256/" + hex.substr(0, 2) + "/" + hex;
  }

  size_t BlobFiles() const {
    size_t count = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir_.path() + "/server/blobs", ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file()) ++count;
    }
    return count;
  }

  store::testing::TempDir dir_;
  net::egress::Connector connector_ = *net::egress::Connector::FromRules({"allow 127.0.0.1:*"});
  std::unique_ptr<ControlServer> server_;
  std::unique_ptr<net::HttpClient> client_;
  std::string admin_key_;
  registry::RegistryOptions registry_options_;
  ControlServerOptions server_options_;
};

TEST_F(ControlServerTest, HealthAndJsonErrors) {
  auto health = Call("GET", "/health", "");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(Body(health)["status"], "ok");
  auto missing = Call("GET", "/v1/nowhere", admin_key_);
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(Body(missing)["error"].is_object()) << missing.body;
  EXPECT_EQ(server_->url().rfind("https://127.0.0.1:", 0), 0u);
}

TEST_F(ControlServerTest, BootstrapKeyOnlyOnFirstStart) {
  struct stat info {};
  ASSERT_EQ(::stat(server_->admin_key_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(ReadFile(server_->admin_key_path()), admin_key_ + "\n");
  const std::string fingerprint = server_->ca_fingerprint();

  RestartServer();
  EXPECT_FALSE(server_->bootstrap_admin_key().has_value());
  EXPECT_EQ(server_->ca_fingerprint(), fingerprint);
  auto orgs = Call("GET", "/v1/admin/orgs", admin_key_);
  ASSERT_EQ(orgs.status, 200) << orgs.body;
  ASSERT_EQ(Body(orgs)["data"].size(), 1u);
  EXPECT_EQ(Body(orgs)["data"][0]["name"], "default");
}

TEST_F(ControlServerTest, RolesAreEnforced) {
  const std::string inference = MakeKey("inference");
  const std::string deployer = MakeKey("deployer");
  EXPECT_EQ(Call("POST", "/v1/registry/uploads", "", json{{"size", 10}}.dump()).status, 401);
  EXPECT_EQ(
      Call("POST", "/v1/registry/uploads", "locai_0000_bad", json{{"size", 10}}.dump()).status,
      401);
  auto refused = Call("POST", "/v1/registry/uploads", inference, json{{"size", 10}}.dump());
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(Body(refused)["error"]["type"], "permission_error");
  EXPECT_EQ(Call("GET", "/v1/registry/models", inference).status, 200);
  EXPECT_EQ(Call("POST", "/v1/admin/keys", deployer, json{{"name", "x"}}.dump()).status, 403);
  EXPECT_EQ(Call("GET", "/v1/admin/keys", deployer).status, 403);

  // An organisation's admin is not a platform admin; a revoked key stops at once.
  auto org = Call("POST", "/v1/admin/orgs", admin_key_, json{{"name", "acme"}}.dump());
  ASSERT_EQ(org.status, 201) << org.body;
  EXPECT_EQ(Call("POST", "/v1/admin/orgs", admin_key_, json{{"name", "acme"}}.dump()).status, 409);
  const std::string acme_admin = MakeKey("admin", "acme");
  EXPECT_EQ(Call("POST", "/v1/admin/orgs", acme_admin, json{{"name", "x"}}.dump()).status, 403);
  EXPECT_EQ(Call("GET", "/v1/admin/keys", acme_admin).status, 200);
  auto keys = Body(Call("GET", "/v1/admin/keys", admin_key_));
  std::string deployer_id;
  for (const auto& key : keys["data"]) {
    EXPECT_FALSE(key.contains("key"));
    if (key["role"] == "deployer") deployer_id = key["id"];
  }
  ASSERT_FALSE(deployer_id.empty());
  EXPECT_EQ(Call("DELETE", "/v1/admin/keys/" + deployer_id, acme_admin).status, 404);
  EXPECT_EQ(Call("GET", "/v1/registry/models", deployer).status, 200);
  auto revoked = Call("DELETE", "/v1/admin/keys/" + deployer_id, admin_key_);
  EXPECT_EQ(revoked.status, 200);
  EXPECT_FALSE(Body(revoked)["revoked_at"].is_null());
  EXPECT_EQ(Call("GET", "/v1/registry/models", deployer).status, 401);
}

TEST_F(ControlServerTest, JoinTokens) {
  auto created = Call("POST", "/v1/admin/join-tokens", admin_key_,
                      json{{"group", "clinical"}, {"ttl_seconds", 600}, {"uses", 3}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const json token = Body(created);
  const std::string text = token["token"];
  EXPECT_EQ(text.rfind("locaijoin." + token["id"].get<std::string>() + ".", 0), 0u);
  EXPECT_EQ(text.substr(text.size() - 64), server_->ca_fingerprint());
  EXPECT_EQ(token["uses_left"], 3);
  EXPECT_EQ(token["group"], "clinical");
  auto listed = Body(Call("GET", "/v1/admin/join-tokens", admin_key_));
  ASSERT_EQ(listed["data"].size(), 1u);
  EXPECT_FALSE(listed["data"][0].contains("token"));
  EXPECT_EQ(Call("POST", "/v1/admin/join-tokens", admin_key_, json{{"uses", 0}}.dump()).status,
            400);
  EXPECT_EQ(
      Call("DELETE", "/v1/admin/join-tokens/" + token["id"].get<std::string>(), admin_key_).status,
      200);
}

TEST_F(ControlServerTest, PushResumePullDeleteAndRestart) {
  const std::string deployer = MakeKey("deployer");
  const std::string& model = SmallModel();
  const std::string digest = DigestOf(model);
  const std::string id = StartUpload(deployer, model.size());
  ASSERT_FALSE(id.empty());

  // First chunk, then the "connection drops": the client asks where to resume.
  ASSERT_EQ(Patch(deployer, id, 0, std::string_view(model).substr(0, kChunk)).status, 200);
  auto where = Call("GET", "/v1/registry/uploads/" + id, deployer);
  ASSERT_EQ(where.status, 200);
  EXPECT_EQ(Body(where)["offset"], kChunk);
  EXPECT_EQ(Body(where)["size"], model.size());

  // A chunk sent at a stale offset is refused with the real one.
  auto conflict = Patch(deployer, id, 0, std::string_view(model).substr(0, kChunk));
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.headers.Get("Upload-Offset"), std::to_string(kChunk));
  EXPECT_EQ(Body(conflict)["offset"], kChunk);
  EXPECT_TRUE(Body(conflict)["error"].is_object());

  // Finishing early is refused; then the rest goes up and the upload is published.
  EXPECT_EQ(Call("PUT", "/v1/registry/uploads/" + id + "?digest=" + digest, deployer).status, 400);
  for (size_t offset = kChunk; offset < model.size(); offset += kChunk) {
    ASSERT_EQ(Patch(deployer, id, offset, std::string_view(model).substr(offset, kChunk)).status,
              200);
  }
  auto finished = Call("PUT", "/v1/registry/uploads/" + id + "?digest=" + digest, deployer);
  ASSERT_EQ(finished.status, 201) << finished.body;
  EXPECT_EQ(Body(finished)["digest"], digest);
  EXPECT_EQ(Body(finished)["size"], model.size());
  EXPECT_TRUE(std::filesystem::exists(BlobPath(digest)));
  EXPECT_EQ(Call("GET", "/v1/registry/uploads/" + id, deployer).status, 404);

  // The manifest is read from the GGUF.
  auto tagged = Call("POST", "/v1/registry/models", deployer,
                     json{{"name", "acme/small:q4"}, {"digest", digest}}.dump());
  ASSERT_EQ(tagged.status, 201) << tagged.body;
  const json manifest = Body(tagged);
  EXPECT_EQ(manifest["name"], "acme/small");
  EXPECT_EQ(manifest["tag"], "q4");
  EXPECT_EQ(manifest["ref"], "acme/small:q4");
  EXPECT_EQ(manifest["digest"], digest);
  EXPECT_EQ(manifest["size"], model.size());
  EXPECT_EQ(manifest["architecture"], "llama");
  EXPECT_EQ(manifest["quantization"], "q4_0");
  EXPECT_GT(manifest["parameters"].get<uint64_t>(), 2'000'000u);
  EXPECT_GT(manifest["context_length"].get<int64_t>(), 0);
  EXPECT_GT(manifest["memory"]["weights"].get<uint64_t>(), 0u);
  EXPECT_EQ(manifest["memory"]["kv_per_token"], 2 * 2 * 64 * 2);
  EXPECT_GT(manifest["memory"]["compute"].get<uint64_t>(), 0u);
  EXPECT_GT(manifest["created_at"].get<int64_t>(), 0);

  auto listed = Call("GET", "/v1/registry/models", MakeKey("inference"));
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(Body(listed)["data"].size(), 1u);
  EXPECT_EQ(Body(listed)["data"][0]["ref"], "acme/small:q4");
  auto shown = Call("GET", "/v1/registry/models/acme/small:q4", deployer);
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(Body(shown)["digest"], digest);

  // Pull: whole, a range, a suffix, an unsatisfiable range.
  auto whole = Call("GET", "/v1/registry/blobs/" + digest, deployer);
  ASSERT_EQ(whole.status, 200);
  EXPECT_TRUE(whole.body == model);
  EXPECT_EQ(whole.headers.Get("ETag"), "\"" + digest + "\"");
  net::HttpHeaders range;
  range.Set("Range", "bytes=1000-1999999");
  auto part = Call("GET", "/v1/registry/blobs/" + digest, deployer, "", range);
  ASSERT_EQ(part.status, 206);
  EXPECT_EQ(part.headers.Get("Content-Range"),
            "bytes 1000-1999999/" + std::to_string(model.size()));
  EXPECT_TRUE(part.body == model.substr(1000, 1'999'000));
  range.Set("Range", "bytes=-10");
  auto tail = Call("GET", "/v1/registry/blobs/" + digest, deployer, "", range);
  ASSERT_EQ(tail.status, 206);
  EXPECT_EQ(tail.body, model.substr(model.size() - 10));
  range.Set("Range", "bytes=" + std::to_string(model.size()) + "-");
  auto beyond = Call("GET", "/v1/registry/blobs/" + digest, deployer, "", range);
  EXPECT_EQ(beyond.status, 416);
  EXPECT_EQ(beyond.headers.Get("Content-Range"), "bytes */" + std::to_string(model.size()));

  // Everything is still there after a restart on the same data directory.
  RestartServer();
  shown = Call("GET", "/v1/registry/models/acme/small:q4", deployer);
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(Body(shown)["memory"]["kv_per_token"], 2 * 2 * 64 * 2);
  whole = Call("GET", "/v1/registry/blobs/" + digest, deployer);
  ASSERT_EQ(whole.status, 200);
  EXPECT_TRUE(whole.body == model);

  // A blob pushed but not tagged yet is spared by the collection (its grace period) ...
  const std::string tiny = ReadFile(std::string(LOCAI_CONFORMANCE_DIR) + "/models/tiny-f32.gguf");
  ASSERT_EQ(Push(deployer, tiny, DigestOf(tiny)).status, 201);

  // ... while deleting the only tag of a blob collects it, in the database and on disk.
  auto deleted = Call("DELETE", "/v1/registry/models/acme/small:q4", deployer);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_FALSE(std::filesystem::exists(BlobPath(digest)));
  EXPECT_TRUE(std::filesystem::exists(BlobPath(DigestOf(tiny))));
  EXPECT_EQ(BlobFiles(), 1u);
  EXPECT_EQ(Call("GET", "/v1/registry/models/acme/small:q4", deployer).status, 404);
  EXPECT_EQ(Call("GET", "/v1/registry/blobs/" + digest, deployer).status, 404);
}

TEST_F(ControlServerTest, BadDigestsAndBadBytesPublishNothing) {
  const std::string deployer = MakeKey("deployer");
  const std::string& model = SmallModel();

  // Well-formed but wrong digest: 400, nothing kept, the upload is gone.
  const std::string id = StartUpload(deployer, model.size());
  for (size_t offset = 0; offset < model.size(); offset += kChunk) {
    ASSERT_EQ(Patch(deployer, id, offset, std::string_view(model).substr(offset, kChunk)).status,
              200);
  }
  for (const std::string& bad :
       std::vector<std::string>{"sha256:../../../etc/passwd", "sha256:abc",
                                "md5:" + std::string(64, 'a'), "sha256:" + std::string(64, 'A')}) {
    auto refused = Call("PUT", "/v1/registry/uploads/" + id + "?digest=" + bad, deployer);
    EXPECT_EQ(refused.status, 400) << bad;
  }
  auto mismatch =
      Call("PUT", "/v1/registry/uploads/" + id + "?digest=" + DigestOf("other"), deployer);
  EXPECT_EQ(mismatch.status, 400) << mismatch.body;
  EXPECT_EQ(Body(mismatch)["error"]["type"], "invalid_request_error");
  EXPECT_EQ(BlobFiles(), 0u);
  EXPECT_EQ(Call("GET", "/v1/registry/uploads/" + id, deployer).status, 404);
  EXPECT_EQ(Call("POST", "/v1/registry/models", deployer,
                 json{{"name", "m"}, {"digest", DigestOf(model)}}.dump())
                .status,
            404);

  // Bytes that hash right but are not a model.
  const std::string junk(3000, 'x');
  auto not_gguf = Push(deployer, junk, DigestOf(junk));
  EXPECT_EQ(not_gguf.status, 400);
  EXPECT_NE(Body(not_gguf)["error"]["message"].get<std::string>().find("GGUF"), std::string::npos);
  EXPECT_EQ(BlobFiles(), 0u);
}

TEST_F(ControlServerTest, MalformedRequestsAre4xx) {
  const std::string deployer = MakeKey("deployer");
  EXPECT_EQ(Call("POST", "/v1/registry/uploads", deployer, "{not json").status, 400);
  EXPECT_EQ(Call("POST", "/v1/registry/uploads", deployer, "[]").status, 400);
  EXPECT_EQ(Call("POST", "/v1/registry/uploads", deployer, json{{"size", -1}}.dump()).status, 400);
  EXPECT_EQ(Call("POST", "/v1/registry/uploads", deployer, json{{"size", "1"}}.dump()).status, 400);
  EXPECT_EQ(Call("GET", "/v1/registry/uploads/ffff", deployer).status, 404);
  EXPECT_EQ(Patch(deployer, "ffff", 0, "abc").status, 404);

  const std::string id = StartUpload(deployer, 100);
  net::ClientRequest no_offset;
  no_offset.method = "PATCH";
  no_offset.url = server_->url() + "/v1/registry/uploads/" + id;
  no_offset.headers.Set("Authorization", "Bearer " + deployer);
  no_offset.body = "abc";
  EXPECT_EQ(client_->Fetch(no_offset)->status, 400);
  EXPECT_EQ(Patch(deployer, id, 0, std::string(101, 'x')).status, 400);  // past the size
  auto too_big = Patch(deployer, id, 0, std::string((16 << 20) + 1, 'x'));
  EXPECT_EQ(too_big.status, 413);
  EXPECT_TRUE(Body(too_big)["error"].is_object());

  for (
      const char* bad_model :
      {R"({"name":"Bad Name","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"})",
       R"({"name":"../x","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"})",
       R"({"name":"ok","digest":"sha256:../../x"})", R"({"name":"ok"})", R"({"name":5})", "nope"}) {
    EXPECT_EQ(Call("POST", "/v1/registry/models", deployer, bad_model).status, 400) << bad_model;
  }
  EXPECT_EQ(Call("GET", "/v1/registry/blobs/sha256:..%2F..%2Fetc", deployer).status, 400);
  EXPECT_EQ(Call("GET", "/v1/registry/models/Bad:tag", deployer).status, 400);
}

TEST_F(ControlServerTest, NodesDownloadWithTheirSignature) {
  const std::string deployer = MakeKey("deployer");
  const std::string& model = SmallModel();
  const std::string digest = DigestOf(model);
  ASSERT_EQ(Push(deployer, model, digest).status, 201);

  auto keys = crypto::GenerateEd25519();
  ASSERT_TRUE(keys);
  auto orgs = server_->store().FindOrgByName("default");
  ASSERT_TRUE(orgs);
  store::Node node;
  node.id = "n_test";
  node.org_id = orgs->id;
  node.name = "ward-3";
  node.public_key = keys->public_key;
  ASSERT_TRUE(server_->store().CreateNode(node).ok());

  const std::string target = "/v1/registry/blobs/" + digest;
  auto signed_get = [&](const net::HttpHeaders& extra) {
    auto signature =
        crypto::SignNodeRequest("n_test", keys->private_key, "GET", target, std::time(nullptr));
    net::HttpHeaders headers = extra;
    headers.Set(std::string(crypto::kNodeIdHeader), signature->node_id);
    headers.Set(std::string(crypto::kNodeTimestampHeader), signature->timestamp);
    headers.Set(std::string(crypto::kNodeSignatureHeader), signature->signature_b64);
    return Call("GET", target, "", "", headers);
  };
  net::HttpHeaders range;
  range.Set("Range", "bytes=0-3");
  auto got = signed_get(range);
  ASSERT_EQ(got.status, 206) << got.body;
  EXPECT_EQ(got.body, "GGUF");
  ASSERT_TRUE(server_->store().RevokeNode(orgs->id, "n_test", 1).ok());
  EXPECT_EQ(signed_get({}).status, 401);
}

TEST_F(ControlServerTest, OrganisationsAreIsolatedAndQuotasHold) {
  const std::string deployer = MakeKey("deployer");
  const std::string& model = SmallModel();
  const std::string digest = DigestOf(model);
  ASSERT_EQ(Push(deployer, model, digest).status, 201);
  ASSERT_EQ(
      Call("POST", "/v1/registry/models", deployer, json{{"name", "m"}, {"digest", digest}}.dump())
          .status,
      201);
  const std::string upload = StartUpload(deployer, 10);

  ASSERT_EQ(Call("POST", "/v1/admin/orgs", admin_key_, json{{"name", "acme"}}.dump()).status, 201);
  const std::string other = MakeKey("deployer", "acme");
  EXPECT_EQ(Call("GET", "/v1/registry/models/m", other).status, 404);
  EXPECT_EQ(Body(Call("GET", "/v1/registry/models", other))["data"].size(), 0u);
  EXPECT_EQ(Call("GET", "/v1/registry/blobs/" + digest, other).status, 404);
  EXPECT_EQ(Call("GET", "/v1/registry/uploads/" + upload, other).status, 404);
  EXPECT_EQ(Patch(other, upload, 0, "x").status, 404);
  // Tagging a blob the organisation never pushed is refused even though the bytes exist.
  EXPECT_EQ(
      Call("POST", "/v1/registry/models", other, json{{"name", "m"}, {"digest", digest}}.dump())
          .status,
      404);

  registry_options_.max_org_bytes = model.size() + 100;
  RestartServer();
  auto refused = Call("POST", "/v1/registry/uploads", deployer, json{{"size", 200}}.dump());
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_NE(refused.body.find("storage limit"), std::string::npos);
  EXPECT_EQ(Call("POST", "/v1/registry/uploads", deployer, json{{"size", 50}}.dump()).status, 201);
}

// A download larger than the connection's write queue paces itself on queued_bytes() instead of
// overflowing it (an e2e 25 MB pull was cut off at 0 bytes).
TEST_F(ControlServerTest, DownloadLargerThanTheWriteQueueIsPaced) {
  const std::string deployer = MakeKey("deployer");
  const std::string big = ReadFile(std::string(LOCAI_CONFORMANCE_DIR) + "/models/small-f16.gguf");
  const std::string digest = DigestOf(big);
  ASSERT_EQ(Push(deployer, big, digest).status, 201);
  server_options_.max_write_queue_bytes = 1 << 20;
  registry_options_.download_chunk_bytes = 64 << 10;
  registry_options_.max_queued_download_bytes = 256 << 10;
  RestartServer();
  auto whole = Call("GET", "/v1/registry/blobs/" + digest, deployer);
  ASSERT_EQ(whole.status, 200);
  EXPECT_EQ(whole.body.size(), big.size());
  EXPECT_TRUE(whole.body == big);
}

TEST_F(ControlServerTest, GatewayAnswersTheInferenceApi) {
  std::mutex mu;
  std::vector<InferenceRecord> records;
  server_options_.hooks.inference = [&](const InferenceRecord& record) {
    std::lock_guard lock(mu);
    records.push_back(record);
  };
  RestartServer();
  const std::string key = MakeKey("inference");
  auto models = Call("GET", "/v1/models", key);
  ASSERT_EQ(models.status, 200) << models.body;
  EXPECT_EQ(Body(models)["object"], "list");
  EXPECT_TRUE(Body(models)["data"].empty());
  const std::string chat = R"({"model":"m","messages":[{"role":"user","content":"hi"}]})";
  auto unknown = Call("POST", "/v1/chat/completions", key, chat);
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(Body(unknown)["error"]["code"], "model_not_found");
  EXPECT_FALSE(unknown.headers.GetOr("x-request-id", "").empty());
  auto anonymous = Call("POST", "/v1/chat/completions", "", chat);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(Body(anonymous)["error"]["type"], "authentication_error");
  net::HttpHeaders anthropic;
  anthropic.Set("anthropic-version", "2023-06-01");
  auto messages = Call("POST", "/v1/messages", "", chat, anthropic);
  EXPECT_EQ(messages.status, 401);
  EXPECT_EQ(Body(messages)["type"], "error");
  EXPECT_EQ(Body(messages)["error"]["type"], "authentication_error");
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard lock(mu);
      if (records.size() >= 3) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::lock_guard lock(mu);
  ASSERT_EQ(records.size(), 3u);
  auto refused = std::find_if(records.begin(), records.end(), [&](const InferenceRecord& record) {
    return record.request_id == unknown.headers.GetOr("x-request-id", "");
  });
  ASSERT_NE(refused, records.end());
  EXPECT_EQ(refused->status, 404);
  EXPECT_EQ(refused->route, "");
  EXPECT_EQ(refused->model, "m");
  EXPECT_EQ(refused->actor.rfind("key:", 0), 0u);
}

TEST_F(ControlServerTest, HybridRequestReachesAProviderAddedAtRunTime) {
  // The provider is added after the start: its egress rule comes from providers_changed.
  router::testing::FakeUpstream upstream(router::testing::UpstreamScript{});
  auto added = Call("POST", "/v1/admin/providers", admin_key_,
                    json{{"name", "up"},
                         {"kind", "openai"},
                         {"base_url", upstream.base_url()},
                         {"api_key", "secret"}}
                        .dump());
  ASSERT_EQ(added.status / 100, 2) << added.body;
  auto policy = Call(
      "PUT", "/v1/admin/policy", admin_key_,
      json{{"policy", "hybrid"}, {"max_queue_wait_ms", 0}, {"cloud_models", {{"m", "up/gpt-test"}}}}
          .dump());
  ASSERT_EQ(policy.status, 200) << policy.body;
  const std::string key = MakeKey("inference");
  auto models = Call("GET", "/v1/models", key);
  ASSERT_EQ(Body(models)["data"].size(), 1u) << models.body;
  EXPECT_EQ(Body(models)["data"][0]["id"], "m");
  auto answer = Call("POST", "/v1/chat/completions", key,
                     R"({"model":"m","messages":[{"role":"user","content":"hi"}]})");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.headers.GetOr("x-locai-route", ""), "cloud");
  EXPECT_EQ(answer.headers.GetOr("x-locai-route-target", ""), "up");
  EXPECT_EQ(Body(answer)["choices"][0]["message"]["content"], "Hello, world");
  ASSERT_EQ(upstream.Received().size(), 1u);
  const std::string journal = ReadFile(dir_.path() + "/server/egress.jsonl");
  EXPECT_NE(journal.find("\"purpose\":\"cloud:up\""), std::string::npos) << journal;
}

TEST_F(ControlServerTest, AirgappedServerRefusesProvidersAndNeverCallsOut) {
  server_options_.airgapped = true;
  RestartServer();
  auto added =
      Call("POST", "/v1/admin/providers", admin_key_,
           json{{"name", "up"}, {"kind", "openai"}, {"base_url", "http://127.0.0.1:9"}}.dump());
  EXPECT_EQ(added.status, 403) << added.body;
  auto hybrid = Call("PUT", "/v1/admin/policy", admin_key_, json{{"policy", "hybrid"}}.dump());
  EXPECT_EQ(hybrid.status / 100, 4) << hybrid.body;
  const std::string key = MakeKey("inference");
  auto answer = Call("POST", "/v1/chat/completions", key,
                     R"({"model":"m","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(answer.status, 404);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/server/egress.jsonl"));
}

}  // namespace
}  // namespace locai::control::server
