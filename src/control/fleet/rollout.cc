#include "control/fleet/rollout.h"

#include <algorithm>

namespace locai::control::fleet {

std::string_view RolloutStateName(RolloutState state) {
  switch (state) {
    case RolloutState::kStable:
      return "stable";
    case RolloutState::kCanary:
      return "canary";
    case RolloutState::kRollingOut:
      return "rolling_out";
    case RolloutState::kRolledBack:
      return "rolled_back";
  }
  return "stable";
}

RolloutState ParseRolloutState(std::string_view name) {
  if (name == "canary") return RolloutState::kCanary;
  if (name == "rolling_out") return RolloutState::kRollingOut;
  if (name == "rolled_back") return RolloutState::kRolledBack;
  return RolloutState::kStable;
}

size_t CanaryCount(size_t placed, int canary_percent) {
  if (placed == 0) return 0;
  const size_t percent = static_cast<size_t>(std::clamp(canary_percent, 0, 100));
  const size_t count = (placed * percent + 99) / 100;
  return std::clamp<size_t>(count, 1, placed);
}

RolloutState StateAfterDigestChange(std::string_view old_digest, std::string_view new_digest) {
  if (old_digest.empty() || old_digest == new_digest) return RolloutState::kStable;
  return RolloutState::kCanary;
}

Result<RollbackTarget> PlanRollback(std::string_view digest, std::string_view previous_digest) {
  if (previous_digest.empty()) {
    return Err(Status::FailedPrecondition("the deployment has no previous model version"));
  }
  RollbackTarget target;
  target.digest = std::string(previous_digest);
  target.previous_digest = std::string(digest);
  return target;
}

RolloutPlan PlanRollout(const RolloutInput& input) {
  RolloutPlan plan;
  plan.state = input.state;
  std::vector<std::string> placed = input.placed_nodes;
  std::sort(placed.begin(), placed.end());
  placed.erase(std::unique(placed.begin(), placed.end()), placed.end());

  const bool all_ready = std::all_of(placed.begin(), placed.end(), [&](const std::string& id) {
    return input.ready_nodes.count(id) > 0;
  });
  const bool has_previous = !input.previous_digest.empty() && input.previous_digest != input.digest;

  if (plan.state == RolloutState::kCanary && has_previous && !placed.empty()) {
    // Ready nodes first, so a canary that already holds the new model stays one when placement
    // shifts; then by id for a stable choice.
    std::vector<std::string> order;
    for (const auto& id : placed) {
      if (input.ready_nodes.count(id)) order.push_back(id);
    }
    for (const auto& id : placed) {
      if (!input.ready_nodes.count(id)) order.push_back(id);
    }
    order.resize(CanaryCount(placed.size(), input.canary_percent));
    const bool canaries_ready = std::all_of(order.begin(), order.end(), [&](const std::string& id) {
      return input.ready_nodes.count(id) > 0;
    });
    if (!canaries_ready) {
      std::sort(order.begin(), order.end());
      for (const auto& id : placed) {
        const bool canary = std::binary_search(order.begin(), order.end(), id);
        plan.desired[id] = canary ? input.digest : input.previous_digest;
      }
      plan.canary_nodes = std::move(order);
      return plan;
    }
    plan.state = RolloutState::kRollingOut;
  } else if (plan.state == RolloutState::kCanary && !has_previous) {
    plan.state = RolloutState::kStable;
  }

  for (const auto& id : placed) plan.desired[id] = input.digest;
  if (plan.state != RolloutState::kStable && all_ready && !placed.empty()) {
    plan.state = RolloutState::kStable;
  }
  return plan;
}

}  // namespace locai::control::fleet
