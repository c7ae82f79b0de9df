#include "control/routing_admin/egress_journal.h"

#include <gtest/gtest.h>

#include <fstream>

#include "net/egress/connector.h"
#include "store/testing/temp_dir.h"

namespace locai::control::routing_admin {
namespace {

TEST(EgressJournalTest, AMissingJournalIsEmpty) {
  store::testing::TempDir dir;
  auto journal = ReadEgressJournal(dir.path() + "/none/egress.jsonl");
  ASSERT_TRUE(journal) << journal.error().ToString();
  EXPECT_TRUE(journal->entries.empty());
  EXPECT_EQ(journal->malformed_lines, 0u);
}

TEST(EgressJournalTest, ReadsWhatTheConnectorWroteAndCountsMalformedLines) {
  store::testing::TempDir dir;
  const std::string path = dir.path() + "/egress.jsonl";
  net::egress::ConnectorOptions options;
  options.rules.push_back(*net::egress::EgressRule::Parse("allow cp.internal:8443"));
  options.journal_path = path;
  net::egress::Connector connector(std::move(options));
  ASSERT_TRUE(connector.Check("cp.internal", 8443, "control-plane").ok());
  ASSERT_FALSE(connector.Check("api.openai.com", 443, "cloud:openai").ok());
  {
    std::ofstream out(path, std::ios::app);
    out << "not json\n\n{\"host\":\"x\"}\n{\"host\":\"h\",\"port\":70000,\"allowed\":true}\n"
        << "{\"host\":\"cp.internal\",\"port\":8443,\"allowed\":true,\"error\":\"refused\"}\n"
        << "{\"host\":\"cp.int";  // a line torn by a writer still at work
  }
  auto journal = ReadEgressJournal(path);
  ASSERT_TRUE(journal) << journal.error().ToString();
  ASSERT_EQ(journal->entries.size(), 3u);
  EXPECT_EQ(journal->malformed_lines, 4u);
  EXPECT_EQ(journal->entries[0].host, "cp.internal");
  EXPECT_EQ(journal->entries[0].port, 8443);
  EXPECT_TRUE(journal->entries[0].allowed);
  EXPECT_EQ(journal->entries[0].purpose, "control-plane");
  EXPECT_EQ(journal->entries[0].rule, "allow cp.internal:8443");
  EXPECT_EQ(journal->entries[0].time.size(), 24u);  // 2026-11-25T03:00:00.000Z
  EXPECT_FALSE(journal->entries[1].allowed);
  EXPECT_EQ(journal->entries[1].rule, "default deny");

  std::vector<EgressDestination> summary = SummariseEgress(journal->entries);
  ASSERT_EQ(summary.size(), 2u);
  EXPECT_EQ(summary[0].host, "api.openai.com");
  EXPECT_EQ(summary[0].denied, 1u);
  EXPECT_EQ(summary[0].allowed, 0u);
  EXPECT_EQ(summary[1].host, "cp.internal");
  EXPECT_EQ(summary[1].allowed, 2u);
  EXPECT_EQ(summary[1].failed, 1u);
  EXPECT_EQ(summary[1].denied, 0u);
}

TEST(EgressJournalTest, AnUnreadableJournalIsAnError) {
  store::testing::TempDir dir;
  // A directory exists but cannot be read as a file.
  auto journal = ReadEgressJournal(dir.path());
  ASSERT_FALSE(journal.has_value());
  EXPECT_EQ(journal.error().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace locai::control::routing_admin
