#include "control/fleet/join_token.h"

#include <gtest/gtest.h>

#include <vector>

namespace locai::control::fleet {
namespace {

const std::string kCa(64, 'a');

TEST(JoinTokenTest, ParsesTheFourParts) {
  auto parts = ParseJoinToken("locaijoin.jt_abc123.s3cr-et_X." + std::string(64, 'F'));
  ASSERT_TRUE(parts.has_value()) << parts.error().ToString();
  EXPECT_EQ(parts->token_id, "jt_abc123");
  EXPECT_EQ(parts->secret, "s3cr-et_X");
  EXPECT_EQ(parts->ca_sha256, std::string(64, 'f'));
}

TEST(JoinTokenTest, RejectsMalformedTokens) {
  const std::vector<std::string> tokens = {"",
                                           "locaijoin",
                                           "locaijoin.id.secret",
                                           "locaijoin.id.secret." + kCa + ".extra",
                                           "locaijoin..secret." + kCa,
                                           "locaijoin.id.." + kCa,
                                           "locaiJOIN.id.secret." + kCa,
                                           "locai_key.id.secret." + kCa,
                                           "locaijoin.id.secret." + std::string(63, 'a'),
                                           "locaijoin.id.secret." + std::string(64, 'g'),
                                           "locaijoin.i d.secret." + kCa,
                                           "locaijoin.id.sec/ret." + kCa};
  for (const std::string& token : tokens) {
    auto parts = ParseJoinToken(token);
    ASSERT_FALSE(parts.has_value()) << token;
    EXPECT_EQ(parts.error().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(parts.error().message().find("malformed join token"), std::string::npos);
  }
}

}  // namespace
}  // namespace locai::control::fleet
