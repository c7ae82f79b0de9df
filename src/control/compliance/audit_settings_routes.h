// The audit settings admin routes (docs/control-plane.md, "Plans, usage and the audit log"):
//   GET /v1/admin/audit/prompt-capture[?org=ID|NAME]         admin
//   PUT /v1/admin/audit/prompt-capture {org?, enabled, retention_days?}
//                                                            admin; audited
//                                                            "audit.prompt_capture.set"
//   GET /v1/admin/audit/retention                            admin
//   PUT /v1/admin/audit/retention {days}                     admin of the default organisation;
//                                                            audited "audit.retention.set"
// Replies: prompt capture {org, enabled, retention_days, updated_at}; retention {days}.
// Another organisation (org=) only for the default organisation's admins.
// Threading: the handlers run on the server's threads; Compliance is thread-safe.
#pragma once

#include "common/status.h"
#include "control/auth/authenticator.h"
#include "control/compliance/compliance.h"
#include "net/http/router.h"

namespace locai::control::compliance {

Status RegisterAuditSettingsRoutes(Compliance& compliance, net::Router& router,
                                   auth::Authenticator& authenticator);

}  // namespace locai::control::compliance
