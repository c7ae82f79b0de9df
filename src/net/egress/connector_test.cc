#include "net/egress/connector.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace locai::net::egress
