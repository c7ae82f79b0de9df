// StoreTest: a GoogleTest fixture with a SqliteStore on a fresh file and one organisation
// ("org1", name "acme"). Test-only helper.
// Threading: confined to the test's thread (tests that race open their own stores on path()).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/sqlite/sqlite_store.h"
#include "store/testing/temp_dir.h"

namespace locai::store::testing {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenStore();
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(store_->CreateOrg(Org{"org1", "acme", "free", 1000}).ok());
  }

  std::string path() const { return dir_.File("locai.db"); }

  std::unique_ptr<SqliteStore> OpenStore() {
    auto store = SqliteStore::Open(path());
    EXPECT_TRUE(store.has_value()) << store.error().ToString();
    return store ? std::move(*store) : nullptr;
  }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

}  // namespace locai::store::testing
