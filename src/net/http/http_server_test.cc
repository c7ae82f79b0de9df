// HttpServer basics through the HttpClient: routing, keep-alive, errors, concurrency, shutdown.
#include "net/http/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>

#include "net/http/test_socket.h"

namespace locai::net {
namespace {
using namespace std::chrono_literals;
using testing::LoopbackConnector;
using testing::TestServerOptions;
using testing::UrlFor;

Router EchoRouter() {
  Router router;
  EXPECT_TRUE(router
                  .Add("GET", "/v1/models/{id}",
                       [](HttpRequest request, std::shared_ptr<ResponseWriter> writer) {
                         HttpResponse response = HttpResponse::Text(
                             200, "model=" + request.PathParam("id") +
                                      " q=" + request.QueryParam("q").value_or("-"));
                         response.headers.Set("X-Remote", request.remote_address);
                         response.headers.Set("X-Seen-Request-Id", request.request_id);
                         writer->Send(std::move(response));
                       })
                  .ok());
  EXPECT_TRUE(router
                  .Add("POST", "/echo",
                       [](HttpRequest request, std::shared_ptr<ResponseWriter> writer) {
                         HttpResponse response = HttpResponse::Text(200, request.body);
                         response.headers.Set("X-Header",
                                              request.headers.GetOr("x-custom", "none"));
                         writer->Send(std::move(response));
                       })
                  .ok());
  EXPECT_TRUE(router
                  .Add("GET", "/throw",
                       [](HttpRequest, std::shared_ptr<ResponseWriter>) {
                         throw std::runtime_error("boom");
                       })
                  .ok());
  EXPECT_TRUE(router.Add("GET", "/drop", [](HttpRequest, std::shared_ptr<ResponseWriter>) {}).ok());
  EXPECT_TRUE(router
                  .Add("GET", "/later",
                       [](HttpRequest, std::shared_ptr<ResponseWriter> writer) {
                         std::thread([writer] {
                           std::this_thread::sleep_for(20ms);
                           writer->Send(HttpResponse::Text(200, "from another thread"));
                         }).detach();
                       })
                  .ok());
  return router;
}

TEST(HttpServerTest, RoutesWithPathAndQueryParameters) {
  HttpServer server(TestServerOptions(), EchoRouter());
  ASSERT_TRUE(server.Start().ok());
  ASSERT_NE(server.port(), 0);
  egress::Connector connector = LoopbackConnector();
  HttpClient client(connector);
  Result<ClientResponse> response =
      client.Fetch({.url = UrlFor(server, "/v1/models/a%20b?q=x%2By")});
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "model=a b q=x+y");
  EXPECT_EQ(response->headers.Get("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(response->headers.Get("X-Request-Id"), response->headers.Get("X-Seen-Request-Id"));

  response = client.Fetch(
      {.method = "POST", .url = UrlFor(server, "/echo"), .headers = {}, .body = "hello body"});
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "hello body");
  EXPECT_EQ(response->headers.Get("X-Header"), "none");
}

TEST(HttpServerTest, NotFoundAndMethodNotAllowedUseTheErrorRenderer) {
  HttpServerOptions options = TestServerOptions();
  options.error_renderer = [](int status, std::string_view message) {
    return RenderedError{"application/x-test", std::to_string(status) + ":" + std::string(message)};
  };
  HttpServer server(options, EchoRouter());
  ASSERT_TRUE(server.Start().ok());
  egress::Connector connector = LoopbackConnector();
  HttpClient client(connector);
  Result<ClientResponse> response = client.Fetch({.url = UrlFor(server, "/nope")});
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->headers.Get("Content-Type"), "application/x-test");
  EXPECT_EQ(response->body, "404:no route for GET /nope");
  response = client.Fetch({.url = UrlFor(server, "/echo")});
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->headers.Get("Allow"), "POST");
  // Errors before a handler do not cost the connection.
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST(HttpServerTest, DefaultErrorBodyIsJson) {
  HttpServer server(TestServerOptions(), EchoRouter());
  ASSERT_TRUE(server.Start().ok());
  egress::Connector connector = LoopbackConnector();
  HttpClient client(connector);
  Result<ClientResponse> response = client.Fetch({.url = UrlFor(server, "/nope")});
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(response->body,
            R"({"error":{"message":"no route for GET /nope","type":"not_found_error"}})");
}

TEST(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  HttpServer server(TestServerOptions(), EchoRouter());
  ASSERT_TRUE(server.Start().ok());
  egress::Connector connector = LoopbackConnector();
  HttpClient client(connector);
  std::set<std::string> remotes;
  std::set<std::string> request_ids;
  for (int i = 0; i < 5; ++i) {
    Result<ClientResponse> response =
        client.Fetch({.url = UrlFor(server, "/v1/models/m" + std::to_string(i))});
    ASSERT_TRUE(response.has_value()) << response.error().ToString();
    EXPECT_EQ(response->body, "model=m" + std::to_string(i) + " q=-");
    remotes.insert(response->headers.GetOr("X-Remote", ""));
    request_ids.insert(response->headers.GetOr("X-Request-Id", ""));
  }
  EXPECT_EQ(client.connections_opened(), 1u);
  EXPECT_EQ(remotes.size(), 1u);  // same client port every time
  EXPECT_EQ(request_ids.size(), 5u);

  // Pipelined requests on a raw socket are answered in order.
  testing::RawSocket raw(server.port());
  ASSERT_TRUE(
      raw.Send("GET /v1/models/x HTTP/1.1\r\nHost: a\r\n\r\n"
               "GET /v1/models/y HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
  bool eof = false;
  std::string both = raw.ReadFor(2000ms, &eof);
  EXPECT_TRUE(eof);
  size_t first = both.find("model=x");
  size_t second = both.find("model=y");
  ASSERT_NE(first, std::string::npos) << both;
  ASSERT_NE(second, std::string::npos) << both;
  EXPECT_LT(first, second);
}

TEST(HttpServerTest, HandlerExceptionBecomes500AndServerCarriesOn) {
  std::vector<std::string> logs;
  std::mutex logs_mu;
  HttpServerOptions options = TestServerOptions();
  options.log = [&](std::string_view line) {
    std::lock_guard<std::mutex> lock(logs_mu);
    logs.emplace_back(line);
  };
  HttpServer server(options, EchoRouter());
  ASSERT_TRUE(server.Start().ok());
  egress::Connector connector = LoopbackConnector();
  HttpClient client(connector);
  Result<ClientResponse> response = client.Fetch({.url = UrlFor(server, "/throw")});
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
  EXPECT_NE(response->body.find("api_error"), std::string::npos);
  response = client.Fetch({.url = UrlFor(server, "/drop")});
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
  response = client.Fetch({.url = UrlFor(server, "/v1/models/ok")});
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  server.Stop();
  std::lock_guard<std::mutex> lock(logs_mu);
  bool logged = false;
  for (const std::string& line : logs) logged |= line.find("boom") != std::string::npos;
  EXPECT_TRUE(logged);
}

TEST(HttpServerTest, HandlerMayAnswerFromAnotherThread) {
  HttpServer server(TestServerOptions(), EchoRouter());
  ASSERT_TRUE(server.Start().ok());
  egress::Connector connector = LoopbackConnector();
  HttpClient client(connector);
  Result<ClientResponse> response = client.Fetch({.url = UrlFor(server, "/later")});
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "from another thread");
}

TEST(HttpServerTest, ConcurrentClients) {
  HttpServerOptions options = TestServerOptions();
  options.io_threads = 4;
  HttpServer server(options, EchoRouter());
  ASSERT_TRUE(server.Start().ok());
  egress::Connector connector = LoopbackConnector();
  constexpr int kThreads = 32;
  constexpr int kRequests = 20;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient client(connector);
      for (int i = 0; i < kRequests; ++i) {
        std::string body = "t" + std::to_string(t) + "-" + std::to_string(i);
        Result<ClientResponse> response =
            client.Fetch({.method = "POST", .url = UrlFor(server, "/echo"), .body = body});
        if (response && response->status == 200 && response->body == body) ok.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), kThreads * kRequests);
  EXPECT_EQ(connector.total_attempts(), static_cast<uint64_t>(kThreads));  // keep-alive
}

TEST(HttpServerTest, StopLetsInFlightResponsesFinish) {
  Router router;
  std::promise<std::shared_ptr<ResponseWriter>> pending;
  ASSERT_TRUE(router
                  .Add("GET", "/slow",
                       [&](HttpRequest, std::shared_ptr<ResponseWriter> writer) {
                         pending.set_value(writer);
                       })
                  .ok());
  auto server = std::make_unique<HttpServer>(TestServerOptions(), std::move(router));
  ASSERT_TRUE(server->Start().ok());
  uint16_t port = server->port();
  testing::RawSocket idle(port);
  testing::RawSocket busy(port);
  ASSERT_TRUE(busy.Send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"));
  std::shared_ptr<ResponseWriter> writer = pending.get_future().get();
  std::thread stopper([&] { server->Stop(); });
  EXPECT_TRUE(idle.WaitForClose(2000ms));  // idle connections close at once
  EXPECT_TRUE(writer->Send(HttpResponse::Text(200, "finished")));
  std::string reply = busy.ReadUntil("finished", 2000ms);
  EXPECT_NE(reply.find("Connection: close"), std::string::npos) << reply;
  EXPECT_NE(reply.find("finished"), std::string::npos) << reply;
  stopper.join();
  EXPECT_FALSE(writer->Send(HttpResponse::Text(200, "again")));
  writer.reset();
  server.reset();
  testing::RawSocket refused(port);
  EXPECT_FALSE(refused.ok());
}

TEST(HttpServerTest, StartFailsOnBadAddressOrBusyPort) {
  HttpServerOptions options = TestServerOptions();
  options.host = "not-an-ip";
  HttpServer bad(options, Router());
  EXPECT_EQ(bad.Start().code(), StatusCode::kInvalidArgument);
  HttpServer first(TestServerOptions(), Router());
  ASSERT_TRUE(first.Start().ok());
  options = TestServerOptions();
  options.port = first.port();
  HttpServer second(options, Router());
  EXPECT_EQ(second.Start().code(), StatusCode::kUnavailable);
  EXPECT_EQ(first.Start().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace locai::net
