#include "control/fleet/placement.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <limits>

namespace locai::control::fleet {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

int64_t SaturatingAdd(int64_t a, int64_t b) { return a > kMax - b ? kMax : a + b; }

int64_t SaturatingMul(int64_t a, int64_t b) {
  if (a == 0 || b == 0) return 0;
  return a > kMax / b ? kMax : a * b;
}

}  // namespace

Result<DeploymentTarget> ParseDeploymentTarget(const nlohmann::json& json) {
  if (!json.is_object() || json.size() != 1) {
    return Err(Status::InvalidArgument(
        "target must be one of {\"all\":true}, {\"group\":...}, {\"labels\":{...}}, "
        "{\"nodes\":[...]}"));
  }
  DeploymentTarget target;
  const std::string key = json.begin().key();
  const nlohmann::json& value = json.begin().value();
  if (key == "all") {
    if (!value.is_boolean() || !value.get<bool>()) {
      return Err(Status::InvalidArgument("target.all must be true"));
    }
    target.all = true;
  } else if (key == "group") {
    if (!value.is_string() || value.get<std::string>().empty()) {
      return Err(Status::InvalidArgument("target.group must be a non-empty string"));
    }
    target.group = value.get<std::string>();
  } else if (key == "labels") {
    if (!value.is_object() || value.empty()) {
      return Err(Status::InvalidArgument("target.labels must be a non-empty object of strings"));
    }
    for (const auto& [name, label] : value.items()) {
      if (!label.is_string()) {
        return Err(Status::InvalidArgument("target.labels." + name + " must be a string"));
      }
      target.labels[name] = label.get<std::string>();
    }
  } else if (key == "nodes") {
    if (!value.is_array() || value.empty()) {
      return Err(Status::InvalidArgument("target.nodes must be a non-empty array of node ids"));
    }
    for (const auto& id : value) {
      if (!id.is_string() || id.get<std::string>().empty()) {
        return Err(Status::InvalidArgument("target.nodes must hold node ids (strings)"));
      }
      target.nodes.push_back(id.get<std::string>());
    }
  } else {
    return Err(
        Status::InvalidArgument("unknown target \"" + key + "\": use all, group, labels or nodes"));
  }
  return target;
}

nlohmann::json DeploymentTargetToJson(const DeploymentTarget& target) {
  if (!target.group.empty()) return {{"group", target.group}};
  if (!target.labels.empty()) return {{"labels", target.labels}};
  if (!target.nodes.empty()) return {{"nodes", target.nodes}};
  return {{"all", true}};
}

int64_t RequiredBytes(const ModelMemory& memory, int64_t context_length, int64_t parallel) {
  const int64_t kv = SaturatingMul(SaturatingMul(std::max<int64_t>(memory.kv_per_token, 0),
                                                 std::max<int64_t>(context_length, 0)),
                                   std::max<int64_t>(parallel, 1));
  return SaturatingAdd(SaturatingAdd(std::max<int64_t>(memory.weights, 0), kv),
                       std::max<int64_t>(memory.compute, 0));
}

std::string FormatBytes(int64_t bytes) {
  char buffer[48];
  if (bytes < 100'000'000) {
    std::snprintf(buffer, sizeof(buffer), "%" PRId64 " MB",
                  std::max<int64_t>(bytes, 0) / 1'000'000);
  } else {
    // Rounded down to one decimal, so "has 3.19" never shows as enough for "needs 3.2".
    const int64_t tenths = bytes / 100'000'000;
    std::snprintf(buffer, sizeof(buffer), "%" PRId64 ".%" PRId64 " GB", tenths / 10, tenths % 10);
  }
  return buffer;
}

std::string_view PlacementKindName(PlacementKind kind) {
  switch (kind) {
    case PlacementKind::kPlace:
      return "place";
    case PlacementKind::kDoesNotFit:
      return "does_not_fit";
    case PlacementKind::kNotTargeted:
      return "not_targeted";
    case PlacementKind::kOffline:
      return "offline";
    case PlacementKind::kNotSelected:
      return "not_selected";
  }
  return "unknown";
}

bool TargetSelects(const DeploymentTarget& target, const CandidateNode& node) {
  if (!target.group.empty()) return node.group == target.group;
  if (!target.labels.empty()) {
    for (const auto& [name, value] : target.labels) {
      auto it = node.labels.find(name);
      if (it == node.labels.end() || it->second != value) return false;
    }
    return true;
  }
  if (!target.nodes.empty()) {
    return std::find(target.nodes.begin(), target.nodes.end(), node.id) != target.nodes.end();
  }
  return target.all;
}

std::vector<PlacementDecision> Place(const PlacementRequest& request,
                                     const std::vector<CandidateNode>& candidates) {
  std::vector<PlacementDecision> decisions;
  decisions.reserve(candidates.size());
  std::vector<size_t> fitting;
  for (const CandidateNode& node : candidates) {
    PlacementDecision decision;
    decision.node_id = node.id;
    decision.available_bytes =
        SaturatingAdd(std::max<int64_t>(node.ram_free, 0), std::max<int64_t>(node.held_bytes, 0));
    if (!TargetSelects(request.target, node)) {
      decision.kind = PlacementKind::kNotTargeted;
    } else if (!node.online) {
      decision.kind = PlacementKind::kOffline;
      decision.reason = "node is offline";
    } else if (decision.available_bytes < request.required_bytes) {
      decision.kind = PlacementKind::kDoesNotFit;
      decision.reason = "needs " + FormatBytes(request.required_bytes) + ", has " +
                        FormatBytes(decision.available_bytes);
    } else {
      decision.kind = PlacementKind::kPlace;
      fitting.push_back(decisions.size());
    }
    decisions.push_back(std::move(decision));
  }
  if (request.replicas > 0 && fitting.size() > static_cast<size_t>(request.replicas)) {
    // Most available memory first; the node id breaks ties so the choice is stable.
    std::sort(fitting.begin(), fitting.end(), [&](size_t a, size_t b) {
      if (decisions[a].available_bytes != decisions[b].available_bytes) {
        return decisions[a].available_bytes > decisions[b].available_bytes;
      }
      return decisions[a].node_id < decisions[b].node_id;
    });
    for (size_t i = static_cast<size_t>(request.replicas); i < fitting.size(); ++i) {
      PlacementDecision& decision = decisions[fitting[i]];
      decision.kind = PlacementKind::kNotSelected;
      decision.reason = "replicas (" + std::to_string(request.replicas) +
                        ") placed on nodes with more free memory";
    }
  }
  return decisions;
}

}  // namespace locai::control::fleet
