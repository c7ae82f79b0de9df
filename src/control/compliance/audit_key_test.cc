#include "control/compliance/audit_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "store/testing/temp_dir.h"

namespace locai::control::compliance {
namespace {

using store::testing::TempDir;

TEST(AuditKeyTest, CreatedOnceWithMode0600ThenLoaded) {
  TempDir dir;
  const std::string path = dir.File("audit.key");
  auto created = LoadOrCreateAuditKey(path);
  ASSERT_TRUE(created) << created.error().ToString();
  EXPECT_EQ(created->size(), 32u);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto loaded = LoadOrCreateAuditKey(path);
  ASSERT_TRUE(loaded) << loaded.error().ToString();
  EXPECT_EQ(*loaded, *created);
}

TEST(AuditKeyTest, AGarbledKeyIsDataLossAndKept) {
  TempDir dir;
  const std::string path = dir.File("audit.key");
  { std::ofstream(path) << "not a key\n"; }
  auto loaded = LoadOrCreateAuditKey(path);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code(), StatusCode::kDataLoss);
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "not a key");
}

TEST(AuditKeyTest, WriteFileAtomicallyReplacesContents) {
  TempDir dir;
  const std::string path = dir.File("f");
  ASSERT_TRUE(WriteFileAtomically(path, "one", 0600).ok());
  ASSERT_TRUE(WriteFileAtomically(path, "two", 0600).ok());
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "two");
  EXPECT_FALSE(WriteFileAtomically(dir.File("missing/dir/f"), "x", 0600).ok());
}

}  // namespace
}  // namespace locai::control::compliance
