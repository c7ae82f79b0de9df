#include "crypto/sha256.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace locai::crypto {
namespace {

constexpr char kEmptyHex[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbcHex[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr char kMillionAHex[] = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), kEmptyHex);
  EXPECT_EQ(Sha256Hex("abc"), kAbcHex);
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')), kMillionAHex);
}

TEST(Sha256, IncrementalEqualsOneShotAndResetsAfterFinish) {
  Sha256 hasher;
  std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) hasher.Update(chunk);
  EXPECT_EQ(hasher.FinishHex(), kMillionAHex);
  // Finish resets: the same object now hashes a new message.
  hasher.Update("a", 1);
  hasher.Update(std::string_view("bc"));
  std::array<uint8_t, 32> digest = hasher.Finish();
  EXPECT_EQ(ToHex(digest), kAbcHex);
  EXPECT_EQ(hasher.FinishHex(), kEmptyHex);
}

TEST(Sha256, MovedHasherKeepsState) {
  Sha256 first;
  first.Update("ab");
  Sha256 second = std::move(first);
  second.Update("c");
  EXPECT_EQ(second.FinishHex(), kAbcHex);
}

class Sha256FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() /
        ("locai_crypto_sha_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + std::to_string(reinterpret_cast<uintptr_t>(this)));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& contents) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(Sha256FileTest, HashesFilesAcrossChunkBoundaries) {
  EXPECT_EQ(*Sha256FileHex(Write("empty", "")), kEmptyHex);
  EXPECT_EQ(*Sha256FileHex(Write("abc", "abc")), kAbcHex);
  EXPECT_EQ(*Sha256FileHex(Write("million", std::string(1000000, 'a'))), kMillionAHex);
  // Exactly one buffer, and one buffer plus one byte.
  std::string one_mib(1 << 20, 'x');
  EXPECT_EQ(*Sha256FileHex(Write("one", one_mib)), Sha256Hex(one_mib));
  EXPECT_EQ(*Sha256FileHex(Write("onep", one_mib + "y")), Sha256Hex(one_mib + "y"));
}

TEST_F(Sha256FileTest, MissingFileIsNotFound) {
  Result<std::string> result = Sha256FileHex((dir_ / "missing").string());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), StatusCode::kNotFound);
}

TEST(Hex, RoundTripAndCase) {
  std::vector<uint8_t> bytes = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
  EXPECT_EQ(ToHex(bytes), "00017f80abff");
  EXPECT_EQ(*FromHex("00017f80abff"), bytes);
  EXPECT_EQ(*FromHex("00017F80ABFF"), bytes);
  EXPECT_TRUE(FromHex("")->empty());
  EXPECT_EQ(ToHex({}), "");
}

TEST(Hex, RejectsMalformed) {
  for (std::string_view bad : {"0", "abc", "0g", "zz", " 0", "0x00"}) {
    Result<std::vector<uint8_t>> result = FromHex(bad);
    ASSERT_FALSE(result) << bad;
    EXPECT_EQ(result.error().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace locai::crypto
