#include "control/compliance/inference_recorder.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

namespace locai::control::compliance {
namespace {

using nlohmann::json;

constexpr size_t kMaxErrorBytes = 512;
// Records per transaction: big enough to amortise the commit and the head file's fsync, small
// enough that the database lock is not held for long.
constexpr size_t kMaxBatch = 512;

std::string WithoutPrefix(std::string_view text, std::string_view prefix) {
  if (text.substr(0, prefix.size()) == prefix) text.remove_prefix(prefix.size());
  return std::string(text);
}

int64_t ClampToInt64(uint64_t value) {
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  return static_cast<int64_t>(value > kMax ? kMax : value);
}

}  // namespace

audit::AuditEvent ToAuditEvent(const InferenceRecord& record, bool keep_text) {
  audit::AuditEvent event;
  event.kind = "inference";
  event.action = std::string(kInferenceAction);
  event.org = record.org_id.empty() ? "unknown" : record.org_id;
  event.actor_key_id = WithoutPrefix(record.actor, "key:");
  event.target = record.model;
  event.request_id = record.request_id;
  event.model = record.model;
  event.route = record.route;
  event.node_or_provider = record.target;
  event.tokens_in = std::max<int64_t>(record.prompt_tokens, 0);
  event.tokens_out = std::max<int64_t>(record.completion_tokens, 0);
  event.duration_ms = std::max<int64_t>(record.duration_ms, 0);
  event.status = record.status;
  for (const auto& [type, count] : record.pii_detections) {
    if (!type.empty() && count > 0) event.pii_counts[type] = count;
  }
  json details = json::object();
  details["endpoint"] = record.endpoint;
  details["started_ms"] = record.at_ms;
  if (!record.error.empty()) details["error"] = record.error.substr(0, kMaxErrorBytes);
  if (record.cloud_bytes_sent > 0 || record.cloud_bytes_received > 0) {
    details["cloud_bytes_sent"] = ClampToInt64(record.cloud_bytes_sent);
    details["cloud_bytes_received"] = ClampToInt64(record.cloud_bytes_received);
  }
  event.details_json = details.dump(-1, ' ', false, json::error_handler_t::replace);
  if (keep_text && (!record.prompt_text.empty() || !record.completion_text.empty())) {
    event.prompt_text = record.prompt_text;
    event.completion_text = record.completion_text;
  }
  return event;
}

InferenceRecorder::InferenceRecorder(audit::AuditLog& audit, metering::UsageMeter& meter,
                                     InferenceRecorderOptions options)
    : audit_(audit), meter_(meter), options_(std::move(options)) {
  writer_ = std::thread([this] { WriterLoop(); });
}

InferenceRecorder::~InferenceRecorder() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  queued_cv_.notify_all();
  writer_.join();
}

void InferenceRecorder::Record(const InferenceRecord& record) {
  {
    std::unique_lock lock(mu_);
    drained_cv_.wait(lock, [&] { return queue_.size() < options_.max_queued || stopping_; });
    queue_.push_back(record);
    ++enqueued_;
  }
  queued_cv_.notify_one();
}

void InferenceRecorder::Flush() {
  std::unique_lock lock(mu_);
  const uint64_t target = enqueued_;
  drained_cv_.wait(lock, [&] { return done_ >= target; });
}

uint64_t InferenceRecorder::written() const {
  std::lock_guard lock(mu_);
  return done_ - failed_;
}

uint64_t InferenceRecorder::failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}

void InferenceRecorder::WriterLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    queued_cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) return;  // stopping with nothing left: everything queued was written
    std::vector<InferenceRecord> batch;
    batch.reserve(std::min(queue_.size(), kMaxBatch));
    while (!queue_.empty() && batch.size() < kMaxBatch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    drained_cv_.notify_all();  // room for blocked producers
    lock.unlock();
    const uint64_t failed = WriteBatch(batch);
    lock.lock();
    done_ += batch.size();
    failed_ += failed;
    drained_cv_.notify_all();
  }
}

uint64_t InferenceRecorder::WriteBatch(const std::vector<InferenceRecord>& batch) {
  std::vector<audit::AuditEvent> events;
  events.reserve(batch.size());
  for (const InferenceRecord& record : batch) {
    // Asked again here: text captured just before the switch went off is not kept.
    const bool keep_text = (!record.prompt_text.empty() || !record.completion_text.empty()) &&
                           !record.org_id.empty() && options_.capture(record.org_id);
    events.push_back(ToAuditEvent(record, keep_text));
  }
  uint64_t failed = 0;
  auto appended = audit_.AppendAll(events);
  if (!appended) {
    options_.log("audit: could not record " + std::to_string(batch.size()) +
                 " inference requests: " + appended.error().ToString());
    failed = batch.size();
  } else {
    for (size_t i = 0; i < batch.size(); ++i) {
      if ((*appended)[i]) continue;
      options_.log("audit: could not record inference request " + batch[i].request_id + ": " +
                   (*appended)[i].error().ToString());
      ++failed;
    }
  }

  // Metering, summed per organisation and route for the batch.
  struct Sum {
    int64_t requests = 0;
    int64_t tokens_in = 0;
    int64_t tokens_out = 0;
  };
  std::map<std::pair<std::string, std::string>, Sum> requests;
  std::map<std::string, uint64_t> cloud_bytes;
  for (const InferenceRecord& record : batch) {
    if (record.org_id.empty()) continue;
    if (!record.route.empty()) {
      Sum& sum = requests[{record.org_id, record.route}];
      ++sum.requests;
      sum.tokens_in += std::max<int64_t>(record.prompt_tokens, 0);
      sum.tokens_out += std::max<int64_t>(record.completion_tokens, 0);
    }
    const uint64_t cloud = record.cloud_bytes_sent + record.cloud_bytes_received;
    if (cloud > 0) cloud_bytes[record.org_id] += cloud;
  }
  const int64_t now = options_.now_ms();
  for (const auto& [key, sum] : requests) {
    Status metered = meter_.RecordRequests(key.first, key.second, sum.requests, sum.tokens_in,
                                           sum.tokens_out, now);
    if (!metered.ok()) {
      options_.log("metering: " + std::to_string(sum.requests) + " " + key.second +
                   " requests of " + key.first + " not metered: " + metered.ToString());
    }
  }
  for (const auto& [org, bytes] : cloud_bytes) {
    Status metered = meter_.RecordEgress(
        org, "cloud", static_cast<int64_t>(std::min<uint64_t>(bytes, INT64_MAX)), now);
    if (!metered.ok()) {
      options_.log("metering: cloud egress of " + org + " not metered: " + metered.ToString());
    }
  }
  return failed;
}

}  // namespace locai::control::compliance
