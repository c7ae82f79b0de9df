// HttpServer limits: each refuses or closes only the offending connection.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "net/http/http_server.h"
#include "net/http/test_socket.h"

namespace locai::net {
namespace {
using namespace std::chrono_literals;
using testing::LoopbackConnector;
using testing::RawSocket;
using testing::TestServerOptions;
using testing::UrlFor;

Router OkRouter() {
  Router router;
  auto ok = [](HttpRequest request, std::shared_ptr<ResponseWriter> writer) {
    writer->Send(HttpResponse::Text(200, "ok " + std::to_string(request.body.size())));
  };
  EXPECT_TRUE(router.Add("GET", "/ok", ok).ok());
  EXPECT_TRUE(router.Add("POST", "/upload", ok).ok());
  return router;
}

HttpServerOptions SmallLimits() {
  HttpServerOptions options = TestServerOptions();
  options.max_body_bytes = 1024;
  options.max_header_bytes = 2048;
  options.header_timeout = 300ms;
  options.body_timeout = 300ms;
  options.idle_timeout = 300ms;
  return options;
}

TEST(HttpServerLimitsTest, BodyOverLimitWithContentLengthGets413) {
  HttpServer server(SmallLimits(), OkRouter());
  ASSERT_TRUE(server.Start().ok());
  egress::Connector connector = LoopbackConnector();
  HttpClient client(connector);
  Result<ClientResponse> response = client.Fetch(
      {.method = "POST", .url = UrlFor(server, "/upload"), .body = std::string(1024, 'a')});
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ok 1024");

  response = client.Fetch(
      {.method = "POST", .url = UrlFor(server, "/upload"), .body = std::string(200'000, 'a')});
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 413);
  EXPECT_NE(response->body.find("request_too_large"), std::string::npos);
  EXPECT_EQ(response->headers.Get("Connection"), "close");

  // The head alone decides: no body byte is needed for the 413.
  RawSocket raw(server.port());
  ASSERT_TRUE(raw.Send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 10000000000\r\n\r\n"));
  bool eof = false;
  std::string reply = raw.ReadFor(1000ms, &eof);
  EXPECT_EQ(reply.rfind("HTTP/1.1 413 ", 0), 0u) << reply;

  // Other clients are unaffected.
  response = client.Fetch({.url = UrlFor(server, "/ok")});
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
}

// Regression: after one complete exchange on a kept-alive connection, a refused second request got
// no response at all (the previous response's flags blocked it), only a closed connection. Raw
// sockets here, because HttpClient's stale-connection retry would hide it.
TEST(HttpServerLimitsTest, RefusalsOnAReusedConnectionGetTheirResponse) {
  HttpServer server(SmallLimits(), OkRouter());
  ASSERT_TRUE(server.Start().ok());
  const std::string oversized_body =
      "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 200000\r\n\r\n";
  const std::string huge_headers =
      "GET /ok HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(4000, 'h') + "\r\n\r\n";
  for (const auto& [second, status] : {std::pair{oversized_body, std::string("413")},
                                       std::pair{huge_headers, std::string("431")}}) {
    RawSocket raw(server.port());
    ASSERT_TRUE(raw.Send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n"));
    bool eof = false;
    // Read exactly the first response: waiting a fixed time raced the 300 ms idle timeout.
    std::string first = raw.ReadUntil("ok 0", 1000ms, &eof);
    ASSERT_EQ(first.rfind("HTTP/1.1 200 ", 0), 0u) << first;
    ASSERT_FALSE(eof);
    ASSERT_TRUE(raw.Send(second));
    std::string reply = raw.ReadFor(1000ms, &eof);
    EXPECT_EQ(reply.rfind("HTTP/1.1 " + status + " ", 0), 0u) << reply;
  }
}

TEST(HttpServerLimitsTest, ExpectContinueIsHonouredAndRefusedWhenTooBig) {
  HttpServer server(SmallLimits(), OkRouter());
  ASSERT_TRUE(server.Start().ok());
  RawSocket raw(server.port());
  ASSERT_TRUE(
      raw.Send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
               "Expect: 100-continue\r\n\r\n"));
  std::string interim = raw.ReadUntil("\r\n\r\n", 1000ms);
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(raw.Send("hello"));
  EXPECT_NE(raw.ReadUntil("ok 5", 1000ms).find("ok 5"), std::string::npos);

  RawSocket big(server.port());
  ASSERT_TRUE(
      big.Send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n"
               "Expect: 100-continue\r\n\r\n"));
  EXPECT_EQ(big.ReadFor(1000ms).rfind("HTTP/1.1 413 ", 0), 0u);
}

TEST(HttpServerLimitsTest, ChunkedBodyOverLimitGets413) {
  HttpServer server(SmallLimits(), OkRouter());
  ASSERT_TRUE(server.Start().ok());
  RawSocket raw(server.port());
  ASSERT_TRUE(raw.Send("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"));
  std::string chunk = "200\r\n" + std::string(0x200, 'b') + "\r\n";
  bool refused = false;
  std::string reply;
  for (int i = 0; i < 64 && !refused; ++i) {
    if (!raw.Send(chunk)) break;
    reply += raw.ReadFor(5ms);
    refused = reply.find("413") != std::string::npos;
  }
  reply += raw.ReadFor(500ms);
  EXPECT_EQ(reply.rfind("HTTP/1.1 413 ", 0), 0u) << reply;

  // A chunked body within the limit is accepted.
  RawSocket small(server.port());
  ASSERT_TRUE(
      small.Send("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  EXPECT_NE(small.ReadUntil("ok 5", 1000ms).find("ok 5"), std::string::npos);
}

TEST(HttpServerLimitsTest, HugeHeadersGet431) {
  HttpServer server(SmallLimits(), OkRouter());
  ASSERT_TRUE(server.Start().ok());
  egress::Connector connector = LoopbackConnector();
  HttpClient client(connector);
  ClientRequest request{.url = UrlFor(server, "/ok")};
  request.headers.Set("X-Big", std::string(4000, 'h'));
  Result<ClientResponse> response = client.Fetch(request);
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 431);
  request.headers.Set("X-Big", std::string(100, 'h'));
  response = client.Fetch(request);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
}

TEST(HttpServerLimitsTest, SlowHeaderClientIsClosedWhileOthersAreServed) {
  HttpServer server(SmallLimits(), OkRouter());
  ASSERT_TRUE(server.Start().ok());
  RawSocket slow(server.port());
  ASSERT_TRUE(slow.ok());
  auto start = std::chrono::steady_clock::now();
  std::atomic<bool> slow_closed{false};
  std::chrono::steady_clock::duration closed_after{};
  std::thread drip([&] {
    std::string head =
        "GET /ok HTTP/1.1\r\nHost: a\r\nX-Pad: " + std::string(200, 'p') + "\r\n\r\n";
    for (char c : head) {
      // 1 byte every 10 ms: the whole head would take over 2 s, the deadline is 300 ms.
      bool eof = false;
      slow.ReadFor(10ms, &eof);
      if (eof || !slow.Send(std::string_view(&c, 1))) {
        slow_closed = true;
        break;
      }
    }
    closed_after = std::chrono::steady_clock::now() - start;
  });
  egress::Connector connector = LoopbackConnector();
  HttpClient client(connector);
  for (int i = 0; i < 5; ++i) {
    Result<ClientResponse> response = client.Fetch({.url = UrlFor(server, "/ok")});
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 200);
  }
  drip.join();
  EXPECT_TRUE(slow_closed.load());
  EXPECT_LT(closed_after, 1500ms);  // closed near the 300 ms header deadline
  EXPECT_GE(closed_after, 250ms);
}

TEST(HttpServerLimitsTest, SlowBodyAndIdleConnectionsAreClosed) {
  HttpServer server(SmallLimits(), OkRouter());
  ASSERT_TRUE(server.Start().ok());
  RawSocket slow_body(server.port());
  ASSERT_TRUE(slow_body.Send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nab"));
  RawSocket idle(server.port());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(slow_body.WaitForClose(2000ms));
  EXPECT_TRUE(idle.WaitForClose(2000ms));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
  // The server unregisters a connection right after closing it; allow for the race.
  for (int i = 0; i < 200 && server.active_connections() != 0; ++i) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(server.active_connections(), 0u);
}

TEST(HttpServerLimitsTest, MalformedRequestGets400) {
  HttpServer server(SmallLimits(), OkRouter());
  ASSERT_TRUE(server.Start().ok());
  RawSocket raw(server.port());
  ASSERT_TRUE(raw.Send("GARBAGE\r\n\r\n"));
  EXPECT_EQ(raw.ReadFor(1000ms).rfind("HTTP/1.1 400 ", 0), 0u);
}

TEST(HttpServerLimitsTest, ConnectionsPastTheLimitGet503) {
  HttpServerOptions options = SmallLimits();
  options.max_connections = 2;
  options.idle_timeout = 2000ms;
  HttpServer server(options, OkRouter());
  ASSERT_TRUE(server.Start().ok());
  RawSocket a(server.port());
  RawSocket b(server.port());
  for (int i = 0; i < 100 && server.active_connections() < 2; ++i) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(server.active_connections(), 2u);
  RawSocket c(server.port());
  bool eof = false;
  std::string reply = c.ReadFor(1000ms, &eof);
  EXPECT_EQ(reply.rfind("HTTP/1.1 503 ", 0), 0u) << reply;
  EXPECT_TRUE(eof);
  // The admitted ones still work.
  ASSERT_TRUE(a.Send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_NE(a.ReadUntil("ok 0", 1000ms).find("ok 0"), std::string::npos);
}

}  // namespace
}  // namespace locai::net
