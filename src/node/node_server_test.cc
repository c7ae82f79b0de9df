// node_test: a real NodeServer on 127.0.0.1 port 0 serving stories260K (a real trained model),
// driven through net::HttpClient.
#include "node/node_server.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "api/common/sse.h"
#include "net/egress/connector.h"
#include "net/http/http_client.h"
#include "node/test_util.h"

namespace locai::node {
namespace {

using nlohmann::json;
using testing::ConformanceModel;
using testing::TempDir;

class LogCapture {
 public:
  void Add(std::string_view line) {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.emplace_back(line);
  }
  std::vector<json> Requests() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<json> out;
    for (const auto& line : lines_) {
      json j = json::parse(line, nullptr, false);
      if (j.is_object() && j.value("msg", "") == "request") out.push_back(j);
    }
    return out;
  }
  std::string All() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    for (const auto& line : lines_) out += line + "\n";
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

struct Node {
  TempDir dir;
  LogCapture logs;
  std::unique_ptr<NodeServer> server;
  net::egress::Connector connector{[] {
    net::egress::ConnectorOptions options;
    options.rules.push_back(*net::egress::EgressRule::Parse("allow 127.0.0.1:*"));
    return options;
  }()};

  explicit Node(std::function<void(NodeOptions&)> configure = nullptr) {
    dir.Link(ConformanceModel("stories260K.gguf"), "stories.gguf");
    dir.Write("aliases.txt", "story:latest = stories.gguf\n");
    NodeOptions options;
    options.models_dir = dir.path();
    options.port = 0;
    options.models.n_parallel = 2;
    options.models.context_length = 512;
    options.models.max_queue = 8;
    options.models.n_threads = 1;
    options.models.max_batch_tokens = 64;
    options.io_threads = 2;
    options.worker_threads = 2;
    options.log = [this](std::string_view line) { logs.Add(line); };
    if (configure) configure(options);
    auto created = NodeServer::Create(std::move(options));
    EXPECT_TRUE(created) << created.error().ToString();
    server = std::move(*created);
    Status started = server->Start();
    EXPECT_TRUE(started.ok()) << started.ToString();
  }

  std::string Url(std::string_view path) const { return server->url() + std::string(path); }

  net::ClientResponse Get(std::string_view path, net::HttpHeaders headers = {}) {
    net::HttpClient client(connector);
    net::ClientRequest request;
    request.url = Url(path);
    request.headers = std::move(headers);
    auto response = client.Fetch(request);
    EXPECT_TRUE(response) << response.error().ToString();
    return response ? *response : net::ClientResponse{};
  }

  net::ClientResponse Post(std::string_view path, const std::string& body,
                           net::HttpHeaders headers = {}) {
    net::HttpClient client(connector);
    net::ClientRequest request;
    request.method = "POST";
    request.url = Url(path);
    request.headers = std::move(headers);
    request.headers.Set("Content-Type", "application/json");
    request.body = body;
    auto response = client.Fetch(request);
    EXPECT_TRUE(response) << response.error().ToString();
    return response ? *response : net::ClientResponse{};
  }

  // The SSE events of a streamed response; `keep_going` may stop reading early.
  std::vector<api::SseMessage> Stream(
      std::string_view path, const std::string& body, net::HttpHeaders headers = {},
      std::function<bool(const api::SseMessage&)> keep_going = nullptr, int* status = nullptr) {
    net::HttpClient client(connector);
    net::ClientRequest request;
    request.method = "POST";
    request.url = Url(path);
    request.headers = std::move(headers);
    request.headers.Set("Content-Type", "application/json");
    request.body = body;
    api::SseParser parser;
    std::vector<api::SseMessage> events;
    auto response = client.Stream(request, [&](std::string_view chunk) {
      for (auto& event : parser.Feed(chunk)) {
        events.push_back(event);
        if (keep_going && !keep_going(events.back())) return false;
      }
      return true;
    });
    if (status && response) *status = response->status;
    return events;
  }
};

net::HttpHeaders AnthropicHeaders() {
  net::HttpHeaders headers;
  headers.Set("anthropic-version", "2023-06-01");
  return headers;
}

json Body(const net::ClientResponse& response) {
  return json::parse(response.body, nullptr, false);
}

const char kChat[] =
    R"({"model":"stories","messages":[{"role":"user","content":"Tell me a story."}],)";

TEST(NodeServerTest, ListsAndGetsModelsInBothFormats) {
  Node node;
  auto list = node.Get("/v1/models");
  EXPECT_EQ(list.status, 200);
  EXPECT_TRUE(list.headers.Has("x-request-id"));
  json body = Body(list);
  EXPECT_EQ(body["object"], "list");
  ASSERT_EQ(body["data"].size(), 2u);
  EXPECT_EQ(body["data"][0]["id"], "stories");
  EXPECT_EQ(body["data"][1]["id"], "story:latest");
  EXPECT_EQ(body["data"][0]["owned_by"], "locai");

  auto one = node.Get("/v1/models/stories.gguf");
  EXPECT_EQ(one.status, 200);
  EXPECT_EQ(Body(one)["id"], "stories.gguf");

  auto anthropic = node.Get("/v1/models", AnthropicHeaders());
  EXPECT_EQ(Body(anthropic)["data"][0]["type"], "model");
  EXPECT_EQ(Body(anthropic)["has_more"], false);

  auto missing = node.Get("/v1/models/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Body(missing)["error"]["code"], "model_not_found");
  auto missing_anthropic = node.Get("/v1/models/nope", AnthropicHeaders());
  EXPECT_EQ(Body(missing_anthropic)["type"], "error");
  EXPECT_EQ(Body(missing_anthropic)["error"]["type"], "not_found_error");
}

TEST(NodeServerTest, ModelsAddedAtRunTimeAreListedByTheirNames) {
  Node node;
  ModelFile file;
  file.id = "sha256:0123";
  file.file_name = "0123";
  file.path = ConformanceModel("stories260K.gguf");
  file.list_id = false;
  ASSERT_TRUE(node.server->models().AddModel(file, {"llama3.2:1b"}).ok());
  json body = Body(node.Get("/v1/models"));
  ASSERT_EQ(body["data"].size(), 3u);
  EXPECT_EQ(body["data"][2]["id"], "llama3.2:1b");
  EXPECT_EQ(node.Get("/v1/models/llama3.2:1b").status, 200);
  EXPECT_EQ(Body(node.Get("/health"))["available_models"], 2);

  ASSERT_TRUE(node.server->models().RemoveModel("sha256:0123").ok());
  EXPECT_EQ(Body(node.Get("/v1/models"))["data"].size(), 2u);
  EXPECT_EQ(node.Get("/v1/models/llama3.2:1b").status, 404);
}

TEST(NodeServerTest, ChatCompletionIsDeterministicPerSeedAndStreamsTheSameText) {
  Node node;
  const std::string request =
      std::string(kChat) + R"("max_tokens":12,"temperature":0.8,"seed":42})";
  auto first = node.Post("/v1/chat/completions", request);
  ASSERT_EQ(first.status, 200) << first.body;
  json body = Body(first);
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(body["model"], "stories");
  EXPECT_EQ(body["choices"][0]["message"]["role"], "assistant");
  const std::string text = body["choices"][0]["message"]["content"];
  const std::string finish = body["choices"][0]["finish_reason"];
  const int64_t completion_tokens = body["usage"]["completion_tokens"];
  EXPECT_GT(body["usage"]["prompt_tokens"].get<int64_t>(), 5);
  EXPECT_LE(completion_tokens, 12);
  EXPECT_EQ(finish, completion_tokens == 12 ? "length" : "stop");
  EXPECT_EQ(Body(node.Post("/v1/chat/completions", request))["choices"][0]["message"]["content"],
            text);

  const std::string stream_request = std::string(kChat) +
      R"("max_tokens":12,"temperature":0.8,"seed":42,"stream":true,)"
      R"("stream_options":{"include_usage":true}})";
  auto events = node.Stream("/v1/chat/completions", stream_request);
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.back().data, "[DONE]");
  json start = json::parse(events[0].data);
  EXPECT_EQ(start["object"], "chat.completion.chunk");
  EXPECT_EQ(start["choices"][0]["delta"]["role"], "assistant");
  std::string streamed;
  for (size_t i = 1; i + 3 < events.size(); ++i) {
    json chunk = json::parse(events[i].data);
    streamed += chunk["choices"][0]["delta"]["content"].get<std::string>();
    EXPECT_TRUE(chunk["choices"][0]["finish_reason"].is_null());
  }
  EXPECT_EQ(streamed, text);
  json finish_chunk = json::parse(events[events.size() - 3].data);
  EXPECT_EQ(finish_chunk["choices"][0]["finish_reason"], finish);
  json usage_chunk = json::parse(events[events.size() - 2].data);
  EXPECT_TRUE(usage_chunk["choices"].empty());
  EXPECT_EQ(usage_chunk["usage"]["completion_tokens"], completion_tokens);
}

TEST(NodeServerTest, CompletionsFollowTheModelAndHonourStopStrings) {
  Node node;
  auto greedy = node.Post("/v1/completions",
                          R"({"model":"story:latest","prompt":"Once upon a time",)"
                          R"("max_tokens":16,"temperature":0})");
  ASSERT_EQ(greedy.status, 200) << greedy.body;
  json body = Body(greedy);
  EXPECT_EQ(body["object"], "text_completion");
  const std::string text = body["choices"][0]["text"];
  EXPECT_EQ(text.rfind(", there was a little girl", 0), 0u) << text;
  EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(body["usage"]["completion_tokens"], 16);

  auto stopped = node.Post("/v1/completions",
                           R"({"model":"stories","prompt":"Once upon a time","max_tokens":32,)"
                           R"("temperature":0,"stop":["girl"],"logprobs":2})");
  ASSERT_EQ(stopped.status, 200) << stopped.body;
  body = Body(stopped);
  EXPECT_EQ(body["choices"][0]["text"], ", there was a little ");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  ASSERT_TRUE(body["choices"][0]["logprobs"].is_object());
  EXPECT_EQ(body["choices"][0]["logprobs"]["top_logprobs"][0].size(), 2u);

  auto events = node.Stream("/v1/completions",
                            R"({"model":"stories","prompt":"Once upon a time","max_tokens":16,)"
                            R"("temperature":0,"stream":true})");
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back().data, "[DONE]");
  std::string streamed;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    streamed += json::parse(events[i].data)["choices"][0]["text"].get<std::string>();
  }
  EXPECT_EQ(streamed, text);
}

TEST(NodeServerTest, AnthropicMessagesWithStopSequenceAndFullEventStream) {
  Node node;
  const std::string request =
      R"({"model":"stories","max_tokens":64,"temperature":0,"system":"You tell stories.",)"
      R"("messages":[{"role":"user","content":"Once upon a time"}],"stop_sequences":["e"]})";
  auto response = node.Post("/v1/messages", request, AnthropicHeaders());
  ASSERT_EQ(response.status, 200) << response.body;
  json body = Body(response);
  EXPECT_EQ(body["type"], "message");
  EXPECT_EQ(body["id"].get<std::string>().rfind("msg_", 0), 0u);
  EXPECT_EQ(body["stop_reason"], "stop_sequence");
  EXPECT_EQ(body["stop_sequence"], "e");
  const std::string text = body["content"][0]["text"];
  EXPECT_EQ(text.find('e'), std::string::npos);
  EXPECT_GT(body["usage"]["input_tokens"].get<int64_t>(), 5);
  auto count = node.Post("/v1/messages/count_tokens",
                         R"({"model":"stories","system":"You tell stories.",)"
                         R"("messages":[{"role":"user","content":"Once upon a time"}]})",
                         AnthropicHeaders());
  ASSERT_EQ(count.status, 200) << count.body;
  EXPECT_EQ(Body(count)["input_tokens"], body["usage"]["input_tokens"]);

  std::string streaming = request;
  streaming.insert(1, R"("stream":true,)");
  auto events = node.Stream("/v1/messages", streaming, AnthropicHeaders());
  std::vector<std::string> names;
  std::string streamed;
  for (const auto& event : events) {
    if (names.empty() || names.back() != event.event) names.push_back(event.event);
    if (event.event == "content_block_delta") {
      streamed += json::parse(event.data)["delta"]["text"].get<std::string>();
    }
    if (event.event == "message_delta") {
      json delta = json::parse(event.data);
      EXPECT_EQ(delta["delta"]["stop_reason"], "stop_sequence");
      EXPECT_EQ(delta["delta"]["stop_sequence"], "e");
    }
  }
  std::vector<std::string> expected = {"message_start", "content_block_start", "ping"};
  if (!text.empty()) expected.push_back("content_block_delta");
  for (const char* name : {"content_block_stop", "message_delta", "message_stop"}) {
    expected.push_back(name);
  }
  EXPECT_EQ(names, expected);
  EXPECT_EQ(streamed, text);
}

TEST(NodeServerTest, ErrorsComeInEachApisFormat) {
  Node node;
  auto bad_json = node.Post("/v1/chat/completions", "{not json");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(Body(bad_json)["error"]["type"], "invalid_request_error");
  EXPECT_TRUE(bad_json.headers.Has("x-request-id"));

  auto n2 = node.Post("/v1/chat/completions", std::string(kChat) + R"("n":2})");
  EXPECT_EQ(n2.status, 400);
  EXPECT_EQ(Body(n2)["error"]["param"], "n");

  auto wrong_type = node.Post("/v1/chat/completions", std::string(kChat) + R"("temperature":"hot"})");
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_EQ(Body(wrong_type)["error"]["param"], "temperature");

  auto unknown = node.Post("/v1/chat/completions",
                           R"({"model":"gpt-9","messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(Body(unknown)["error"]["code"], "model_not_found");

  auto bias = node.Post("/v1/chat/completions",
                        std::string(kChat) + R"("logit_bias":{"999999":5}})");
  EXPECT_EQ(bias.status, 400) << bias.body;
  EXPECT_EQ(Body(bias)["error"]["param"], "logit_bias");

  auto no_version = node.Post("/v1/messages",
                              R"({"model":"stories","max_tokens":5,)"
                              R"("messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(no_version.status, 400);
  EXPECT_EQ(Body(no_version)["type"], "error");

  auto unknown_anthropic = node.Post("/v1/messages",
                                     R"({"model":"claude-9","max_tokens":5,)"
                                     R"("messages":[{"role":"user","content":"x"}]})",
                                     AnthropicHeaders());
  EXPECT_EQ(unknown_anthropic.status, 404);
  EXPECT_EQ(Body(unknown_anthropic)["error"]["type"], "not_found_error");

  auto no_route = node.Get("/v2/nothing");
  EXPECT_EQ(no_route.status, 404);
  EXPECT_EQ(Body(no_route)["error"]["type"], "not_found_error");

  // Each failure is one log line with its status and no prompt text.
  bool logged_404 = false;
  for (const auto& entry : node.logs.Requests()) {
    if (entry["status"] == 404 && entry.value("model", "") == "gpt-9") logged_404 = true;
  }
  EXPECT_TRUE(logged_404) << node.logs.All();
  EXPECT_EQ(node.logs.All().find("Tell me a story"), std::string::npos);
}

TEST(NodeServerTest, ApiKeysAreCheckedInBothHeaderStyles) {
  Node node([](NodeOptions& o) { o.api_keys = {"sk-one", "sk-two"}; });
  auto none = node.Get("/v1/models");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(Body(none)["error"]["code"], "invalid_api_key");
  net::HttpHeaders bearer;
  bearer.Set("Authorization", "Bearer sk-two");
  EXPECT_EQ(node.Get("/v1/models", bearer).status, 200);
  net::HttpHeaders wrong = AnthropicHeaders();
  wrong.Set("x-api-key", "sk-three");
  auto refused = node.Post("/v1/messages", "{}", wrong);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(Body(refused)["error"]["type"], "authentication_error");
  net::HttpHeaders right = AnthropicHeaders();
  right.Set("x-api-key", "sk-one");
  EXPECT_EQ(node.Get("/v1/models", right).status, 200);
  EXPECT_EQ(node.Get("/health").status, 200);  // open
}

TEST(NodeServerTest, EmbeddingsAsFloatsAndBase64) {
  Node node;
  auto floats = node.Post("/v1/embeddings",
                          R"({"model":"stories","input":["Once upon a time","The dog"],)"
                          R"("encoding_format":"float"})");
  ASSERT_EQ(floats.status, 200) << floats.body;
  json body = Body(floats);
  ASSERT_EQ(body["data"].size(), 2u);
  EXPECT_EQ(body["data"][0]["embedding"].size(), 64u);
  double norm = 0.0;
  for (double v : body["data"][0]["embedding"]) norm += v * v;
  EXPECT_NEAR(norm, 1.0, 1e-3);
  EXPECT_GT(body["usage"]["prompt_tokens"].get<int64_t>(), 4);

  auto base64 = node.Post("/v1/embeddings", R"({"model":"stories","input":"Once upon a time","encoding_format":"base64"})");
  ASSERT_EQ(base64.status, 200);
  const std::string encoded = Body(base64)["data"][0]["embedding"];
  EXPECT_EQ(encoded.size(), (64u * 4u + 2u) / 3u * 4u);

  auto dims = node.Post("/v1/embeddings", R"({"model":"stories","input":"x","dimensions":8})");
  EXPECT_EQ(dims.status, 400);
  EXPECT_EQ(Body(dims)["error"]["param"], "dimensions");
}

TEST(NodeServerTest, HealthAndMetrics) {
  Node node;
  json health = Body(node.Get("/health"));
  EXPECT_EQ(health["status"], "ready");
  EXPECT_TRUE(health["models"].empty());
  ASSERT_EQ(node.Post("/v1/completions",
                      R"({"model":"stories","prompt":"Once","max_tokens":4,"temperature":0})")
                .status,
            200);
  health = Body(node.Get("/health"));
  ASSERT_EQ(health["models"].size(), 1u);
  EXPECT_EQ(health["models"][0]["state"], "loaded");

  auto metrics = node.Get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  const std::string& text = metrics.body;
  EXPECT_NE(text.find(R"(locai_requests_total{endpoint="/v1/completions",status="200"} 1)"),
            std::string::npos) << text;
  EXPECT_NE(text.find("locai_completion_tokens_total 4"), std::string::npos) << text;
  EXPECT_NE(text.find("locai_time_to_first_token_seconds_count 1"), std::string::npos);
  EXPECT_NE(text.find("locai_inter_token_latency_seconds_count 3"), std::string::npos);
  EXPECT_NE(text.find("locai_loaded_models 1"), std::string::npos);
  EXPECT_NE(text.find("locai_queue_depth 0"), std::string::npos);

  auto requests = node.logs.Requests();
  ASSERT_FALSE(requests.empty());
  const json& entry = requests.back();
  EXPECT_EQ(entry["endpoint"], "/v1/completions");
  EXPECT_EQ(entry["completion_tokens"], 4);
  EXPECT_TRUE(entry.contains("ttft_ms"));
  EXPECT_FALSE(entry.contains("prompt"));
}

TEST(NodeServerTest, LogPromptsPutsTextInTheLogOnlyWhenAsked) {
  Node node([](NodeOptions& o) { o.log_prompts = true; });
  ASSERT_EQ(node.Post("/v1/completions",
                      R"({"model":"stories","prompt":"Once upon a time","max_tokens":4,)"
                      R"("temperature":0})")
                .status,
            200);
  auto requests = node.logs.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0]["prompt"], "Once upon a time");
  EXPECT_EQ(requests[0]["output"], ", there was a");
}

// A long generation: EOS (id 2 in this vocabulary) banned, the whole context to fill.
const char kLongStream[] =
    R"({"model":"stories","prompt":"Once upon a time","stream":true,"max_tokens":100000,)"
    R"("logit_bias":{"2":-100}})";

TEST(NodeServerTest, ClientDisconnectCancelsTheGeneration) {
  Node node;
  int deltas = 0;
  node.Stream("/v1/completions", kLongStream, {}, [&](const api::SseMessage&) {
    return ++deltas < 2;  // hang up after two chunks
  });
  // The request ends as cancelled well before its ~490 tokens.
  json entry;
  for (int i = 0; i < 500 && entry.is_null(); ++i) {
    for (const auto& e : node.logs.Requests()) {
      if (e["endpoint"] == "/v1/completions") entry = e;
    }
    if (entry.is_null()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(entry.is_null()) << node.logs.All();
  EXPECT_EQ(entry["finish_reason"], "cancelled") << entry.dump();
  EXPECT_EQ(entry["status"], 499);
  EXPECT_LT(entry["completion_tokens"].get<int64_t>(), 400);
  auto snapshot = node.server->models().Snapshot();
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_EQ(snapshot[0].stats.running, 0);
  EXPECT_EQ(snapshot[0].stats.requests_finished, 1u);
}

TEST(NodeServerTest, FullQueueIsRefusedWithRetryAfter) {
  Node node([](NodeOptions& o) {
    o.models.n_parallel = 1;
    o.models.max_queue = 0;
  });
  std::atomic<bool> first_running{false};
  std::atomic<bool> release{false};
  std::thread long_stream([&] {
    node.Stream("/v1/completions", kLongStream, {}, [&](const api::SseMessage&) {
      first_running = true;
      return !release.load();
    });
  });
  while (!first_running) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto openai = node.Post("/v1/completions", R"({"model":"stories","prompt":"x","max_tokens":2})");
  auto anthropic = node.Post("/v1/messages",
                             R"({"model":"stories","max_tokens":2,)"
                             R"("messages":[{"role":"user","content":"x"}]})",
                             AnthropicHeaders());
  json health = Body(node.Get("/health"));
  release = true;
  long_stream.join();
  EXPECT_EQ(openai.status, 429) << openai.body;
  EXPECT_EQ(Body(openai)["error"]["type"], "rate_limit_error");
  EXPECT_EQ(openai.headers.GetOr("Retry-After", ""), "1");
  EXPECT_EQ(anthropic.status, 529) << anthropic.body;
  EXPECT_EQ(Body(anthropic)["error"]["type"], "overloaded_error");
  EXPECT_EQ(anthropic.headers.GetOr("Retry-After", ""), "1");
  EXPECT_EQ(health["status"], "overloaded");
}

TEST(NodeServerTest, ModelThatDoesNotFitIsRefusedWithTheNumbers) {
  Node node([](NodeOptions& o) { o.models.memory_limit = 64 * 1024; });
  auto response = node.Post("/v1/chat/completions", std::string(kChat) + R"("max_tokens":2})");
  EXPECT_EQ(response.status, 503);
  const std::string message = Body(response)["error"]["message"];
  EXPECT_NE(message.find("model 'stories' does not fit in memory: it needs"), std::string::npos)
      << message;
  EXPECT_NE(message.find("but only 64.0 KiB is available"), std::string::npos) << message;
}

TEST(NodeServerTest, PreloadAndBadOptions) {
  Node node([](NodeOptions& o) { o.preload = {"story:latest"}; });
  EXPECT_EQ(node.server->models().Snapshot().size(), 1u);

  TempDir empty;
  NodeOptions options;
  options.models_dir = empty.path();
  options.preload = {"missing"};
  EXPECT_FALSE(NodeServer::Create(options));
  options.models_dir = empty.Join("absent");
  options.preload.clear();
  EXPECT_FALSE(NodeServer::Create(options));
}

}  // namespace
}  // namespace locai::node
