// Unit tests of the public API, error reporting and value conversions. Rendering semantics are
// covered by the data files (testdata_test.cc), hostile input by sandbox_test.cc.
#include "engine/chat_template/chat_template.h"

#include <gtest/gtest.h>

#include "engine/chat_template/lexer.h"

namespace locai::engine {
namespace {

Result<std::string> RenderWith(const std::string& source, const TemplateValue& context) {
  auto tmpl = ChatTemplate::Parse(source);
  if (!tmpl) return Err(tmpl.error());
  return tmpl->Render(context);
}

Result<std::string> RenderEmpty(const std::string& source) {
  return RenderWith(source, TemplateValue::Object());
}

TEST(ChatTemplateTest, RendersContextVariables) {
  auto out =
      RenderWith("Hello {{ name }}!", TemplateValue::Object({{"name", TemplateValue("world")}}));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(*out, "Hello world!");
}

TEST(ChatTemplateTest, ParsedTemplateRendersManyTimesAndMoves) {
  auto tmpl = ChatTemplate::Parse("{{ n * 2 }}");
  ASSERT_TRUE(tmpl);
  ChatTemplate moved = std::move(*tmpl);
  for (int i = 0; i < 3; ++i) {
    auto out = moved.Render(TemplateValue::Object({{"n", TemplateValue(i)}}));
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, std::to_string(2 * i));
  }
}

TEST(ChatTemplateTest, RenderDoesNotMutateContext) {
  TemplateValue context =
      TemplateValue::Object({{"messages", TemplateValue::Array({TemplateValue(1)})}});
  auto out = RenderWith("{% set messages = messages[1:] %}{{ messages | length }}", context);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, "0");
  EXPECT_EQ(context.Find("messages")->AsArray().size(), 1u);
}

TEST(ChatTemplateTest, SyntaxErrorsNameLineAndColumn) {
  struct Case {
    const char* source;
    StatusCode code;
    const char* fragment;
  };
  const Case cases[] = {
      {"line one\n{{ 1 + }}", StatusCode::kInvalidArgument, "line 2, column 8"},
      {"{% if x %}\nno end", StatusCode::kInvalidArgument, "expected 'endif'"},
      {"{{ x", StatusCode::kInvalidArgument, "line 1, column 1: unterminated '{{'"},
      {"{# never closed", StatusCode::kInvalidArgument, "unterminated comment"},
      {"{{ 'abc }}", StatusCode::kInvalidArgument, "unterminated string"},
      {"\n\n  {{ a $ b }}", StatusCode::kInvalidArgument,
       "line 3, column 8: unexpected character '$'"},
      {"{% endfor %}", StatusCode::kInvalidArgument, "unknown or misplaced tag 'endfor'"},
      {"{% include 'other.jinja' %}", StatusCode::kUnimplemented,
       "line 1, column 4: unsupported tag 'include'"},
      {"{% for x in y recursive %}{% endfor %}", StatusCode::kUnimplemented, "recursive"},
      {"{% break %}", StatusCode::kInvalidArgument, "'break' outside a loop"},
      {"{{ x | }}", StatusCode::kInvalidArgument, "expected a filter name"},
      {"{{ [1, 2 }}", StatusCode::kInvalidArgument,
       "line 1, column 10: unexpected '}', expected ']'"},
      {"{{ x) }}", StatusCode::kInvalidArgument, "unexpected ')'"},
  };
  for (const Case& c : cases) {
    auto tmpl = ChatTemplate::Parse(c.source);
    ASSERT_FALSE(tmpl) << c.source;
    EXPECT_EQ(tmpl.error().code(), c.code) << tmpl.error().ToString();
    EXPECT_NE(tmpl.error().message().find(c.fragment), std::string::npos)
        << c.source << " -> " << tmpl.error().ToString();
  }
}

TEST(ChatTemplateTest, RuntimeErrorsNameLineAndColumn) {
  struct Case {
    const char* source;
    const char* fragment;
    StatusCode code = StatusCode::kInvalidArgument;
  };
  const Case cases[] = {
      {"ok\n  {{ missing.attr }}",
       "line 2, column 13: cannot read attribute 'attr' of an undefined value"},
      {"{{ 'a' + 1 }}", "line 1, column 8: unsupported operand types for +: 'str' and 'int'"},
      {"{{ x | nosuchfilter }}", "line 1, column 8: unknown filter 'nosuchfilter'",
       StatusCode::kUnimplemented},
      {"{{ 1 is nosuchtest }}", "unknown test 'nosuchtest'", StatusCode::kUnimplemented},
      {"{{ 'x'.nosuchmethod() }}", "'str' object has no method 'nosuchmethod'"},
      {"{{ nosuchfunction() }}", "'nosuchfunction' is undefined"},
      {"{% for x in 5 %}{% endfor %}", "'int' object is not iterable"},
      {"{% set a, b = [1] %}", "cannot unpack 1 values into 2 names"},
      {"{{ raise_exception('Only user and assistant roles are supported') }}",
       "template raised an error: Only user and assistant roles are supported"},
      {"{% set x = 1 %}{% set x.y = 2 %}", "not a namespace"},
      {"{{ 1 < 'a' }}", "cannot compare 'int' and 'str'"},
  };
  for (const Case& c : cases) {
    auto out = RenderEmpty(c.source);
    ASSERT_FALSE(out) << c.source << " rendered " << *out;
    EXPECT_EQ(out.error().code(), c.code) << out.error().ToString();
    EXPECT_NE(out.error().message().find(c.fragment), std::string::npos)
        << c.source << " -> " << out.error().ToString();
  }
}

TEST(ChatTemplateTest, UndefinedIsLenientInsideDefinedTests) {
  // Jinja raises here; checking definedness of a missing object's attribute is never an error in
  // this interpreter, which only makes more templates render.
  auto out = RenderEmpty("{{ missing.attr is defined }}|{{ missing['k'] is undefined }}");
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(*out, "False|True");
}

TEST(ChatTemplateTest, StrftimeNowIsUndefinedWithoutClock) {
  auto tmpl = ChatTemplate::Parse(
      "{% if strftime_now is defined %}{{ strftime_now('%Y') }}{% else %}no clock{% endif %}");
  ASSERT_TRUE(tmpl);
  auto without = tmpl->Render(TemplateValue::Object());
  ASSERT_TRUE(without);
  EXPECT_EQ(*without, "no clock");
  RenderOptions options;
  options.now_unix_seconds = 0;
  auto with = tmpl->Render(TemplateValue::Object(), options);
  ASSERT_TRUE(with);
  EXPECT_EQ(*with, "1970");
}

TEST(ChatTemplateTest, ChatMlFallbackForEmptyTemplate) {
  ChatTemplateOptions options;
  auto out = ApplyChatTemplate("", {{"system", "S"}, {"user", "U"}}, options);
  ASSERT_TRUE(out);
  EXPECT_EQ(
      *out,
      "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n");
  options.add_generation_prompt = false;
  out = ApplyChatTemplate("", {{"user", "U"}}, options);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, "<|im_start|>user\nU<|im_end|>\n");
}

TEST(ChatTemplateTest, ExtraContextReachesTheTemplate) {
  ChatTemplateOptions options;
  options.extra_context = TemplateValue::Object(
      {{"tools",
        TemplateValue::Array({TemplateValue::Object({{"name", TemplateValue("get_time")}})})},
       {"date_string", TemplateValue("01 Jan 2030")}});
  auto out = ApplyChatTemplate(
      "{{ bos_token }}{% for t in tools %}[{{ t.name }}]{% endfor %}{{ date_string }}"
      "{{ messages[0].content }}{{ eos_token }}{{ add_generation_prompt }}",
      {{"user", "hi"}}, [&] {
        options.bos_token = "<s>";
        options.eos_token = "</s>";
        return options;
      }());
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(*out, "<s>[get_time]01 Jan 2030hi</s>True");
}

TEST(ChatTemplateTest, ApplyChatTemplateReportsParseErrors) {
  auto out = ApplyChatTemplate("{% if %}", {{"user", "hi"}}, {});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code(), StatusCode::kInvalidArgument);
}

TEST(TemplateValueTest, KindsAndTruthiness) {
  EXPECT_TRUE(TemplateValue().is_undefined());
  EXPECT_FALSE(TemplateValue().Truthy());
  EXPECT_FALSE(TemplateValue::Null().Truthy());
  EXPECT_FALSE(TemplateValue(0).Truthy());
  EXPECT_TRUE(TemplateValue(-1).Truthy());
  EXPECT_FALSE(TemplateValue(0.0).Truthy());
  EXPECT_FALSE(TemplateValue("").Truthy());
  EXPECT_TRUE(TemplateValue("x").Truthy());
  EXPECT_FALSE(TemplateValue::Array().Truthy());
  EXPECT_FALSE(TemplateValue::Object().Truthy());
  EXPECT_EQ(TemplateValue(1.5).TypeName(), "float");
}

TEST(TemplateValueTest, ObjectsKeepInsertionOrderAndReplaceInPlace) {
  TemplateValue obj = TemplateValue::Object();
  obj.Set("b", 1).Set("a", 2).Set("b", 3);
  ASSERT_EQ(obj.AsObject().size(), 2u);
  EXPECT_EQ(obj.AsObject().entries()[0].first, "b");
  EXPECT_EQ(obj.Find("b")->AsInt(), 3);
  EXPECT_EQ(obj.Find("zzz"), nullptr);
}

TEST(TemplateValueTest, PythonStringsAndJson) {
  TemplateValue v = TemplateValue::Object(
      {{"s", TemplateValue("it's \"q\"\n")},
       {"list", TemplateValue::Array({TemplateValue(1), TemplateValue(2.0), TemplateValue::Null(),
                                      TemplateValue(true)})},
       {"empty", TemplateValue::Object()}});
  EXPECT_EQ(*ToPythonString(v, 10),
            "{'s': 'it\\'s \"q\"\\n', 'list': [1, 2.0, None, True], 'empty': {}}");
  EXPECT_EQ(*ToJson(v, -1, 10),
            "{\"s\": \"it's \\\"q\\\"\\n\", \"list\": [1, 2.0, null, true], \"empty\": {}}");
  EXPECT_EQ(*ToJson(TemplateValue::Array({TemplateValue(1), TemplateValue::Array()}), 2, 10),
            "[\n  1,\n  []\n]");
  EXPECT_EQ(*ToJson(TemplateValue("\x01\xc3\xa9"), -1, 10), "\"\\u0001\xc3\xa9\"");
  EXPECT_FALSE(ToJson(v, -1, 1));          // depth limit
  EXPECT_FALSE(ToPythonString(v, 10, 5));  // size limit
}

TEST(TemplateValueTest, FormatDoubleLikePython) {
  EXPECT_EQ(FormatDouble(1.0), "1.0");
  EXPECT_EQ(FormatDouble(0.1), "0.1");
  EXPECT_EQ(FormatDouble(-2.5), "-2.5");
  EXPECT_EQ(FormatDouble(1e16), "1e+16");
  EXPECT_EQ(FormatDouble(1234567890123456.0), "1234567890123456.0");
  EXPECT_EQ(FormatDouble(1e-05), "1e-05");
  EXPECT_EQ(FormatDouble(0.0001), "0.0001");
  EXPECT_EQ(FormatDouble(1.5e300), "1.5e+300");
  EXPECT_EQ(FormatDouble(0.30000000000000004), "0.30000000000000004");
}

TEST(TemplateValueTest, EqualityFollowsPython) {
  EXPECT_TRUE(*ValuesEqual(TemplateValue(1), TemplateValue(1.0), 10));
  EXPECT_TRUE(*ValuesEqual(TemplateValue(true), TemplateValue(1), 10));
  EXPECT_FALSE(*ValuesEqual(TemplateValue("1"), TemplateValue(1), 10));
  EXPECT_FALSE(*ValuesEqual(TemplateValue::Null(), TemplateValue(), 10));
  EXPECT_TRUE(
      *ValuesEqual(TemplateValue::Object({{"a", TemplateValue(1)}, {"b", TemplateValue(2)}}),
                   TemplateValue::Object({{"b", TemplateValue(2)}, {"a", TemplateValue(1)}}), 10));
  uint64_t budget = 1;
  EXPECT_FALSE(ValuesEqual(TemplateValue::Array({TemplateValue(1)}),
                           TemplateValue::Array({TemplateValue(1)}), 10, &budget));
}

TEST(LexerTest, TokensAndPositions) {
  auto tokens = jinja::Lex("ab\n{{ x.y | f(1, 'z') }}");
  ASSERT_TRUE(tokens);
  ASSERT_GE(tokens->size(), 3u);
  EXPECT_EQ((*tokens)[0].type, jinja::TokenType::kText);
  EXPECT_EQ((*tokens)[0].text, "ab\n");
  EXPECT_EQ((*tokens)[1].type, jinja::TokenType::kVarBegin);
  EXPECT_EQ((*tokens)[1].line, 2);
  EXPECT_EQ((*tokens)[2].text, "x");
  EXPECT_EQ((*tokens)[2].column, 4);
  EXPECT_EQ(tokens->back().type, jinja::TokenType::kEnd);
}

TEST(LexerTest, DictLiteralClosingBracesAreNotTagEnds) {
  auto out = RenderEmpty("{{ {'a': {'b': 1}} }}");
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(*out, "{'a': {'b': 1}}");
}

TEST(LexerTest, WithoutTrimOptions) {
  jinja::LexOptions options;
  options.trim_blocks = false;
  options.lstrip_blocks = false;
  auto tokens = jinja::Lex("  {% if x %}\nA", options);
  ASSERT_TRUE(tokens);
  EXPECT_EQ((*tokens)[0].text, "  ");
}

}  // namespace
}  // namespace locai::engine
