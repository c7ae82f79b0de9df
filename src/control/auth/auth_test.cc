// Tests of locai_control_auth against a real SQLite store in a temp directory.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "control/auth/api_key.h"
#include "control/auth/authenticator.h"
#include "control/auth/http_reply.h"
#include "control/auth/join_token.h"
#include "control/auth/principal.h"
#include "crypto/ed25519.h"
#include "crypto/node_signature.h"
#include "store/sqlite/sqlite_store.h"
#include "store/testing/temp_dir.h"

namespace locai::control::auth {
namespace {

constexpr int64_t kNowMs = 1'750'000'000'000;

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::SqliteStore::Open(dir_.File("locai.db"));
    ASSERT_TRUE(opened) << opened.error().ToString();
    store_ = std::move(*opened);
    ASSERT_TRUE(store_->CreateOrg({"org_default", "default", "free", kNowMs}).ok());
    ASSERT_TRUE(store_->CreateOrg({"org_acme", "acme", "free", kNowMs}).ok());
    AuthenticatorOptions options;
    options.now_ms = [this] { return now_ms_.load(); };
    auth_ = std::make_unique<Authenticator>(*store_, options);
  }

  static net::HttpRequest WithBearer(const std::string& key) {
    net::HttpRequest request;
    request.method = "GET";
    request.target = request.path = "/v1/registry/models";
    request.headers.Set("Authorization", "Bearer " + key);
    return request;
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::SqliteStore> store_;
  std::atomic<int64_t> now_ms_{kNowMs};
  std::unique_ptr<Authenticator> auth_;
};

TEST(ApiKeyFormat, RoundTrips) {
  const std::string key = FormatApiKey("0123abcd", "SeCrEt99");
  EXPECT_EQ(key, "locai_0123abcd_SeCrEt99");
  auto parsed = ParseApiKey(key);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->key_id, "0123abcd");
  EXPECT_EQ(parsed->secret, "SeCrEt99");
}

TEST(ApiKeyFormat, RefusesMalformedKeysWithoutEchoingThem) {
  for (const char* bad : {"", "locai_", "locai__abc", "locai_abc_", "sk-abc_def", "locai_ABC_def",
                          "locai_abc_de-f", "locai_abc", "locai_a b_c", "locai_abc_topsecret!"}) {
    auto parsed = ParseApiKey(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code(), StatusCode::kUnauthenticated);
    EXPECT_EQ(parsed.error().message().find("topsecret"), std::string::npos);
  }
}

TEST(Roles, AreOrdered) {
  Principal deployer{"org", "k", Role::kDeployer, false};
  EXPECT_TRUE(Require(deployer, Role::kInference).ok());
  EXPECT_TRUE(Require(deployer, Role::kDeployer).ok());
  EXPECT_EQ(Require(deployer, Role::kAdmin).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(RequirePlatformAdmin(deployer).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(ParseRole("deployer"), Role::kDeployer);
  EXPECT_FALSE(ParseRole("root"));
}

TEST_F(AuthTest, CreatedKeyAuthenticatesWithBearerOrXApiKey) {
  auto created = CreateApiKey(*store_, "org_acme", "ci", Role::kDeployer, kNowMs);
  ASSERT_TRUE(created) << created.error().ToString();
  EXPECT_TRUE(created->key.starts_with("locai_" + created->record.id + "_"));
  EXPECT_EQ(created->record.secret_hash.find(created->key.substr(23)), std::string::npos);

  auto principal = auth_->AuthenticateKey(WithBearer(created->key));
  ASSERT_TRUE(principal) << principal.error().ToString();
  EXPECT_EQ(principal->org_id, "org_acme");
  EXPECT_EQ(principal->key_id, created->record.id);
  EXPECT_EQ(principal->role, Role::kDeployer);
  EXPECT_FALSE(principal->is_platform_admin);

  net::HttpRequest request;
  request.headers.Set("x-api-key", created->key);
  EXPECT_TRUE(auth_->AuthenticateKey(request));
}

TEST_F(AuthTest, DefaultOrgAdminIsPlatformAdmin) {
  auto admin = CreateApiKey(*store_, "org_default", "root", Role::kAdmin, kNowMs);
  ASSERT_TRUE(admin);
  auto principal = auth_->AuthenticateKeyString(admin->key);
  ASSERT_TRUE(principal);
  EXPECT_TRUE(principal->is_platform_admin);
  auto acme_admin = CreateApiKey(*store_, "org_acme", "boss", Role::kAdmin, kNowMs);
  ASSERT_TRUE(acme_admin);
  EXPECT_FALSE(auth_->AuthenticateKeyString(acme_admin->key)->is_platform_admin);
}

TEST_F(AuthTest, WrongSecretMissingKeyAndUnknownIdAre401) {
  auto created = CreateApiKey(*store_, "org_acme", "ci", Role::kAdmin, kNowMs);
  ASSERT_TRUE(created);
  // Warm the cache with the right key, then try a wrong secret for the same id.
  ASSERT_TRUE(auth_->AuthenticateKeyString(created->key));
  std::string wrong = created->key;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(auth_->AuthenticateKeyString(wrong).error().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->AuthenticateKeyString("locai_ffffffffffffffff_abc").error().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->AuthenticateKey(net::HttpRequest{}).error().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(CreateApiKey(*store_, "org_nope", "x", Role::kAdmin, kNowMs).error().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(CreateApiKey(*store_, "org_acme", "", Role::kAdmin, kNowMs).error().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(AuthTest, RevocationInvalidatesTheCache) {
  auto created = CreateApiKey(*store_, "org_acme", "ci", Role::kDeployer, kNowMs);
  ASSERT_TRUE(created);
  ASSERT_TRUE(auth_->AuthenticateKeyString(created->key));
  ASSERT_TRUE(store_->RevokeApiKey("org_acme", created->record.id, kNowMs).ok());
  // Still cached until someone tells the authenticator or the entry expires ...
  EXPECT_TRUE(auth_->AuthenticateKeyString(created->key));
  auth_->InvalidateKey(created->record.id);
  EXPECT_EQ(auth_->AuthenticateKeyString(created->key).error().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(AuthTest, CacheEntriesExpire) {
  auto created = CreateApiKey(*store_, "org_acme", "ci", Role::kDeployer, kNowMs);
  ASSERT_TRUE(created);
  ASSERT_TRUE(auth_->AuthenticateKeyString(created->key));
  ASSERT_TRUE(store_->RevokeApiKey("org_acme", created->record.id, kNowMs).ok());
  now_ms_ += AuthenticatorOptions{}.cache_ttl_ms + 1;
  EXPECT_FALSE(auth_->AuthenticateKeyString(created->key));
}

TEST_F(AuthTest, NodeSignatures) {
  auto keys = crypto::GenerateEd25519();
  ASSERT_TRUE(keys);
  store::Node node;
  node.id = "n_1";
  node.org_id = "org_acme";
  node.name = "ward-3";
  node.public_key = keys->public_key;
  ASSERT_TRUE(store_->CreateNode(node).ok());

  const int64_t now_s = kNowMs / 1000;
  auto sign = [&](const std::string& node_id, int64_t at) {
    auto signature = crypto::SignNodeRequest(node_id, keys->private_key, "GET",
                                             "/v1/registry/blobs/x?y=1", at);
    net::HttpRequest request;
    request.method = "GET";
    request.target = "/v1/registry/blobs/x?y=1";
    request.headers.Set(std::string(crypto::kNodeIdHeader), signature->node_id);
    request.headers.Set(std::string(crypto::kNodeTimestampHeader), signature->timestamp);
    request.headers.Set(std::string(crypto::kNodeSignatureHeader), signature->signature_b64);
    return request;
  };
  auto principal = auth_->AuthenticateNode(sign("n_1", now_s), now_s);
  ASSERT_TRUE(principal) << principal.error().ToString();
  EXPECT_EQ(principal->node_id, "n_1");
  EXPECT_EQ(principal->org_id, "org_acme");

  EXPECT_FALSE(auth_->AuthenticateNode(sign("n_1", now_s - 1000), now_s));  // stale
  EXPECT_FALSE(auth_->AuthenticateNode(sign("n_2", now_s), now_s));         // unknown
  net::HttpRequest tampered = sign("n_1", now_s);
  tampered.target = "/v1/registry/blobs/z";
  EXPECT_FALSE(auth_->AuthenticateNode(tampered, now_s));
  EXPECT_FALSE(auth_->AuthenticateNode(net::HttpRequest{}, now_s));

  ASSERT_TRUE(store_->RevokeNode("org_acme", "n_1", kNowMs).ok());
  auto revoked = auth_->AuthenticateNode(sign("n_1", now_s), now_s);
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().code(), StatusCode::kUnauthenticated);
}

TEST_F(AuthTest, JoinTokens) {
  const std::string fingerprint(64, 'a');
  JoinTokenSpec spec;
  spec.group = "clinical";
  spec.ttl_seconds = 600;
  spec.uses = 2;
  auto created = CreateJoinToken(*store_, "org_acme", spec, fingerprint, kNowMs);
  ASSERT_TRUE(created) << created.error().ToString();
  EXPECT_EQ(created->record.expires_at, kNowMs + 600'000);
  EXPECT_EQ(created->record.uses_left, 2);
  auto parsed = ParseJoinToken(created->token);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->token_id, created->record.id);
  EXPECT_EQ(parsed->ca_fingerprint, fingerprint);
  auto stored = store_->GetJoinToken(parsed->token_id);
  ASSERT_TRUE(stored);
  EXPECT_TRUE(VerifyJoinTokenSecret(*parsed, *stored).ok());
  ParsedJoinToken wrong = *parsed;
  wrong.secret[0] = wrong.secret[0] == 'a' ? 'b' : 'a';
  EXPECT_EQ(VerifyJoinTokenSecret(wrong, *stored).code(), StatusCode::kUnauthenticated);

  for (const char* bad : {"locaijoin.a.b", "locaijoin.a.b.c", "x.a.b." , "locaijoin..b.c"}) {
    EXPECT_FALSE(ParseJoinToken(bad)) << bad;
  }
  spec.uses = 0;
  EXPECT_EQ(CreateJoinToken(*store_, "org_acme", spec, fingerprint, kNowMs).error().code(),
            StatusCode::kInvalidArgument);
  spec.uses = 1;
  spec.group = "no spaces";
  EXPECT_FALSE(CreateJoinToken(*store_, "org_acme", spec, fingerprint, kNowMs));
}

TEST(HttpReply, ErrorsHaveTheOpenAiShape) {
  net::HttpResponse response = ErrorResponse(Status::Unauthenticated("no key"));
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.headers.Get("WWW-Authenticate"), "Bearer");
  auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["error"]["message"], "no key");
  EXPECT_EQ(body["error"]["type"], "authentication_error");
  EXPECT_EQ(ErrorResponse(Status::PermissionDenied("x")).status, 403);
  EXPECT_FALSE(ParseJsonObject("[1]"));
  EXPECT_FALSE(ParseJsonObject("{"));
  EXPECT_TRUE(ParseJsonObject("{\"a\":1}"));
}

}  // namespace
}  // namespace locai::control::auth
