// What the PII guard does with a request in which personal data was found.
//
//   allow   send the request as it is (detections are still audited);
//   redact  send placeholders instead of the values and restore them in the response
//           (redactor.h);
//   block   keep the request on the organisation's own devices, or refuse it when none can serve
//           it (PiiBlockedStatus gives the client's error).
// Pure functions and values; safe from any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "control/policy/pii_detector.h"

namespace locai::control::policy {

enum class PiiAction { kAllow, kRedact, kBlock };

// "allow", "redact", "block".
std::string_view PiiActionName(PiiAction action);
// Parses exactly "allow", "redact" or "block"; InvalidArgument naming the accepted values
// otherwise.
Result<PiiAction> ParsePiiAction(std::string_view name);

// The guard's verdict on one request: what to do, and what was found (types and counts only, for
// the audit; never the values).
struct PiiDecision {
  PiiAction action = PiiAction::kAllow;
  std::map<std::string, int> detections;

  bool found() const { return !detections.empty(); }
};

// The configured action applies only when something was found; a request without detections is
// always allowed as it is.
PiiDecision Decide(PiiAction configured, const std::vector<PiiMatch>& matches);
PiiDecision Decide(PiiAction configured, std::map<std::string, int> detections);

// The error a client receives when a blocked request cannot stay on a device: PermissionDenied
// (403) naming the detected types, e.g. "request refused by the PII policy: it contains
// personal data (email x1, nhs_number x2) and no on-device model can serve it".
Status PiiBlockedStatus(const PiiDecision& decision);

}  // namespace locai::control::policy
