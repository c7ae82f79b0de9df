// Placement: which of an organisation's nodes should hold a deployment's model
// (docs/control-plane.md, "Placement and rollout"). A pure function of its inputs, decided on the
// server before any byte is downloaded.
//
// A node is considered in order: not in the target -> kNotTargeted; offline (or revoked) ->
// kOffline; its free memory plus what it already holds for this deployment below the model's
// requirement (weights + kv_per_token * context_length * parallel + compute) -> kDoesNotFit with
// a reason such as "needs 5.1 GB, has 3.2 GB"; otherwise it fits. Of the fitting nodes, at most
// `replicas` (0: all) are placed, those with the most available memory first (ties by node id);
// the other fitting nodes are kNotSelected.
// Thread-safety: pure functions and values.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace locai::control::fleet {

// A deployment target: {"all":true}, {"group":"g"}, {"labels":{"k":"v",...}} or
// {"nodes":["n_1",...]}. Exactly one of the four is set.
struct DeploymentTarget {
  bool all = false;
  std::string group;                          // when non-empty: nodes of this group
  std::map<std::string, std::string> labels;  // when non-empty: nodes carrying all these labels
  std::vector<std::string> nodes;             // when non-empty: these node ids

  bool operator==(const DeploymentTarget&) const = default;
};

// Parses a target object. InvalidArgument for anything but exactly one of the four forms, an
// empty group/labels/nodes, "all" not true, or non-string values.
Result<DeploymentTarget> ParseDeploymentTarget(const nlohmann::json& json);
nlohmann::json DeploymentTargetToJson(const DeploymentTarget& target);

// The memory figures of a model manifest, in bytes.
struct ModelMemory {
  int64_t weights = 0;
  int64_t kv_per_token = 0;
  int64_t compute = 0;
};

// weights + kv_per_token * context_length * parallel + compute, saturating at INT64_MAX.
int64_t RequiredBytes(const ModelMemory& memory, int64_t context_length, int64_t parallel);

// Bytes as decimal gigabytes with one decimal: 5'100'000'000 -> "5.1 GB"; below 0.1 GB as MB
// ("512 MB").
std::string FormatBytes(int64_t bytes);

struct PlacementRequest {
  DeploymentTarget target;
  int replicas = 0;  // 0: every targeted node that fits
  int64_t required_bytes = 0;
};

struct CandidateNode {
  std::string id;
  std::string group;
  std::map<std::string, std::string> labels;
  bool online = true;    // false for offline and revoked nodes
  int64_t ram_free = 0;  // capabilities.ram_free as last reported
  // Memory the node already spends on this deployment's model (loaded digest of it), which
  // becomes available to it again: counted as free.
  int64_t held_bytes = 0;
};

enum class PlacementKind { kPlace, kDoesNotFit, kNotTargeted, kOffline, kNotSelected };

std::string_view PlacementKindName(PlacementKind kind);  // "place", "does_not_fit", ...

struct PlacementDecision {
  std::string node_id;
  PlacementKind kind = PlacementKind::kNotTargeted;
  std::string reason;  // for kDoesNotFit: "needs 5.1 GB, has 3.2 GB"; kOffline: "node is offline"
  int64_t available_bytes = 0;  // ram_free + held_bytes

  bool operator==(const PlacementDecision&) const = default;
};

// True when `node` is selected by `target` (before memory and status are considered).
bool TargetSelects(const DeploymentTarget& target, const CandidateNode& node);

// One decision per candidate, in the candidates' order.
std::vector<PlacementDecision> Place(const PlacementRequest& request,
                                     const std::vector<CandidateNode>& candidates);

}  // namespace locai::control::fleet
