#include "control/policy/pii_policy.h"

#include <utility>

#include "control/policy/pii_counts.h"

namespace locai::control::policy {

std::string_view PiiActionName(PiiAction action) {
  switch (action) {
    case PiiAction::kAllow:
      return "allow";
    case PiiAction::kRedact:
      return "redact";
    case PiiAction::kBlock:
      return "block";
  }
  return "unknown";
}

Result<PiiAction> ParsePiiAction(std::string_view name) {
  for (PiiAction action : {PiiAction::kAllow, PiiAction::kRedact, PiiAction::kBlock}) {
    if (PiiActionName(action) == name) return action;
  }
  return Err(Status::InvalidArgument("unknown PII action '" + std::string(name) +
                                     "': expected allow, redact or block"));
}

PiiDecision Decide(PiiAction configured, const std::vector<PiiMatch>& matches) {
  return Decide(configured, CountByType(matches));
}

PiiDecision Decide(PiiAction configured, std::map<std::string, int> detections) {
  PiiDecision decision;
  decision.action = detections.empty() ? PiiAction::kAllow : configured;
  decision.detections = std::move(detections);
  return decision;
}

Status PiiBlockedStatus(const PiiDecision& decision) {
  std::string found;
  for (const auto& [type, count] : decision.detections) {
    if (!found.empty()) found += ", ";
    found += type + " x" + std::to_string(count);
  }
  return Status::PermissionDenied("request refused by the PII policy: it contains personal data (" +
                                  found + ") and no on-device model can serve it");
}

}  // namespace locai::control::policy
