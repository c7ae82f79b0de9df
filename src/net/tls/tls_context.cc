#include "net/tls/tls_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/ip/address.hpp>
#include <vector>

namespace locai::net::tls {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct StoreFree {
  void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* ctx) const { X509_STORE_CTX_free(ctx); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

std::string Sha256Hex(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(cert, EVP_sha256(), digest, &length) != 1) return std::string();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

std::string ToPem(X509* cert) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return std::string();
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(length));
}

std::vector<X509Ptr> ParseCertificates(std::string_view pem) {
  std::vector<X509Ptr> certs;
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(cert);
  }
  ERR_clear_error();  // the loop ends on a "no start line" error
  return certs;
}

bool IsIpLiteral(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// Makes `param` check `host` against the leaf's SANs (as an IP when it is one).
void SetHostCheck(X509_VERIFY_PARAM* param, const std::string& host) {
  if (IsIpLiteral(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  }
}

}  // namespace

std::string NormalizeFingerprint(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == ':' || c == ' ') continue;
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::string();
    out.push_back(c);
  }
  return out;
}

Result<std::unique_ptr<asio::ssl::context>> MakeServerContext(std::string_view cert_pem,
                                                              std::string_view key_pem,
                                                              std::string_view chain_pem) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::single_dh_use);
  std::string chain(cert_pem);
  if (!chain.empty() && chain.back() != '\n') chain.push_back('\n');
  chain.append(chain_pem);
  error_code ec;
  context->use_certificate_chain(asio::buffer(chain), ec);
  if (ec) return Err(Status::InvalidArgument("cannot load the TLS certificate: " + ec.message()));
  context->use_private_key(asio::buffer(key_pem.data(), key_pem.size()), asio::ssl::context::pem,
                           ec);
  if (ec) return Err(Status::InvalidArgument("cannot load the TLS private key: " + ec.message()));
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    ERR_clear_error();
    return Err(Status::InvalidArgument("the TLS private key does not match the certificate"));
  }
  return context;
}

Result<std::unique_ptr<asio::ssl::context>> MakeClientContext(const ClientTrust& trust) {
  if (!trust.pinned_ca_sha256.empty() &&
      NormalizeFingerprint(trust.pinned_ca_sha256).size() != 64) {
    return Err(Status::InvalidArgument("pinned_ca_sha256 must be 64 hex digits"));
  }
  if (!trust.pinned_cert_sha256.empty() &&
      NormalizeFingerprint(trust.pinned_cert_sha256).size() != 64) {
    return Err(Status::InvalidArgument("pinned_sha256 must be 64 hex digits"));
  }
  if (!trust.ca_pem.empty() && ParseCertificates(trust.ca_pem).empty()) {
    return Err(Status::InvalidArgument("ca_pem holds no PEM certificate"));
  }
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3);
  error_code ec;
  if (trust.checked_after_handshake()) {
    context->set_verify_mode(asio::ssl::verify_none, ec);
  } else {
    context->set_verify_mode(asio::ssl::verify_peer, ec);
    if (!trust.ca_file.empty()) {
      context->load_verify_file(trust.ca_file, ec);
      if (ec) {
        return Err(
            Status::InvalidArgument("cannot load CA file " + trust.ca_file + ": " + ec.message()));
      }
    } else {
      context->set_default_verify_paths(ec);
    }
  }
  return context;
}

Status PrepareClientHandshake(ssl_st* ssl, const std::string& host, const ClientTrust& trust) {
  if (!IsIpLiteral(host) && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
    return Status::Internal("cannot set the TLS server name");
  }
  if (!trust.checked_after_handshake()) SetHostCheck(SSL_get0_param(ssl), host);
  return Status::Ok();
}

Status VerifyAfterHandshake(ssl_st* ssl, const std::string& host, const ClientTrust& trust,
                            std::string* ca_pem_out) {
  if (!trust.checked_after_handshake()) return Status::Ok();
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (leaf == nullptr) return Status::Unavailable("the server sent no certificate");
  if (trust.pinned_ca_sha256.empty() && trust.ca_pem.empty()) {
    std::string actual = Sha256Hex(leaf);
    if (actual != NormalizeFingerprint(trust.pinned_cert_sha256)) {
      return Status::Unavailable(
          "TLS certificate does not match the pinned fingerprint (got sha256 " + actual + ")");
    }
    return Status::Ok();
  }
  // The client side's chain starts with the leaf.
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  if (!store) return Status::Internal("out of memory");
  if (!trust.pinned_ca_sha256.empty()) {
    std::string expected = NormalizeFingerprint(trust.pinned_ca_sha256);
    X509* pinned = nullptr;
    std::string offered;
    int count = chain == nullptr ? 0 : sk_X509_num(chain);
    for (int i = 0; i < count; ++i) {
      X509* cert = sk_X509_value(chain, i);
      std::string fingerprint = Sha256Hex(cert);
      if (fingerprint == expected) {
        pinned = cert;
        break;
      }
      if (cert == leaf || X509_cmp(cert, leaf) == 0) continue;
      offered += (offered.empty() ? "" : ", ") + fingerprint;
    }
    if (pinned == nullptr) {
      return Status::Unavailable(
          "server certificate is not signed by the pinned CA (expected sha256 " + expected +
          ", server offered " + (offered.empty() ? std::string("no CA certificate") : offered) +
          ")");
    }
    X509_STORE_add_cert(store.get(), pinned);
    if (ca_pem_out != nullptr) *ca_pem_out = ToPem(pinned);
  } else {
    for (X509Ptr& cert : ParseCertificates(trust.ca_pem))
      X509_STORE_add_cert(store.get(), cert.get());
  }
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), leaf, chain) != 1) {
    return Status::Internal("cannot set up certificate verification");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  SetHostCheck(param, host);
  if (X509_verify_cert(ctx.get()) != 1) {
    int error = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return Status::Unavailable(std::string("server certificate verification failed: ") +
                               X509_verify_cert_error_string(error) +
                               (trust.pinned_ca_sha256.empty() ? "" : " (against the pinned CA)"));
  }
  return Status::Ok();
}

std::string DescribeHandshakeFailure(ssl_st* ssl, std::string_view error) {
  std::string why(error);
  long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) why += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
  return why;
}

}  // namespace locai::net::tls
