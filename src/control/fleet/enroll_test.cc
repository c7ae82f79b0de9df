#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "control/fleet/testing/fleet_env.h"

namespace locai::control::fleet {
namespace {

using testing::FleetEnv;
using testing::TestNode;

std::string ErrorMessage(const net::ClientResponse& response) {
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (!body.is_object() || !body.contains("error")) return "";
  return body["error"].value("message", "");
}

TEST(EnrollTest, EnrolsANodeWithAValidToken) {
  FleetEnv env;
  TestNode node;
  const std::string token = env.JoinToken(2, 3600, "clinical");
  nlohmann::json reply =
      env.CallJson("POST", "/v1/fleet/enroll", "", FleetEnv::EnrollBody(token, "ward-3-pc", &node));
  const std::string id = reply.value("node_id", "");
  ASSERT_EQ(id.rfind("n_", 0), 0u) << reply.dump();
  EXPECT_EQ(reply["org"], testing::kOrg);
  EXPECT_EQ(reply["org_name"], "test");
  EXPECT_EQ(reply["group"], "clinical");
  EXPECT_EQ(reply["name"], "ward-3-pc");

  auto stored = env.store().GetNode(id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->group, "clinical");
  EXPECT_EQ(stored->status, "offline");  // until its link says hello
  auto key = crypto::Base64Decode(stored->public_key);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(*key, *crypto::Ed25519PublicFromPrivate(node.private_key));

  nlohmann::json list = env.CallJson("GET", "/v1/admin/nodes", env.deployer_key);
  ASSERT_EQ(list["data"].size(), 1u);
  EXPECT_EQ(list["data"][0]["id"], id);
  EXPECT_EQ(list["data"][0]["capabilities"]["hostname"], "ward-3-pc");
  EXPECT_EQ(env.store().GetJoinToken(token.substr(10, token.find('.', 10) - 10))->uses_left, 1);
}

TEST(EnrollTest, RefusesBadRequestsAndTokens) {
  FleetEnv env;
  TestNode node;
  // Malformed body and token, bad public key: 400 / 401 with a clear message.
  EXPECT_EQ(env.Call("POST", "/v1/fleet/enroll", "", "not json").status, 400);
  EXPECT_EQ(env.Call("POST", "/v1/fleet/enroll", "", R"({"public_key":"AAAA"})").status, 400);
  auto malformed =
      env.Call("POST", "/v1/fleet/enroll", "", FleetEnv::EnrollBody("locaijoin.nope", "n", &node));
  EXPECT_EQ(malformed.status, 401);
  EXPECT_NE(ErrorMessage(malformed).find("malformed join token"), std::string::npos);

  const std::string good = env.JoinToken(5);
  nlohmann::json body = nlohmann::json::parse(FleetEnv::EnrollBody(good, "n", &node));
  body["public_key"] = "c2hvcnQ=";  // 5 bytes
  auto bad_key = env.Call("POST", "/v1/fleet/enroll", "", body.dump());
  EXPECT_EQ(bad_key.status, 400);
  EXPECT_NE(ErrorMessage(bad_key).find("public_key"), std::string::npos);

  // A wrong secret for a real token id, and an unknown token id.
  std::string wrong_secret = good;
  const size_t secret_at = good.find('.', 10) + 1;
  wrong_secret[secret_at] = wrong_secret[secret_at] == 'a' ? 'b' : 'a';
  EXPECT_EQ(env.Call("POST", "/v1/fleet/enroll", "", FleetEnv::EnrollBody(wrong_secret, "n", &node))
                .status,
            401);
  std::string unknown = "locaijoin.0000000000000000" + good.substr(good.find('.', 10));
  EXPECT_EQ(
      env.Call("POST", "/v1/fleet/enroll", "", FleetEnv::EnrollBody(unknown, "n", &node)).status,
      401);
  // None of these took a use.
  EXPECT_EQ(env.store().ListNodes(testing::kOrg)->size(), 0u);
}

TEST(EnrollTest, ExpiredRevokedAndUsedUpTokensAre401) {
  FleetEnv env;
  TestNode node;
  const std::string used = env.JoinToken(1);
  EXPECT_EQ(env.Call("POST", "/v1/fleet/enroll", "", FleetEnv::EnrollBody(used, "a", &node)).status,
            200);
  auto again = env.Call("POST", "/v1/fleet/enroll", "", FleetEnv::EnrollBody(used, "b", &node));
  EXPECT_EQ(again.status, 401);
  EXPECT_NE(ErrorMessage(again).find("no uses left"), std::string::npos) << again.body;

  const std::string revoked = env.JoinToken(3);
  const std::string revoked_id = revoked.substr(10, revoked.find('.', 10) - 10);
  ASSERT_TRUE(env.store().RevokeJoinToken(testing::kOrg, revoked_id).ok());
  auto refused =
      env.Call("POST", "/v1/fleet/enroll", "", FleetEnv::EnrollBody(revoked, "c", &node));
  EXPECT_EQ(refused.status, 401);
  EXPECT_NE(ErrorMessage(refused).find("revoked"), std::string::npos) << refused.body;

  const std::string expiring = env.JoinToken(3, 60);
  env.Advance(61'000);
  auto expired =
      env.Call("POST", "/v1/fleet/enroll", "", FleetEnv::EnrollBody(expiring, "d", &node));
  EXPECT_EQ(expired.status, 401);
  EXPECT_NE(ErrorMessage(expired).find("expired"), std::string::npos) << expired.body;
  EXPECT_EQ(env.store().ListNodes(testing::kOrg)->size(), 1u);
}

TEST(EnrollTest, OneUseTokenUsedByManyNodesAtOnceLetsExactlyOneIn) {
  FleetEnv env;
  const std::string token = env.JoinToken(1);
  constexpr int kNodes = 8;
  std::vector<std::string> bodies(kNodes);
  for (int i = 0; i < kNodes; ++i) {
    TestNode node;
    bodies[i] = FleetEnv::EnrollBody(token, "racer-" + std::to_string(i), &node);
  }
  std::atomic<int> admitted{0};
  std::atomic<int> refused{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] {
      net::egress::Connector connector = testing::Loopback();
      net::HttpClient client(connector);
      net::ClientRequest request;
      request.method = "POST";
      request.url = env.Url("/v1/fleet/enroll");
      request.body = bodies[i];
      while (!go.load()) std::this_thread::yield();
      auto response = client.Fetch(request);
      if (response && response->status == 200) ++admitted;
      if (response && response->status == 401) ++refused;
    });
  }
  go = true;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(admitted.load(), 1);
  EXPECT_EQ(refused.load(), kNodes - 1);
  EXPECT_EQ(env.store().ListNodes(testing::kOrg)->size(), 1u);
}

}  // namespace
}  // namespace locai::control::fleet
