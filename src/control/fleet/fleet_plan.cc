#include "control/fleet/fleet_plan.h"

#include <algorithm>

namespace locai::control::fleet {
namespace {

// Reported states in which a model occupies the node's memory.
bool HoldsMemory(const std::string& state) { return state == "ready" || state == "loading"; }

int64_t Required(const DeploymentSpec& deployment,
                 const std::map<std::string, ManifestInfo>& manifests, const std::string& digest) {
  auto it = manifests.find(digest);
  if (it == manifests.end()) it = manifests.find(deployment.digest);
  if (it == manifests.end()) return 0;
  return RequiredBytes(it->second.memory, deployment.context_length, deployment.parallel);
}

NodeDeploymentState StateOnNode(const NodeView& node, const std::string& digest) {
  NodeDeploymentState state;
  state.node_id = node.id;
  state.digest = digest;
  auto it = node.models.find(digest);
  if (it == node.models.end() || it->second.state.empty()) {
    state.state = "pending";
    if (!node.online) state.reason = "node is offline";
    return state;
  }
  state.state = it->second.state;
  state.progress = it->second.progress;
  state.reason = it->second.reason;
  return state;
}

void AddDesired(std::vector<DesiredModel>* desired, DesiredModel model) {
  for (auto& existing : *desired) {
    if (existing.digest != model.digest) continue;
    existing.names.insert(existing.names.end(), model.names.begin(), model.names.end());
    std::sort(existing.names.begin(), existing.names.end());
    existing.names.erase(std::unique(existing.names.begin(), existing.names.end()),
                         existing.names.end());
    existing.context_length = std::max(existing.context_length, model.context_length);
    existing.parallel = std::max(existing.parallel, model.parallel);
    existing.size = std::max(existing.size, model.size);
    return;
  }
  desired->push_back(std::move(model));
}

}  // namespace

FleetPlan PlanFleet(const std::vector<DeploymentSpec>& deployments,
                    const std::vector<NodeView>& nodes,
                    const std::map<std::string, ManifestInfo>& manifests) {
  FleetPlan plan;
  for (const auto& node : nodes) plan.desired[node.id];

  for (const DeploymentSpec& deployment : deployments) {
    DeploymentPlan result;
    result.deployment_id = deployment.id;

    PlacementRequest request;
    request.target = deployment.target;
    request.replicas = deployment.replicas;
    request.required_bytes = Required(deployment, manifests, deployment.digest);
    std::vector<CandidateNode> candidates;
    candidates.reserve(nodes.size());
    for (const NodeView& node : nodes) {
      CandidateNode candidate;
      candidate.id = node.id;
      candidate.group = node.group;
      candidate.labels = node.labels;
      candidate.online = node.online;
      candidate.ram_free = node.ram_free;
      for (const std::string* digest : {&deployment.digest, &deployment.previous_digest}) {
        if (digest->empty()) continue;
        if (digest == &deployment.previous_digest && *digest == deployment.digest) continue;
        auto it = node.models.find(*digest);
        if (it != node.models.end() && HoldsMemory(it->second.state)) {
          candidate.held_bytes += Required(deployment, manifests, *digest);
        }
      }
      candidates.push_back(std::move(candidate));
    }
    result.placement = Place(request, candidates);

    RolloutInput rollout;
    rollout.digest = deployment.digest;
    rollout.previous_digest = deployment.previous_digest;
    rollout.state = deployment.rollout_state;
    rollout.canary_percent = deployment.canary_percent;
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (result.placement[i].kind != PlacementKind::kPlace) continue;
      rollout.placed_nodes.push_back(nodes[i].id);
      auto it = nodes[i].models.find(deployment.digest);
      if (it != nodes[i].models.end() && it->second.state == "ready") {
        rollout.ready_nodes.insert(nodes[i].id);
      }
    }
    result.rollout = PlanRollout(rollout);

    for (size_t i = 0; i < nodes.size(); ++i) {
      const PlacementDecision& decision = result.placement[i];
      switch (decision.kind) {
        case PlacementKind::kPlace: {
          const std::string& digest = result.rollout.desired[nodes[i].id];
          result.nodes.push_back(StateOnNode(nodes[i], digest));
          DesiredModel model;
          model.digest = digest;
          model.names = {deployment.model};
          auto manifest = manifests.find(digest);
          model.size = manifest == manifests.end() ? 0 : manifest->second.size;
          model.context_length = deployment.context_length;
          model.parallel = deployment.parallel;
          AddDesired(&plan.desired[nodes[i].id], std::move(model));
          break;
        }
        case PlacementKind::kDoesNotFit:
          result.nodes.push_back({nodes[i].id, "", "does_not_fit", 0, decision.reason});
          break;
        case PlacementKind::kOffline:
          result.nodes.push_back({nodes[i].id, "", "offline", 0, decision.reason});
          break;
        case PlacementKind::kNotTargeted:
        case PlacementKind::kNotSelected:
          break;
      }
    }
    plan.deployments.push_back(std::move(result));
  }
  for (auto& [node_id, models] : plan.desired) {
    std::sort(models.begin(), models.end(),
              [](const DesiredModel& a, const DesiredModel& b) { return a.digest < b.digest; });
  }
  return plan;
}

}  // namespace locai::control::fleet
