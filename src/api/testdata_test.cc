// Data-driven request tests: every *.test file in testdata/ lists requests and their expected
// outcome (see testdata/README.md for the format). Adding a case needs no C++.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "api/anthropic/messages_request.h"
#include "api/anthropic/version.h"
#include "api/common/headers.h"
#include "api/openai/chat_request.h"
#include "api/openai/completions.h"
#include "api/openai/embeddings.h"

namespace locai::api {
namespace {

using Fields = std::map<std::string, std::string>;

struct Case {
  std::string file;
  int line = 0;
  std::string name;
  std::string endpoint;
  HeaderList headers;
  std::string body;
  std::string expect;                                       // "200" or "<status> <type> [param]"
  std::vector<std::pair<std::string, std::string>> checks;  // key -> value ("~x": contains x)
};

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", value);
  return buffer;
}

template <typename T>
std::string Optional(const std::optional<T>& value) {
  if (!value) return "none";
  if constexpr (std::is_floating_point_v<T>) {
    return Number(*value);
  } else {
    return std::to_string(*value);
  }
}

std::string Bool(bool value) { return value ? "true" : "false"; }

Fields Flatten(const GenerationRequest& request) {
  Fields fields;
  fields["model"] = request.model;
  fields["messages.size"] = std::to_string(request.messages.size());
  for (size_t i = 0; i < request.messages.size(); ++i) {
    std::string prefix = "messages[" + std::to_string(i) + "].";
    fields[prefix + "role"] = std::string(RoleName(request.messages[i].role));
    fields[prefix + "content"] = Escape(request.messages[i].content);
  }
  fields["prompt"] = Escape(request.prompt);
  fields["continue_final_message"] = Bool(request.continue_final_message);
  fields["temperature"] = Optional(request.sampling.temperature);
  fields["top_p"] = Optional(request.sampling.top_p);
  fields["top_k"] = Optional(request.sampling.top_k);
  fields["seed"] = Optional(request.sampling.seed);
  fields["presence_penalty"] = Number(request.sampling.presence_penalty);
  fields["frequency_penalty"] = Number(request.sampling.frequency_penalty);
  std::string bias;
  for (const auto& [token, value] : request.sampling.logit_bias) {
    if (!bias.empty()) bias += ',';
    bias += std::to_string(token) + ':' + Number(value);
  }
  fields["logit_bias"] = bias;
  fields["stop.size"] = std::to_string(request.stop.size());
  for (size_t i = 0; i < request.stop.size(); ++i) {
    fields["stop[" + std::to_string(i) + "]"] = Escape(request.stop[i]);
  }
  fields["max_tokens"] = Optional(request.max_tokens);
  fields["stream"] = Bool(request.stream);
  fields["include_usage"] = Bool(request.include_usage);
  fields["logprobs"] = Bool(request.logprobs);
  fields["top_logprobs"] = std::to_string(request.top_logprobs);
  fields["json_mode"] = Bool(request.json_mode);
  fields["user"] = request.user;
  return fields;
}

Fields Flatten(const openai::EmbeddingsRequest& request) {
  Fields fields;
  fields["model"] = request.model;
  fields["inputs.size"] = std::to_string(request.inputs.size());
  for (size_t i = 0; i < request.inputs.size(); ++i) {
    fields["inputs[" + std::to_string(i) + "]"] = Escape(request.inputs[i]);
  }
  fields["base64"] = Bool(request.base64);
  fields["dimensions"] = Optional(request.dimensions);
  fields["user"] = request.user;
  return fields;
}

// Runs one case: the parsed fields on success, or the error.
ApiResult<Fields> Run(const Case& test_case) {
  if (test_case.endpoint == "chat") {
    auto result = openai::ParseChatRequest(test_case.body);
    if (!result) return ApiErr(result.error());
    return Flatten(*result);
  }
  if (test_case.endpoint == "completions") {
    auto result = openai::ParseCompletionRequest(test_case.body);
    if (!result) return ApiErr(result.error());
    return Flatten(*result);
  }
  if (test_case.endpoint == "embeddings") {
    auto result = openai::ParseEmbeddingsRequest(test_case.body);
    if (!result) return ApiErr(result.error());
    return Flatten(*result);
  }
  if (test_case.endpoint == "messages") {
    auto version = anthropic::ParseAnthropicVersion(test_case.headers);
    if (!version) return ApiErr(version.error());
    auto result = anthropic::ParseMessagesRequest(test_case.body, *version);
    if (!result) return ApiErr(result.error());
    return Flatten(*result);
  }
  return ApiErr(ApiError{0, "unknown endpoint " + test_case.endpoint, "", "", ""});
}

std::vector<Case> LoadCases(const std::filesystem::path& path) {
  std::vector<Case> cases;
  std::ifstream in(path);
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.find(' ');
    std::string keyword = line.substr(0, space);
    std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
    if (keyword == "case") {
      cases.push_back(Case{path.filename().string(), line_number, rest});
      continue;
    }
    if (cases.empty()) {
      ADD_FAILURE() << path << ":" << line_number << ": line before the first case";
      continue;
    }
    Case& current = cases.back();
    if (keyword == "endpoint") {
      current.endpoint = rest;
    } else if (keyword == "header") {
      size_t colon = rest.find(':');
      std::string value = colon == std::string::npos ? "" : rest.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
      current.headers.emplace_back(rest.substr(0, colon), value);
    } else if (keyword == "body") {
      current.body = rest;
    } else if (keyword == "expect") {
      current.expect = rest;
    } else if (size_t eq = line.find(" = "); eq != std::string::npos) {
      current.checks.emplace_back(line.substr(0, eq), line.substr(eq + 3));
    } else if (size_t tilde = line.find(" ~ "); tilde != std::string::npos) {
      current.checks.emplace_back(line.substr(0, tilde), "~" + line.substr(tilde + 3));
    } else {
      ADD_FAILURE() << path << ":" << line_number << ": cannot read line: " << line;
    }
  }
  return cases;
}

void Check(const Case& test_case) {
  SCOPED_TRACE(test_case.file + ":" + std::to_string(test_case.line) + " case " + test_case.name);
  ApiResult<Fields> outcome = Run(test_case);
  std::istringstream expect(test_case.expect);
  int status = 0;
  std::string type, param;
  expect >> status >> type >> param;
  Fields actual;
  if (status == 200) {
    ASSERT_TRUE(outcome.has_value())
        << "expected success, got " << outcome.error().http_status << " " << outcome.error().type
        << " param=" << outcome.error().param << ": " << outcome.error().message;
    actual = *outcome;
  } else {
    ASSERT_FALSE(outcome.has_value()) << "expected an error " << test_case.expect;
    const ApiError& error = outcome.error();
    EXPECT_EQ(error.http_status, status);
    EXPECT_EQ(error.type, type);
    EXPECT_EQ(error.param, param == "-" ? "" : param);
    EXPECT_FALSE(error.message.empty());
    actual["message"] = error.message;
    actual["code"] = error.code;
  }
  for (const auto& [key, value] : test_case.checks) {
    auto it = actual.find(key);
    ASSERT_NE(it, actual.end()) << "no field " << key;
    if (!value.empty() && value[0] == '~') {
      EXPECT_NE(it->second.find(value.substr(1)), std::string::npos)
          << key << " = '" << it->second << "' does not contain '" << value.substr(1) << "'";
    } else {
      EXPECT_EQ(it->second, value) << "field " << key;
    }
  }
}

TEST(TestData, AllCasesPass) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(LOCAI_TEST_DATA_DIR)) {
    if (entry.path().extension() == ".test") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 5u);
  size_t total = 0;
  for (const auto& file : files) {
    std::vector<Case> cases = LoadCases(file);
    EXPECT_FALSE(cases.empty()) << file;
    for (const Case& test_case : cases) {
      EXPECT_FALSE(test_case.expect.empty()) << file << " case " << test_case.name;
      Check(test_case);
      ++total;
    }
  }
  EXPECT_GE(total, 50u);
}

}  // namespace
}  // namespace locai::api
