#include "crypto/x509.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/base64.h"
#include "crypto/sha256.h"

namespace locai::crypto {
namespace {

// The DER of the first certificate, decoded from the PEM text by hand (independent of OpenSSL's
// PEM reader): the base64 between the BEGIN and END lines.
std::string DerOfFirstCertificate(const std::string& pem) {
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----\n";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  size_t begin = pem.find(kBegin);
  size_t end = pem.find(kEnd);
  EXPECT_NE(begin, std::string::npos);
  EXPECT_NE(end, std::string::npos);
  std::string body;
  for (size_t i = begin + kBegin.size(); i < end; ++i) {
    if (pem[i] != '\n') body.push_back(pem[i]);
  }
  Result<std::string> der = Base64Decode(body);
  EXPECT_TRUE(der);
  return der ? *der : std::string();
}

// One CA and one server certificate for the whole suite: P-256 generation is quick, but there is
// no need to repeat it in every test.
class X509Test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<CertAndKey> ca = GenerateCertificateAuthority("Locai Test CA", 30);
    ASSERT_TRUE(ca) << ca.error().ToString();
    ca_ = new CertAndKey(*ca);
    Result<CertAndKey> other = GenerateCertificateAuthority("Other CA", 30);
    ASSERT_TRUE(other) << other.error().ToString();
    other_ca_ = new CertAndKey(*other);
    Result<CertAndKey> server = GenerateServerCertificate(
        *ca_, "control.example", {"localhost", "127.0.0.1", "::1", "[fe80::1]", "control.example"},
        7);
    ASSERT_TRUE(server) << server.error().ToString();
    server_ = new CertAndKey(*server);
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete other_ca_;
    delete server_;
  }
  static CertAndKey* ca_;
  static CertAndKey* other_ca_;
  static CertAndKey* server_;
};
CertAndKey* X509Test::ca_ = nullptr;
CertAndKey* X509Test::other_ca_ = nullptr;
CertAndKey* X509Test::server_ = nullptr;

TEST_F(X509Test, PemShapes) {
  EXPECT_EQ(ca_->cert_pem.rfind("-----BEGIN CERTIFICATE-----\n", 0), 0u);
  EXPECT_EQ(ca_->key_pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
  EXPECT_EQ(server_->cert_pem.rfind("-----BEGIN CERTIFICATE-----\n", 0), 0u);
  EXPECT_EQ(server_->key_pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
  EXPECT_NE(server_->key_pem, ca_->key_pem);
}

TEST_F(X509Test, ServerCertificateVerifiesOnlyAgainstItsCa) {
  EXPECT_TRUE(VerifyCertificateSignedBy(server_->cert_pem, ca_->cert_pem).ok());
  Status wrong = VerifyCertificateSignedBy(server_->cert_pem, other_ca_->cert_pem);
  EXPECT_EQ(wrong.code(), StatusCode::kUnauthenticated) << wrong.ToString();
  // A CA is its own trust anchor, but not another CA's.
  EXPECT_TRUE(VerifyCertificateSignedBy(ca_->cert_pem, ca_->cert_pem).ok());
  EXPECT_EQ(VerifyCertificateSignedBy(other_ca_->cert_pem, ca_->cert_pem).code(),
            StatusCode::kUnauthenticated);
  // A server certificate is no CA: nothing it "signs" may verify, and it is no anchor for its CA.
  EXPECT_EQ(VerifyCertificateSignedBy(ca_->cert_pem, server_->cert_pem).code(),
            StatusCode::kUnauthenticated);
}

TEST_F(X509Test, SubjectAltNamesAreIpOrDns) {
  Result<std::vector<std::string>> sans = CertificateSubjectAltNames(server_->cert_pem);
  ASSERT_TRUE(sans) << sans.error().ToString();
  EXPECT_EQ(*sans, (std::vector<std::string>{"DNS:localhost", "IP:127.0.0.1", "IP:::1",
                                             "IP:fe80::1", "DNS:control.example"}));
  Result<std::vector<std::string>> ca_sans = CertificateSubjectAltNames(ca_->cert_pem);
  ASSERT_TRUE(ca_sans);
  EXPECT_TRUE(ca_sans->empty());
}

TEST_F(X509Test, FingerprintIsSha256OfDer) {
  Result<std::string> fingerprint = CertificateSha256Fingerprint(server_->cert_pem);
  ASSERT_TRUE(fingerprint) << fingerprint.error().ToString();
  EXPECT_EQ(fingerprint->size(), 64u);
  EXPECT_EQ(*fingerprint, Sha256Hex(DerOfFirstCertificate(server_->cert_pem)));
  for (char c : *fingerprint) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  // Only the first certificate of a chain counts.
  Result<std::string> chain_fingerprint =
      CertificateSha256Fingerprint(server_->cert_pem + ca_->cert_pem);
  ASSERT_TRUE(chain_fingerprint);
  EXPECT_EQ(*chain_fingerprint, *fingerprint);
  EXPECT_NE(*CertificateSha256Fingerprint(ca_->cert_pem), *fingerprint);
}

TEST_F(X509Test, GarbagePemIsInvalidArgument) {
  const std::string kGarbage[] = {
      "",
      "not a certificate",
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
      ca_->key_pem,
  };
  for (const std::string& garbage : kGarbage) {
    EXPECT_EQ(CertificateSha256Fingerprint(garbage).error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(CertificateSubjectAltNames(garbage).error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(VerifyCertificateSignedBy(garbage, ca_->cert_pem).code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(VerifyCertificateSignedBy(server_->cert_pem, garbage).code(),
              StatusCode::kInvalidArgument);
    Result<CertAndKey> from_bad_ca =
        GenerateServerCertificate(CertAndKey{garbage, ca_->key_pem}, "x", {}, 1);
    ASSERT_FALSE(from_bad_ca);
    EXPECT_EQ(from_bad_ca.error().code(), StatusCode::kInvalidArgument);
  }
  Result<CertAndKey> bad_key =
      GenerateServerCertificate(CertAndKey{ca_->cert_pem, "junk"}, "x", {}, 1);
  ASSERT_FALSE(bad_key);
  EXPECT_EQ(bad_key.error().code(), StatusCode::kInvalidArgument);
}

TEST_F(X509Test, MismatchedOrNonCaSignerIsRejected) {
  Result<CertAndKey> mismatched =
      GenerateServerCertificate(CertAndKey{ca_->cert_pem, other_ca_->key_pem}, "x", {}, 1);
  ASSERT_FALSE(mismatched);
  EXPECT_EQ(mismatched.error().code(), StatusCode::kInvalidArgument);
  Result<CertAndKey> leaf_as_ca = GenerateServerCertificate(*server_, "x", {}, 1);
  ASSERT_FALSE(leaf_as_ca);
  EXPECT_EQ(leaf_as_ca.error().code(), StatusCode::kInvalidArgument);
}

TEST_F(X509Test, BadParametersAreInvalidArgument) {
  EXPECT_EQ(GenerateCertificateAuthority("", 1).error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(GenerateCertificateAuthority("ca", 0).error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(GenerateCertificateAuthority("ca\n", 1).error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(GenerateCertificateAuthority(std::string(65, 'c'), 1).error().code(),
            StatusCode::kInvalidArgument);
  for (const char* bad_san : {"", "has space", "tab\t", "caf\xc3\xa9.example"}) {
    Result<CertAndKey> result = GenerateServerCertificate(*ca_, "x", {"ok", bad_san}, 1);
    ASSERT_FALSE(result) << bad_san;
    EXPECT_EQ(result.error().code(), StatusCode::kInvalidArgument) << bad_san;
  }
  EXPECT_EQ(GenerateServerCertificate(*ca_, "x", {}, -5).error().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(X509Test, SerialsAreRandom) {
  // Two certificates with the same inputs still differ (serial, key, signature).
  Result<CertAndKey> again = GenerateServerCertificate(
      *ca_, "control.example", {"localhost", "127.0.0.1", "::1", "[fe80::1]", "control.example"},
      7);
  ASSERT_TRUE(again);
  EXPECT_NE(again->cert_pem, server_->cert_pem);
  EXPECT_TRUE(VerifyCertificateSignedBy(again->cert_pem, ca_->cert_pem).ok());
}

}  // namespace
}  // namespace locai::crypto
