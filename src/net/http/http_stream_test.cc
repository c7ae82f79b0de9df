// Streaming responses: chunked delivery, SSE end to end, disconnects, backpressure.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "net/http/http_server.h"
#include "net/http/test_socket.h"
#include "net/sse/sse.h"

namespace locai::net {
namespace {
using namespace std::chrono_literals;
using testing::LoopbackConnector;
using testing::RawSocket;
using testing::TestServerOptions;
using testing::UrlFor;

// The handler hands its writer to the test, which plays the engine thread.
struct WriterInbox {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::shared_ptr<ResponseWriter>> writers;

  Handler MakeHandler() {
    return [this](HttpRequest, std::shared_ptr<ResponseWriter> writer) {
      std::lock_guard<std::mutex> lock(mu);
      writers.push_back(std::move(writer));
      cv.notify_all();
    };
  }
  std::shared_ptr<ResponseWriter> Take() {
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_for(lock, 5s, [this] { return !writers.empty(); })) return nullptr;
    auto writer = writers.front();
    writers.erase(writers.begin());
    return writer;
  }
};

TEST(HttpStreamTest, ClientReceivesEachChunkBeforeTheNextIsWritten) {
  WriterInbox inbox;
  Router router;
  ASSERT_TRUE(router.Add("GET", "/stream", inbox.MakeHandler()).ok());
  HttpServer server(TestServerOptions(), std::move(router));
  ASSERT_TRUE(server.Start().ok());

  constexpr int kChunks = 5;
  std::vector<std::promise<void>> received(kChunks);
  std::thread engine([&] {
    std::shared_ptr<ResponseWriter> writer = inbox.Take();
    ASSERT_NE(writer, nullptr);
    HttpHeaders headers;
    headers.Set("Content-Type", "text/plain");
    ASSERT_TRUE(writer->StartStream(200, headers));
    for (int i = 0; i < kChunks; ++i) {
      ASSERT_TRUE(writer->Write("piece" + std::to_string(i) + ";"));
      // Wait until the client saw this piece: only works if each Write is flushed.
      ASSERT_EQ(received[static_cast<size_t>(i)].get_future().wait_for(3s),
                std::future_status::ready);
    }
    EXPECT_TRUE(writer->End());
    EXPECT_FALSE(writer->Write("late"));
  });

  egress::Connector connector = LoopbackConnector();
  HttpClient client(connector);
  std::string all;
  int next = 0;
  Result<ClientResponse> response =
      client.Stream({.url = UrlFor(server, "/stream")}, [&](std::string_view chunk) {
        all.append(chunk);
        while (next < kChunks &&
               all.find("piece" + std::to_string(next) + ";") != std::string::npos) {
          received[static_cast<size_t>(next++)].set_value();
        }
        return true;
      });
  engine.join();
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers.Get("Transfer-Encoding"), "chunked");
  EXPECT_EQ(all, "piece0;piece1;piece2;piece3;piece4;");
  // The connection is reused after a complete stream.
  Result<ClientResponse> again = client.Fetch({.url = UrlFor(server, "/nothing")});
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 404);
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST(HttpStreamTest, SseEventsSurviveTransport) {
  Router router;
  ASSERT_TRUE(router
                  .Add("POST", "/v1/chat/completions",
                       [](HttpRequest, std::shared_ptr<ResponseWriter> writer) {
                         std::thread([writer] {
                           HttpHeaders headers;
                           headers.Set("Content-Type", "text/event-stream");
                           headers.Set("Cache-Control", "no-cache");
                           writer->StartStream(200, headers);
                           for (int i = 0; i < 20; ++i) {
                             writer->Write(
                                 sse::FormatEvent("{\"token\":" + std::to_string(i) + "}\nline2"));
                           }
                           writer->Write(sse::FormatComment("ping"));
                           writer->Write(sse::FormatEvent("[DONE]", "done"));
                           writer->End();
                         }).detach();
                       })
                  .ok());
  HttpServer server(TestServerOptions(), std::move(router));
  ASSERT_TRUE(server.Start().ok());
  egress::Connector connector = LoopbackConnector();
  HttpClient client(connector);
  sse::SseParser parser;
  std::vector<sse::SseEvent> events;
  Result<ClientResponse> response =
      client.Stream({.method = "POST", .url = UrlFor(server, "/v1/chat/completions"), .body = "{}"},
                    [&](std::string_view chunk) {
                      parser.Feed(chunk, [&](sse::SseEvent e) { events.push_back(std::move(e)); });
                      return true;
                    });
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->headers.Get("content-type"), "text/event-stream");
  ASSERT_EQ(events.size(), 21u);
  EXPECT_EQ(events[3].data, "{\"token\":3}\nline2");
  EXPECT_EQ(events[20].event, "done");
  EXPECT_EQ(events[20].data, "[DONE]");
}

TEST(HttpStreamTest, ClientDisconnectFiresOnCloseQuickly) {
  WriterInbox inbox;
  Router router;
  ASSERT_TRUE(router.Add("GET", "/stream", inbox.MakeHandler()).ok());
  HttpServer server(TestServerOptions(), std::move(router));
  ASSERT_TRUE(server.Start().ok());

  for (bool reset : {false, true}) {
    RawSocket raw(server.port());
    ASSERT_TRUE(raw.Send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n"));
    std::shared_ptr<ResponseWriter> writer = inbox.Take();
    ASSERT_NE(writer, nullptr);
    std::promise<std::chrono::steady_clock::time_point> closed_at;
    writer->OnClose([&] { closed_at.set_value(std::chrono::steady_clock::now()); });
    ASSERT_TRUE(writer->StartStream(200, {}));
    ASSERT_TRUE(writer->Write("first"));
    EXPECT_NE(raw.ReadUntil("first", 1000ms).find("first"), std::string::npos);
    EXPECT_FALSE(writer->closed());

    auto disconnected = std::chrono::steady_clock::now();
    if (reset) {
      raw.Reset();
    } else {
      raw.Close();
    }
    auto future = closed_at.get_future();
    ASSERT_EQ(future.wait_for(1s), std::future_status::ready);
    EXPECT_LT(future.get() - disconnected, 100ms);
    EXPECT_TRUE(writer->closed());
    EXPECT_FALSE(writer->Write("dropped"));
    EXPECT_FALSE(writer->End());
    bool late_called = false;
    writer->OnClose([&] { late_called = true; });  // already closed: runs at once
    EXPECT_TRUE(late_called);
  }
}

TEST(HttpStreamTest, DisconnectBeforeAnyResponseIsNoticed) {
  WriterInbox inbox;
  Router router;
  ASSERT_TRUE(router.Add("GET", "/wait", inbox.MakeHandler()).ok());
  HttpServer server(TestServerOptions(), std::move(router));
  ASSERT_TRUE(server.Start().ok());
  RawSocket raw(server.port());
  ASSERT_TRUE(raw.Send("GET /wait HTTP/1.1\r\nHost: a\r\n\r\n"));
  std::shared_ptr<ResponseWriter> writer = inbox.Take();
  ASSERT_NE(writer, nullptr);
  std::promise<void> closed;
  writer->OnClose([&] { closed.set_value(); });
  raw.Close();
  EXPECT_EQ(closed.get_future().wait_for(1s), std::future_status::ready);
  EXPECT_FALSE(writer->Send(HttpResponse::Text(200, "too late")));
}

TEST(HttpStreamTest, SlowConsumerIsDisconnected) {
  WriterInbox inbox;
  Router router;
  ASSERT_TRUE(router.Add("GET", "/flood", inbox.MakeHandler()).ok());
  HttpServerOptions options = TestServerOptions();
  options.max_write_queue_bytes = 256 << 10;
  HttpServer server(options, std::move(router));
  ASSERT_TRUE(server.Start().ok());
  RawSocket raw(server.port());  // never reads
  ASSERT_TRUE(raw.Send("GET /flood HTTP/1.1\r\nHost: a\r\n\r\n"));
  std::shared_ptr<ResponseWriter> writer = inbox.Take();
  ASSERT_NE(writer, nullptr);
  std::promise<void> closed;
  writer->OnClose([&] { closed.set_value(); });
  ASSERT_TRUE(writer->StartStream(200, {}));
  std::string block(64 << 10, 'x');
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!writer->closed() && std::chrono::steady_clock::now() < deadline) {
    writer->Write(block);  // never blocks
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(writer->closed());
  EXPECT_EQ(closed.get_future().wait_for(1s), std::future_status::ready);
  EXPECT_LE(writer->queued_bytes(), options.max_write_queue_bytes);
}

TEST(HttpStreamTest, DroppingAnUnfinishedStreamTruncatesIt) {
  Router router;
  ASSERT_TRUE(router
                  .Add("GET", "/half",
                       [](HttpRequest, std::shared_ptr<ResponseWriter> writer) {
                         writer->StartStream(200, {});
                         writer->Write("partial");
                       })
                  .ok());
  HttpServer server(TestServerOptions(), std::move(router));
  ASSERT_TRUE(server.Start().ok());
  egress::Connector connector = LoopbackConnector();
  HttpClient client(connector);
  std::string got;
  Result<ClientResponse> response =
      client.Stream({.url = UrlFor(server, "/half")}, [&](std::string_view chunk) {
        got.append(chunk);
        return true;
      });
  EXPECT_FALSE(response.has_value());
  EXPECT_EQ(got, "partial");
}

TEST(HttpStreamTest, Http10ClientGetsBodyUntilClose) {
  Router router;
  ASSERT_TRUE(router
                  .Add("GET", "/s",
                       [](HttpRequest, std::shared_ptr<ResponseWriter> writer) {
                         writer->StartStream(200, {});
                         writer->Write("a");
                         writer->Write("b");
                         writer->End();
                       })
                  .ok());
  HttpServer server(TestServerOptions(), std::move(router));
  ASSERT_TRUE(server.Start().ok());
  RawSocket raw(server.port());
  ASSERT_TRUE(raw.Send("GET /s HTTP/1.0\r\n\r\n"));
  bool eof = false;
  std::string reply = raw.ReadFor(2000ms, &eof);
  EXPECT_TRUE(eof);
  EXPECT_EQ(reply.find("chunked"), std::string::npos) << reply;
  EXPECT_EQ(reply.substr(reply.size() - 6), "\r\n\r\nab") << reply;
}

TEST(HttpStreamTest, StreamCallbackCanCancel) {
  WriterInbox inbox;
  Router router;
  ASSERT_TRUE(router.Add("GET", "/s", inbox.MakeHandler()).ok());
  HttpServer server(TestServerOptions(), std::move(router));
  ASSERT_TRUE(server.Start().ok());
  std::thread engine([&] {
    std::shared_ptr<ResponseWriter> writer = inbox.Take();
    ASSERT_NE(writer, nullptr);
    writer->StartStream(200, {});
    for (int i = 0; i < 2000 && !writer->closed(); ++i) {
      writer->Write("tick");
      std::this_thread::sleep_for(1ms);
    }
    EXPECT_TRUE(writer->closed());  // the client went away
  });
  egress::Connector connector = LoopbackConnector();
  HttpClient client(connector);
  int calls = 0;
  Result<ClientResponse> response =
      client.Stream({.url = UrlFor(server, "/s")}, [&](std::string_view) { return ++calls < 3; });
  engine.join();
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), StatusCode::kCancelled);
  EXPECT_EQ(calls, 3);
}

}  // namespace
}  // namespace locai::net
