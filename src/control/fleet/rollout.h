// Rollout: which digest of a deployment each placed node should hold while the deployment's model
// changes (docs/control-plane.md, "Placement and rollout"). A pure function of its inputs.
//
// States (Deployment.rollout_state):
//   stable       every placed node gets `digest`.
//   canary       `digest` changed: ceil(canary_percent% of the placed nodes), at least one, get the
//                new digest (nodes already reporting it ready first, then by node id); the others
//                keep `previous_digest`. Once every canary node reports the new digest `ready`,
//                the state becomes rolling_out.
//   rolling_out  every placed node gets `digest`; stable once all of them report it ready.
//   rolled_back  like rolling_out, after a rollback (no canary on the way back).
// Thread-safety: pure functions and values.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace locai::control::fleet {

enum class RolloutState { kStable, kCanary, kRollingOut, kRolledBack };

std::string_view RolloutStateName(RolloutState state);  // "stable", "canary", ...
// Unknown or empty names read as kStable.
RolloutState ParseRolloutState(std::string_view name);

struct RolloutInput {
  std::string digest;           // the deployment's current digest
  std::string previous_digest;  // "" when there is none
  RolloutState state = RolloutState::kStable;
  int canary_percent = 10;                // 0..100; at least one node either way
  std::vector<std::string> placed_nodes;  // the placed node ids (any order)
  std::set<std::string> ready_nodes;      // placed nodes reporting `digest` as ready
};

struct RolloutPlan {
  RolloutState state = RolloutState::kStable;  // the state after this evaluation
  std::map<std::string, std::string> desired;  // node id -> digest it should hold
  std::vector<std::string> canary_nodes;       // sorted; empty unless a canary is running
};

// The desired digest of each placed node and the next state.
RolloutPlan PlanRollout(const RolloutInput& input);

// The number of canary nodes for `placed` nodes: ceil(placed * percent / 100), clamped to
// [1, placed] (0 when placed is 0).
size_t CanaryCount(size_t placed, int canary_percent);

// The state a deployment enters when its digest moves from `old_digest` to `new_digest`: kCanary
// when there was an old one and it differs, else kStable.
RolloutState StateAfterDigestChange(std::string_view old_digest, std::string_view new_digest);

// What a rollback sets: {digest, previous_digest} swapped, state kRolledBack. FailedPrecondition
// when there is no previous digest to go back to.
struct RollbackTarget {
  std::string digest;
  std::string previous_digest;
  RolloutState state = RolloutState::kRolledBack;
};
Result<RollbackTarget> PlanRollback(std::string_view digest, std::string_view previous_digest);

}  // namespace locai::control::fleet
