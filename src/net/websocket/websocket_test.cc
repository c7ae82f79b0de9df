// WebSocket over plain TCP: echo, refused upgrades, closes from either side, a peer that vanishes,
// size limits, concurrent senders and server shutdown. (Over TLS: tls/tls_server_test.cc.)
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "net/http/http_server.h"
#include "net/http/test_socket.h"
#include "net/websocket/websocket_client.h"
#include "net/websocket/websocket_session.h"

namespace locai::net {
namespace {
using namespace std::chrono_literals;
using testing::LoopbackConnector;
using testing::RawSocket;
using testing::TestServerOptions;

// What the server side saw, filled by the callbacks on io threads.
struct ServerSide {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::shared_ptr<WebSocketSession>> sessions;
  std::vector<std::string> messages;
  std::vector<Status> closes;
  std::vector<std::string> upgrade_headers;  // X-Test of each upgrade request
  bool echo = true;

  WebSocketHandler Handler() {
    return [this](const HttpRequest& request) {
      {
        std::lock_guard<std::mutex> lock(mu);
        upgrade_headers.push_back(request.headers.GetOr("X-Test", ""));
      }
      if (request.headers.GetOr("Authorization", "") == "Bearer wrong") {
        return WebSocketUpgrade::Refuse(HttpResponse::Json(
            401,
            R"({"error":{"message":"invalid node signature","type":"authentication_error"}})"));
      }
      WebSocketCallbacks callbacks;
      callbacks.on_open = [this](std::shared_ptr<WebSocketSession> session) {
        std::lock_guard<std::mutex> lock(mu);
        sessions.push_back(std::move(session));
        cv.notify_all();
      };
      callbacks.on_message = [this](WebSocketSession& session, std::string message) {
        if (echo) session.Send(message);
        std::lock_guard<std::mutex> lock(mu);
        messages.push_back(std::move(message));
        cv.notify_all();
      };
      callbacks.on_close = [this](WebSocketSession&, const Status& status) {
        std::lock_guard<std::mutex> lock(mu);
        closes.push_back(status);
        cv.notify_all();
      };
      return WebSocketUpgrade::Accept(std::move(callbacks));
    };
  }

  template <typename Pred>
  bool WaitFor(Pred pred, std::chrono::milliseconds timeout = 3s) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, timeout, [&] { return pred(); });
  }
  std::shared_ptr<WebSocketSession> FirstSession() {
    if (!WaitFor([&] { return !sessions.empty(); })) return nullptr;
    std::lock_guard<std::mutex> lock(mu);
    return sessions.front();
  }
  std::optional<Status> FirstClose(std::chrono::milliseconds timeout = 3s) {
    if (!WaitFor([&] { return !closes.empty(); }, timeout)) return std::nullopt;
    std::lock_guard<std::mutex> lock(mu);
    return closes.front();
  }
};

class WebSocketTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions options = TestServerOptions()) {
    Router router;
    ASSERT_TRUE(router.AddWebSocket("/v1/fleet/connect", side_.Handler()).ok());
    ASSERT_TRUE(router
                    .Add("GET", "/plain",
                         [](HttpRequest, std::shared_ptr<ResponseWriter> writer) {
                           writer->Send(HttpResponse::Text(200, "plain"));
                         })
                    .ok());
    server_ = std::make_unique<HttpServer>(std::move(options), std::move(router));
    ASSERT_TRUE(server_->Start().ok());
  }
  std::string Url() const {
    return "ws://127.0.0.1:" + std::to_string(server_->port()) + "/v1/fleet/connect";
  }
  static WebSocketClientOptions ClientOptions() {
    WebSocketClientOptions options;
    options.connect_timeout = 2s;
    options.handshake_timeout = 2s;
    options.write_timeout = 2s;
    options.idle_timeout = 5s;
    options.purpose = "fleet-link";
    return options;
  }

  ServerSide side_;
  egress::Connector connector_ = LoopbackConnector();
  std::unique_ptr<HttpServer> server_;
};

// The raw bytes of a client's upgrade request (RFC 6455's sample key).
std::string UpgradeRequest() {
  return "GET /v1/fleet/connect HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
         "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
         "Sec-WebSocket-Version: 13\r\n\r\n";
}

TEST_F(WebSocketTest, EchoesMessagesAndPassesHeaders) {
  StartServer();
  HttpHeaders headers;
  headers.Set("X-Test", "hello-header");
  auto client = WebSocketClient::Connect(Url(), headers, connector_, ClientOptions());
  ASSERT_TRUE(client.has_value()) << client.error().ToString();
  EXPECT_EQ((*client)->handshake_status(), 101);
  ASSERT_TRUE((*client)->Send(R"({"type":"hello"})").ok());
  ASSERT_TRUE((*client)->Send("second").ok());
  auto first = (*client)->Receive(2s);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  EXPECT_EQ(*first, R"({"type":"hello"})");
  auto second = (*client)->Receive(2s);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(*second, "second");
  auto none = (*client)->Receive(50ms);
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code(), StatusCode::kDeadlineExceeded);
  {
    std::lock_guard<std::mutex> lock(side_.mu);
    ASSERT_EQ(side_.upgrade_headers.size(), 1u);
    EXPECT_EQ(side_.upgrade_headers[0], "hello-header");
    EXPECT_EQ(side_.sessions.size(), 1u);
    EXPECT_NE(side_.sessions[0]->remote_address().find("127.0.0.1:"), std::string::npos);
  }
  // The socket went through the Connector, logged with its purpose.
  std::vector<egress::EgressAttempt> attempts = connector_.Attempts();
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_TRUE(attempts[0].allowed);
  EXPECT_EQ(attempts[0].purpose, "fleet-link");

  // A client-initiated close reaches on_close as OK, and Receive reports Cancelled.
  (*client)->Close();
  auto after = (*client)->Receive(1s);
  ASSERT_FALSE(after.has_value());
  EXPECT_EQ(after.error().code(), StatusCode::kCancelled);
  std::optional<Status> closed = side_.FirstClose();
  ASSERT_TRUE(closed.has_value());
  EXPECT_TRUE(closed->ok()) << closed->ToString();
  EXPECT_EQ((*client)->Send("late").code(), StatusCode::kCancelled);
}

TEST_F(WebSocketTest, RefusedUpgradeIsUnauthenticatedWithTheServersMessage) {
  StartServer();
  HttpHeaders headers;
  headers.Set("Authorization", "Bearer wrong");
  auto client = WebSocketClient::Connect(Url(), headers, connector_, ClientOptions());
  ASSERT_FALSE(client.has_value());
  EXPECT_EQ(client.error().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(client.error().message(), "invalid node signature");
  std::lock_guard<std::mutex> lock(side_.mu);
  EXPECT_TRUE(side_.sessions.empty());
}

TEST_F(WebSocketTest, EgressDeniedNeverConnects) {
  StartServer();
  egress::Connector deny_all = *egress::Connector::FromRules({"deny *:*"});
  auto client = WebSocketClient::Connect(Url(), {}, deny_all, ClientOptions());
  ASSERT_FALSE(client.has_value());
  EXPECT_EQ(client.error().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(side_.upgrade_headers.empty());
}

TEST_F(WebSocketTest, PlainGetOnWebSocketRouteIs426AndOtherRoutesStillWork) {
  StartServer();
  HttpClient http(connector_);
  std::string base = "http://127.0.0.1:" + std::to_string(server_->port());
  auto response = http.Fetch({.url = base + "/v1/fleet/connect"});
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 426);
  auto plain = http.Fetch({.url = base + "/plain"});
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->body, "plain");
  auto post = http.Fetch({.method = "POST", .url = base + "/v1/fleet/connect"});
  ASSERT_TRUE(post.has_value());
  EXPECT_EQ(post->status, 405);
}

TEST_F(WebSocketTest, ServerCloseReachesReceiveWithinASecond) {
  StartServer();
  auto client = WebSocketClient::Connect(Url(), {}, connector_, ClientOptions());
  ASSERT_TRUE(client.has_value()) << client.error().ToString();
  std::shared_ptr<WebSocketSession> session = side_.FirstSession();
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(session->Send("before close"));
  auto start = std::chrono::steady_clock::now();
  session->Close(4001, "node revoked");
  EXPECT_TRUE(session->closed());
  EXPECT_FALSE(session->Send("after close"));
  auto message = (*client)->Receive(1s);
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(*message, "before close");
  auto end = (*client)->Receive(1s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  ASSERT_FALSE(end.has_value());
  EXPECT_EQ(end.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(end.error().message().find("4001"), std::string::npos) << end.error().message();
  EXPECT_NE(end.error().message().find("node revoked"), std::string::npos);
  std::optional<Status> closed = side_.FirstClose();
  ASSERT_TRUE(closed.has_value());
  EXPECT_TRUE(closed->ok()) << closed->ToString();
  EXPECT_EQ((*client)->Send("x").code(), StatusCode::kUnavailable);
}

TEST_F(WebSocketTest, ClientThatDisconnectsIsSeenByOnClose) {
  StartServer();
  RawSocket raw(server_->port());
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE(raw.Send(UpgradeRequest()));
  std::string head = raw.ReadUntil("\r\n\r\n", 2s);
  ASSERT_NE(head.find("101"), std::string::npos) << head;
  ASSERT_NE(side_.FirstSession(), nullptr);
  raw.Close();  // no close frame
  std::optional<Status> closed = side_.FirstClose();
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->code(), StatusCode::kUnavailable) << closed->ToString();
  EXPECT_TRUE(side_.sessions.front()->closed());
}

TEST_F(WebSocketTest, SilentPeerIsDetectedWithinTheIdleTimeout) {
  HttpServerOptions options = TestServerOptions();
  options.websocket.idle_timeout = 600ms;
  StartServer(options);
  RawSocket raw(server_->port());
  ASSERT_TRUE(raw.Send(UpgradeRequest()));
  ASSERT_NE(raw.ReadUntil("\r\n\r\n", 2s).find("101"), std::string::npos);
  ASSERT_NE(side_.FirstSession(), nullptr);
  auto start = std::chrono::steady_clock::now();
  // The raw socket never answers the ping.
  std::optional<Status> closed = side_.FirstClose(3s);
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->code(), StatusCode::kUnavailable) << closed->ToString();
  EXPECT_GE(waited, 300ms);
  EXPECT_LT(waited, 2s);
}

TEST_F(WebSocketTest, OversizedMessageClosesTheSession) {
  HttpServerOptions options = TestServerOptions();
  options.websocket.max_message_bytes = 1024;
  StartServer(options);
  auto client = WebSocketClient::Connect(Url(), {}, connector_, ClientOptions());
  ASSERT_TRUE(client.has_value());
  ASSERT_TRUE((*client)->Send(std::string(1024, 'a')).ok());
  auto echoed = (*client)->Receive(2s);
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(echoed->size(), 1024u);
  (void)(*client)->Send(std::string(1025, 'b'));  // may or may not be written before the close
  std::optional<Status> closed = side_.FirstClose();
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->code(), StatusCode::kResourceExhausted) << closed->ToString();
  auto end = (*client)->Receive(2s);
  ASSERT_FALSE(end.has_value());
  EXPECT_EQ(end.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(end.error().message().find("1009"), std::string::npos) << end.error().message();
}

TEST_F(WebSocketTest, ClientRefusesOversizedMessagesFromTheServer) {
  StartServer();
  WebSocketClientOptions options = ClientOptions();
  options.max_message_bytes = 100;
  auto client = WebSocketClient::Connect(Url(), {}, connector_, options);
  ASSERT_TRUE(client.has_value());
  std::shared_ptr<WebSocketSession> session = side_.FirstSession();
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(session->Send(std::string(101, 'x')));
  auto end = (*client)->Receive(2s);
  ASSERT_FALSE(end.has_value());
  EXPECT_EQ(end.error().code(), StatusCode::kResourceExhausted) << end.error().ToString();
}

TEST_F(WebSocketTest, ConcurrentSendsFromFourThreadsArriveInOrderPerThread) {
  StartServer();
  auto client = WebSocketClient::Connect(Url(), {}, connector_, ClientOptions());
  ASSERT_TRUE(client.has_value());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  std::vector<std::thread> senders;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!(*client)->Send(std::to_string(t) + ":" + std::to_string(i)).ok()) ++failures;
      }
    });
  }
  // The echoes, read concurrently by one reader.
  std::map<int, int> next_echo;
  int echoes = 0;
  bool in_order = true;
  while (echoes < kThreads * kPerThread) {
    auto message = (*client)->Receive(3s);
    if (!message.has_value()) break;
    size_t colon = message->find(':');
    int thread = std::stoi(message->substr(0, colon));
    int index = std::stoi(message->substr(colon + 1));
    if (index != next_echo[thread]) in_order = false;
    next_echo[thread] = index + 1;
    ++echoes;
  }
  for (std::thread& sender : senders) sender.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(echoes, kThreads * kPerThread);
  EXPECT_TRUE(in_order);
  std::lock_guard<std::mutex> lock(side_.mu);
  ASSERT_EQ(side_.messages.size(), static_cast<size_t>(kThreads * kPerThread));
  std::map<int, int> next;
  for (const std::string& message : side_.messages) {
    size_t colon = message.find(':');
    int thread = std::stoi(message.substr(0, colon));
    EXPECT_EQ(std::stoi(message.substr(colon + 1)), next[thread]) << message;
    next[thread] += 1;
  }
}

TEST_F(WebSocketTest, StopClosesOpenSessions) {
  StartServer();
  auto client = WebSocketClient::Connect(Url(), {}, connector_, ClientOptions());
  ASSERT_TRUE(client.has_value());
  ASSERT_NE(side_.FirstSession(), nullptr);
  EXPECT_EQ(server_->active_connections(), 1u);
  auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(server_->active_connections(), 0u);
  std::optional<Status> closed = side_.FirstClose(1s);
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->code(), StatusCode::kCancelled) << closed->ToString();
  auto end = (*client)->Receive(1s);
  ASSERT_FALSE(end.has_value());
  EXPECT_EQ(end.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(end.error().message().find("1001"), std::string::npos) << end.error().message();
}

TEST_F(WebSocketTest, SendQueueOverflowClosesTheSession) {
  HttpServerOptions options = TestServerOptions();
  options.websocket.max_send_queue_bytes = 64 << 10;
  StartServer(options);
  RawSocket raw(server_->port());  // completes the handshake, then never reads
  ASSERT_TRUE(raw.Send(UpgradeRequest()));
  ASSERT_NE(raw.ReadUntil("\r\n\r\n", 2s).find("101"), std::string::npos);
  std::shared_ptr<WebSocketSession> session = side_.FirstSession();
  ASSERT_NE(session, nullptr);
  std::string piece(16 << 10, 'z');
  bool refused = false;
  for (int i = 0; i < 10'000 && !refused; ++i) refused = !session->Send(piece);
  EXPECT_TRUE(refused);
  std::optional<Status> closed = side_.FirstClose();
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->code(), StatusCode::kResourceExhausted) << closed->ToString();
}

TEST_F(WebSocketTest, ConnectRejectsBadUrls) {
  auto http = WebSocketClient::Connect("http://127.0.0.1:1/x", {}, connector_, ClientOptions());
  ASSERT_FALSE(http.has_value());
  EXPECT_EQ(http.error().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace locai::net
