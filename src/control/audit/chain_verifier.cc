#include "control/audit/chain_verifier.h"

#include <nlohmann/json.hpp>

namespace locai::control::audit {
namespace {

using nlohmann::json;

std::string Seq(int64_t seq) { return "record " + std::to_string(seq); }

}  // namespace

ChainVerifier::ChainVerifier(std::map<int64_t, std::string> checkpoints,
                             std::optional<ChainHead> head)
    : checkpoints_(std::move(checkpoints)), head_(std::move(head)) {
  if (head_) report_.head_seq = head_->seq;
}

bool ChainVerifier::Fail(std::string problem, int64_t seq, std::string message) {
  failed_ = true;
  report_.ok = false;
  report_.problem = std::move(problem);
  report_.first_bad_seq = seq;
  report_.message = std::move(message);
  return false;
}

bool ChainVerifier::Add(const AuditRecord& record) {
  if (failed_) return false;
  const int64_t seq = record.seq;
  if (expected_seq_ == 0) {
    report_.first_seq = seq;
    if (seq == 1) {
      prev_hash_ = std::string(kGenesisHash);
    } else if (auto it = checkpoints_.find(seq - 1); it != checkpoints_.end()) {
      prev_hash_ = it->second;
    } else {
      // The last signed checkpoint before this record says where the chain may start.
      int64_t first_missing = 1;
      auto below = checkpoints_.lower_bound(seq);
      if (below != checkpoints_.begin()) first_missing = std::prev(below)->first + 1;
      return Fail("missing", first_missing,
                  Seq(first_missing) + " is missing: the chain starts at " + Seq(seq) +
                      " and no signed retention checkpoint covers the records before it");
    }
  } else if (seq != expected_seq_) {
    return Fail(
        "missing", expected_seq_,
        Seq(expected_seq_) + " is missing (the next record found is " + std::to_string(seq) + ")");
  }

  json content = json::parse(record.content, nullptr, false);
  if (content.is_discarded() || !content.is_object()) {
    return Fail("changed", seq, Seq(seq) + " was changed: its content is not a JSON object");
  }
  auto content_seq = content.find("seq");
  if (content_seq != content.end() && content_seq->is_number_integer() &&
      content_seq->get<int64_t>() != seq) {
    return Fail("reordered", seq,
                Seq(seq) + " is out of order: it holds the content of record " +
                    std::to_string(content_seq->get<int64_t>()));
  }
  if (ChainHash(record.prev_hash, record.content) != record.hash) {
    return Fail("changed", seq, Seq(seq) + " was changed: its hash does not match its content");
  }
  auto field_is = [&](const char* key, const auto& value) {
    auto it = content.find(key);
    return it != content.end() && *it == value;
  };
  if (!field_is("seq", seq) || !field_is("time_ms", record.time_ms) ||
      !field_is("kind", record.kind) || !field_is("action", record.action) ||
      !field_is("org", record.org)) {
    return Fail("changed", seq,
                Seq(seq) + " was changed: its columns do not match its hashed content");
  }
  if (record.prev_hash != prev_hash_) {
    if (expected_seq_ == 0) {
      return Fail("changed", seq,
                  Seq(seq) + " was changed: it does not chain to " +
                      (seq == 1 ? std::string("the genesis hash") : "the signed checkpoint"));
    }
    return Fail("changed", seq - 1,
                Seq(seq - 1) + " was changed: its hash is not the one " + Seq(seq) +
                    " chains to (the record was rewritten and rehashed)");
  }
  if (auto it = checkpoints_.find(seq); it != checkpoints_.end() && it->second != record.hash) {
    return Fail("changed", seq,
                Seq(seq) + " was changed: a signed retention checkpoint vouches for another hash");
  }
  if (head_ && head_->seq == seq && head_->hash != record.hash) {
    return Fail("rolled_back", seq,
                Seq(seq) + " differs from the head file's record " + std::to_string(seq) +
                    ": the database holds another history (an older copy restored and "
                    "appended to?)");
  }
  prev_hash_ = record.hash;
  expected_seq_ = seq + 1;
  report_.last_seq = seq;
  ++report_.records_checked;
  return true;
}

VerifyReport ChainVerifier::Finish() {
  if (failed_) return report_;
  const int64_t last = report_.last_seq;
  if (head_) {
    if (last < head_->seq) {
      int64_t first_missing = last + 1;
      if (last == 0) {
        auto below = checkpoints_.lower_bound(head_->seq + 1);
        first_missing = below == checkpoints_.begin() ? 1 : std::prev(below)->first + 1;
      }
      Fail("truncated", first_missing,
           "the chain ends at " + (last == 0 ? std::string("no record") : Seq(last)) +
               " but the head file records " + Seq(head_->seq) + ": records " +
               std::to_string(first_missing) + ".." + std::to_string(head_->seq) +
               " were cut off or an older copy of the database was restored");
    } else if (last > head_->seq) {
      Fail("head_behind", head_->seq + 1,
           "records " + std::to_string(head_->seq + 1) + ".." + std::to_string(last) +
               " are not in the head file (last line: " + Seq(head_->seq) +
               "): appended outside the audit log, or the head file was replaced");
    }
  } else if (last > 0) {
    Fail("head_missing", report_.first_seq,
         "the head file is missing or empty but the database holds records " +
             std::to_string(report_.first_seq) + ".." + std::to_string(last));
  }
  return report_;
}

}  // namespace locai::control::audit
