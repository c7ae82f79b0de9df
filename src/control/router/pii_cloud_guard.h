// The PII guard in front of a cloud call (issue 5): every text of the request that would leave
// the organisation (system prompt, each message, tool results folded into messages, a completions
// prompt, the `user` field) is scanned; the organisation's action then applies:
//   allow   the request goes as it is;
//   redact  the values are replaced by placeholders ("[EMAIL_1]") in what is sent, and the
//           provider's answer is restored before the caller sees it, also when a placeholder is
//           split across streamed deltas (policy::StreamRestorer);
//   block   the provider is never called: PermissionDenied from policy::PiiBlockedStatus.
// The detections (types and counts, never the values) come back for the audit in every case.
// A request without detections is sent as it is, whatever the action.
// Threading: pure functions over a const detector; GuardedCloudStream uses the CloudClient (one
// thread at a time, as that class says).
#pragma once

#include <optional>
#include <string_view>

#include "api/common/generation.h"
#include "common/status.h"
#include "control/policy/pii_detector.h"
#include "control/policy/pii_policy.h"
#include "control/policy/redactor.h"
#include "control/router/cloud_client.h"

namespace locai::control::router {

struct GuardedCloudRequest {
  policy::PiiDecision decision;  // the action taken and the detections, for the audit
  // What may be sent: the request itself (allow), its redacted copy (redact); for block, the
  // original (it must not be sent).
  api::GenerationRequest request;
  // Present exactly when decision.action is kRedact: restores the answer. Holds the original
  // values: keep it for this request only, never log it.
  std::optional<policy::Redaction> redaction;
};

// Scans and decides; Internal only on a bug in the guard.
Result<GuardedCloudRequest> GuardCloudRequest(const policy::PiiDetector& detector,
                                              policy::PiiAction action,
                                              const api::GenerationRequest& request);

// GuardCloudRequest, then (unless blocked) client.Stream() with the answer restored before it
// reaches `on_delta`. `decision` (may be null) receives the guard's decision even when the call
// fails or is blocked. Errors: PiiBlockedStatus (403) for a blocked request, with no connection
// made; CloudClient::Stream's errors.
Result<CloudCompletion> GuardedCloudStream(const policy::PiiDetector& detector,
                                           policy::PiiAction action, CloudClient& client,
                                           const api::GenerationRequest& request,
                                           std::string_view upstream_model,
                                           const DeltaCallback& on_delta,
                                           policy::PiiDecision* decision);

}  // namespace locai::control::router
