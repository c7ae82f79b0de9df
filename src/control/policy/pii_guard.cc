#include "control/policy/pii_guard.h"

#include <utility>

#include "control/policy/pii_counts.h"

namespace locai::control::policy {

Result<GuardedRequest> GuardRequest(const PiiDetector& detector, PiiAction configured,
                                    const std::vector<std::string_view>& texts) {
  std::vector<std::vector<PiiMatch>> matches;
  matches.reserve(texts.size());
  std::map<std::string, int> detections;
  for (std::string_view text : texts) {
    matches.push_back(detector.Detect(text));
    MergeCounts(CountByType(matches.back()), &detections);
  }
  GuardedRequest guarded;
  guarded.decision = Decide(configured, std::move(detections));
  if (guarded.decision.action == PiiAction::kRedact) {
    auto redaction = Redact(texts, matches);
    if (!redaction) return Err(Status::Internal(redaction.error().message()));
    guarded.redaction = std::move(*redaction);
  }
  return guarded;
}

}  // namespace locai::control::policy
