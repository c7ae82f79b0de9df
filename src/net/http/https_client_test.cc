// HttpClient over TLS against a small in-test TLS server with a freshly made self-signed
// certificate: verification by CA file, by pinned fingerprint, and refusal otherwise.
#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstdio>
#include <fstream>
#include <thread>

#include "net/http/http_client.h"
#include "net/http/test_socket.h"

namespace locai::net {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

struct TestCertificate {
  std::string cert_pem;
  std::string key_pem;
  std::string sha256_hex;
};

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(length));
}

// A self-signed P-256 certificate for CN=localhost with SANs DNS:localhost and IP:127.0.0.1.
TestCertificate MakeSelfSigned() {
  TestCertificate out;
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* san =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  X509_add_ext(cert, san, -1);
  X509_EXTENSION_free(san);
  X509_EXTENSION* basic =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints, "critical,CA:TRUE");
  X509_add_ext(cert, basic, -1);
  X509_EXTENSION_free(basic);
  X509_sign(cert, key, EVP_sha256());

  BIO* cert_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cert_bio, cert);
  out.cert_pem = BioToString(cert_bio);
  BIO_free(cert_bio);
  BIO* key_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  out.key_pem = BioToString(key_bio);
  BIO_free(key_bio);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  X509_digest(cert, EVP_sha256(), digest, &length);
  char hex[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(hex, sizeof(hex), "%02X", digest[i]);
    out.sha256_hex += hex;
    if (i + 1 < length) out.sha256_hex += ":";
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

// Serves "tls ok" over HTTPS, one connection at a time, on a background thread.
class TlsTestServer {
 public:
  explicit TlsTestServer(const TestCertificate& certificate)
      : tls_(asio::ssl::context::tls_server), acceptor_(ioc_) {
    boost::system::error_code ec;
    tls_.use_certificate_chain(asio::buffer(certificate.cert_pem), ec);
    EXPECT_FALSE(ec) << ec.message();
    tls_.use_private_key(asio::buffer(certificate.key_pem), asio::ssl::context::pem, ec);
    EXPECT_FALSE(ec) << ec.message();
    asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol(), ec);
    acceptor_.bind(endpoint, ec);
    acceptor_.listen(16, ec);
    port_ = acceptor_.local_endpoint(ec).port();
    thread_ = std::thread([this] { Serve(); });
  }
  ~TlsTestServer() {
    stopping_ = true;
    { testing::RawSocket wake(port_); }
    thread_.join();
  }
  uint16_t port() const { return port_; }
  int handshakes_ok() const { return handshakes_ok_.load(); }

 private:
  void Serve() {
    while (!stopping_) {
      boost::system::error_code ec;
      asio::ip::tcp::socket socket(ioc_);
      acceptor_.accept(socket, ec);
      if (ec || stopping_) return;
      beast::ssl_stream<asio::ip::tcp::socket> stream(std::move(socket), tls_);
      stream.handshake(asio::ssl::stream_base::server, ec);
      if (ec) continue;  // the client refused our certificate
      ++handshakes_ok_;
      beast::flat_buffer buffer;
      while (true) {
        http::request<http::string_body> request;
        http::read(stream, buffer, request, ec);
        if (ec) break;
        http::response<http::string_body> response(http::status::ok, 11);
        response.body() = "tls ok " + std::string(request.target());
        response.prepare_payload();
        http::write(stream, response, ec);
        if (ec) break;
      }
      stream.next_layer().close(ec);
    }
  }

  asio::io_context ioc_;
  asio::ssl::context tls_;
  asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> handshakes_ok_{0};
  std::thread thread_;
};

class HttpsClientTest : public ::testing::Test {
 protected:
  HttpsClientTest() : certificate_(MakeSelfSigned()), server_(certificate_) {}
  std::string Url(std::string_view path) const {
    return "https://127.0.0.1:" + std::to_string(server_.port()) + std::string(path);
  }
  TestCertificate certificate_;
  TlsTestServer server_;
  egress::Connector connector_ = testing::LoopbackConnector();
};

TEST_F(HttpsClientTest, PinnedFingerprintIsAccepted) {
  HttpClientOptions options;
  options.pinned_sha256 = certificate_.sha256_hex;
  HttpClient client(connector_, options);
  for (int i = 0; i < 3; ++i) {
    Result<ClientResponse> response = client.Fetch({.url = Url("/v1/ping")});
    ASSERT_TRUE(response.has_value()) << response.error().ToString();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "tls ok /v1/ping");
  }
  EXPECT_EQ(client.connections_opened(), 1u);  // kept alive over TLS
}

TEST_F(HttpsClientTest, WrongPinIsRefused) {
  HttpClientOptions options;
  options.pinned_sha256 = std::string(64, 'a');
  HttpClient client(connector_, options);
  Result<ClientResponse> response = client.Fetch({.url = Url("/")});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(response.error().message().find("pinned"), std::string::npos);
  options.pinned_sha256 = "not hex";
  HttpClient bad(connector_, options);
  EXPECT_EQ(bad.Fetch({.url = Url("/")}).error().code(), StatusCode::kInvalidArgument);
}

TEST_F(HttpsClientTest, CaFileVerifiesTheServer) {
  std::string ca_path = ::testing::TempDir() + "/locai_net_test_ca.pem";
  {
    std::ofstream file(ca_path);
    file << certificate_.cert_pem;
  }
  HttpClientOptions options;
  options.ca_file = ca_path;
  HttpClient client(connector_, options);
  Result<ClientResponse> response = client.Fetch({.url = Url("/ca")});
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->body, "tls ok /ca");
  std::remove(ca_path.c_str());

  options.ca_file = ca_path + ".missing";
  HttpClient missing(connector_, options);
  EXPECT_EQ(missing.Fetch({.url = Url("/")}).error().code(), StatusCode::kInvalidArgument);
}

TEST_F(HttpsClientTest, UntrustedCertificateIsRefused) {
  HttpClient client(connector_);  // system CAs: our self-signed certificate is not among them
  Result<ClientResponse> response = client.Fetch({.url = Url("/")});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(response.error().message().find("TLS handshake"), std::string::npos)
      << response.error().message();
  EXPECT_EQ(server_.handshakes_ok(), 0);
}

}  // namespace
}  // namespace locai::net
