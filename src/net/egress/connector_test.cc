#include "net/egress/connector.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "net/http/http_client.h"
#include "net/http/http_server.h"
#include "net/http/test_socket.h"

namespace locai::net::egress {
namespace {
using namespace std::chrono_literals;

TEST(EgressRuleTest, ParsesAndPrints) {
  Result<EgressRule> rule = EgressRule::Parse("api.Example.com:443");
  ASSERT_TRUE(rule.has_value());
  EXPECT_TRUE(rule->allow);
  EXPECT_EQ(rule->host, "api.example.com");
  EXPECT_EQ(rule->port, 443);
  EXPECT_EQ(rule->ToString(), "allow api.example.com:443");
  rule = EgressRule::Parse("deny *:*");
  ASSERT_TRUE(rule.has_value());
  EXPECT_FALSE(rule->allow);
  EXPECT_FALSE(rule->port.has_value());
  rule = EgressRule::Parse("allow [::1]:8080");
  ASSERT_TRUE(rule.has_value());
  EXPECT_EQ(rule->host, "::1");
  EXPECT_EQ(rule->ToString(), "allow [::1]:8080");
  for (const char* bad : {"", "host", "host:", "host:0", "host:70000", "host:x", "a*b:1",
                          "*.*.com:1", "::1:80", "[::1]80", "a b:1"}) {
    EXPECT_FALSE(EgressRule::Parse(bad).has_value()) << bad;
  }
}

TEST(EgressRuleTest, Matches) {
  EgressRule wildcard = *EgressRule::Parse("*.corp.example:*");
  EXPECT_TRUE(wildcard.Matches("cp.corp.example", 1));
  EXPECT_TRUE(wildcard.Matches("a.b.CORP.example", 443));
  EXPECT_FALSE(wildcard.Matches("corp.example", 443));
  EXPECT_FALSE(wildcard.Matches("evilcorp.example", 443));
  EgressRule exact = *EgressRule::Parse("cp.local:8443");
  EXPECT_TRUE(exact.Matches("CP.local", 8443));
  EXPECT_FALSE(exact.Matches("cp.local", 8444));
}

TEST(ConnectorTest, AirGappedAllowsOnlyTheControlPlaneAndLogsEveryAttempt) {
  auto fixed = std::chrono::system_clock::from_time_t(1'800'000'000);
  ConnectorOptions options;
  options.rules.push_back(*EgressRule::Parse("allow cp.internal:8443"));
  options.now = [fixed] { return fixed; };
  Connector connector(std::move(options));

  EXPECT_TRUE(connector.Check("cp.internal", 8443, "control-plane").ok());
  Status denied = connector.Check("api.openai.com", 443, "telemetry");
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(denied.message().find("api.openai.com:443"), std::string::npos);
  EXPECT_NE(denied.message().find("default deny"), std::string::npos);
  EXPECT_EQ(connector.Check("cp.internal", 80, "control-plane").code(),
            StatusCode::kPermissionDenied);

  std::vector<EgressAttempt> log = connector.Attempts();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_TRUE(log[0].allowed);
  EXPECT_EQ(log[0].rule, "allow cp.internal:8443");
  EXPECT_EQ(log[0].purpose, "control-plane");
  EXPECT_EQ(log[0].time, fixed);
  EXPECT_FALSE(log[1].allowed);
  EXPECT_EQ(log[1].host, "api.openai.com");
  EXPECT_EQ(log[1].port, 443);
  EXPECT_EQ(log[1].purpose, "telemetry");
  EXPECT_EQ(log[1].rule, "default deny");
  std::string report = connector.Report();
  EXPECT_NE(report.find("2027-01-15T08:00:00Z allow cp.internal:8443 purpose=control-plane"),
            std::string::npos)
      << report;
  EXPECT_NE(report.find("deny  api.openai.com:443"), std::string::npos);
}

TEST(ConnectorTest, FirstMatchingRuleDecidesAndNamesItself) {
  Result<Connector> connector =
      Connector::FromRules({"deny 10.0.0.9:*", "allow 10.0.0.0:80", "allow *:80"});
  ASSERT_TRUE(connector.has_value());
  Status denied = connector->Check("10.0.0.9", 80, "test");
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(denied.message().find("deny 10.0.0.9:*"), std::string::npos) << denied.message();
  EXPECT_TRUE(connector->Check("example.org", 80, "test").ok());
  EXPECT_FALSE(Connector::FromRules({"allow bad"}).has_value());
}

TEST(ConnectorTest, LogIsBounded) {
  ConnectorOptions options;
  options.max_log_entries = 3;
  Connector connector(std::move(options));
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(connector.Check("h" + std::to_string(i), 1, "t").ok());
  }
  std::vector<EgressAttempt> log = connector.Attempts();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].host, "h2");
  EXPECT_EQ(log[2].host, "h4");
  EXPECT_EQ(connector.total_attempts(), 5u);
}

TEST(ConnectorTest, HttpClientCannotConnectPastTheConnector) {
  Router router;
  ASSERT_TRUE(router
                  .Add("GET", "/",
                       [](HttpRequest, std::shared_ptr<ResponseWriter> w) {
                         w->Send(HttpResponse::Text(200, "hi"));
                       })
                  .ok());
  HttpServer server(testing::TestServerOptions(), std::move(router));
  ASSERT_TRUE(server.Start().ok());

  Connector deny_all{ConnectorOptions{}};
  HttpClient blocked(deny_all);
  Result<ClientResponse> response =
      blocked.Fetch({.url = testing::UrlFor(server, "/"), .purpose = "model-download"});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(response.error().message().find("127.0.0.1:" + std::to_string(server.port())),
            std::string::npos);
  ASSERT_EQ(deny_all.Attempts().size(), 1u);
  EXPECT_EQ(deny_all.Attempts()[0].purpose, "model-download");

  Connector allow = testing::LoopbackConnector();
  HttpClient client(allow);
  response = client.Fetch({.url = testing::UrlFor(server, "/")});
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "hi");
  ASSERT_EQ(allow.Attempts().size(), 1u);
  EXPECT_TRUE(allow.Attempts()[0].allowed);
  EXPECT_EQ(allow.Attempts()[0].purpose, "http");
  EXPECT_TRUE(allow.Attempts()[0].error.empty());
}

TEST(ConnectorTest, ConnectFailuresAreReportedAndLogged) {
  Connector connector = testing::LoopbackConnector();
  // A port nobody listens on: bind one, close it, connect to it.
  uint16_t port;
  {
    HttpServer server(testing::TestServerOptions(), Router());
    ASSERT_TRUE(server.Start().ok());
    port = server.port();
  }
  Result<ConnectedSocket> socket = connector.Connect("127.0.0.1", port, "test", 1000ms);
  ASSERT_FALSE(socket.has_value());
  EXPECT_EQ(socket.error().code(), StatusCode::kUnavailable);
  ASSERT_EQ(connector.Attempts().size(), 1u);
  EXPECT_TRUE(connector.Attempts()[0].allowed);
  EXPECT_FALSE(connector.Attempts()[0].error.empty());
}

// A fresh directory under the system's temp directory, removed afterwards.
class JournalDir {
 public:
  JournalDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "locai_egress_XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) ? pattern : "";
  }
  ~JournalDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(ConnectorJournalTest, EveryAttemptIsOneJsonLine) {
  JournalDir dir;
  ASSERT_FALSE(dir.path().empty());
  HttpServer server(testing::TestServerOptions(), Router());
  ASSERT_TRUE(server.Start().ok());
  uint16_t closed_port;
  {
    HttpServer closed(testing::TestServerOptions(), Router());
    ASSERT_TRUE(closed.Start().ok());
    closed_port = closed.port();
  }
  ConnectorOptions options;
  options.rules.push_back(*EgressRule::Parse("allow 127.0.0.1:*"));
  options.now = [] {
    return std::chrono::system_clock::from_time_t(1'800'000'000) + std::chrono::milliseconds(42);
  };
  // The directory "node" does not exist yet: the first line creates it.
  options.journal_path = dir.path() + "/node/egress.jsonl";
  Connector connector(std::move(options));

  EXPECT_EQ(connector.Check("api.openai.com", 443, "cloud:\"openai\"").code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(connector.Connect("127.0.0.1", server.port(), "control-plane", 1000ms).has_value());
  EXPECT_FALSE(connector.Connect("127.0.0.1", closed_port, "control-plane", 1000ms).has_value());

  std::vector<std::string> lines = ReadLines(dir.path() + "/node/egress.jsonl");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "{\"time\":\"2027-01-15T08:00:00.042Z\",\"host\":\"api.openai.com\",\"port\":443,"
            "\"allowed\":false,\"purpose\":\"cloud:\\\"openai\\\"\",\"rule\":\"default deny\","
            "\"error\":\"\"}");
  EXPECT_EQ(lines[1], "{\"time\":\"2027-01-15T08:00:00.042Z\",\"host\":\"127.0.0.1\",\"port\":" +
                          std::to_string(server.port()) +
                          ",\"allowed\":true,\"purpose\":\"control-plane\",\"rule\":\"allow "
                          "127.0.0.1:*\",\"error\":\"\"}");
  EXPECT_NE(lines[2].find("\"allowed\":true"), std::string::npos) << lines[2];
  EXPECT_EQ(lines[2].find("\"error\":\"\""), std::string::npos) << lines[2];
  EXPECT_EQ(connector.journal_errors(), 0u);

  // A second connector (another process) appends to the same journal.
  ConnectorOptions second;
  second.journal_path = dir.path() + "/node/egress.jsonl";
  Connector other(std::move(second));
  EXPECT_FALSE(other.Check("example.com", 80, "test").ok());
  EXPECT_EQ(ReadLines(dir.path() + "/node/egress.jsonl").size(), 4u);
}

TEST(ConnectorJournalTest, AWriteErrorIsCountedAndNeverFailsTheConnection) {
  JournalDir dir;
  ASSERT_FALSE(dir.path().empty());
  ConnectorOptions options;
  options.rules.push_back(*EgressRule::Parse("allow cp.internal:8443"));
  options.journal_path = dir.path();  // a directory: every open fails
  Connector connector(std::move(options));
  EXPECT_TRUE(connector.Check("cp.internal", 8443, "control-plane").ok());
  EXPECT_FALSE(connector.Check("evil.example", 443, "x").ok());
  EXPECT_EQ(connector.journal_errors(), 2u);
  EXPECT_EQ(connector.total_attempts(), 2u);
  EXPECT_EQ(connector.Attempts().size(), 2u);
}

TEST(ConnectorJournalTest, WithoutAJournalPathNothingIsWritten) {
  Connector connector(ConnectorOptions{});
  EXPECT_FALSE(connector.Check("a.example", 1, "x").ok());
  EXPECT_EQ(connector.journal_errors(), 0u);
  EXPECT_TRUE(connector.journal_path().empty());
}

TEST(ConnectorTest, SetRulesChangesTheAllowlistWhileOthersCheck) {
  Connector connector(ConnectorOptions{});
  EXPECT_FALSE(connector.Check("api.openai.com", 443, "cloud:openai").ok());
  std::atomic<bool> stop{false};
  std::thread checker([&] {
    while (!stop.load()) {
      Status status = connector.Check("api.openai.com", 443, "cloud:openai");
      EXPECT_TRUE(status.ok() || status.code() == StatusCode::kPermissionDenied);
    }
  });
  for (int i = 0; i < 200; ++i) {
    connector.SetRules({*EgressRule::Parse(i % 2 ? "allow api.openai.com:443" : "deny *:*")});
  }
  connector.SetRules({*EgressRule::Parse("allow api.openai.com:443")});
  stop = true;
  checker.join();
  EXPECT_TRUE(connector.Check("api.openai.com", 443, "cloud:openai").ok());
  ASSERT_EQ(connector.Rules().size(), 1u);
  EXPECT_EQ(connector.Rules()[0].ToString(), "allow api.openai.com:443");
  connector.SetRules({});
  Status denied = connector.Check("api.openai.com", 443, "cloud:openai");
  EXPECT_NE(denied.message().find("default deny"), std::string::npos);
  EXPECT_EQ(connector.Attempts().back().rule, "default deny");
}

}  // namespace
}  // namespace locai::net::egress
