// Bad input never crashes: every request body from testdata/ is mutated (values replaced by every
// JSON type, bytes flipped, bodies truncated) and fed to every parser. The assertion is that each
// call returns (a value or an ApiError with a message) without throwing, crashing or tripping a
// sanitizer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "api/anthropic/messages_request.h"
#include "api/openai/chat_request.h"
#include "api/openai/completions.h"
#include "api/openai/embeddings.h"
#include "api/translate/response_translate.h"

namespace locai::api {
namespace {

using nlohmann::json;

std::vector<std::string> Bodies() {
  std::vector<std::string> bodies;
  for (const auto& entry : std::filesystem::directory_iterator(LOCAI_TEST_DATA_DIR)) {
    if (entry.path().extension() != ".test") continue;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("body ", 0) == 0) bodies.push_back(line.substr(5));
    }
  }
  return bodies;
}

template <typename T>
void ExpectHandled(const ApiResult<T>& result) {
  if (!result) {
    EXPECT_FALSE(result.error().message.empty());
    EXPECT_GE(result.error().http_status, 400);
  }
}

void ParseEverywhere(const std::string& body) {
  ExpectHandled(openai::ParseChatRequest(body));
  ExpectHandled(openai::ParseCompletionRequest(body));
  ExpectHandled(openai::ParseEmbeddingsRequest(body));
  ExpectHandled(anthropic::ParseMessagesRequest(body, anthropic::AnthropicVersion::k20230601));
  ExpectHandled(anthropic::ParseMessagesRequest(body, anthropic::AnthropicVersion::k20261021));
  ExpectHandled(translate::ParseChatCompletion(body));
  ExpectHandled(translate::ParseAnthropicMessage(body));
  EXPECT_FALSE(translate::ParseUpstreamError(500, body).message.empty());
  translate::AnthropicToOpenAiStream to_openai({"c", "m", 0, ""}, true);
  (void)to_openai.OnEvent({"content_block_delta", body});
  (void)to_openai.OnEvent({"message_delta", body});
  translate::OpenAiToAnthropicStream to_anthropic({"m", "c", 0, ""});
  (void)to_anthropic.OnEvent({"", body});
}

// Calls `visit` with a pointer to every value in `value` (depth-first, the root included).
void ForEachValue(json& value, const std::function<void(json&)>& visit) {
  visit(value);
  if (value.is_object()) {
    for (auto& [key, child] : value.items()) ForEachValue(child, visit);
  } else if (value.is_array()) {
    for (json& child : value) ForEachValue(child, visit);
  }
}

TEST(Robustness, EveryValueReplacedByEveryType) {
  const std::vector<json> replacements = {nullptr,
                                          true,
                                          0,
                                          -1,
                                          1.5,
                                          1e300,
                                          "",
                                          "text",
                                          json::array(),
                                          json::array({1, "a"}),
                                          json::object(),
                                          json::parse(R"({"type":"text","text":1})")};
  std::vector<std::string> bodies = Bodies();
  ASSERT_GT(bodies.size(), 100u);
  size_t variants = 0;
  for (const std::string& body : bodies) {
    json original = json::parse(body, nullptr, false);
    if (original.is_discarded()) continue;
    size_t count = 0;
    ForEachValue(original, [&count](json&) { ++count; });
    for (size_t target = 1; target < count; ++target) {
      for (const json& replacement : replacements) {
        json mutated = original;
        size_t index = 0;
        ForEachValue(mutated, [&](json& value) {
          if (index++ == target) value = replacement;
        });
        ParseEverywhere(mutated.dump());
        ++variants;
      }
    }
  }
  EXPECT_GT(variants, 1000u);
}

TEST(Robustness, ByteMutationsAndTruncations) {
  std::vector<std::string> bodies = Bodies();
  std::mt19937 random(12345);  // fixed seed: the same inputs every run
  const std::string specials = "{}[]\",:\\0-e.\xff\xc3 ";
  for (const std::string& body : bodies) {
    if (body.empty()) continue;
    for (int round = 0; round < 8; ++round) {
      std::string mutated = body;
      size_t position = random() % mutated.size();
      switch (round % 4) {
        case 0:
          mutated.resize(position);
          break;
        case 1:
          mutated[position] = specials[random() % specials.size()];
          break;
        case 2:
          mutated.insert(position, 1, specials[random() % specials.size()]);
          break;
        case 3:
          mutated.erase(position, 1 + random() % 8);
          break;
      }
      ParseEverywhere(mutated);
    }
  }
}

}  // namespace
}  // namespace locai::api
