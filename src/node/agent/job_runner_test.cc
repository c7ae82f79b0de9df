// JobRunner with a real NodeServer (stories260K) behind NodeServer::Dispatch, answering over a
// fake fleet link; and the FleetAgent's side: job frames to the runner, request_log frames for the
// node's own requests.
#include "node/agent/job_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <regex>
#include <thread>

#include "net/egress/connector.h"
#include "net/http/http_client.h"
#include "node/agent/fleet_agent.h"
#include "node/agent/test_fakes.h"
#include "node/node_server.h"
#include "node/test_util.h"

namespace locai::node::agent {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::FakeConnection;
using testing::FakeLink;
using testing::NextOfType;

const char kChatStream[] =
    R"({"model":"stories","messages":[{"role":"user","content":"Tell me a story."}],)"
    R"("max_tokens":12,"temperature":0.8,"seed":42,"stream":true,)"
    R"("stream_options":{"include_usage":true}})";

// A long generation: EOS (id 2 in this vocabulary) banned, the whole context to fill.
const char kLongStream[] =
    R"({"model":"stories","prompt":"Once upon a time","stream":true,"max_tokens":100000,)"
    R"("logit_bias":{"2":-100}})";

// The frames of one job as the server would see them.
struct JobAnswer {
  int status = 0;
  json headers;
  std::string body;
  json usage;  // job_end's, null when no job_end came
  bool error = false;
};

// Reads the link's frames for `id` until job_end / job_error (or `timeout`); `on_data` may stop
// reading early (returns false).
JobAnswer ReadJob(FakeConnection& connection, const std::string& id,
                  std::function<bool(int data_frames)> on_data = nullptr,
                  std::chrono::milliseconds timeout = 10s) {
  JobAnswer answer;
  int data_frames = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto frame = connection.to_server.Pop(10ms);
    if (!frame) {
      if (frame.error().code() == StatusCode::kUnavailable) break;
      continue;
    }
    json message = json::parse(*frame);
    if (message.value("id", "") != id) continue;
    const std::string type = message["type"];
    if (type == "job_head") {
      answer.status = message["status"];
      answer.headers = message["headers"];
    } else if (type == "job_data") {
      answer.body += message["data"].get<std::string>();
      if (on_data && !on_data(++data_frames)) break;
    } else if (type == "job_end") {
      answer.usage = message["usage"];
      break;
    } else if (type == "job_error") {
      answer.error = true;
      break;
    }
  }
  return answer;
}

// Response ids and timestamps differ between two runs of the same request.
std::string Normalise(const std::string& sse) {
  static const std::regex id(R"("id":"[^"]*")");
  static const std::regex created(R"("created":[0-9]+)");
  return std::regex_replace(std::regex_replace(sse, id, R"("id":"")"), created, R"("created":0)");
}

bool WaitForZero(const JobRunner& runner) {
  for (int i = 0; i < 500; ++i) {
    if (runner.running() == 0) return true;
    std::this_thread::sleep_for(10ms);
  }
  return runner.running() == 0;
}

class Entries {
 public:
  void Add(const RequestLogEntry& entry) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.push_back(entry);
  }
  std::optional<RequestLogEntry> Find(const std::string& request_id) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& entry : entries_) {
      if (entry.request_id == request_id) return entry;
    }
    return std::nullopt;
  }

 private:
  std::mutex mu_;
  std::vector<RequestLogEntry> entries_;
};

// A NodeServer serving stories260K, with a JobRunner on its Dispatch.
struct JobNode {
  node::testing::TempDir dir;
  Entries entries;
  std::unique_ptr<NodeServer> server;
  std::unique_ptr<JobRunner> runner;
  std::shared_ptr<FakeConnection> connection = std::make_shared<FakeConnection>();
  std::shared_ptr<FleetLink> link = std::make_shared<FakeLink>(connection);
  net::egress::Connector connector{[] {
    net::egress::ConnectorOptions options;
    options.rules.push_back(*net::egress::EgressRule::Parse("allow 127.0.0.1:*"));
    return options;
  }()};

  JobNode() {
    dir.Link(node::testing::ConformanceModel("stories260K.gguf"), "stories.gguf");
    runner = std::make_unique<JobRunner>(
        [this](net::HttpRequest request, std::shared_ptr<net::ResponseWriter> writer) {
          server->Dispatch(std::move(request), std::move(writer));
        });
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
    options.api_keys = {"secret"};  // HTTP needs it; jobs skip the check
    options.log = [](std::string_view) {};
    options.on_request_done = [this](const RequestLogEntry& entry) {
      entries.Add(entry);
      runner->OnRequestDone(entry);
    };
    auto created = NodeServer::Create(std::move(options));
    EXPECT_TRUE(created) << created.error().ToString();
    server = std::move(*created);
    EXPECT_TRUE(server->Start().ok());
  }
  ~JobNode() {
    server->Stop();
    runner.reset();
  }

  // The raw body of a streamed HTTP response.
  std::string HttpStream(const std::string& path, const std::string& body) {
    net::HttpClient client(connector);
    net::ClientRequest request;
    request.method = "POST";
    request.url = server->url() + path;
    request.headers.Set("Content-Type", "application/json");
    request.headers.Set("Authorization", "Bearer secret");
    request.body = body;
    std::string raw;
    auto response = client.Stream(request, [&](std::string_view chunk) {
      raw += chunk;
      return true;
    });
    EXPECT_TRUE(response.has_value());
    return raw;
  }

  JobRequest Job(const std::string& id, const std::string& path, const std::string& body) {
    JobRequest job;
    job.id = id;
    job.path = path;
    job.headers = {{"content-type", "application/json"}};
    job.body = body;
    return job;
  }
};

TEST(JobRunnerTest, AStreamedChatJobGivesTheSameSseBodyAsHttpAndUsageInJobEnd) {
  JobNode node;
  const std::string http = node.HttpStream("/v1/chat/completions", kChatStream);
  ASSERT_NE(http.find("data: [DONE]"), std::string::npos) << http;

  node.runner->Start(node.link, node.Job("job-1-a", "/v1/chat/completions", kChatStream));
  JobAnswer answer = ReadJob(*node.connection, "job-1-a");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.headers["content-type"], "text/event-stream");
  EXPECT_EQ(answer.headers["x-request-id"], "job-1-a");  // no x-request-id: the job id
  EXPECT_EQ(Normalise(answer.body), Normalise(http));
  ASSERT_TRUE(answer.usage.is_object());
  auto entry = node.entries.Find("job-1-a");
  ASSERT_TRUE(entry.has_value());
  EXPECT_GT(answer.usage["prompt_tokens"].get<int64_t>(), 5);
  EXPECT_EQ(answer.usage["prompt_tokens"], entry->prompt_tokens);
  EXPECT_EQ(answer.usage["completion_tokens"], entry->completion_tokens);
  EXPECT_GT(entry->completion_tokens, 0);
  EXPECT_TRUE(WaitForZero(*node.runner));
}

TEST(JobRunnerTest, AWholeResponseIsHeadOneDataAndEndAndTheRequestIdIsTheClients) {
  JobNode node;
  JobRequest job = node.Job("job-2-b", "/v1/chat/completions",
                            R"({"model":"stories","messages":[{"role":"user","content":"Hi"}],)"
                            R"("max_tokens":4,"temperature":0})");
  job.headers.emplace_back("x-request-id", "req-client-7");
  node.runner->Start(node.link, job);
  JobAnswer answer = ReadJob(*node.connection, "job-2-b");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.headers["x-request-id"], "req-client-7");
  json body = json::parse(answer.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << answer.body;
  EXPECT_EQ(body["object"], "chat.completion");
  ASSERT_TRUE(answer.usage.is_object());
  EXPECT_EQ(answer.usage["completion_tokens"], body["usage"]["completion_tokens"]);
  EXPECT_EQ(answer.usage["prompt_tokens"], body["usage"]["prompt_tokens"]);
}

TEST(JobRunnerTest, ABadRequestGivesJobHead400InTheApisFormat) {
  JobNode node;
  node.runner->Start(node.link, node.Job("job-3-c", "/v1/chat/completions", "{not json"));
  JobAnswer answer = ReadJob(*node.connection, "job-3-c");
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(json::parse(answer.body)["error"]["type"], "invalid_request_error");
  EXPECT_TRUE(answer.usage.is_object());

  JobRequest anthropic = node.Job("job-3-d", "/v1/messages", R"({"model":"stories"})");
  anthropic.headers.emplace_back("anthropic-version", "2023-06-01");
  node.runner->Start(node.link, anthropic);
  answer = ReadJob(*node.connection, "job-3-d");
  EXPECT_EQ(answer.status, 400);
  json error = json::parse(answer.body);
  EXPECT_EQ(error["type"], "error");
  EXPECT_EQ(error["error"]["type"], "invalid_request_error");

  node.runner->Start(node.link, node.Job("job-3-e", "/v1/nothing", "{}"));
  answer = ReadJob(*node.connection, "job-3-e");
  EXPECT_EQ(answer.status, 404);
  EXPECT_TRUE(json::parse(answer.body)["error"].is_object());
}

TEST(JobRunnerTest, JobCancelStopsTheGeneration) {
  JobNode node;
  node.runner->Start(node.link, node.Job("job-4-d", "/v1/completions", kLongStream));
  JobAnswer answer = ReadJob(*node.connection, "job-4-d", [](int frames) { return frames < 2; });
  EXPECT_EQ(answer.status, 200);
  node.runner->Cancel("job-4-d");
  std::optional<RequestLogEntry> entry;
  for (int i = 0; i < 500 && !entry; ++i) {
    entry = node.entries.Find("job-4-d");
    if (!entry) std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->finish_reason, "cancelled");
  EXPECT_LT(entry->completion_tokens, 400);
  EXPECT_EQ(node.runner->running(), 0u);
  // The cancelled job's entry is still known as a job's (not the node's own request).
  EXPECT_TRUE(node.runner->OnRequestDone(*entry));
  RequestLogEntry local;
  local.request_id = "req_local";
  EXPECT_FALSE(node.runner->OnRequestDone(local));
  // Nothing ends the job on the link after the cancel.
  JobAnswer rest = ReadJob(*node.connection, "job-4-d", nullptr, 200ms);
  EXPECT_TRUE(rest.usage.is_null());
}

TEST(JobRunnerTest, ALostLinkCancelsItsJobs) {
  JobNode node;
  node.runner->Start(node.link, node.Job("job-5-e", "/v1/completions", kLongStream));
  JobAnswer answer = ReadJob(*node.connection, "job-5-e", [](int frames) { return frames < 1; });
  EXPECT_EQ(answer.status, 200);
  node.link->Close();
  node.runner->LinkLost(node.link);
  std::optional<RequestLogEntry> entry;
  for (int i = 0; i < 500 && !entry; ++i) {
    entry = node.entries.Find("job-5-e");
    if (!entry) std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->finish_reason, "cancelled");
  EXPECT_EQ(node.runner->running(), 0u);
}

// ---- The agent's side ----

TEST(FleetAgentJobsTest, JobsRunOverTheLinkAndOwnRequestsAreReportedWithoutText) {
  testing::FakeFleetServer fleet;
  testing::FakeHost host;
  JobRunner runner([](net::HttpRequest request, std::shared_ptr<net::ResponseWriter> writer) {
    net::HttpResponse response =
        net::HttpResponse::Json(200, R"({"echo":")" + request.path + "\"}");
    response.headers.Set("x-request-id", request.request_id);
    writer->Send(std::move(response));
  });
  FleetAgentOptions options;
  options.node_id = "n_test";
  options.connect = fleet.Factory();
  options.host = &host;
  options.default_heartbeat = 10s;  // request_log must not wait for a heartbeat
  options.log = [](std::string_view, std::string_view) {};
  options.jobs = &runner;
  options.request_log_capacity = 2;
  FleetAgent agent(options);

  // Recorded before connecting: the oldest of three is dropped (capacity 2).
  RequestLogEntry entry;
  entry.endpoint = "/v1/chat/completions";
  entry.model = "stories";
  entry.status = 200;
  entry.prompt_tokens = 9;
  entry.completion_tokens = 4;
  entry.total_ms = 120;
  entry.prompt = "secret prompt";
  entry.output = "secret output";
  for (const char* id : {"req-1", "req-2", "req-3"}) {
    entry.request_id = id;
    agent.RequestDone(entry);
  }
  RequestLogEntry models_list;
  models_list.request_id = "req-models";
  models_list.endpoint = "/v1/models";
  agent.RequestDone(models_list);  // not a generation: not reported
  EXPECT_EQ(agent.dropped_request_records(), 1);

  ASSERT_TRUE(agent.Start().ok());
  auto connection = fleet.Accept(0, 5s);
  ASSERT_NE(connection, nullptr);
  ASSERT_FALSE(NextOfType(*connection, "hello").is_null());
  const auto sent_at = std::chrono::steady_clock::now();
  json log = NextOfType(*connection, "request_log", 3s);
  ASSERT_TRUE(log.is_object());
  EXPECT_LT(std::chrono::steady_clock::now() - sent_at, 1500ms);
  EXPECT_EQ(log["dropped"], 1);
  ASSERT_EQ(log["records"].size(), 2u);
  EXPECT_EQ(log["records"][0]["request_id"], "req-2");
  EXPECT_EQ(log["records"][1]["request_id"], "req-3");
  EXPECT_EQ(log["records"][0]["endpoint"], "/v1/chat/completions");
  EXPECT_EQ(log["records"][0]["prompt_tokens"], 9);
  EXPECT_EQ(log["records"][0]["completion_tokens"], 4);
  EXPECT_EQ(log["records"][0]["duration_ms"], 120);
  EXPECT_GT(log["records"][0]["at_ms"].get<int64_t>(), 1'600'000'000'000);
  EXPECT_EQ(log.dump().find("secret"), std::string::npos);

  // A job is run and answered on the link; its log entry is not a local request.
  connection->to_node.Push(
      json{{"type", "job"}, {"id", "job-9-z"}, {"method", "GET"}, {"path", "/v1/models"}}.dump());
  json head = NextOfType(*connection, "job_head");
  ASSERT_TRUE(head.is_object());
  EXPECT_EQ(head["id"], "job-9-z");
  EXPECT_EQ(head["status"], 200);
  json data = NextOfType(*connection, "job_data");
  EXPECT_EQ(data["data"], R"({"echo":"/v1/models"})");
  EXPECT_TRUE(NextOfType(*connection, "job_end").is_object());
  RequestLogEntry job_entry = entry;
  job_entry.request_id = "job-9-z";
  agent.RequestDone(job_entry);
  entry.request_id = "req-4";
  agent.RequestDone(entry);
  json next = NextOfType(*connection, "request_log", 3s);
  ASSERT_TRUE(next.is_object());
  ASSERT_EQ(next["records"].size(), 1u);
  EXPECT_EQ(next["records"][0]["request_id"], "req-4");
  EXPECT_FALSE(next.contains("dropped"));
  agent.Stop();
}

}  // namespace
}  // namespace locai::node::agent
