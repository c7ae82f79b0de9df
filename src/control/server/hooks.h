// Hooks: where the control plane's parts report what happened and ask for plan limits: the audit
// log and metering (control/compliance). Every hook may be empty (a no-op, no limit);
// ControlServer fills them from its Compliance.
// Thread-safety: hooks are called from the server's io threads and task threads concurrently, so a
// hook must be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

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
