#include "common/status.h"

#include <gtest/gtest.h>

namespace locai {
namespace {

Result<int> ParsePositive(int v) {
  if (v <= 0) return Err(Status::InvalidArgument("not positive"));
  return v;
}

Result<int> Doubled(int v) {
  LOCAI_ASSIGN_OR_RETURN(int x, ParsePositive(v));
  return 2 * x;
}

TEST(StatusTest, OkIsCheapAndEmpty) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ErrorCarriesCodeMessageAndContext) {
  Status s = Status::DataLoss("truncated header").WithContext("model.gguf");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(s.message(), "model.gguf: truncated header");
  EXPECT_EQ(s.ToString(), "DataLoss: model.gguf: truncated header");
}

TEST(StatusTest, AssignOrReturnPropagates) {
  EXPECT_EQ(*Doubled(4), 8);
  auto bad = Doubled(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace locai

namespace locai {
namespace {

Status CheckThenStatus(int v) {
  LOCAI_RETURN_IF_ERROR(ParsePositive(v) ? Status::Ok() : Status::OutOfRange("bad"));
  return Status::Ok();
}

Result<std::string> CheckThenResult(int v) {
  LOCAI_RETURN_IF_ERROR(CheckThenStatus(v));
  return std::string("fine");
}

TEST(StatusTest, ReturnIfErrorWorksForStatusAndResult) {
  EXPECT_TRUE(CheckThenStatus(1).ok());
  EXPECT_EQ(CheckThenStatus(0).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(*CheckThenResult(1), "fine");
  EXPECT_EQ(CheckThenResult(0).error().code(), StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace locai
