// HTTPS and WSS through HttpServer's TLS listener, with certificates from crypto/x509.h: the
// client pins the CA that the server sends after its leaf, or trusts an in-memory CA; wrong pins,
// foreign leaves and wrong hosts are refused; plaintext on the TLS port is dropped.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "crypto/x509.h"
#include "net/http/http_client.h"
#include "net/http/http_server.h"
#include "net/http/test_socket.h"
#include "net/websocket/websocket_client.h"

namespace locai::net {
namespace {
using namespace std::chrono_literals;
using testing::LoopbackConnector;
using testing::RawSocket;
using testing::TestServerOptions;

struct Pki {
  crypto::CertAndKey ca;
  crypto::CertAndKey server;
  std::string ca_sha256;
};

Pki MakePki(std::vector<std::string> sans = {"localhost", "127.0.0.1", "::1"}) {
  Pki pki;
  auto ca = crypto::GenerateCertificateAuthority("Locai test CA", 1);
  EXPECT_TRUE(ca.has_value());
  pki.ca = *ca;
  auto server = crypto::GenerateServerCertificate(pki.ca, "localhost", sans, 1);
  EXPECT_TRUE(server.has_value());
  pki.server = *server;
  pki.ca_sha256 = *crypto::CertificateSha256Fingerprint(pki.ca.cert_pem);
  return pki;
}

HttpServerOptions TlsServerOptions(const Pki& pki, const std::string& chain_pem) {
  HttpServerOptions options = TestServerOptions();
  options.header_timeout = 500ms;
  options.tls = HttpServerOptions::TlsOptions{pki.server.cert_pem, pki.server.key_pem, chain_pem};
  return options;
}

Router TestRouter() {
  Router router;
  EXPECT_TRUE(router
                  .Add("GET", "/hello",
                       [](HttpRequest request, std::shared_ptr<ResponseWriter> writer) {
                         writer->Send(HttpResponse::Text(200, "hello " + request.remote_address));
                       })
                  .ok());
  EXPECT_TRUE(router
                  .Add("GET", "/stream",
                       [](HttpRequest, std::shared_ptr<ResponseWriter> writer) {
                         writer->StartStream(200, {});
                         for (int i = 0; i < 3; ++i) writer->Write("part" + std::to_string(i));
                         writer->End();
                       })
                  .ok());
  EXPECT_TRUE(router
                  .AddWebSocket("/ws",
                                [](const HttpRequest&) {
                                  WebSocketCallbacks callbacks;
                                  callbacks.on_message = [](WebSocketSession& session,
                                                            std::string message) {
                                    session.Send("echo:" + message);
                                  };
                                  return WebSocketUpgrade::Accept(std::move(callbacks));
                                })
                  .ok());
  return router;
}

class TlsServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options) {
    server_ = std::make_unique<HttpServer>(std::move(options), TestRouter());
    Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }
  std::string Https(std::string_view host, std::string_view target) const {
    return "https://" + std::string(host) + ":" + std::to_string(server_->port()) +
           std::string(target);
  }
  std::string Wss() const { return "wss://127.0.0.1:" + std::to_string(server_->port()) + "/ws"; }

  Pki pki_ = MakePki();
  egress::Connector connector_ = LoopbackConnector();
  std::unique_ptr<HttpServer> server_;
};

TEST_F(TlsServerTest, HttpsRequestAndStreamWithPinnedCa) {
  Start(TlsServerOptions(pki_, pki_.ca.cert_pem));
  HttpClient client(connector_, {.pinned_ca_sha256 = pki_.ca_sha256});
  auto response = client.Fetch({.url = Https("127.0.0.1", "/hello")});
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body.rfind("hello 127.0.0.1:", 0), 0u) << response->body;
  std::string streamed;
  auto stream = client.Stream({.url = Https("127.0.0.1", "/stream")}, [&](std::string_view piece) {
    streamed.append(piece);
    return true;
  });
  ASSERT_TRUE(stream.has_value()) << stream.error().ToString();
  EXPECT_EQ(streamed, "part0part1part2");
  EXPECT_EQ(client.connections_opened(), 1u);  // kept alive over TLS
  auto missing = client.Fetch({.url = Https("127.0.0.1", "/missing")});
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
}

TEST_F(TlsServerTest, WrongPinIsRefusedNamingBothFingerprints) {
  Start(TlsServerOptions(pki_, pki_.ca.cert_pem));
  Pki other = MakePki();
  HttpClient client(connector_, {.pinned_ca_sha256 = other.ca_sha256});
  auto response = client.Fetch({.url = Https("127.0.0.1", "/hello")});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(response.error().message().find(
                "server certificate is not signed by the pinned CA (expected sha256 " +
                other.ca_sha256 + ", server offered " + pki_.ca_sha256 + ")"),
            std::string::npos)
      << response.error().message();
}

TEST_F(TlsServerTest, PinnedCaMustHaveSignedTheLeaf) {
  // The server sends the pinned CA but its leaf comes from another CA.
  Pki other = MakePki();
  HttpServerOptions options = TlsServerOptions(other, pki_.ca.cert_pem);
  Start(options);
  HttpClient client(connector_, {.pinned_ca_sha256 = pki_.ca_sha256});
  auto response = client.Fetch({.url = Https("127.0.0.1", "/hello")});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(response.error().message().find("verification failed"), std::string::npos)
      << response.error().message();
}

TEST_F(TlsServerTest, HostMustBeInTheLeafsNames) {
  pki_.server = *crypto::GenerateServerCertificate(pki_.ca, "example.com", {"example.com"}, 1);
  Start(TlsServerOptions(pki_, pki_.ca.cert_pem));
  HttpClient client(connector_, {.pinned_ca_sha256 = pki_.ca_sha256});
  auto response = client.Fetch({.url = Https("127.0.0.1", "/hello")});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(response.error().message().find("mismatch"), std::string::npos)
      << response.error().message();
}

TEST_F(TlsServerTest, InMemoryCaIsATrustAnchor) {
  Start(TlsServerOptions(pki_, ""));  // no chain needed when the client has the CA
  HttpClient trusting(connector_, {.ca_pem = pki_.ca.cert_pem});
  auto ok = trusting.Fetch({.url = Https("127.0.0.1", "/hello")});
  ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
  EXPECT_EQ(ok->status, 200);
  Pki other = MakePki();
  HttpClient wrong(connector_, {.ca_pem = other.ca.cert_pem});
  auto refused = wrong.Fetch({.url = Https("127.0.0.1", "/hello")});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kUnavailable);
  // Without a chain the pinned CA cannot be found.
  HttpClient pinned(connector_, {.pinned_ca_sha256 = pki_.ca_sha256});
  auto unpinned = pinned.Fetch({.url = Https("127.0.0.1", "/hello")});
  ASSERT_FALSE(unpinned.has_value());
  EXPECT_NE(unpinned.error().message().find("no CA certificate"), std::string::npos)
      << unpinned.error().message();
}

TEST_F(TlsServerTest, PlaintextAndSilentClientsAreDroppedWithoutHurtingOthers) {
  Start(TlsServerOptions(pki_, pki_.ca.cert_pem));
  RawSocket plaintext(server_->port());
  ASSERT_TRUE(plaintext.Send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  RawSocket garbage(server_->port());
  ASSERT_TRUE(garbage.Send(std::string(300, '\x16')));
  RawSocket silent(server_->port());
  ASSERT_TRUE(silent.ok());

  HttpClient client(connector_, {.pinned_ca_sha256 = pki_.ca_sha256});
  auto during = client.Fetch({.url = Https("127.0.0.1", "/hello")});
  ASSERT_TRUE(during.has_value()) << during.error().ToString();
  EXPECT_EQ(during->status, 200);

  bool eof = false;
  std::string answer = plaintext.ReadFor(2s, &eof);
  EXPECT_TRUE(eof);
  EXPECT_EQ(answer.find("HTTP/1.1"), std::string::npos);  // no plaintext answer
  EXPECT_TRUE(garbage.WaitForClose(2s));
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.WaitForClose(2s));  // handshake timeout = header_timeout (500 ms)
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);

  client.CloseIdleConnections();
  auto after = client.Fetch({.url = Https("127.0.0.1", "/hello")});
  ASSERT_TRUE(after.has_value()) << after.error().ToString();
  EXPECT_EQ(after->status, 200);
}

TEST_F(TlsServerTest, WssEchoWithPinnedCaAndRefusalOfAWrongPin) {
  Start(TlsServerOptions(pki_, pki_.ca.cert_pem));
  WebSocketClientOptions options;
  options.handshake_timeout = 2s;
  options.pinned_ca_sha256 = pki_.ca_sha256;
  auto client = WebSocketClient::Connect(Wss(), {}, connector_, options);
  ASSERT_TRUE(client.has_value()) << client.error().ToString();
  ASSERT_TRUE((*client)->Send("over tls").ok());
  auto echoed = (*client)->Receive(2s);
  ASSERT_TRUE(echoed.has_value()) << echoed.error().ToString();
  EXPECT_EQ(*echoed, "echo:over tls");
  (*client)->Close();

  options.pinned_ca_sha256 = MakePki().ca_sha256;
  auto refused = WebSocketClient::Connect(Wss(), {}, connector_, options);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.error().message().find("not signed by the pinned CA"), std::string::npos)
      << refused.error().message();
}

TEST_F(TlsServerTest, FetchServerCaPemReturnsThePinnedCa) {
  Start(TlsServerOptions(pki_, pki_.ca.cert_pem));
  auto ca = FetchServerCaPem(Https("127.0.0.1", "/"), pki_.ca_sha256, connector_, 2s);
  ASSERT_TRUE(ca.has_value()) << ca.error().ToString();
  EXPECT_EQ(*crypto::CertificateSha256Fingerprint(*ca), pki_.ca_sha256);
  auto wrong = FetchServerCaPem(Https("127.0.0.1", "/"), MakePki().ca_sha256, connector_, 2s);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code(), StatusCode::kUnavailable);
}

TEST_F(TlsServerTest, MismatchedKeyFailsStart) {
  Pki other = MakePki();
  HttpServerOptions options = TlsServerOptions(pki_, pki_.ca.cert_pem);
  options.tls->key_pem = other.server.key_pem;
  HttpServer server(options, Router());
  Status started = server.Start();
  EXPECT_EQ(started.code(), StatusCode::kInvalidArgument) << started.ToString();
}

}  // namespace
}  // namespace locai::net
