#include "api/openai/models.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace locai::api::openai {
namespace {

using nlohmann::json;

TEST(Models, Single) {
  EXPECT_EQ(SerializeModel({"qwen", 1700000000, "locai"}),
            R"({"id":"qwen","object":"model","created":1700000000,"owned_by":"locai"})");
}

TEST(Models, List) {
  const ModelInfo models[] = {{"a", 1, "locai"}, {"b/c", 2, "org"}};
  json body = json::parse(SerializeModelList(models));
  EXPECT_EQ(body, json::parse(R"({"object":"list","data":[
      {"id":"a","object":"model","created":1,"owned_by":"locai"},
      {"id":"b/c","object":"model","created":2,"owned_by":"org"}]})"));
  EXPECT_EQ(SerializeModelList({}), R"({"object":"list","data":[]})");
}

TEST(Models, IdFromPath) {
  EXPECT_EQ(ModelIdFromPath("/v1/models/qwen"), "qwen");
  EXPECT_EQ(ModelIdFromPath("/v1/models/org/name?x=1"), "org/name");
  EXPECT_EQ(ModelIdFromPath("/v1/models/"), "");
  EXPECT_EQ(ModelIdFromPath("/v1/models"), "");
  EXPECT_EQ(ModelIdFromPath("/v2/models/x"), "");
}

}  // namespace
}  // namespace locai::api::openai
