#include "control/audit/audit_record.h"

#include <nlohmann/json.hpp>

#include "crypto/sha256.h"

namespace locai::control::audit {
namespace {

using nlohmann::json;

// Top-level detail keys that would carry conversation text, which belongs in prompt_text.
constexpr std::string_view kTextKeys[] = {"prompt", "completion", "messages",
                                          "input",  "system",     "content"};

}  // namespace

Status ValidateEvent(const AuditEvent& event) {
  if (event.kind != "admin" && event.kind != "inference" && event.kind != "checkpoint") {
    return Status::InvalidArgument("audit: kind must be admin or inference, got '" + event.kind +
                                   "'");
  }
  if (event.action.empty()) return Status::InvalidArgument("audit: empty action");
  if (event.org.empty()) return Status::InvalidArgument("audit: empty organisation");
  if (event.tokens_in < 0 || event.tokens_out < 0 || event.duration_ms < 0) {
    return Status::InvalidArgument("audit: negative tokens or duration");
  }
  for (const auto& [type, count] : event.pii_counts) {
    if (type.empty() || count < 0) return Status::InvalidArgument("audit: bad PII count");
  }
  if (!event.details_json.empty()) {
    json details = json::parse(event.details_json, nullptr, false);
    if (details.is_discarded() || !details.is_object()) {
      return Status::InvalidArgument("audit: details must be a JSON object");
    }
    for (std::string_view key : kTextKeys) {
      if (details.contains(key)) {
        return Status::InvalidArgument("audit: details may not hold '" + std::string(key) +
                                       "' (conversation text is kept apart, when enabled)");
      }
    }
  }
  return Status::Ok();
}

Result<std::string> CanonicalContent(const AuditEvent& event, int64_t seq, int64_t time_ms) {
  LOCAI_RETURN_IF_ERROR(ValidateEvent(event));
  json content = json::object();
  content["v"] = kRecordFormatVersion;
  content["seq"] = seq;
  content["time_ms"] = time_ms;
  content["kind"] = event.kind;
  content["action"] = event.action;
  content["org"] = event.org;
  content["actor"] = event.actor_key_id;
  content["target"] = event.target;
  content["details"] =
      event.details_json.empty() ? json::object() : json::parse(event.details_json, nullptr, false);
  if (event.kind == "inference") {
    content["request_id"] = event.request_id;
    content["model"] = event.model;
    content["route"] = event.route;
    content["node"] = event.node_or_provider;
    content["tokens_in"] = event.tokens_in;
    content["tokens_out"] = event.tokens_out;
    content["duration_ms"] = event.duration_ms;
    content["status"] = event.status;
    json pii = json::object();
    for (const auto& [type, count] : event.pii_counts) pii[type] = count;
    content["pii"] = pii;
    content["content_captured"] =
        event.prompt_text.has_value() || event.completion_text.has_value();
  }
  // nlohmann's object keeps keys sorted (std::map), dump() writes no whitespace; replace keeps
  // invalid UTF-8 from throwing.
  return content.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string ChainHash(std::string_view prev_hash, std::string_view content) {
  crypto::Sha256 sha;
  sha.Update(prev_hash);
  sha.Update(content);
  return sha.FinishHex();
}

std::string CheckpointMessage(int64_t through_seq, std::string_view through_hash) {
  return "locai-audit-checkpoint-v1\n" + std::to_string(through_seq) + "\n" +
         std::string(through_hash) + "\n";
}

}  // namespace locai::control::audit
