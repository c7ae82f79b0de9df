#include "engine/sampling/json_prefix_validator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/sampling/json_test_checker.h"
#include "engine/sampling/rng.h"

namespace locai::engine {
namespace {

using testing::JsonChecker;

const std::vector<std::string>& ValidObjects() {
  static const std::vector<std::string> docs = {
      "{}",
      "  \n\t{\"a\": 1}",
      "{\"a\":[1,2,{\"b\":null}],\"c\":true,\"d\":false}",
      "{\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"}",
      "{\"u\":\"\\u00e9\\u20AC\\uD83D\\uDE00\\u0000\"}",
      "{\"n\":[0,-0,1.5,-2.25e10,3E+2,4e-3,1234567890,0.0001,-0.5E-07]}",
      "{\"k\":\"caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80\"}",
      "{\"a\":{\"b\":{\"c\":[[[]],[{}]]}}}",
      "{\n  \"name\": \"Ada\",\n  \"tags\": [\n    \"x\",\n    \"y\"\n  ],\n  \"age\": 36\n}",
      "{\"a\":1} \n",
      "{\"\":\"\",\"e\":[],\"o\":{}}",
  };
  return docs;
}

TEST(JsonPrefixValidatorTest, AcceptsEveryPrefixOfValidDocuments) {
  for (const std::string& doc : ValidObjects()) {
    SCOPED_TRACE(doc);
    ASSERT_TRUE(JsonChecker::IsValid(doc));
    const JsonPrefixValidator fresh;
    for (size_t len = 0; len <= doc.size(); ++len) {
      ASSERT_TRUE(fresh.Accepts(std::string_view(doc).substr(0, len))) << "prefix length " << len;
    }
    // Byte by byte, with Complete() turning true exactly at the closing brace.
    const size_t close = doc.find_last_of('}');
    JsonPrefixValidator validator;
    for (size_t i = 0; i < doc.size(); ++i) {
      EXPECT_EQ(validator.Complete(), i > close) << "before byte " << i;
      ASSERT_TRUE(validator.Advance(std::string_view(doc).substr(i, 1))) << "byte " << i;
    }
    EXPECT_TRUE(validator.Complete());
    EXPECT_FALSE(validator.failed());
    EXPECT_EQ(validator.depth(), 0);
  }
}

TEST(JsonPrefixValidatorTest, AdvanceInChunksEqualsBytewise) {
  const std::string doc = ValidObjects()[2];
  JsonPrefixValidator validator;
  ASSERT_TRUE(validator.Advance(doc.substr(0, 7)));
  ASSERT_TRUE(validator.Accepts(doc.substr(7)));
  ASSERT_TRUE(validator.Advance(doc.substr(7)));
  EXPECT_TRUE(validator.Complete());
}

struct InvalidCase {
  std::string doc;
  size_t first_bad;  // index of the first byte that no valid continuation allows
};

TEST(JsonPrefixValidatorTest, RejectsAtTheFirstBadByte) {
  const std::vector<InvalidCase> cases = {
      {"[1]", 0},  // json_object mode needs an object
      {"x", 0},
      {"{\"a\":1,}", 7},  // trailing comma
      {"{\"a\" 1}", 5},   // missing colon
      {"{a:1}", 1},       // unquoted key
      {"{\"a\":01}", 6},  // leading zero
      {"{\"a\":tru}", 8},
      {"{\"a\":nul1}", 8},
      {"{\"a\":\"\\x\"}", 7},  // bad escape
      {"{\"a\":\"\\u12G4\"}", 10},
      {"{\"a\":\"\\uDC00\"}", 9},           // lone low surrogate: rejected at its second digit
      {"{\"a\":\"\\uD800x\"}", 12},         // high surrogate without its low half
      {"{\"a\":\"\\uD800\\u0041\"}", 14},   // ... followed by a non-surrogate
      {"{\"a\":\"x\ny\"}", 7},              // raw control character in a string
      {"{\"a\":\"\xC0\x80\"}", 6},          // overlong UTF-8 lead byte
      {"{\"a\":\"\xE0\x80\x80\"}", 7},      // overlong 3-byte form
      {"{\"a\":\"\xED\xA0\x80\"}", 7},      // encoded surrogate
      {"{\"a\":\"\xF4\x90\x80\x80\"}", 7},  // above U+10FFFF
      {"{\"a\":\"\xC3(\"}", 7},             // missing continuation byte
      {"{\"a\":1}}", 7},                    // trailing garbage
      {"{\"a\":1} x", 8},
      {"{\"a\":-}", 6},
      {"{\"a\":1.}", 7},
      {"{\"a\":1.e5}", 7},
      {"{\"a\":1e}", 7},
      {"{\"a\":1e+}", 8},
      {"{\"a\":.5}", 5},
      {"{\"a\":+1}", 5},
      {"{\"a\":[1 2]}", 8},
      {"{\"a\":[1,]}", 8},
      {"{\"a\":]}", 5},
      {"{\"a\":[}", 6},
      {"{\"a\":{]}", 6},
      {"{\"a\":1,\"b\"}", 10},
      {"{,}", 1},
      {"{\"a\":\xC3\xA9}", 5},  // non-ASCII outside a string
  };
  for (const InvalidCase& c : cases) {
    SCOPED_TRACE(c.doc);
    // The checker does not validate UTF-8, so it only judges the ASCII cases.
    const bool ascii = std::all_of(c.doc.begin(), c.doc.end(),
                                   [](char ch) { return static_cast<unsigned char>(ch) < 0x80; });
    if (ascii) {
      EXPECT_FALSE(JsonChecker::IsValid(c.doc));
    }
    const JsonPrefixValidator validator;
    EXPECT_EQ(validator.AcceptedLength(c.doc), c.first_bad);
    EXPECT_FALSE(validator.Accepts(c.doc));
    // Every prefix before the bad byte is still accepted.
    EXPECT_TRUE(validator.Accepts(std::string_view(c.doc).substr(0, c.first_bad)));

    JsonPrefixValidator advanced;
    EXPECT_FALSE(advanced.Advance(c.doc));
    EXPECT_TRUE(advanced.failed());
    EXPECT_FALSE(advanced.Complete());
    EXPECT_FALSE(advanced.Accepts(""));
    EXPECT_FALSE(advanced.Accepts(" "));
  }
}

TEST(JsonPrefixValidatorTest, AnyValueModeAcceptsScalarsAndArrays) {
  JsonValidatorOptions options;
  options.object_only = false;
  for (const std::string doc : {"[1,2]", "\"str\"", "true", "null", "-1.5e3", "0"}) {
    SCOPED_TRACE(doc);
    JsonPrefixValidator validator(options);
    ASSERT_TRUE(validator.Advance(doc));
    EXPECT_TRUE(validator.Complete());
    EXPECT_TRUE(JsonChecker::IsValid(doc, /*object_only=*/false));
  }
  JsonPrefixValidator number(options);
  ASSERT_TRUE(number.Advance("12"));
  EXPECT_TRUE(number.Complete());
  EXPECT_TRUE(number.Accepts("3"));  // a number may still grow
  ASSERT_TRUE(number.Advance("e"));
  EXPECT_FALSE(number.Complete());
}

TEST(JsonPrefixValidatorTest, DepthLimit) {
  // The object counts as depth 1, so 63 arrays fit inside it and a 64th does not.
  const std::string ok = "{\"a\":" + std::string(63, '[');
  JsonPrefixValidator validator;
  ASSERT_TRUE(validator.Advance(ok));
  EXPECT_EQ(validator.depth(), 64);
  EXPECT_FALSE(validator.Accepts("["));
  EXPECT_FALSE(validator.Accepts("{"));
  EXPECT_TRUE(validator.Accepts("]"));
  EXPECT_TRUE(validator.Accepts(std::string(63, ']') + "}"));
}

TEST(JsonPrefixValidatorTest, WhitespaceLimits) {
  const JsonValidatorOptions options;
  const JsonPrefixValidator fresh;
  EXPECT_TRUE(fresh.Accepts(std::string(options.max_leading_whitespace, ' ') + "{"));
  EXPECT_EQ(fresh.AcceptedLength(std::string(options.max_leading_whitespace + 1, ' ')),
            static_cast<size_t>(options.max_leading_whitespace));

  JsonPrefixValidator done;
  ASSERT_TRUE(done.Advance("{}"));
  EXPECT_TRUE(done.Accepts(std::string(options.max_trailing_whitespace, '\n')));
  EXPECT_FALSE(done.Accepts(std::string(options.max_trailing_whitespace + 1, '\n')));

  JsonPrefixValidator inner;
  ASSERT_TRUE(inner.Advance("{"));
  EXPECT_TRUE(inner.Accepts(std::string(options.max_whitespace_run, ' ') + "}"));
  EXPECT_FALSE(inner.Accepts(std::string(options.max_whitespace_run + 1, ' ')));
  // The run restarts after a token.
  EXPECT_TRUE(inner.Accepts(std::string(options.max_whitespace_run, ' ') + "\"a\"" +
                            std::string(options.max_whitespace_run, ' ') + ":"));
}

TEST(JsonPrefixValidatorTest, NumberLengthLimits) {
  JsonPrefixValidator validator;
  ASSERT_TRUE(validator.Advance("{\"a\":"));
  EXPECT_TRUE(validator.Accepts(std::string(20, '1') + "." + std::string(20, '2') + "e-99}"));
  EXPECT_FALSE(validator.Accepts(std::string(41, '1')));
  EXPECT_FALSE(validator.Accepts("1e100"));
  EXPECT_FALSE(validator.Accepts("1E+123"));
}

TEST(JsonPrefixValidatorTest, ResetStartsOver) {
  JsonPrefixValidator validator;
  EXPECT_FALSE(validator.Advance("nope"));
  validator.Reset();
  EXPECT_FALSE(validator.failed());
  EXPECT_TRUE(validator.Advance("{}"));
  EXPECT_TRUE(validator.Complete());
}

// Random JSON documents from a small grammar; every one must be accepted in full, and a mutated
// copy that the validator still accepts as complete must be valid JSON (soundness).
class RandomJson {
 public:
  explicit RandomJson(uint64_t seed) : rng_(seed) {}
  std::string Object(int depth) {
    std::string out = "{";
    const int members = static_cast<int>(Pick(depth > 3 ? 1 : 4));
    for (int i = 0; i < members; ++i) {
      if (i > 0) out += Pick(2) ? "," : " ,\n ";
      out += String() + (Pick(2) ? ":" : " : ") + Value(depth + 1);
    }
    return out + "}";
  }

 private:
  uint64_t Pick(uint64_t n) { return rng_.Next() % n; }
  std::string Value(int depth) {
    switch (Pick(depth > 4 ? 5 : 7)) {
      case 0:
        return String();
      case 1:
        return Number();
      case 2:
        return std::string(Pick(2) ? "true" : "false");
      case 3:
        return "null";
      case 4:
        return String();
      case 5:
        return Object(depth);
      default: {
        std::string out = "[";
        const int n = static_cast<int>(Pick(4));
        for (int i = 0; i < n; ++i) out += (i ? "," : "") + Value(depth + 1);
        return out + "]";
      }
    }
  }
  std::string String() {
    static const char* const kParts[] = {
        "a",        "xyz",          "\\n", "\\\"", "\\u00e9",          "\\uD83D\\uDE00",
        "\xC3\xA9", "\xE2\x82\xAC", " ",   "\\\\", "\xF0\x9F\x98\x80", "/"};
    std::string out = "\"";
    const int n = static_cast<int>(Pick(5));
    for (int i = 0; i < n; ++i) out += kParts[Pick(std::size(kParts))];
    return out + "\"";
  }
  std::string Number() {
    std::string out = Pick(2) ? "-" : "";
    out += Pick(3) == 0 ? "0" : std::to_string(1 + Pick(100000));
    if (Pick(2)) out += "." + std::to_string(Pick(1000));
    if (Pick(3) == 0) out += std::string(Pick(2) ? "e" : "E+") + std::to_string(Pick(99));
    return out;
  }
  SamplingRng rng_;
};

TEST(JsonPrefixValidatorTest, RandomDocumentsAcceptedAndMutationsSound) {
  RandomJson generator(7);
  SamplingRng mutation_rng(11);
  const std::string alphabet = "{}[]\":,.-+eE0123456789 tfnul\\\n\xC3\xA9";
  for (int round = 0; round < 300; ++round) {
    const std::string doc = generator.Object(0);
    SCOPED_TRACE(doc);
    ASSERT_TRUE(JsonChecker::IsValid(doc));
    JsonPrefixValidator validator;
    ASSERT_TRUE(validator.Advance(doc));
    ASSERT_TRUE(validator.Complete());
    for (int m = 0; m < 10; ++m) {
      std::string mutated = doc;
      const size_t pos = mutation_rng.Next() % mutated.size();
      mutated[pos] = alphabet[mutation_rng.Next() % alphabet.size()];
      JsonPrefixValidator check;
      if (check.Advance(mutated) && check.Complete()) {
        EXPECT_TRUE(JsonChecker::IsValid(mutated)) << mutated;
      }
    }
  }
}

TEST(JsonPrefixValidatorTest, FuzzRandomBytesNeverCrashAndStayConsistent) {
  SamplingRng rng(12345);
  const std::string json_bytes = "{}[]\":,.-+eE0123456789 tfnrul\\\"\n";
  for (int round = 0; round < 3000; ++round) {
    std::string input(rng.Next() % 48, '\0');
    for (char& c : input) {
      c = (rng.Next() % 3 == 0) ? static_cast<char>(rng.Next() & 0xFF)
                                : json_bytes[rng.Next() % json_bytes.size()];
    }
    if (round % 2 == 0) input.insert(0, "{\"k\":");
    const JsonPrefixValidator fresh;
    const size_t accepted = fresh.AcceptedLength(input);
    ASSERT_LE(accepted, input.size());
    JsonPrefixValidator validator;
    ASSERT_TRUE(validator.Advance(std::string_view(input).substr(0, accepted)));
    if (validator.Complete()) {
      EXPECT_TRUE(JsonChecker::IsValid(input.substr(0, accepted)));
    }
    if (accepted < input.size()) {
      EXPECT_FALSE(validator.AcceptsByte(static_cast<uint8_t>(input[accepted])));
      EXPECT_FALSE(validator.Advance(std::string_view(input).substr(accepted)));
      EXPECT_TRUE(validator.failed());
    }
  }
}

}  // namespace
}  // namespace locai::engine
