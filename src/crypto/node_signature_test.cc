#include "crypto/node_signature.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "crypto/base64.h"
#include "crypto/ed25519.h"

namespace locai::crypto {
namespace {

constexpr int64_t kNow = 1764000000;

class NodeSignatureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<Ed25519KeyPair> pair = GenerateEd25519();
    ASSERT_TRUE(pair);
    keys_ = *pair;
  }
  NodeSignature Sign(std::string_view method, std::string_view target, int64_t now_s) {
    Result<NodeSignature> signature =
        SignNodeRequest("node-1", keys_.private_key, method, target, now_s);
    EXPECT_TRUE(signature) << signature.error().ToString();
    return signature ? *signature : NodeSignature{};
  }
  Status Verify(std::string_view method, std::string_view target, const NodeSignature& signature,
                int64_t now_s) {
    return VerifyNodeSignature(keys_.public_key, method, target, signature.timestamp,
                               signature.signature_b64, now_s);
  }
  Ed25519KeyPair keys_;
};

void ExpectUnauthenticated(const Status& status, std::string_view reason) {
  EXPECT_EQ(status.code(), StatusCode::kUnauthenticated) << status.ToString();
  EXPECT_NE(status.message().find(reason), std::string::npos) << status.ToString();
}

TEST(NodeSignaturePayload, ExactBytes) {
  EXPECT_EQ(NodeSignaturePayload("GET", "/v1/fleet/connect?x=1", 1764000000),
            "locai-node-v1\nGET\n/v1/fleet/connect?x=1\n1764000000");
  EXPECT_EQ(NodeSignaturePayload("POST", "/", 0), "locai-node-v1\nPOST\n/\n0");
}

TEST(NodeSignatureHeaders, Names) {
  EXPECT_EQ(kNodeIdHeader, "X-Locai-Node-Id");
  EXPECT_EQ(kNodeTimestampHeader, "X-Locai-Timestamp");
  EXPECT_EQ(kNodeSignatureHeader, "X-Locai-Signature");
}

TEST_F(NodeSignatureTest, SignedRequestVerifies) {
  NodeSignature signature = Sign("GET", "/v1/fleet/connect", kNow);
  EXPECT_EQ(signature.node_id, "node-1");
  EXPECT_EQ(signature.timestamp, "1764000000");
  // The header value is the standard base64 of an Ed25519 signature of the documented payload.
  Result<std::string> raw = Base64Decode(signature.signature_b64);
  ASSERT_TRUE(raw);
  EXPECT_TRUE(Ed25519Verify(keys_.public_key,
                            NodeSignaturePayload("GET", "/v1/fleet/connect", kNow), *raw));
  EXPECT_TRUE(Verify("GET", "/v1/fleet/connect", signature, kNow).ok());
}

TEST_F(NodeSignatureTest, AnyChangedFieldIsABadSignature) {
  NodeSignature signature = Sign("GET", "/v1/fleet/connect?a=1", kNow);
  ExpectUnauthenticated(Verify("POST", "/v1/fleet/connect?a=1", signature, kNow), "bad signature");
  ExpectUnauthenticated(Verify("GET", "/v1/fleet/connect?a=2", signature, kNow), "bad signature");
  ExpectUnauthenticated(Verify("GET", "/v1/fleet/connect", signature, kNow), "bad signature");
  NodeSignature shifted = signature;
  shifted.timestamp = std::to_string(kNow + 1);
  ExpectUnauthenticated(Verify("GET", "/v1/fleet/connect?a=1", shifted, kNow), "bad signature");
  NodeSignature padded = signature;
  padded.timestamp = "0" + signature.timestamp;
  ExpectUnauthenticated(Verify("GET", "/v1/fleet/connect?a=1", padded, kNow), "bad signature");
  Result<Ed25519KeyPair> other = GenerateEd25519();
  ASSERT_TRUE(other);
  ExpectUnauthenticated(VerifyNodeSignature(other->public_key, "GET", "/v1/fleet/connect?a=1",
                                            signature.timestamp, signature.signature_b64, kNow),
                        "bad signature");
}

TEST_F(NodeSignatureTest, TimestampWindowIsInclusiveBothWays) {
  NodeSignature signature = Sign("GET", "/x", kNow);
  EXPECT_TRUE(Verify("GET", "/x", signature, kNow + 120).ok());
  EXPECT_TRUE(Verify("GET", "/x", signature, kNow - 120).ok());
  ExpectUnauthenticated(Verify("GET", "/x", signature, kNow + 121), "outside the window");
  ExpectUnauthenticated(Verify("GET", "/x", signature, kNow - 121), "outside the window");
  EXPECT_TRUE(VerifyNodeSignature(keys_.public_key, "GET", "/x", signature.timestamp,
                                  signature.signature_b64, kNow + 10, 10)
                  .ok());
  ExpectUnauthenticated(VerifyNodeSignature(keys_.public_key, "GET", "/x", signature.timestamp,
                                            signature.signature_b64, kNow + 11, 10),
                        "outside the window");
  // Extreme clocks neither overflow nor pass.
  ExpectUnauthenticated(Verify("GET", "/x", signature, std::numeric_limits<int64_t>::min()),
                        "outside the window");
  ExpectUnauthenticated(Verify("GET", "/x", signature, std::numeric_limits<int64_t>::max()),
                        "outside the window");
}

TEST_F(NodeSignatureTest, MalformedInputsAreUnauthenticated) {
  NodeSignature signature = Sign("GET", "/x", kNow);
  for (std::string_view bad_timestamp :
       {"", "-1764000000", "+1764000000", " 1764000000", "1764000000 ", "17640000x0", "1.5",
        "99999999999999999999", "9223372036854775808"}) {
    ExpectUnauthenticated(VerifyNodeSignature(keys_.public_key, "GET", "/x", bad_timestamp,
                                              signature.signature_b64, kNow),
                          "malformed timestamp");
  }
  std::string raw = *Base64Decode(signature.signature_b64);
  for (const std::string& bad_signature :
       {std::string(""), std::string("!!!!"), signature.signature_b64 + "=",
        signature.signature_b64.substr(4), Base64Encode(raw.substr(0, 63)), Base64Encode(raw + "x"),
        Base64UrlEncode(raw)}) {
    ExpectUnauthenticated(VerifyNodeSignature(keys_.public_key, "GET", "/x", signature.timestamp,
                                              bad_signature, kNow),
                          "malformed signature");
  }
  ExpectUnauthenticated(
      VerifyNodeSignature("short", "GET", "/x", signature.timestamp, signature.signature_b64, kNow),
      "malformed");
  ExpectUnauthenticated(VerifyNodeSignature(keys_.public_key, "GET", "/x\nGET", signature.timestamp,
                                            signature.signature_b64, kNow),
                        "malformed");
}

TEST_F(NodeSignatureTest, SignRejectsBadInput) {
  const struct {
    std::string_view node_id, key, method, target;
    int64_t now_s;
  } kCases[] = {
      {"", keys_.private_key, "GET", "/", kNow},
      {"node-1", "short", "GET", "/", kNow},
      {"node-1", keys_.private_key, "", "/", kNow},
      {"node-1", keys_.private_key, "GET", "", kNow},
      {"node-1", keys_.private_key, "GET\n/a", "/", kNow},
      {"node-1", keys_.private_key, "GET", "/a\r\n", kNow},
      {"node\n1", keys_.private_key, "GET", "/", kNow},
      {"node-1", keys_.private_key, "GET", "/", -1},
  };
  for (const auto& test_case : kCases) {
    Result<NodeSignature> result = SignNodeRequest(
        test_case.node_id, test_case.key, test_case.method, test_case.target, test_case.now_s);
    ASSERT_FALSE(result) << test_case.method << " " << test_case.target;
    EXPECT_EQ(result.error().code(), StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace locai::crypto
