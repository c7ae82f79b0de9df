// FleetPlan: the desired state of one organisation's nodes, computed from its deployments, its
// nodes (status, group, labels, free memory, reported models) and the manifests of the digests
// involved. Placement (placement.h) then rollout (rollout.h) per deployment; the desired models of
// a node are the union over the deployments placed on it (one entry per digest, names merged,
// the largest context_length and parallel). A pure function: the Fleet feeds it from the store and
// the live links, then persists states and pushes `desired_models`.
// Thread-safety: pure functions and values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "control/fleet/link_messages.h"
#include "control/fleet/placement.h"
#include "control/fleet/rollout.h"

namespace locai::control::fleet {

struct DeploymentSpec {
  std::string id;
  std::string model;  // "name:tag", the name nodes serve it under
  std::string digest;
  std::string previous_digest;
  DeploymentTarget target;
  int replicas = 0;
  int canary_percent = 10;
  int64_t context_length = 0;
  int64_t parallel = 1;
  RolloutState rollout_state = RolloutState::kStable;
};

struct NodeView {
  std::string id;
  std::string name;
  std::string group;
  std::map<std::string, std::string> labels;
  bool online = false;                        // connected (healthy or unhealthy), not revoked
  int64_t ram_free = 0;                       // capabilities.ram_free
  std::map<std::string, ModelReport> models;  // by digest, as last reported
};

struct ManifestInfo {
  int64_t size = 0;
  ModelMemory memory;
};

// The state of a deployment on one node, as GET /v1/admin/deployments shows it.
struct NodeDeploymentState {
  std::string node_id;
  std::string digest;  // the digest the node should hold for this deployment ("" if none)
  std::string state;   // pending, downloading, ..., ready, failed, does_not_fit, offline
  double progress = 0;
  std::string reason;

  bool operator==(const NodeDeploymentState&) const = default;
};

struct DeploymentPlan {
  std::string deployment_id;
  std::vector<PlacementDecision> placement;  // one per node, in the nodes' order
  RolloutPlan rollout;
  // Placed, does_not_fit and offline targeted nodes (not untargeted or unselected ones).
  std::vector<NodeDeploymentState> nodes;
};

struct FleetPlan {
  std::vector<DeploymentPlan> deployments;  // in the deployments' order
  // Every node of the input, with its desired models sorted by digest (possibly none).
  std::map<std::string, std::vector<DesiredModel>> desired;
};

// `manifests` maps a digest to its size and memory; a digest without one counts as needing no
// memory (size 0) and is still placed, so the node reports what really happens.
FleetPlan PlanFleet(const std::vector<DeploymentSpec>& deployments,
                    const std::vector<NodeView>& nodes,
                    const std::map<std::string, ManifestInfo>& manifests);

}  // namespace locai::control::fleet
