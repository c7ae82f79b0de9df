// ComplianceTest: a GoogleTest fixture with a data directory, a SqliteStore in
// DATA/server/locai.db, organisations "default" (plan "unlimited", as the bootstrap makes it) and
// "acme" (plan "developer"), a fake clock at 2026-11-10 and a Compliance (no retention thread
// unless retention_interval_ms_ is set before OpenCompliance()). Test-only helper.
// Threading: confined to the test's thread.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "control/compliance/compliance.h"
#include "store/sqlite/sqlite_store.h"
#include "store/testing/temp_dir.h"

namespace locai::control::compliance::testing {

// 2026-11-10T00:00:00Z.
inline constexpr int64_t kNov10Ms = 1'794'268'800'000;

class ComplianceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.File("server"));
    auto store = store::SqliteStore::Open(dir_.File("server/locai.db"));
    ASSERT_TRUE(store) << store.error().ToString();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->CreateOrg({"org_default", "default", "unlimited", 1000}).ok());
    ASSERT_TRUE(store_->CreateOrg({"org_acme", "acme", "developer", 2000}).ok());
    OpenCompliance();
  }

  void OpenCompliance() {
    compliance_.reset();
    ComplianceOptions options;
    options.data_dir = dir_.path();
    options.now_ms = [this] { return now_.load(); };
    options.log = [this](std::string_view line) {
      std::lock_guard lock(log_mu_);
      log_.emplace_back(line);
    };
    options.retention_interval_ms = retention_interval_ms_;
    auto opened = Compliance::Open(*store_, store_->database(), std::move(options));
    ASSERT_TRUE(opened) << opened.error().ToString();
    compliance_ = std::move(*opened);
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::SqliteStore> store_;
  std::atomic<int64_t> now_{kNov10Ms};
  // The log lines so far (the writer and retention threads log too).
  std::vector<std::string> LogLines() {
    std::lock_guard lock(log_mu_);
    return log_;
  }

  std::mutex log_mu_;
  std::vector<std::string> log_;        // guarded by log_mu_
  int64_t retention_interval_ms_ = -1;  // no retention thread unless a test asks
  std::unique_ptr<Compliance> compliance_;
};

}  // namespace locai::control::compliance::testing
