#include "control/fleet/link_messages.h"

#include <gtest/gtest.h>

namespace locai::control::fleet {
namespace {

using nlohmann::json;

TEST(LinkMessagesTest, ParsesHello) {
  auto message = ParseNodeMessage(R"({"type":"hello","node_id":"n_1","version":"0.1.0",
      "capabilities":{"ram_free":8000000000,"cores":8},
      "models":[{"digest":"sha256:aa","names":["m:1"],"state":"ready","progress":1}]})");
  ASSERT_TRUE(message.has_value()) << message.error().ToString();
  EXPECT_EQ(message->type, NodeMessageType::kHello);
  EXPECT_EQ(message->node_id, "n_1");
  EXPECT_EQ(message->version, "0.1.0");
  EXPECT_EQ(message->capabilities["ram_free"], 8000000000);
  ASSERT_TRUE(message->has_models);
  ASSERT_EQ(message->models.size(), 1u);
  EXPECT_EQ(message->models[0], (ModelReport{"sha256:aa", {"m:1"}, "ready", 1.0, ""}));
}

TEST(LinkMessagesTest, ParsesHeartbeatAndIgnoresUnknownFields) {
  auto message = ParseNodeMessage(
      R"({"type":"heartbeat","queue_depth":3,"tokens_per_second":41.5,"future":{"x":1}})");
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->type, NodeMessageType::kHeartbeat);
  EXPECT_EQ(message->queue_depth, 3);
  EXPECT_DOUBLE_EQ(message->tokens_per_second, 41.5);
  EXPECT_FALSE(message->has_models);
  EXPECT_TRUE(message->capabilities.is_null());
}

TEST(LinkMessagesTest, ParsesModelStatus) {
  auto message = ParseNodeMessage(
      R"({"type":"model_status","digest":"sha256:bb","state":"downloading","progress":0.43})");
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->type, NodeMessageType::kModelStatus);
  EXPECT_EQ(message->model_status.digest, "sha256:bb");
  EXPECT_EQ(message->model_status.state, "downloading");
  EXPECT_DOUBLE_EQ(message->model_status.progress, 0.43);
}

TEST(LinkMessagesTest, RejectsMalformedMessages) {
  for (const char* text :
       {"", "not json", "[]", R"({"node_id":"n"})", R"({"type":"launch"})", R"({"type":5})",
        R"({"type":"heartbeat","capabilities":[]})", R"({"type":"heartbeat","models":{}})",
        R"({"type":"heartbeat","models":[{"state":"ready"}]})",
        R"({"type":"heartbeat","queue_depth":"3"})", R"({"type":"model_status","state":"ready"})",
        R"({"type":"model_status","digest":"sha256:a","names":"m"})"}) {
    auto message = ParseNodeMessage(text);
    ASSERT_FALSE(message.has_value()) << text;
    EXPECT_EQ(message.error().code(), StatusCode::kInvalidArgument) << text;
  }
}

TEST(LinkMessagesTest, ServerMessages) {
  EXPECT_EQ(json::parse(WelcomeMessage(5)),
            json::parse(R"({"type":"welcome","heartbeat_seconds":5})"));
  EXPECT_EQ(json::parse(RevokedMessage("revoked by an admin")),
            json::parse(R"({"type":"revoked","reason":"revoked by an admin"})"));
  EXPECT_EQ(json::parse(DesiredModelsMessage({})),
            json::parse(R"({"type":"desired_models","models":[]})"));
  DesiredModel model{"sha256:aa", {"llama3.2:1b"}, 1234, 4096, 2};
  EXPECT_EQ(json::parse(DesiredModelsMessage({model})), json::parse(R"({"type":"desired_models",
      "models":[{"digest":"sha256:aa","names":["llama3.2:1b"],"size":1234,
                 "context_length":4096,"parallel":2}]})"));
  // Invalid UTF-8 in a reason does not throw.
  EXPECT_FALSE(RevokedMessage("bad \xff byte").empty());
}

}  // namespace
}  // namespace locai::control::fleet
