// Hooks: where the control plane's parts report what happened, for libraries that arrive later
// (audit log, metering). Every hook may be empty (a no-op); ControlServer fills them when those
// libraries are wired in.
// Thread-safety: hooks are called from the server's io threads and task threads concurrently, so a
// hook must be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

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

  void Audit(const AuditEvent& event) const {
    if (audit) audit(event);
  }
  void ModelTagsChanged(std::string_view org_id) const {
    if (model_tags_changed) model_tags_changed(org_id);
  }
};

}  // namespace locai::control
