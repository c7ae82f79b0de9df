// The PII guard for one request: detect in every text, decide, and redact when the policy says so.
// This is the one call a server makes before a cloud request; it composes pii_detector.h,
// pii_policy.h and redactor.h.
//
//   auto guarded = GuardRequest(detector, action, {system_text, user_text, ...});
//   audit(guarded->decision.detections);             // types and counts only
//   switch (guarded->decision.action) {
//     case kAllow:  send the texts as they are;
//     case kRedact: send guarded->redaction->texts(), restore the answer with
//                   StreamRestorer(*guarded->redaction) or Redaction::Restore;
//     case kBlock:  route to a device, or answer PiiBlockedStatus(guarded->decision).
//   }
// Threading: a pure function over a const detector; safe from many threads.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "control/policy/pii_detector.h"
#include "control/policy/pii_policy.h"
#include "control/policy/redactor.h"

namespace locai::control::policy {

struct GuardedRequest {
  PiiDecision decision;
  // Present exactly when decision.action is kRedact: texts() holds the redacted texts in the order
  // given, and the placeholder map restores the response.
  std::optional<Redaction> redaction;
};

// Scans `texts` (the parts of one request that leave the organisation: system prompt, message
// contents, tool arguments), applies `configured` when anything was found. Internal only on a bug
// (the detector's matches are always valid input for the redactor).
Result<GuardedRequest> GuardRequest(const PiiDetector& detector, PiiAction configured,
                                    const std::vector<std::string_view>& texts);

}  // namespace locai::control::policy
