#include "control/router/pii_cloud_guard.h"

#include <string>
#include <utility>
#include <vector>

#include "control/policy/pii_guard.h"

namespace locai::control::router {

Result<GuardedCloudRequest> GuardCloudRequest(const policy::PiiDetector& detector,
                                              policy::PiiAction action,
                                              const api::GenerationRequest& request) {
  // The texts in a fixed order, so the redacted ones can be put back in their places.
  std::vector<std::string_view> texts;
  texts.reserve(request.messages.size() + 2);
  for (const api::ChatMessage& message : request.messages) texts.push_back(message.content);
  texts.push_back(request.prompt);
  texts.push_back(request.user);

  LOCAI_ASSIGN_OR_RETURN(policy::GuardedRequest guarded,
                         policy::GuardRequest(detector, action, texts));
  GuardedCloudRequest out;
  out.decision = std::move(guarded.decision);
  out.request = request;
  if (out.decision.action == policy::PiiAction::kRedact) {
    if (!guarded.redaction.has_value() || guarded.redaction->texts().size() != texts.size()) {
      return Err(Status::Internal("PII guard returned no redaction for a redact decision"));
    }
    const std::vector<std::string>& redacted = guarded.redaction->texts();
    for (size_t i = 0; i < request.messages.size(); ++i) {
      out.request.messages[i].content = redacted[i];
    }
    out.request.prompt = redacted[request.messages.size()];
    out.request.user = redacted[request.messages.size() + 1];
    out.redaction = std::move(guarded.redaction);
  }
  return out;
}

Result<CloudCompletion> GuardedCloudStream(const policy::PiiDetector& detector,
                                           policy::PiiAction action, CloudClient& client,
                                           const api::GenerationRequest& request,
                                           std::string_view upstream_model,
                                           const DeltaCallback& on_delta,
                                           policy::PiiDecision* decision) {
  LOCAI_ASSIGN_OR_RETURN(GuardedCloudRequest guarded, GuardCloudRequest(detector, action, request));
  if (decision != nullptr) *decision = guarded.decision;
  switch (guarded.decision.action) {
    case policy::PiiAction::kBlock:
      return Err(policy::PiiBlockedStatus(guarded.decision));
    case policy::PiiAction::kAllow:
      return client.Stream(guarded.request, upstream_model, on_delta);
    case policy::PiiAction::kRedact:
      break;
  }
  policy::StreamRestorer restorer(*guarded.redaction);
  LOCAI_ASSIGN_OR_RETURN(CloudCompletion completion,
                         client.Stream(guarded.request, upstream_model, [&](std::string_view text) {
                           std::string restored = restorer.Push(text);
                           return restored.empty() || on_delta(restored);
                         }));
  // Text held back as a possible placeholder prefix goes out as it was written.
  if (std::string rest = restorer.Finish(); !rest.empty() && !on_delta(rest)) {
    return Err(Status::Cancelled("the caller stopped the cloud stream"));
  }
  return completion;
}

}  // namespace locai::control::router
