#include "engine/chat_template/chat_template.h"

#include <gtest/gtest.h>

namespace locai::engine {
namespace {

TEST(ChatTemplateTest, Smoke) {
  auto t = ChatTemplate::Parse("Hello {{ name }}!");
  ASSERT_TRUE(t) << t.error().ToString();
  auto out = t->Render(TemplateValue::Object({{"name", TemplateValue("world")}}));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(*out, "Hello world!");
}

}  // namespace
}  // namespace locai::engine
