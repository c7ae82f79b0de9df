#include "control/audit/chain_verifier.h"

#include <gtest/gtest.h>

#include <vector>

namespace locai::control::audit {
namespace {

// A well-formed chain of `n` admin records starting after `prev` (seq first_seq - 1).
std::vector<AuditRecord> Chain(int64_t first_seq, int64_t n,
                               std::string prev = std::string(kGenesisHash)) {
  std::vector<AuditRecord> records;
  for (int64_t seq = first_seq; seq < first_seq + n; ++seq) {
    AuditEvent event;
    event.kind = "admin";
    event.action = "key.create";
    event.org = "acme";
    event.target = "k_" + std::to_string(seq);
    AuditRecord record;
    record.seq = seq;
    record.time_ms = 1000 * seq;
    record.kind = event.kind;
    record.action = event.action;
    record.org = event.org;
    record.content = CanonicalContent(event, seq, record.time_ms).value();
    record.prev_hash = prev;
    record.hash = ChainHash(prev, record.content);
    prev = record.hash;
    records.push_back(record);
  }
  return records;
}

ChainHead HeadOf(const AuditRecord& record) { return {record.seq, record.hash}; }

VerifyReport VerifyChain(const std::vector<AuditRecord>& records, std::optional<ChainHead> head,
                         std::map<int64_t, std::string> checkpoints = {}) {
  ChainVerifier verifier(std::move(checkpoints), std::move(head));
  for (const AuditRecord& record : records) {
    if (!verifier.Add(record)) break;
  }
  return verifier.Finish();
}

TEST(ChainVerifierTest, IntactChainVerifies) {
  auto chain = Chain(1, 5);
  VerifyReport report = VerifyChain(chain, HeadOf(chain.back()));
  EXPECT_TRUE(report.ok) << report.message;
  EXPECT_EQ(report.records_checked, 5);
  EXPECT_EQ(report.first_seq, 1);
  EXPECT_EQ(report.last_seq, 5);
  EXPECT_EQ(report.head_seq, 5);
  EXPECT_TRUE(VerifyChain({}, std::nullopt).ok);
}

TEST(ChainVerifierTest, ChangedContentIsNamed) {
  auto chain = Chain(1, 5);
  chain[2].content.replace(chain[2].content.find("k_3"), 3, "k_X");
  VerifyReport report = VerifyChain(chain, HeadOf(chain.back()));
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, "changed");
  EXPECT_EQ(report.first_bad_seq, 3);
  EXPECT_NE(report.message.find("record 3"), std::string::npos);
}

TEST(ChainVerifierTest, RehashedRecordIsNamedThroughItsSuccessor) {
  auto chain = Chain(1, 5);
  chain[1].content.replace(chain[1].content.find("k_2"), 3, "k_Y");
  chain[1].hash = ChainHash(chain[1].prev_hash, chain[1].content);
  VerifyReport report = VerifyChain(chain, HeadOf(chain.back()));
  EXPECT_EQ(report.problem, "changed");
  EXPECT_EQ(report.first_bad_seq, 2);
}

TEST(ChainVerifierTest, ColumnsMustMatchContent) {
  auto chain = Chain(1, 3);
  chain[1].org = "other";
  VerifyReport report = VerifyChain(chain, HeadOf(chain.back()));
  EXPECT_EQ(report.problem, "changed");
  EXPECT_EQ(report.first_bad_seq, 2);
}

TEST(ChainVerifierTest, GapIsMissing) {
  auto chain = Chain(1, 5);
  chain.erase(chain.begin() + 3);  // seq 4
  VerifyReport report = VerifyChain(chain, HeadOf(chain.back()));
  EXPECT_EQ(report.problem, "missing");
  EXPECT_EQ(report.first_bad_seq, 4);
}

TEST(ChainVerifierTest, SwappedRecordsAreReordered) {
  auto chain = Chain(1, 5);
  std::swap(chain[1], chain[2]);
  std::swap(chain[1].seq, chain[2].seq);  // stored at each other's seq
  VerifyReport report = VerifyChain(chain, HeadOf(chain.back()));
  EXPECT_EQ(report.problem, "reordered");
  EXPECT_EQ(report.first_bad_seq, 2);
}

TEST(ChainVerifierTest, TailCutAgainstHeadIsTruncated) {
  auto chain = Chain(1, 5);
  ChainHead head = HeadOf(chain.back());
  chain.resize(3);
  VerifyReport report = VerifyChain(chain, head);
  EXPECT_EQ(report.problem, "truncated");
  EXPECT_EQ(report.first_bad_seq, 4);
  VerifyReport empty = VerifyChain({}, head);
  EXPECT_EQ(empty.problem, "truncated");
  EXPECT_EQ(empty.first_bad_seq, 1);
}

TEST(ChainVerifierTest, OtherHistoryAtHeadIsRolledBack) {
  auto chain = Chain(1, 5);
  ChainHead head = HeadOf(chain[3]);
  head.hash = std::string(64, 'f');
  VerifyReport report = VerifyChain(chain, head);
  EXPECT_EQ(report.problem, "rolled_back");
  EXPECT_EQ(report.first_bad_seq, 4);
}

TEST(ChainVerifierTest, RecordsBeyondHeadOrWithoutHead) {
  auto chain = Chain(1, 5);
  VerifyReport behind = VerifyChain(chain, HeadOf(chain[2]));
  EXPECT_EQ(behind.problem, "head_behind");
  EXPECT_EQ(behind.first_bad_seq, 4);
  VerifyReport none = VerifyChain(chain, std::nullopt);
  EXPECT_EQ(none.problem, "head_missing");
}

TEST(ChainVerifierTest, CheckpointLetsTheChainStartLater) {
  auto chain = Chain(1, 10);
  std::map<int64_t, std::string> checkpoints = {{6, chain[5].hash}};
  std::vector<AuditRecord> kept(chain.begin() + 6, chain.end());  // 7..10
  EXPECT_TRUE(VerifyChain(kept, HeadOf(chain.back()), checkpoints).ok);
  // Without the checkpoint the records before 7 are missing.
  VerifyReport missing = VerifyChain(kept, HeadOf(chain.back()));
  EXPECT_EQ(missing.problem, "missing");
  EXPECT_EQ(missing.first_bad_seq, 1);
  // Records cut after the checkpoint: the first absent one is named.
  std::vector<AuditRecord> cut(chain.begin() + 8, chain.end());  // 9..10
  VerifyReport after = VerifyChain(cut, HeadOf(chain.back()), checkpoints);
  EXPECT_EQ(after.problem, "missing");
  EXPECT_EQ(after.first_bad_seq, 7);
  // A checkpoint that vouches for another hash than the record's.
  std::map<int64_t, std::string> wrong = {{6, chain[5].hash}, {8, std::string(64, '0')}};
  VerifyReport changed = VerifyChain(kept, HeadOf(chain.back()), wrong);
  EXPECT_EQ(changed.problem, "changed");
  EXPECT_EQ(changed.first_bad_seq, 8);
}

}  // namespace
}  // namespace locai::control::audit
