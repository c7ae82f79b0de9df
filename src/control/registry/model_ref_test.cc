#include "control/registry/model_ref.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace locai::control::registry {
namespace {

TEST(ModelRef, ParsesNameAndTag) {
  auto ref = ParseModelRef("llama3.2:1b");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->name, "llama3.2");
  EXPECT_EQ(ref->tag, "1b");
  ref = ParseModelRef("acme/clinical-notes_v2");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->tag, "latest");
  EXPECT_EQ(ref->ToString(), "acme/clinical-notes_v2:latest");
  ref = ParseModelRef("m:Q4_K_M-2024.1");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->tag, "Q4_K_M-2024.1");
}

TEST(ModelRef, RefusesBadNamesAndTags) {
  for (const std::string& bad : std::vector<std::string>{"", ":x", "Upper", "a b", "../etc", "a/../b", "a//b", "/a", "a/", "-a", "a/.b", "a:",
        "a:-x", "a:x y", "a:x/y", std::string(129, 'a'), "a:" + std::string(129, 'b'), "a\n"}) {
    auto ref = ParseModelRef(bad);
    EXPECT_FALSE(ref) << bad;
    if (!ref) {
      EXPECT_EQ(ref.error().code(), StatusCode::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace locai::control::registry
