#include "control/router/cloud_client.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/anthropic/messages_request.h"
#include "api/anthropic/messages_response.h"
#include "api/openai/chat_request.h"
#include "api/openai/chat_response.h"
#include "control/router/fake_upstream.h"

namespace locai::control::router {
namespace {

using nlohmann::json;
using testing::FakeUpstream;
using testing::UpstreamScript;

net::egress::Connector LoopbackConnector() {
  return std::move(*net::egress::Connector::FromRules({"allow 127.0.0.1:*"}));
}

ProviderConfig Provider(ProviderKind kind, const FakeUpstream& upstream) {
  return {kind == ProviderKind::kOpenAi ? "openai-test" : "claude-test",
          kind,
          upstream.base_url(),
          "secret-key",
          {}};
}

api::GenerationRequest OpenAiClientRequest() {
  auto parsed = api::openai::ParseChatRequest(R"({"model":"llama3.2:1b","stream":true,
      "messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi there"}],
      "max_tokens":64})");
  EXPECT_TRUE(parsed);
  return *parsed;
}

api::GenerationRequest AnthropicClientRequest() {
  auto parsed = api::anthropic::ParseMessagesRequest(
      R"({"model":"llama3.2:1b","max_tokens":32,"stream":true,"system":"Answer in French.",
          "messages":[{"role":"user","content":[{"type":"text","text":"Hello"}]}]})",
      api::anthropic::AnthropicVersion::k20230601);
  EXPECT_TRUE(parsed);
  return *parsed;
}

struct Collected {
  std::vector<std::string> deltas;
  DeltaCallback Sink() {
    return [this](std::string_view text) {
      deltas.emplace_back(text);
      return true;
    };
  }
  std::string Joined() const {
    std::string out;
    for (const auto& delta : deltas) out += delta;
    return out;
  }
};

TEST(CloudClient, OpenAiProviderStreamsDeltasAndUsage) {
  FakeUpstream upstream(UpstreamScript{});
  ASSERT_NE(upstream.port(), 0);
  net::egress::Connector connector = LoopbackConnector();
  CloudClient client(Provider(ProviderKind::kOpenAi, upstream), connector);
  Collected got;
  Result<CloudCompletion> done = client.Stream(OpenAiClientRequest(), "gpt-4o-mini", got.Sink());
  ASSERT_TRUE(done) << done.error().ToString();
  EXPECT_EQ(got.deltas, (std::vector<std::string>{"Hello", ", ", "world"}));
  EXPECT_EQ(done->finish_reason, api::FinishReason::kStop);
  EXPECT_EQ(done->usage, (api::Usage{7, 3}));
  EXPECT_EQ(done->upstream_id, "chatcmpl-fake");

  std::vector<testing::ReceivedRequest> received = upstream.Received();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].path, "/v1/chat/completions");
  EXPECT_EQ(received[0].headers.GetOr("Authorization", ""), "Bearer secret-key");
  json body = json::parse(received[0].body);
  EXPECT_EQ(body["model"], "gpt-4o-mini");
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
  EXPECT_EQ(body["messages"][1]["content"], "Hi there");

  // The egress log names the provider.
  std::vector<net::egress::EgressAttempt> attempts = connector.Attempts();
  ASSERT_FALSE(attempts.empty());
  EXPECT_EQ(attempts[0].purpose, "cloud:openai-test");
  EXPECT_TRUE(attempts[0].allowed);
}

TEST(CloudClient, AnthropicClientFallsBackToOpenAiProvider) {
  FakeUpstream upstream(UpstreamScript{.deltas = {"Bon", "jour"}});
  net::egress::Connector connector = LoopbackConnector();
  CloudClient client(Provider(ProviderKind::kOpenAi, upstream), connector);
  // Re-emit in the client's format as the gateway will.
  api::anthropic::MessageStreamWriter writer(api::ResponseMeta{"msg_1", "llama3.2:1b", 1, ""});
  std::string client_bytes = writer.Start(0);
  Result<CloudCompletion> done =
      client.Stream(AnthropicClientRequest(), "gpt-4o", [&](std::string_view text) {
        client_bytes += writer.Delta(text);
        return true;
      });
  ASSERT_TRUE(done) << done.error().ToString();
  client_bytes += writer.Finish(done->finish_reason, done->stop_sequence, done->usage);

  json body = json::parse(upstream.Received().at(0).body);
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_EQ(body["messages"][0]["content"], "Answer in French.");
  EXPECT_EQ(body["messages"][1]["content"], "Hello");
  EXPECT_EQ(body["max_completion_tokens"], 32);

  api::SseParser parser;
  std::string text;
  std::vector<std::string> types;
  for (const api::SseMessage& event : parser.Feed(client_bytes)) {
    types.push_back(event.event);
    json data = json::parse(event.data);
    if (event.event == "content_block_delta") text += data["delta"]["text"].get<std::string>();
    if (event.event == "message_delta") {
      EXPECT_EQ(data["delta"]["stop_reason"], "end_turn");
      EXPECT_EQ(data["usage"]["output_tokens"], 3);
    }
  }
  EXPECT_EQ(text, "Bonjour");
  EXPECT_EQ(types.front(), "message_start");
  EXPECT_EQ(types.back(), "message_stop");
}

TEST(CloudClient, OpenAiClientFallsBackToAnthropicProvider) {
  FakeUpstream upstream(UpstreamScript{.deltas = {"Hi", "!"}, .finish = "length"});
  net::egress::Connector connector = LoopbackConnector();
  CloudClient client(Provider(ProviderKind::kAnthropic, upstream), connector);
  api::GenerationRequest request = OpenAiClientRequest();
  request.max_tokens.reset();  // Anthropic requires one: the client's default is sent
  api::openai::ChatStreamWriter writer(api::ResponseMeta{"chatcmpl-1", "llama3.2:1b", 1, ""}, true,
                                       false);
  std::string client_bytes = writer.Start();
  Result<CloudCompletion> done = client.Stream(request, "claude-sonnet", [&](std::string_view t) {
    client_bytes += writer.Delta(t);
    return true;
  });
  ASSERT_TRUE(done) << done.error().ToString();
  client_bytes += writer.Finish(done->finish_reason, done->usage);
  EXPECT_EQ(done->finish_reason, api::FinishReason::kLength);
  EXPECT_EQ(done->usage, (api::Usage{7, 3}));
  EXPECT_EQ(done->upstream_id, "msg_fake");

  testing::ReceivedRequest received = upstream.Received().at(0);
  EXPECT_EQ(received.path, "/v1/messages");
  EXPECT_EQ(received.headers.GetOr("x-api-key", ""), "secret-key");
  EXPECT_EQ(received.headers.GetOr("anthropic-version", ""), "2023-06-01");
  EXPECT_FALSE(received.headers.Has("Authorization"));
  json body = json::parse(received.body);
  EXPECT_EQ(body["model"], "claude-sonnet");
  EXPECT_EQ(body["system"], "Be brief.");
  EXPECT_EQ(body["max_tokens"], 4096);
  EXPECT_EQ(body["stream"], true);

  api::SseParser parser;
  std::string text;
  std::string finish;
  bool saw_done = false;
  for (const api::SseMessage& event : parser.Feed(client_bytes)) {
    if (event.data == "[DONE]") {
      saw_done = true;
      continue;
    }
    json chunk = json::parse(event.data);
    for (const json& choice : chunk["choices"]) {
      if (choice["delta"].contains("content"))
        text += choice["delta"]["content"].get<std::string>();
      if (choice["finish_reason"].is_string()) finish = choice["finish_reason"];
    }
  }
  EXPECT_EQ(text, "Hi!");
  EXPECT_EQ(finish, "length");
  EXPECT_TRUE(saw_done);
}

TEST(CloudClient, ProviderErrorResponseKeepsItsMessage) {
  for (ProviderKind kind : {ProviderKind::kOpenAi, ProviderKind::kAnthropic}) {
    FakeUpstream upstream(UpstreamScript{
        .error_status = 429,
        .error_body = R"({"error":{"type":"rate_limit_error","message":"Rate limit reached"}})"});
    net::egress::Connector connector = LoopbackConnector();
    CloudClient client(Provider(kind, upstream), connector);
    Collected got;
    Result<CloudCompletion> done = client.Stream(OpenAiClientRequest(), "m", got.Sink());
    ASSERT_FALSE(done);
    EXPECT_EQ(done.error().code(), StatusCode::kResourceExhausted);
    EXPECT_NE(done.error().message().find("Rate limit reached"), std::string::npos)
        << done.error().message();
    EXPECT_NE(done.error().message().find("HTTP 429"), std::string::npos);
    EXPECT_TRUE(got.deltas.empty());
  }
}

TEST(CloudClient, StreamThatEndsEarlyIsUnavailableAfterItsDeltas) {
  for (ProviderKind kind : {ProviderKind::kOpenAi, ProviderKind::kAnthropic}) {
    FakeUpstream upstream(UpstreamScript{.deltas = {"partial"}, .cut_before_end = true});
    net::egress::Connector connector = LoopbackConnector();
    CloudClient client(Provider(kind, upstream), connector);
    Collected got;
    Result<CloudCompletion> done = client.Stream(OpenAiClientRequest(), "m", got.Sink());
    ASSERT_FALSE(done);
    EXPECT_EQ(done.error().code(), StatusCode::kUnavailable);
    EXPECT_NE(done.error().message().find("ended the stream before it finished"),
              std::string::npos);
    EXPECT_EQ(got.Joined(), "partial");
  }
}

TEST(CloudClient, StreamedErrorEventAfterDeltas) {
  for (ProviderKind kind : {ProviderKind::kOpenAi, ProviderKind::kAnthropic}) {
    FakeUpstream upstream(
        UpstreamScript{.deltas = {"a", "b"}, .stream_error_type = "overloaded_error"});
    net::egress::Connector connector = LoopbackConnector();
    CloudClient client(Provider(kind, upstream), connector);
    Collected got;
    Result<CloudCompletion> done = client.Stream(OpenAiClientRequest(), "m", got.Sink());
    ASSERT_FALSE(done);
    EXPECT_EQ(done.error().code(), StatusCode::kUnavailable);
    EXPECT_NE(done.error().message().find("upstream trouble"), std::string::npos);
    EXPECT_EQ(got.Joined(), "ab");
  }
}

TEST(CloudClient, ProviderThatIgnoresStreamAnswersInOneDelta) {
  for (ProviderKind kind : {ProviderKind::kOpenAi, ProviderKind::kAnthropic}) {
    FakeUpstream upstream(
        UpstreamScript{.deltas = {"all ", "at once"}, .whole_json = true, .finish = "length"});
    net::egress::Connector connector = LoopbackConnector();
    CloudClient client(Provider(kind, upstream), connector);
    Collected got;
    Result<CloudCompletion> done = client.Stream(OpenAiClientRequest(), "m", got.Sink());
    ASSERT_TRUE(done) << done.error().ToString();
    EXPECT_EQ(got.deltas, (std::vector<std::string>{"all at once"}));
    EXPECT_EQ(done->finish_reason, api::FinishReason::kLength);
    EXPECT_EQ(done->usage, (api::Usage{7, 3}));
  }
}

TEST(CloudClient, EgressDeniedMakesNoConnection) {
  FakeUpstream upstream(UpstreamScript{});
  net::egress::Connector connector = std::move(*net::egress::Connector::FromRules({}));
  CloudClient client(Provider(ProviderKind::kOpenAi, upstream), connector);
  Collected got;
  Result<CloudCompletion> done = client.Stream(OpenAiClientRequest(), "m", got.Sink());
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(upstream.Received().empty());
  ASSERT_EQ(connector.Attempts().size(), 1u);
  EXPECT_FALSE(connector.Attempts()[0].allowed);
  EXPECT_EQ(connector.Attempts()[0].purpose, "cloud:openai-test");
}

TEST(CloudClient, ModelOutsideTheProvidersListIsRefused) {
  FakeUpstream upstream(UpstreamScript{});
  net::egress::Connector connector = LoopbackConnector();
  ProviderConfig provider = Provider(ProviderKind::kOpenAi, upstream);
  provider.models = {"gpt-4o-mini"};
  CloudClient client(provider, connector);
  Collected got;
  Result<CloudCompletion> done = client.Stream(OpenAiClientRequest(), "gpt-5", got.Sink());
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(upstream.Received().empty());
  EXPECT_TRUE(client.Stream(OpenAiClientRequest(), "gpt-4o-mini", got.Sink()));
}

TEST(CloudClient, CallerCanStopTheStream) {
  FakeUpstream upstream(UpstreamScript{.deltas = {"one", "two", "three"}});
  net::egress::Connector connector = LoopbackConnector();
  CloudClient client(Provider(ProviderKind::kOpenAi, upstream), connector);
  int calls = 0;
  Result<CloudCompletion> done =
      client.Stream(OpenAiClientRequest(), "m", [&calls](std::string_view) {
        ++calls;
        return false;
      });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code(), StatusCode::kCancelled);
  EXPECT_EQ(calls, 1);
  // The client is still usable afterwards.
  Result<api::GenerationResult> whole = client.Complete(OpenAiClientRequest(), "m");
  ASSERT_TRUE(whole) << whole.error().ToString();
  EXPECT_EQ(whole->text, "onetwothree");
  EXPECT_EQ(whole->usage, (api::Usage{7, 3}));
}

TEST(CloudClient, EndpointUrlFollowsTheBaseUrlsPath) {
  net::egress::Connector connector = LoopbackConnector();
  auto url = [&](ProviderKind kind, std::string base) {
    return CloudClient(ProviderConfig{"p", kind, std::move(base), "", {}}, connector).EndpointUrl();
  };
  EXPECT_EQ(url(ProviderKind::kOpenAi, "https://api.openai.com/v1"),
            "https://api.openai.com/v1/chat/completions");
  EXPECT_EQ(url(ProviderKind::kOpenAi, "https://api.groq.com/openai/v1/"),
            "https://api.groq.com/openai/v1/chat/completions");
  EXPECT_EQ(url(ProviderKind::kOpenAi, "http://10.0.0.9:8000"),
            "http://10.0.0.9:8000/v1/chat/completions");
  EXPECT_EQ(url(ProviderKind::kAnthropic, "https://api.anthropic.com"),
            "https://api.anthropic.com/v1/messages");
  EXPECT_EQ(url(ProviderKind::kAnthropic, "https://gw.example/anthropic/v1"),
            "https://gw.example/anthropic/v1/messages");
}

}  // namespace
}  // namespace locai::control::router
