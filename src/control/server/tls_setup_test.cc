#include "control/server/tls_setup.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <string>

#include "control/server/files.h"
#include "crypto/x509.h"
#include "store/testing/temp_dir.h"

namespace locai::control::server {
namespace {

TEST(TlsSetup, GeneratesOnceAndReuses) {
  store::testing::TempDir dir;
  TlsSetupOptions options;
  options.tls_dir = dir.File("tls");
  options.sans = {"control.example", "10.1.2.3"};
  auto first = LoadOrCreateTlsIdentity(options);
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_TRUE(first->generated);
  EXPECT_EQ(first->ca_fingerprint.size(), 64u);
  EXPECT_TRUE(crypto::VerifyCertificateSignedBy(first->cert_pem, first->ca_pem).ok());
  auto sans = crypto::CertificateSubjectAltNames(first->cert_pem);
  ASSERT_TRUE(sans);
  for (const char* want : {"DNS:localhost", "IP:127.0.0.1", "DNS:control.example", "IP:10.1.2.3"}) {
    EXPECT_NE(std::find(sans->begin(), sans->end(), want), sans->end()) << want;
  }
  struct stat info {};
  ASSERT_EQ(::stat(dir.File("tls/ca.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  auto second = LoadOrCreateTlsIdentity(options);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->ca_fingerprint, first->ca_fingerprint);
  EXPECT_EQ(second->cert_pem, first->cert_pem);

  // A new SAN re-issues the server certificate under the same CA.
  options.sans.push_back("other.example");
  auto third = LoadOrCreateTlsIdentity(options);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->ca_fingerprint, first->ca_fingerprint);
  EXPECT_NE(third->cert_pem, first->cert_pem);
}

TEST(TlsSetup, GivenCertificate) {
  store::testing::TempDir dir;
  auto ca = crypto::GenerateCertificateAuthority("test CA", 1);
  ASSERT_TRUE(ca);
  auto leaf = crypto::GenerateServerCertificate(*ca, "localhost", {"localhost"}, 1);
  ASSERT_TRUE(leaf);
  ASSERT_TRUE(WriteFileAtomically(dir.File("cert.pem"), leaf->cert_pem + ca->cert_pem, 0644).ok());
  ASSERT_TRUE(WriteFileAtomically(dir.File("key.pem"), leaf->key_pem, 0600).ok());
  TlsSetupOptions options;
  options.tls_dir = dir.File("tls");
  options.cert_file = dir.File("cert.pem");
  options.key_file = dir.File("key.pem");
  auto identity = LoadOrCreateTlsIdentity(options);
  ASSERT_TRUE(identity) << identity.error().ToString();
  EXPECT_FALSE(identity->generated);
  EXPECT_EQ(identity->ca_fingerprint, *crypto::CertificateSha256Fingerprint(ca->cert_pem));

  options.key_file.clear();
  EXPECT_EQ(LoadOrCreateTlsIdentity(options).error().code(), StatusCode::kInvalidArgument);
  options.key_file = dir.File("missing.pem");
  EXPECT_EQ(LoadOrCreateTlsIdentity(options).error().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace locai::control::server
