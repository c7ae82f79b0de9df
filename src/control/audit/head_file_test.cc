#include "control/audit/head_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "store/testing/temp_dir.h"

namespace locai::control::audit {
namespace {

using store::testing::TempDir;

std::string HashOf(char c) { return std::string(64, c); }

TEST(HeadFileTest, AppendsAndReadsTheLastLine) {
  TempDir dir;
  std::string path = dir.File("audit.head");
  EXPECT_FALSE(HeadFile::ReadLast(path).value().has_value());  // missing file
  {
    auto file = HeadFile::Open(path);
    ASSERT_TRUE(file) << file.error().ToString();
    ASSERT_TRUE((*file)->Append(1, HashOf('a')).ok());
    ASSERT_TRUE((*file)->Append(2, HashOf('b')).ok());
  }
  auto last = HeadFile::ReadLast(path).value();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->seq, 2);
  EXPECT_EQ(last->hash, HashOf('b'));
  HeadFileScan scan = HeadFile::Scan(path).value();
  EXPECT_EQ(scan.lines, 2);
  EXPECT_FALSE(scan.rewound_at);
}

TEST(HeadFileTest, TornLastLineIsSkippedAndTheNextAppendStartsAfresh) {
  TempDir dir;
  std::string path = dir.File("audit.head");
  {
    auto file = HeadFile::Open(path).value();
    ASSERT_TRUE(file->Append(1, HashOf('a')).ok());
  }
  {
    std::ofstream torn(path, std::ios::app);
    torn << "2 bbbb";  // crash mid-write
  }
  auto torn_last = HeadFile::ReadLast(path).value();
  ASSERT_TRUE(torn_last);
  EXPECT_EQ(torn_last->seq, 1);
  {
    auto file = HeadFile::Open(path).value();
    ASSERT_TRUE(file->Append(2, HashOf('c')).ok());
  }
  auto last = HeadFile::ReadLast(path).value();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->seq, 2);
  EXPECT_EQ(last->hash, HashOf('c'));
  EXPECT_FALSE(HeadFile::Scan(path).value().rewound_at);
}

TEST(HeadFileTest, ScanFindsWhereTheChainWasRewound) {
  TempDir dir;
  std::string path = dir.File("audit.head");
  auto file = HeadFile::Open(path).value();
  for (int64_t seq : {1, 2, 3, 4, 2, 3}) ASSERT_TRUE(file->Append(seq, HashOf('d')).ok());
  HeadFileScan scan = HeadFile::Scan(path).value();
  ASSERT_TRUE(scan.rewound_at);
  EXPECT_EQ(*scan.rewound_at, 2);
  EXPECT_EQ(scan.last->seq, 3);
}

TEST(HeadFileTest, ManyLinesReadBackTheLast) {
  TempDir dir;
  std::string path = dir.File("audit.head");
  {
    std::ofstream lines(path);  // 199 lines (13 KB): more than ReadLast's 4 KiB window
    for (int64_t seq = 1; seq < 200; ++seq) lines << seq << ' ' << HashOf('e') << '\n';
  }
  auto file = HeadFile::Open(path).value();
  ASSERT_TRUE(file->Append(200, HashOf('f')).ok());
  auto last = HeadFile::ReadLast(path).value();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->seq, 200);
  EXPECT_EQ(last->hash, HashOf('f'));
  EXPECT_EQ(HeadFile::Scan(path).value().lines, 200);
}

TEST(HeadFileTest, OpenFailsWithThePath) {
  auto file = HeadFile::Open("/nonexistent-dir/audit.head");
  ASSERT_FALSE(file);
  EXPECT_NE(file.error().message().find("/nonexistent-dir/audit.head"), std::string::npos);
}

}  // namespace
}  // namespace locai::control::audit
