// Audit records: what one admin action or inference request leaves in the audit log, its
// canonical form and its place in the hash chain. Format described in docs/audit-log.md.
//
// A record's content is a canonical JSON object (keys sorted bytewise, no whitespace, integers
// only, invalid UTF-8 replaced by U+FFFD) holding seq, time and every event field; it never holds
// prompt or completion text. Its hash is
//     hash = lowercase hex SHA-256( prev_hash || content )
// where prev_hash is the previous record's hash as 64 hex characters (kGenesisHash for seq 1, or
// the hash a signed checkpoint vouches for after retention removed the records before).
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace locai::control::audit {

inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";
inline constexpr int kRecordFormatVersion = 1;

// What the caller reports. Admin actions use kind "admin" and an action such as "key.create",
// "key.revoke", "node.enroll", "node.label", "node.revoke", "model.push", "model.delete",
// "deployment.create", "deployment.update", "deployment.delete", "deployment.rollback",
// "policy.update", "provider.update", "plan.update"; requests use kind "inference" and the
// route's name as action ("chat.completions", "messages", "embeddings").
struct AuditEvent {
  std::string kind;          // "admin" | "inference"
  std::string action;        // non-empty
  std::string org;           // non-empty
  std::string actor_key_id;  // the API key (or node id) that acted; may be empty
  std::string target;        // what was acted on: key id, node id, "llama3.2:1b", ...
  std::string details_json;  // a JSON object or empty; no prompt text (see ValidateEvent)

  // Inference requests.
  std::string request_id;
  std::string model;
  std::string route;             // "local" | "node" | "cloud"
  std::string node_or_provider;  // node id or provider name
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  int64_t duration_ms = 0;
  int64_t status = 0;                         // HTTP status of the response
  std::map<std::string, int64_t> pii_counts;  // detections by type: {"email": 2}

  // Prompt and completion text, set only when the organisation has turned capture on. Stored
  // apart (table audit_content, own retention), never in the chained content.
  std::optional<std::string> prompt_text;
  std::optional<std::string> completion_text;
};

// A stored record.
struct AuditRecord {
  int64_t seq = 0;
  int64_t time_ms = 0;
  std::string kind;
  std::string action;
  std::string org;
  std::string content;    // canonical JSON, as hashed
  std::string prev_hash;  // 64 hex
  std::string hash;       // 64 hex
};

// InvalidArgument when kind is not admin/inference, action or org is empty, details_json is not a
// JSON object, or details carries a top-level key that would hold text of a conversation
// ("prompt", "completion", "messages", "input", "system", "content"), or a count is negative.
Status ValidateEvent(const AuditEvent& event);

// The canonical content of `event` as record `seq` written at `time_ms` (event validated first).
// Kind "checkpoint" is accepted here for the log's own retention records.
Result<std::string> CanonicalContent(const AuditEvent& event, int64_t seq, int64_t time_ms);

// SHA-256(prev_hash || content) as 64 lowercase hex characters.
std::string ChainHash(std::string_view prev_hash, std::string_view content);

// The message a retention checkpoint signs: "locai-audit-checkpoint-v1\n<seq>\n<hash>\n".
std::string CheckpointMessage(int64_t through_seq, std::string_view through_hash);

}  // namespace locai::control::audit
