#include "node/agent/credential.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "crypto/base64.h"
#include "crypto/ed25519.h"
#include "crypto/node_signature.h"
#include "crypto/x509.h"
#include "node/agent/atomic_file.h"
#include "node/agent/join_token.h"
#include "node/agent/test_registry.h"
#include "node/test_util.h"

namespace locai::node::agent {
namespace {

namespace fs = std::filesystem;
using testing::FakeRegistry;
using testing::LoopbackConnector;

const std::string kCa(64, 'a');

std::string Token(const std::string& ca = kCa) { return "locaijoin.tok1.s3cr3t-_x." + ca; }

TEST(JoinTokenTest, ParsesAWellFormedToken) {
  auto token = ParseJoinToken("  " + Token(std::string(32, 'A') + std::string(32, '0')) + "\n");
  ASSERT_TRUE(token) << token.error().ToString();
  EXPECT_EQ(token->token_id, "tok1");
  EXPECT_EQ(token->secret, "s3cr3t-_x");
  EXPECT_EQ(token->ca_sha256, std::string(32, 'a') + std::string(32, '0'));
  EXPECT_EQ(token->text, Token(std::string(32, 'A') + std::string(32, '0')));
}

TEST(JoinTokenTest, RefusesBadTokensWithoutEchoingTheSecret) {
  const std::vector<std::string> bad = {
      "",
      "locaijoin",
      "joinlocai.tok.sec." + kCa,
      "locaijoin.tok.sec",
      "locaijoin.tok.sec." + kCa + ".extra",
      "locaijoin..sec." + kCa,
      "locaijoin.tok.." + kCa,
      "locaijoin.t/k.sec." + kCa,
      "locaijoin.tok.se cret." + kCa,
      "locaijoin.tok.sec." + std::string(63, 'a'),
      "locaijoin.tok.sec." + std::string(64, 'g'),
  };
  for (const auto& text : bad) {
    auto token = ParseJoinToken(text);
    ASSERT_FALSE(token) << text;
    EXPECT_EQ(token.error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(token.error().message().find("se cret"), std::string::npos);
  }
}

Credential SampleCredential() {
  auto keys = crypto::GenerateEd25519();
  EXPECT_TRUE(keys);
  Credential credential;
  credential.node_id = "n_abc";
  credential.server_url = "https://cp.example:8443";
  credential.ca_sha256 = kCa;
  credential.private_key = keys->private_key;
  credential.public_key = keys->public_key;
  credential.name = "ward-3-box";
  credential.org = "default";
  credential.group = "clinical";
  return credential;
}

TEST(CredentialTest, RoundTripsThroughAPrivateFile) {
  node::testing::TempDir dir;
  const std::string path = CredentialPath(dir.path() + "/");
  EXPECT_EQ(path, dir.path() + "/node/credential.json");
  const Credential credential = SampleCredential();
  ASSERT_TRUE(SaveCredential(path, credential).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = LoadCredential(path);
  ASSERT_TRUE(loaded) << loaded.error().ToString();
  EXPECT_EQ(loaded->node_id, credential.node_id);
  EXPECT_EQ(loaded->server_url, credential.server_url);
  EXPECT_EQ(loaded->ca_sha256, credential.ca_sha256);
  EXPECT_EQ(loaded->private_key, credential.private_key);
  EXPECT_EQ(loaded->public_key, credential.public_key);
  EXPECT_EQ(loaded->name, credential.name);
  EXPECT_EQ(loaded->org, credential.org);
  EXPECT_EQ(loaded->group, credential.group);
  // Only the credential is in the directory: no temporary left behind.
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir.Join("node"))) {
    files.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(files, std::vector<std::string>{"credential.json"});
}

TEST(CredentialTest, AtomicWriteReplacesWholeOrFailsLeavingTheOldFile) {
  node::testing::TempDir dir;
  const std::string path = dir.Join("sub/file.txt");
  ASSERT_TRUE(WriteFileAtomically(path, "first version, longer", 0600).ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second", 0640).ok());
  EXPECT_EQ(*ReadWholeFile(path), "second");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);

  // The target is a directory: rename fails, the temporary is removed, the directory stays.
  fs::create_directories(dir.Join("sub/dir/inner"));
  const Status failed = WriteFileAtomically(dir.Join("sub/dir"), "x", 0600);
  EXPECT_FALSE(failed.ok());
  EXPECT_TRUE(fs::is_directory(dir.Join("sub/dir/inner")));
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.Join("sub"))) ++entries;
  EXPECT_EQ(entries, 2u);  // file.txt and dir
  // A parent that is a file cannot be created.
  EXPECT_FALSE(WriteFileAtomically(dir.Join("sub/file.txt/x"), "x", 0600).ok());
  EXPECT_EQ(*ReadWholeFile(path), "second");
}

TEST(CredentialTest, LoadRefusesMissingAndMalformedFiles) {
  node::testing::TempDir dir;
  EXPECT_EQ(LoadCredential(dir.Join("none.json")).error().code(), StatusCode::kNotFound);
  dir.Write("bad.json", "{not json");
  EXPECT_EQ(LoadCredential(dir.Join("bad.json")).error().code(), StatusCode::kDataLoss);
  Credential credential = SampleCredential();
  credential.private_key = "short";
  ASSERT_TRUE(SaveCredential(dir.Join("short.json"), credential).ok());
  auto short_key = LoadCredential(dir.Join("short.json"));
  ASSERT_FALSE(short_key);
  EXPECT_EQ(short_key.error().code(), StatusCode::kDataLoss);
  EXPECT_NE(short_key.error().message().find("private_key"), std::string::npos);
  dir.Write("no_id.json", R"({"server_url":"https://x","ca_sha256":")" + kCa + "\"}");
  EXPECT_NE(LoadCredential(dir.Join("no_id.json")).error().message().find("node_id"),
            std::string::npos);
}

TEST(EnrollTest, EnrolsOverHttpAndSignsLaterRequests) {
  FakeRegistry server;
  auto connector = LoopbackConnector();
  EnrollOptions options;
  options.capabilities = {{"cores", 4}};
  auto credential = Enroll(server.url() + "/", Token(), "box-1", connector, options);
  ASSERT_TRUE(credential) << credential.error().ToString();
  EXPECT_EQ(credential->node_id, "n_test1");
  EXPECT_EQ(credential->org, "default");
  EXPECT_EQ(credential->group, "lab");
  EXPECT_EQ(credential->server_url, server.url());
  EXPECT_EQ(credential->ca_sha256, kCa);
  EXPECT_EQ(credential->name, "box-1");
  ASSERT_EQ(credential->private_key.size(), 32u);
  EXPECT_EQ(*crypto::Ed25519PublicFromPrivate(credential->private_key), credential->public_key);

  ASSERT_EQ(server.enroll_bodies.size(), 1u);
  const auto body = nlohmann::json::parse(server.enroll_bodies[0]);
  EXPECT_EQ(body["token"], Token());
  EXPECT_EQ(body["name"], "box-1");
  EXPECT_EQ(body["capabilities"]["cores"], 4);
  EXPECT_EQ(*crypto::Base64Decode(body["public_key"].get<std::string>()), credential->public_key);

  net::HttpHeaders headers;
  ASSERT_TRUE(SignRequest(*credential, "GET", "/v1/fleet/connect", 1'700'000'000, &headers).ok());
  EXPECT_EQ(headers.GetOr("X-Locai-Node-Id", ""), "n_test1");
  EXPECT_EQ(headers.GetOr("X-Locai-Timestamp", ""), "1700000000");
  EXPECT_TRUE(crypto::VerifyNodeSignature(credential->public_key, "GET", "/v1/fleet/connect",
                                          "1700000000", headers.GetOr("X-Locai-Signature", ""),
                                          1'700'000'010)
                  .ok());
}

TEST(EnrollTest, RefusedTokenBadTokenAndBadUrl) {
  FakeRegistry server;
  server.enroll_status = 401;
  server.enroll_response =
      R"({"error":{"message":"join token expired","type":"authentication_error"}})";
  auto connector = LoopbackConnector();
  auto refused = Enroll(server.url(), Token(), "box", connector);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(refused.error().message().find("join token expired"), std::string::npos);

  auto bad_token = Enroll(server.url(), "locaijoin.x", "box", connector);
  ASSERT_FALSE(bad_token);
  EXPECT_EQ(bad_token.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(server.enroll_bodies.size(), 1u);  // the bad token never left the node

  auto bad_url = Enroll("ftp://127.0.0.1:1", Token(), "box", connector);
  ASSERT_FALSE(bad_url);
  EXPECT_EQ(bad_url.error().code(), StatusCode::kInvalidArgument);

  server.enroll_status = 200;
  server.enroll_response = R"({"org":"default"})";
  auto no_id = Enroll(server.url(), Token(), "box", connector);
  ASSERT_FALSE(no_id);
  EXPECT_EQ(no_id.error().code(), StatusCode::kDataLoss);
}

TEST(EnrollTest, HttpsPinsTheCaFromTheToken) {
  auto ca = crypto::GenerateCertificateAuthority("Locai test CA", 1);
  ASSERT_TRUE(ca) << ca.error().ToString();
  auto leaf = crypto::GenerateServerCertificate(*ca, "localhost", {"127.0.0.1", "localhost"}, 1);
  ASSERT_TRUE(leaf) << leaf.error().ToString();
  auto ca_sha256 = crypto::CertificateSha256Fingerprint(ca->cert_pem);
  ASSERT_TRUE(ca_sha256);
  FakeRegistry server(
      net::HttpServerOptions::TlsOptions{leaf->cert_pem, leaf->key_pem, ca->cert_pem});
  auto connector = LoopbackConnector();

  auto wrong = Enroll(server.url(true), Token(std::string(64, 'b')), "box", connector);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(wrong.error().message().find("refusing to enrol"), std::string::npos)
      << wrong.error().message();
  EXPECT_TRUE(server.enroll_bodies.empty());  // the token never reached the impostor

  auto right = Enroll(server.url(true), Token(*ca_sha256), "box", connector);
  ASSERT_TRUE(right) << right.error().ToString();
  EXPECT_EQ(right->ca_sha256, *ca_sha256);
  EXPECT_EQ(server.enroll_bodies.size(), 1u);
}

}  // namespace
}  // namespace locai::node::agent
