// Hostile templates: each must end quickly with an error Status, never a crash, a stack overflow,
// a hang or unbounded memory.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "engine/chat_template/chat_template.h"

namespace locai::engine {
namespace {

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// Parses and renders `source`; returns the error (OK when it rendered).
Status RunTemplate(const std::string& source, const TemplateLimits& limits = {}) {
  auto tmpl = ChatTemplate::Parse(source, limits);
  if (!tmpl) return tmpl.error();
  TemplateValue context = TemplateValue::Object(
      {{"x", TemplateValue("value")}, {"nums", TemplateValue::Array({TemplateValue(1)})}});
  auto out = tmpl->Render(context);
  if (!out) return out.error();
  return Status::Ok();
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override { start_ = std::chrono::steady_clock::now(); }
  void TearDown() override {
    const auto elapsed = std::chrono::steady_clock::now() - start_;
    EXPECT_LT(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count(), 20)
        << "a hostile template took too long to fail";
  }

  // Expects `source` to fail with `code` and a message containing `fragment`.
  void ExpectFailure(const std::string& source, StatusCode code, const std::string& fragment,
                     const TemplateLimits& limits = {}) {
    Status s = RunTemplate(source, limits);
    ASSERT_FALSE(s.ok()) << "no error for: " << source.substr(0, 120);
    EXPECT_EQ(s.code(), code) << s.ToString();
    EXPECT_NE(s.message().find(fragment), std::string::npos) << s.ToString();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

TEST_F(SandboxTest, BlocksNested10000Deep) {
  ExpectFailure(Repeat("{% if true %}", 10000) + "x" + Repeat("{% endif %}", 10000),
                StatusCode::kResourceExhausted, "nested too deeply");
  ExpectFailure(Repeat("{% for i in nums %}", 10000), StatusCode::kResourceExhausted,
                "nested too deeply");
}

TEST_F(SandboxTest, ExpressionsNested10000Deep) {
  ExpectFailure("{{ " + Repeat("(", 10000) + "1" + Repeat(")", 10000) + " }}",
                StatusCode::kResourceExhausted, "nested too deeply");
  ExpectFailure("{{ " + Repeat("[", 10000) + Repeat("]", 10000) + " }}",
                StatusCode::kResourceExhausted, "nested too deeply");
  ExpectFailure("{{ " + Repeat("not ", 10000) + "x }}", StatusCode::kResourceExhausted,
                "nested too deeply");
  ExpectFailure("{{ " + Repeat("-", 10000) + "1 }}", StatusCode::kResourceExhausted,
                "nested too deeply");
  ExpectFailure("{{ " + Repeat("{'a': ", 10000) + "1" + Repeat("}", 10000) + " }}",
                StatusCode::kResourceExhausted, "nested too deeply");
}

TEST_F(SandboxTest, LongFlatChainsDoNotBuildDeepTrees) {
  // Left-associative chains would make trees as deep as they are long.
  ExpectFailure("{{ 1" + Repeat(" + 1", 100000) + " }}", StatusCode::kResourceExhausted,
                "nested too deeply");
  ExpectFailure("{{ x" + Repeat(".a", 100000) + " }}", StatusCode::kResourceExhausted,
                "nested too deeply");
  ExpectFailure("{{ x" + Repeat("|trim", 100000) + " }}", StatusCode::kResourceExhausted,
                "nested too deeply");
  ExpectFailure("{{ x" + Repeat("[0]", 100000) + " }}", StatusCode::kResourceExhausted,
                "nested too deeply");
}

TEST_F(SandboxTest, HugeRange) {
  ExpectFailure("{% for i in range(10**12) %}{{ i }}{% endfor %}", StatusCode::kResourceExhausted,
                "range");
  ExpectFailure("{{ range(-9223372036854775807, 9223372036854775807) | length }}",
                StatusCode::kResourceExhausted, "range");
}

TEST_F(SandboxTest, HugeStrings) {
  ExpectFailure("{{ 'a' * 10**12 }}", StatusCode::kResourceExhausted, "output limit");
  ExpectFailure("{{ [1] * 10**12 }}", StatusCode::kResourceExhausted, "output limit");
  ExpectFailure(
      "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
      "{% endfor %}{{ ns.s | length }}",
      StatusCode::kResourceExhausted, "limit");
  ExpectFailure("{{ ('a' * 1000000) | replace('', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx') }}",
                StatusCode::kResourceExhausted, "limit");
  ExpectFailure("{{ nums | batch(10**12, 0) | list }}", StatusCode::kResourceExhausted, "limit");
  ExpectFailure("{{ 'a\\nb' | indent('x' * 10000000) | indent('x' * 10000000) }}",
                StatusCode::kResourceExhausted, "limit");
}

TEST_F(SandboxTest, OutputLimit) {
  TemplateLimits limits;
  limits.max_output_bytes = 1000;
  ExpectFailure("{% for i in range(1000) %}abcdef{% endfor %}", StatusCode::kResourceExhausted,
                "output", limits);
  EXPECT_TRUE(RunTemplate("{% for i in range(100) %}abcdef{% endfor %}", limits).ok());
}

TEST_F(SandboxTest, LoopIterationLimit) {
  ExpectFailure("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                StatusCode::kResourceExhausted, "loop iterations");
  TemplateLimits limits;
  limits.max_loop_iterations = 10;
  ExpectFailure("{% for i in range(11) %}{% endfor %}", StatusCode::kResourceExhausted,
                "loop iterations", limits);
  EXPECT_TRUE(RunTemplate("{% for i in range(10) %}{% endfor %}", limits).ok());
}

TEST_F(SandboxTest, RecursiveMacros) {
  ExpectFailure("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", StatusCode::kResourceExhausted,
                "recursion too deep");
  ExpectFailure("{% macro f() %}{{ f() }}{{ f() }}{% endmacro %}{{ f() }}",
                StatusCode::kResourceExhausted, "recursion too deep");
  // Shallow, but each call makes two: without a work budget this would make 2^41 calls.
  ExpectFailure(
      "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
      "{{ f(40) }}",
      StatusCode::kResourceExhausted, "steps");
}

TEST_F(SandboxTest, ExponentialSharedValues) {
  // Each level holds the previous one twice: memory stays linear, but walking it does not.
  const std::string build = "{% set a = [1] %}" + Repeat("{% set a = [a, a] %}", 60);
  ExpectFailure(build + "{{ a }}", StatusCode::kResourceExhausted, "");
  ExpectFailure(build + "{{ a | tojson }}", StatusCode::kResourceExhausted, "");
  ExpectFailure("{% set a = [1] %}{% set b = [1] %}" +
                    Repeat("{% set a = [a, a] %}{% set b = [b, b] %}", 60) + "{{ a == b }}",
                StatusCode::kResourceExhausted, "");
}

TEST_F(SandboxTest, DeepValuesThroughNamespaces) {
  ExpectFailure(
      "{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}"
      "{% endfor %}{{ ns.x | length }}",
      StatusCode::kResourceExhausted, "nested too deeply");
}

TEST_F(SandboxTest, NamespacesCannotHoldNamespaces) {
  ExpectFailure("{% set ns = namespace() %}{% set ns.self = ns %}", StatusCode::kInvalidArgument,
                "namespace");
  ExpectFailure("{% set ns = namespace() %}{% set ns.list = [1, [ns]] %}",
                StatusCode::kInvalidArgument, "namespace");
  ExpectFailure("{% set ns = namespace() %}{% set other = namespace(inner=ns) %}",
                StatusCode::kInvalidArgument, "namespace");
}

TEST_F(SandboxTest, NoPrivateAttributesAndNoMutation) {
  ExpectFailure("{{ x.__class__ }}", StatusCode::kInvalidArgument, "'__class__' is not allowed");
  ExpectFailure("{{ ''.__class__.__mro__ }}", StatusCode::kInvalidArgument, "not allowed");
  ExpectFailure("{{ x._private }}", StatusCode::kInvalidArgument, "not allowed");
  ExpectFailure("{% set ns = namespace() %}{% set ns._x = 1 %}", StatusCode::kInvalidArgument,
                "not allowed");
  ExpectFailure("{{ nums.append(2) }}", StatusCode::kInvalidArgument, "immutable");
  ExpectFailure("{{ x.format.__globals__ }}", StatusCode::kInvalidArgument, "not allowed");
  ExpectFailure("{{ cycler }}{{ joiner() }}", StatusCode::kInvalidArgument, "undefined");
}

TEST_F(SandboxTest, SourceSizeLimit) {
  TemplateLimits limits;
  limits.max_source_bytes = 100;
  ExpectFailure(std::string(101, 'a'), StatusCode::kResourceExhausted, "exceeds the limit", limits);
}

TEST_F(SandboxTest, StepLimit) {
  TemplateLimits limits;
  limits.max_steps = 1000;
  ExpectFailure("{% for i in range(10000) %}{{ i }}{% endfor %}", StatusCode::kResourceExhausted,
                "steps", limits);
}

TEST_F(SandboxTest, IntegerOverflowIsAnError) {
  ExpectFailure("{{ 9223372036854775807 + 1 }}", StatusCode::kInvalidArgument, "overflow");
  ExpectFailure("{{ 2 ** 64 }}", StatusCode::kInvalidArgument, "overflow");
  ExpectFailure("{{ -9223372036854775807 - 2 }}", StatusCode::kInvalidArgument, "overflow");
  ExpectFailure("{{ 99999999999999999999 }}", StatusCode::kInvalidArgument, "out of range");
  ExpectFailure("{{ 1 // 0 }}", StatusCode::kInvalidArgument, "by zero");
  ExpectFailure("{{ 1 / 0 }}", StatusCode::kInvalidArgument, "by zero");
  ExpectFailure("{{ nums[::0] }}", StatusCode::kInvalidArgument, "zero");
}

}  // namespace
}  // namespace locai::engine
