#include "api/common/api_error.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace locai::api {
namespace {

using nlohmann::json;

struct Mapping {
  Status status;
  int openai_status;
  const char* openai_type;
  int anthropic_status;
  const char* anthropic_type;
};

TEST(ApiError, StatusMapsToBothApis) {
  const Mapping mappings[] = {
      {Status::InvalidArgument("m"), 400, "invalid_request_error", 400, "invalid_request_error"},
      {Status::FailedPrecondition("m"), 400, "invalid_request_error", 400, "invalid_request_error"},
      {Status::OutOfRange("m"), 400, "invalid_request_error", 400, "invalid_request_error"},
      {Status::Unimplemented("m"), 400, "invalid_request_error", 400, "invalid_request_error"},
      {Status::AlreadyExists("m"), 409, "invalid_request_error", 400, "invalid_request_error"},
      {Status::Unauthenticated("m"), 401, "authentication_error", 401, "authentication_error"},
      {Status::PermissionDenied("m"), 403, "permission_error", 403, "permission_error"},
      {Status::NotFound("m"), 404, "not_found_error", 404, "not_found_error"},
      {Status::ResourceExhausted("m"), 429, "rate_limit_error", 429, "rate_limit_error"},
      {Status::Unavailable("m"), 503, "server_error", 529, "overloaded_error"},
      {Status::DeadlineExceeded("m"), 504, "server_error", 504, "timeout_error"},
      {Status::Internal("m"), 500, "server_error", 500, "api_error"},
      {Status::DataLoss("m"), 500, "server_error", 500, "api_error"},
      {Status::Cancelled("m"), 500, "server_error", 500, "api_error"},
  };
  for (const Mapping& mapping : mappings) {
    SCOPED_TRACE(mapping.status.ToString());
    ApiError openai = OpenAiErrorFromStatus(mapping.status, "messages");
    EXPECT_EQ(openai.http_status, mapping.openai_status);
    EXPECT_EQ(openai.type, mapping.openai_type);
    EXPECT_EQ(openai.message, "m");
    EXPECT_EQ(openai.param, "messages");
    ApiError anthropic = AnthropicErrorFromStatus(mapping.status);
    EXPECT_EQ(anthropic.http_status, mapping.anthropic_status);
    EXPECT_EQ(anthropic.type, mapping.anthropic_type);
    EXPECT_EQ(anthropic.message, "m");
  }
}

TEST(ApiError, OkStatusIsAnInternalError) {
  EXPECT_EQ(OpenAiErrorFromStatus(Status::Ok()).http_status, 500);
  EXPECT_EQ(AnthropicErrorFromStatus(Status::Ok()).type, "api_error");
  EXPECT_FALSE(OpenAiErrorFromStatus(Status::Ok()).message.empty());
}

TEST(ApiError, EmptyMessageFallsBackToCodeName) {
  EXPECT_EQ(OpenAiErrorFromStatus(Status::NotFound("")).message, "NotFound");
}

TEST(ApiError, OpenAiBodyHasExactKeys) {
  json body = json::parse(SerializeOpenAiError(InvalidRequest("bad", "messages[2].content")));
  ASSERT_EQ(body.size(), 1u);
  const json& error = body.at("error");
  EXPECT_EQ(error.size(), 4u);
  EXPECT_EQ(error.at("message"), "bad");
  EXPECT_EQ(error.at("type"), "invalid_request_error");
  EXPECT_EQ(error.at("param"), "messages[2].content");
  EXPECT_TRUE(error.at("code").is_null());
}

TEST(ApiError, OpenAiBodyNullParam) {
  json body = json::parse(SerializeOpenAiError(OpenAiErrorFromStatus(Status::Internal("x"))));
  EXPECT_TRUE(body["error"]["param"].is_null());
  EXPECT_EQ(body["error"]["type"], "server_error");
}

TEST(ApiError, AnthropicBodyHasExactKeys) {
  json body =
      json::parse(SerializeAnthropicError(AnthropicErrorFromStatus(Status::Unavailable("busy"))));
  EXPECT_EQ(body, json::parse(
                      R"({"type":"error","error":{"type":"overloaded_error","message":"busy"}})"));
}

TEST(ApiError, ModelNotFound) {
  ApiError openai = OpenAiModelNotFound("gpt-9");
  EXPECT_EQ(openai.http_status, 404);
  EXPECT_EQ(openai.code, "model_not_found");
  EXPECT_EQ(openai.param, "model");
  EXPECT_NE(openai.message.find("gpt-9"), std::string::npos);
  json body = json::parse(SerializeOpenAiError(openai));
  EXPECT_EQ(body["error"]["code"], "model_not_found");
  ApiError anthropic = AnthropicModelNotFound("claude-9");
  EXPECT_EQ(anthropic.http_status, 404);
  EXPECT_EQ(anthropic.type, "not_found_error");
}

TEST(ApiError, RequestTooLarge) {
  EXPECT_EQ(OpenAiRequestTooLarge("big").http_status, 413);
  EXPECT_EQ(OpenAiRequestTooLarge("big").type, "invalid_request_error");
  EXPECT_EQ(AnthropicRequestTooLarge("big").http_status, 413);
  EXPECT_EQ(AnthropicRequestTooLarge("big").type, "request_too_large");
}

TEST(ApiError, RetypeBetweenApis) {
  ApiError overloaded = AnthropicErrorFromStatus(Status::Unavailable("busy"));
  ApiError as_openai = ToOpenAiError(overloaded);
  EXPECT_EQ(as_openai.http_status, 503);
  EXPECT_EQ(as_openai.type, "server_error");
  EXPECT_EQ(ToAnthropicError(as_openai).http_status, 529);
  EXPECT_EQ(ToAnthropicError(as_openai).type, "overloaded_error");

  ApiError too_large = ToAnthropicError(OpenAiRequestTooLarge("big"));
  EXPECT_EQ(too_large.type, "request_too_large");
  EXPECT_EQ(ToOpenAiError(too_large).type, "invalid_request_error");

  ApiError bad = ToAnthropicError(InvalidRequest("x", "messages[0]", "c"));
  EXPECT_EQ(bad.type, "invalid_request_error");
  EXPECT_TRUE(bad.param.empty());
  EXPECT_TRUE(bad.code.empty());

  EXPECT_EQ(ToOpenAiError(ApiError{429, "rate_limit_error", "slow", "", ""}).type,
            "rate_limit_error");
  EXPECT_EQ(ToAnthropicError(ApiError{401, "x", "k", "", ""}).type, "authentication_error");
  EXPECT_EQ(ToAnthropicError(ApiError{403, "x", "k", "", ""}).type, "permission_error");
  EXPECT_EQ(ToAnthropicError(ApiError{404, "x", "k", "", ""}).type, "not_found_error");
  EXPECT_EQ(ToAnthropicError(ApiError{502, "x", "k", "", ""}).type, "api_error");
  EXPECT_EQ(ToAnthropicError(ApiError{502, "x", "k", "", ""}).http_status, 500);
  EXPECT_EQ(ToOpenAiError(ApiError{418, "x", "k", "", ""}).type, "invalid_request_error");
  EXPECT_EQ(ToOpenAiError(ApiError{200, "x", "k", "", ""}).http_status, 500);
}

}  // namespace
}  // namespace locai::api
