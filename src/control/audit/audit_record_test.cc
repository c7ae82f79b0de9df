#include "control/audit/audit_record.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "crypto/sha256.h"

namespace locai::control::audit {
namespace {

using nlohmann::json;

AuditEvent Inference() {
  AuditEvent event;
  event.kind = "inference";
  event.action = "chat.completions";
  event.org = "acme";
  event.actor_key_id = "k_1";
  event.request_id = "req_9";
  event.model = "llama3.2:1b";
  event.route = "node";
  event.node_or_provider = "n_7";
  event.tokens_in = 12;
  event.tokens_out = 34;
  event.duration_ms = 560;
  event.status = 200;
  event.pii_counts = {{"email", 2}, {"phone", 1}};
  event.prompt_text = "my secret prompt";
  return event;
}

TEST(AuditRecordTest, CanonicalContentIsSortedCompactAndTextFree) {
  std::string content = CanonicalContent(Inference(), 7, 1'700'000'000'000).value();
  EXPECT_EQ(content.find(' '), std::string::npos);
  EXPECT_EQ(content.find("secret"), std::string::npos);  // prompt text never enters the chain
  json parsed = json::parse(content);
  EXPECT_EQ(parsed.dump(), content);  // sorted keys, no whitespace: its own canonical form
  EXPECT_EQ(parsed["seq"], 7);
  EXPECT_EQ(parsed["time_ms"], 1'700'000'000'000);
  EXPECT_EQ(parsed["v"], 1);
  EXPECT_EQ(parsed["tokens_out"], 34);
  EXPECT_EQ(parsed["node"], "n_7");
  EXPECT_EQ(parsed["pii"]["email"], 2);
  EXPECT_EQ(parsed["content_captured"], true);
  EXPECT_EQ(content.rfind(R"({"action":"chat.completions","actor":"k_1",)", 0), 0u) << content;
}

TEST(AuditRecordTest, AdminRecordsCarryDetailsOnly) {
  AuditEvent event;
  event.kind = "admin";
  event.action = "node.label";
  event.org = "acme";
  event.target = "n_1";
  event.details_json = R"({"set": {"site": "ward-3"}, "remove": []})";
  json parsed = json::parse(CanonicalContent(event, 1, 5).value());
  EXPECT_EQ(parsed["details"]["set"]["site"], "ward-3");
  EXPECT_FALSE(parsed.contains("tokens_in"));
}

TEST(AuditRecordTest, InvalidUtf8IsReplacedNotFatal) {
  AuditEvent event;
  event.kind = "admin";
  event.action = "model.push";
  event.org = "acme";
  event.target = std::string("bad\xff") + "name";
  auto content = CanonicalContent(event, 1, 5);
  ASSERT_TRUE(content);
  EXPECT_NE(content->find("bad\xef\xbf\xbdname"), std::string::npos);
}

TEST(AuditRecordTest, RefusesBadEvents) {
  AuditEvent good;
  good.kind = "admin";
  good.action = "key.create";
  good.org = "acme";
  EXPECT_TRUE(ValidateEvent(good).ok());
  auto refused = [&](auto mutate) {
    AuditEvent event = good;
    mutate(event);
    return ValidateEvent(event).code() == StatusCode::kInvalidArgument;
  };
  EXPECT_TRUE(refused([](AuditEvent& e) { e.kind = "other"; }));
  EXPECT_TRUE(refused([](AuditEvent& e) { e.action.clear(); }));
  EXPECT_TRUE(refused([](AuditEvent& e) { e.org.clear(); }));
  EXPECT_TRUE(refused([](AuditEvent& e) { e.details_json = "[1]"; }));
  EXPECT_TRUE(refused([](AuditEvent& e) { e.details_json = "{"; }));
  EXPECT_TRUE(refused([](AuditEvent& e) { e.details_json = R"({"prompt": "hi"})"; }));
  EXPECT_TRUE(refused([](AuditEvent& e) { e.details_json = R"({"messages": []})"; }));
  EXPECT_TRUE(refused([](AuditEvent& e) { e.tokens_in = -1; }));
  EXPECT_TRUE(refused([](AuditEvent& e) { e.pii_counts["email"] = -2; }));
}

TEST(AuditRecordTest, ChainHashIsSha256OfPrevAndContent) {
  EXPECT_EQ(ChainHash(kGenesisHash, "{}"), crypto::Sha256Hex(std::string(kGenesisHash) + "{}"));
  EXPECT_EQ(ChainHash(kGenesisHash, "{}").size(), 64u);
  EXPECT_NE(ChainHash(kGenesisHash, "{}"), ChainHash(kGenesisHash, "{} "));
  EXPECT_EQ(CheckpointMessage(41, "ab"), "locai-audit-checkpoint-v1\n41\nab\n");
}

}  // namespace
}  // namespace locai::control::audit
