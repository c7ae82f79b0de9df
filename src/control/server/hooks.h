// Hooks: where the control plane's parts report what happened and ask for plan limits: the audit
// log and metering (control/compliance). Every hook may be empty (a no-op, no limit);
// ControlServer fills them from its Compliance.
// Thread-safety: hooks are called from the server's io threads and task threads concurrently, so a
// hook must be thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"

namespace locai::control {

// One security-relevant action: who did what to which object.
struct AuditEvent {
  int64_t at_ms = 0;
  std::string org_id;
  std::string actor;   // "key:<id>", "node:<id>" or "system"
  std::string action;  // "registry.upload.finish", "registry.tag.put", "admin.key.create", ...
  std::string target;  // the object: a digest, "name:tag", a key id
  std::string detail;  // free text, never a secret
};

// Unix time in milliseconds from `clock` (an injected test clock), or the system clock when it is
// empty: every part of the control plane takes its time this way.
inline int64_t NowMsOr(const std::function<int64_t()>& clock) {
  if (clock) return clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The audit event of an action taken with an API key (actor "key:<key_id>").
inline AuditEvent KeyAuditEvent(int64_t at_ms, std::string org_id, std::string_view key_id,
                                std::string action, std::string target) {
  AuditEvent event;
  event.at_ms = at_ms;
  event.org_id = std::move(org_id);
  event.actor = "key:" + std::string(key_id);
  event.action = std::move(action);
  event.target = std::move(target);
  return event;
}

// One inference request, as the gateway (route node / cloud) or a node reporting its own local
// requests (route local) records it for the audit log and metering (issue 6). Never holds prompt or
// completion text unless CapturePrompts(org_id) said yes for this request.
struct InferenceRecord {
  int64_t at_ms = 0;             // when the request arrived (unix ms)
  std::string request_id;        // the x-request-id the client saw
  std::string org_id;
  std::string actor;             // "key:<id>" (API key) or "node:<id>" (a node's own or forwarded)
  std::string endpoint;          // "/v1/chat/completions", "/v1/completions", "/v1/messages"
  std::string model;             // as the client asked
  std::string route;             // "local" | "node" | "cloud"; "" when it ran nowhere (refused)
  std::string target;            // node id or provider name; "" for local or refused
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t duration_ms = 0;
  int status = 0;                // the HTTP status the client got (200 also for a stream that
                                 // later ended with an error event: see `error`)
  std::string error;             // why it failed, "" on success; never prompt text
  std::map<std::string, int64_t> pii_detections;  // type -> count (never the values)
  uint64_t cloud_bytes_sent = 0;      // request bytes sent to a cloud provider (egress)
  uint64_t cloud_bytes_received = 0;  // response bytes received from it
  std::string prompt_text;       // only when CapturePrompts(org_id)
  std::string completion_text;   // only when CapturePrompts(org_id)
};

struct ControlHooks {
  std::function<void(const AuditEvent&)> audit;
  // A model tag of `org_id` was created, moved or deleted (the fleet re-plans deployments).
  std::function<void(std::string_view org_id)> model_tags_changed;
  // Plans and metering (control/compliance/compliance.h); empty: no limit, nothing metered.
  // The registry storage an organisation's plan allows (given to Store::PutBlobRecord).
  std::function<std::optional<uint64_t>(const std::string& org_id)> registry_limit;
  // The error for the store's refusal at that limit (`bytes`: the blob refused).
  std::function<Status(const std::string& org_id, const Status& refused, uint64_t bytes)>
      registry_limit_error;
  // Before a blob download of `bytes`: OK (counted) or the refusal (plan_limit_exceeded).
  std::function<Status(const std::string& org_id, uint64_t bytes)> charge_egress;
  // The organisation's registry holding changed (a publish, a garbage collection).
  std::function<void(const std::string& org_id)> storage_changed;

  // One inference request finished (or was refused): audit record + metering by route.
  std::function<void(const InferenceRecord&)> inference;
  // Whether the organisation keeps prompt and completion text (off unless turned on).
  std::function<bool(const std::string& org_id)> capture_prompts;

  void Inference(const InferenceRecord& record) const {
    if (inference) inference(record);
  }
  bool CapturePrompts(const std::string& org_id) const {
    return capture_prompts ? capture_prompts(org_id) : false;
  }
  void Audit(const AuditEvent& event) const {
    if (audit) audit(event);
  }
  void ModelTagsChanged(std::string_view org_id) const {
    if (model_tags_changed) model_tags_changed(org_id);
  }
  std::optional<uint64_t> RegistryLimit(const std::string& org_id) const {
    return registry_limit ? registry_limit(org_id) : std::nullopt;
  }
  Status RegistryLimitError(const std::string& org_id, const Status& refused,
                            uint64_t bytes) const {
    return registry_limit_error ? registry_limit_error(org_id, refused, bytes) : refused;
  }
  Status ChargeEgress(const std::string& org_id, uint64_t bytes) const {
    return charge_egress ? charge_egress(org_id, bytes) : Status::Ok();
  }
  void StorageChanged(const std::string& org_id) const {
    if (storage_changed) storage_changed(org_id);
  }
};

}  // namespace locai::control
