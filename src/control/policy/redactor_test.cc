#include "control/policy/redactor.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace locai::control::policy {
namespace {

// A match over the first occurrence of `value` in `text`.
PiiMatch At(std::string_view text, std::string_view value, PiiType type) {
  const size_t begin = text.find(value);
  EXPECT_NE(begin, std::string_view::npos) << value;
  return PiiMatch{type, begin, begin + value.size()};
}

TEST(RedactorTest, ReplacesValuesWithNumberedPlaceholders) {
  const std::string text = "Mail a@x.io and b@y.io about NHS 943 476 5919, again a@x.io.";
  const std::vector<PiiMatch> matches = {
      At(text, "a@x.io", PiiType::kEmail), At(text, "b@y.io", PiiType::kEmail),
      At(text, "943 476 5919", PiiType::kNhsNumber),
      PiiMatch{PiiType::kEmail, text.rfind("a@x.io"), text.rfind("a@x.io") + 6}};
  auto redaction = Redact(text, matches);
  ASSERT_TRUE(redaction.has_value()) << redaction.error().ToString();
  ASSERT_EQ(redaction->texts().size(), 1u);
  EXPECT_EQ(redaction->texts()[0],
            "Mail [EMAIL_1] and [EMAIL_2] about NHS [NHS_NUMBER_1], again [EMAIL_1].");
  EXPECT_EQ(redaction->placeholders().size(), 3u);
  EXPECT_EQ(redaction->max_placeholder_length(), std::string("[NHS_NUMBER_1]").size());
  EXPECT_EQ(redaction->Restore(redaction->texts()[0]), text);
}

TEST(RedactorTest, SeveralTextsShareNumbering) {
  const std::string first = "I am Jane, jane@x.io";
  const std::string second = "Reply to jane@x.io or bob@x.io";
  auto redaction =
      Redact({first, second},
             {{At(first, "jane@x.io", PiiType::kEmail)},
              {At(second, "jane@x.io", PiiType::kEmail), At(second, "bob@x.io", PiiType::kEmail)}});
  ASSERT_TRUE(redaction.has_value());
  ASSERT_EQ(redaction->texts().size(), 2u);
  EXPECT_EQ(redaction->texts()[0], "I am Jane, [EMAIL_1]");
  EXPECT_EQ(redaction->texts()[1], "Reply to [EMAIL_1] or [EMAIL_2]");
  EXPECT_EQ(redaction->Restore("Sent to [EMAIL_2] and [EMAIL_1]."),
            "Sent to bob@x.io and jane@x.io.");
}

TEST(RedactorTest, RefusesInvalidMatches) {
  const std::string text = "abcdef";
  EXPECT_FALSE(Redact(text, {{PiiType::kEmail, 2, 9}}).has_value());  // past the end
  EXPECT_FALSE(Redact(text, {{PiiType::kEmail, 3, 3}}).has_value());  // empty
  EXPECT_FALSE(
      Redact(text, {{PiiType::kEmail, 0, 3}, {PiiType::kPhone, 2, 4}}).has_value());  // overlap
  EXPECT_FALSE(
      Redact(text, {{PiiType::kEmail, 4, 5}, {PiiType::kPhone, 0, 1}}).has_value());  // unsorted
  EXPECT_FALSE(Redact(std::vector<std::string_view>{text}, {}).has_value());  // one list per text
  Redaction redaction;
  ASSERT_TRUE(redaction.Add(text, {{PiiType::kEmail, 0, 1}}).has_value());
  EXPECT_FALSE(redaction.Add(text, {{PiiType::kEmail, 5, 7}}).has_value());
  EXPECT_EQ(redaction.texts().size(), 1u);  // a refused Add changes nothing
  EXPECT_EQ(redaction.placeholders().size(), 1u);
}

TEST(RedactorTest, RestoreLeavesUnknownAndBrokenPlaceholders) {
  const std::string text = "x a@x.io";
  auto redaction = Redact(text, {At(text, "a@x.io", PiiType::kEmail)});
  ASSERT_TRUE(redaction.has_value());
  EXPECT_EQ(redaction->Restore("[EMAIL_9] [EMAIL_1 [EMAIL_1x] [[EMAIL_1]] [] ["),
            "[EMAIL_9] [EMAIL_1 [EMAIL_1x] [a@x.io] [] [");
  EXPECT_EQ(redaction->Restore(""), "");
  Redaction empty;
  EXPECT_EQ(empty.Restore("[EMAIL_1] stays"), "[EMAIL_1] stays");
}

// Restores `input` split at every pair of positions (three chunks) and checks the result.
void ExpectEverySplitRestores(const Redaction& redaction, const std::string& input,
                              const std::string& expected) {
  for (size_t first = 0; first <= input.size(); ++first) {
    for (size_t second = first; second <= input.size(); ++second) {
      StreamRestorer restorer(redaction);
      std::string out = restorer.Push(std::string_view(input).substr(0, first));
      out += restorer.Push(std::string_view(input).substr(first, second - first));
      out += restorer.Push(std::string_view(input).substr(second));
      out += restorer.Finish();
      ASSERT_EQ(out, expected) << "split at " << first << ", " << second;
    }
  }
}

TEST(StreamRestorerTest, EverySplitRestoresTheOriginal) {
  const std::string original =
      "Dear Jane Smith ([EMAIL]: jane@x.io), NHS 943 476 5919; cc bob@x.io [x] [[ jane@x.io";
  std::vector<PiiMatch> matches = {
      At(original, "Jane Smith", PiiType::kPersonName), At(original, "jane@x.io", PiiType::kEmail),
      At(original, "943 476 5919", PiiType::kNhsNumber), At(original, "bob@x.io", PiiType::kEmail)};
  const size_t last = original.rfind("jane@x.io");
  matches.push_back(PiiMatch{PiiType::kEmail, last, last + 9});
  auto redaction = Redact(original, matches);
  ASSERT_TRUE(redaction.has_value());
  const std::string& redacted = redaction->texts()[0];
  EXPECT_EQ(redacted,
            "Dear [PERSON_NAME_1] ([EMAIL]: [EMAIL_1]), NHS [NHS_NUMBER_1]; cc [EMAIL_2] [x] [[ "
            "[EMAIL_1]");
  ExpectEverySplitRestores(*redaction, redacted, original);
}

TEST(StreamRestorerTest, OneByteChunksAndPlaceholdersBackToBack) {
  const std::string original = "a@x.iob@x.io[a@x.io]";
  auto redaction = Redact(
      original, {{PiiType::kEmail, 0, 6}, {PiiType::kEmail, 6, 12}, {PiiType::kEmail, 13, 19}});
  ASSERT_TRUE(redaction.has_value());
  EXPECT_EQ(redaction->texts()[0], "[EMAIL_1][EMAIL_2][[EMAIL_1]]");
  StreamRestorer restorer(*redaction);
  std::string out;
  for (char c : redaction->texts()[0]) out += restorer.Push(std::string_view(&c, 1));
  out += restorer.Finish();
  EXPECT_EQ(out, original);
}

TEST(StreamRestorerTest, HoldsBackOnlyAPossiblePlaceholderPrefix) {
  const std::string text = "mail a@x.io";
  auto redaction = Redact(text, {At(text, "a@x.io", PiiType::kEmail)});
  ASSERT_TRUE(redaction.has_value());
  StreamRestorer restorer(*redaction);
  EXPECT_EQ(restorer.Push("Hello, no brackets here."), "Hello, no brackets here.");
  EXPECT_EQ(restorer.Push("Write to [EMA"), "Write to ");
  EXPECT_EQ(restorer.pending_size(), 4u);
  EXPECT_EQ(restorer.Push("IL_1] now"), "a@x.io now");
  EXPECT_EQ(restorer.pending_size(), 0u);
  // Not a prefix of any placeholder: passed through at once.
  EXPECT_EQ(restorer.Push("array[i"), "array[i");
  EXPECT_EQ(restorer.Push("] [EMAIL_2"), "] [EMAIL_2");  // no such placeholder
  EXPECT_EQ(restorer.Push("] [EMAIL_1"), "] ");
  EXPECT_EQ(restorer.Finish(), "[EMAIL_1");  // an unfinished placeholder stays as written
  // A lone '[' at the end of a chunk is held until the next chunk decides.
  EXPECT_EQ(restorer.Push("x ["), "x ");
  EXPECT_EQ(restorer.Push("1]"), "[1]");
  EXPECT_EQ(restorer.Finish(), "");
}

TEST(StreamRestorerTest, AdversarialStreamsPassThrough) {
  const std::string text = "a@x.io";
  auto redaction = Redact(text, {{PiiType::kEmail, 0, 6}});
  ASSERT_TRUE(redaction.has_value());
  StreamRestorer restorer(*redaction);
  const std::string brackets(1 << 20, '[');
  std::string out = restorer.Push(brackets);
  EXPECT_LT(restorer.pending_size(), redaction->max_placeholder_length());
  out += restorer.Push("EMAIL_1]");
  out += restorer.Finish();
  EXPECT_EQ(out, std::string((1 << 20) - 1, '[') + "a@x.io");
  const std::string plain(1 << 20, 'a');
  EXPECT_EQ(restorer.Push(plain), plain);
  EXPECT_EQ(redaction->Restore(brackets), brackets);
}

}  // namespace
}  // namespace locai::control::policy
