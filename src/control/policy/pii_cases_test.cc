// Detection cases from testdata/pii_cases.jsonl: one JSON object a line,
// {"text": "...", "types": ["email", ...]} with the types of the detections in order (an empty list
// means nothing may be detected), and optionally "values": [...] with the detected texts. Lines
// that are empty or start with '#' are skipped. Cases can be added without touching C++.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "control/policy/pii_detector.h"
#include "control/policy/redactor.h"

namespace locai::control::policy {
namespace {

TEST(PiiCasesTest, DataFile) {
  auto detector = PiiDetector::Create();
  ASSERT_TRUE(detector.has_value());
  std::ifstream in(std::string(LOCAI_TEST_DATA_DIR) + "/pii_cases.jsonl");
  ASSERT_TRUE(in.is_open()) << "missing testdata/pii_cases.jsonl";
  std::string line;
  int line_number = 0;
  int cases = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty() || line[0] == '#') continue;
    const auto json = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(json.is_discarded()) << "line " << line_number << " is not JSON";
    ASSERT_TRUE(json.contains("text") && json["text"].is_string()) << "line " << line_number;
    ASSERT_TRUE(json.contains("types") && json["types"].is_array()) << "line " << line_number;
    const std::string text = json["text"].get<std::string>();
    const auto matches = detector->Detect(text);
    std::vector<std::string> types;
    std::vector<std::string> values;
    for (const PiiMatch& match : matches) {
      types.emplace_back(PiiTypeName(match.type));
      values.push_back(text.substr(match.begin, match.end - match.begin));
    }
    EXPECT_EQ(types, json["types"].get<std::vector<std::string>>())
        << "line " << line_number << ": " << text;
    if (json.contains("values")) {
      EXPECT_EQ(values, json["values"].get<std::vector<std::string>>()) << "line " << line_number;
    }
    // Every case also round-trips through redaction.
    auto redaction = Redact(text, matches);
    ASSERT_TRUE(redaction.has_value());
    EXPECT_EQ(redaction->Restore(redaction->texts()[0]), text) << "line " << line_number;
    for (const std::string& value : values) {
      EXPECT_EQ(redaction->texts()[0].find(value), std::string::npos) << "line " << line_number;
    }
    ++cases;
  }
  EXPECT_GT(cases, 20);
}

}  // namespace
}  // namespace locai::control::policy
