// Reconciliation: store + live links -> FleetPlan -> store (rollout states, per-node deployment
// states) and desired_models on the links whose set changed. Runs after every event that can
// change the plan: a deployment or tag change, a node's labels, a node connecting or going away,
// a model state reported.

#include <cmath>
#include <set>

#include "control/fleet/fleet_impl.h"
#include "control/fleet/rollout.h"

namespace locai::control::fleet {
namespace {

int64_t NumberOr(const nlohmann::json& object, const char* key, int64_t fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return fallback;
  return it->get<int64_t>();
}

std::map<std::string, ModelReport> ParseStoredModels(const std::string& models_json) {
  std::map<std::string, ModelReport> models;
  auto list = nlohmann::json::parse(models_json, nullptr, false);
  if (!list.is_array()) return models;
  for (const auto& entry : list) {
    if (!entry.is_object()) continue;
    ModelReport report;
    report.digest = entry.value("digest", "");
    if (report.digest.empty()) continue;
    report.state = entry.value("state", "");
    report.reason = entry.value("reason", "");
    report.progress = entry.value("progress", 0.0);
    models[report.digest] = std::move(report);
  }
  return models;
}

bool SameRow(const store::DeploymentNodeState& a, const NodeDeploymentState& b) {
  return a.digest == b.digest && a.state == b.state && a.reason == b.reason &&
         std::fabs(a.progress - b.progress) < 0.005;
}

}  // namespace

Result<ManifestFacts> ParseManifestFacts(const std::string& manifest_json) {
  auto manifest = nlohmann::json::parse(manifest_json, nullptr, false);
  if (!manifest.is_object()) return Err(Status::InvalidArgument("the manifest is not an object"));
  ManifestFacts facts;
  facts.info.size = NumberOr(manifest, "size", 0);
  facts.context_length = NumberOr(manifest, "context_length", 0);
  if (auto memory = manifest.find("memory"); memory != manifest.end()) {
    facts.info.memory.weights = NumberOr(*memory, "weights", 0);
    facts.info.memory.kv_per_token = NumberOr(*memory, "kv_per_token", 0);
    facts.info.memory.compute = NumberOr(*memory, "compute", 0);
  }
  return facts;
}

Status FleetImpl::Reconcile(const std::string& org_id, const std::string& force_node_id) {
  std::lock_guard<std::mutex> lock(reconcile_mu_);
  return ReconcileLocked(org_id, force_node_id);
}

Status FleetImpl::ReconcileLocked(const std::string& org_id, const std::string& force_node_id) {
  LOCAI_ASSIGN_OR_RETURN(std::vector<store::Node> nodes, store_.ListNodes(org_id));
  LOCAI_ASSIGN_OR_RETURN(std::vector<store::Deployment> deployments,
                         store_.ListDeployments(org_id));
  LOCAI_ASSIGN_OR_RETURN(std::vector<store::ModelTag> tags, store_.ListModelTags(org_id));
  const std::map<std::string, LiveNode> live = LiveNodes(org_id);
  const int64_t now = NowMs();

  std::map<std::string, ManifestInfo> manifests;
  for (const auto& tag : tags) {
    auto facts = ParseManifestFacts(tag.manifest_json);
    if (facts) manifests[tag.digest] = facts->info;
  }

  // A digest a deployment still refers to after its tag moved on (previous_digest, or the digest
  // of a deleted tag) has no manifest any more: its size comes from the blob record and its memory
  // is taken to be the deployment's current model's, so desired_models stays the same.
  for (const auto& deployment : deployments) {
    for (const std::string* digest : {&deployment.digest, &deployment.previous_digest}) {
      if (digest->empty() || manifests.count(*digest)) continue;
      ManifestInfo info;
      if (auto blob = store_.GetBlobRecord(*digest)) info.size = static_cast<int64_t>(blob->size);
      auto current = manifests.find(deployment.digest);
      if (current != manifests.end()) info.memory = current->second.memory;
      manifests[*digest] = info;
    }
  }

  std::vector<NodeView> views;
  for (const auto& node : nodes) {
    if (node.revoked_at.has_value() || node.status == "revoked") continue;
    NodeView view;
    view.id = node.id;
    view.name = node.name;
    view.group = node.group;
    view.labels = node.labels;
    auto connected = live.find(node.id);
    view.online = connected != live.end();
    nlohmann::json capabilities =
        view.online ? connected->second.capabilities
                    : nlohmann::json::parse(node.capabilities_json, nullptr, false);
    view.ram_free = NumberOr(capabilities, "ram_free", 0);
    view.models = view.online ? connected->second.models : ParseStoredModels(node.models_json);
    views.push_back(std::move(view));
  }

  std::vector<DeploymentSpec> specs;
  std::vector<store::Deployment*> planned;
  for (auto& deployment : deployments) {
    auto target =
        ParseDeploymentTarget(nlohmann::json::parse(deployment.target_json, nullptr, false));
    if (!target) {
      Log("deployment " + deployment.id + " has an unreadable target: " + target.error().message());
      continue;
    }
    DeploymentSpec spec;
    spec.id = deployment.id;
    spec.model = deployment.model;
    spec.digest = deployment.digest;
    spec.previous_digest = deployment.previous_digest;
    spec.target = std::move(*target);
    spec.replicas = static_cast<int>(deployment.replicas);
    spec.canary_percent = static_cast<int>(deployment.canary_percent);
    spec.context_length = deployment.context_length;
    spec.parallel = deployment.parallel;
    spec.rollout_state = ParseRolloutState(deployment.rollout_state);
    specs.push_back(std::move(spec));
    planned.push_back(&deployment);
  }

  const FleetPlan plan = PlanFleet(specs, views, manifests);

  Status first_error;
  for (size_t i = 0; i < plan.deployments.size(); ++i) {
    const DeploymentPlan& result = plan.deployments[i];
    store::Deployment& deployment = *planned[i];
    const std::string state(RolloutStateName(result.rollout.state));
    if (state != deployment.rollout_state) {
      deployment.rollout_state = state;
      deployment.updated_at = now;
      Status status = store_.UpdateDeployment(deployment);
      if (!status.ok() && first_error.ok()) first_error = status;
    }
    auto existing = store_.ListDeploymentNodeStates(deployment.id);
    if (!existing) {
      if (first_error.ok()) first_error = existing.error();
      continue;
    }
    std::map<std::string, store::DeploymentNodeState> stored;
    for (auto& row : *existing) stored[row.node_id] = std::move(row);
    for (const NodeDeploymentState& row : result.nodes) {
      auto it = stored.find(row.node_id);
      if (it == stored.end() || !SameRow(it->second, row)) {
        Status status = store_.UpsertDeploymentNodeState(
            {deployment.id, row.node_id, row.digest, row.state, row.progress, row.reason, now});
        if (!status.ok() && first_error.ok()) first_error = status;
      }
      if (it != stored.end()) stored.erase(it);
    }
    for (const auto& [node_id, row] : stored) {
      Status status = store_.DeleteDeploymentNodeState(deployment.id, node_id);
      if (!status.ok() && first_error.ok()) first_error = status;
    }
  }

  // Push the desired sets that changed (always to the node that just said hello).
  std::vector<std::pair<std::shared_ptr<net::WebSocketSession>, std::string>> pushes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [node_id, desired] : plan.desired) {
      auto current = session_by_node_.find(node_id);
      if (current == session_by_node_.end()) continue;
      auto it = sessions_.find(current->second);
      if (it == sessions_.end() || !it->second.hello_seen) continue;
      LinkSession& session = it->second;
      if (session.desired_sent && session.desired == desired && node_id != force_node_id) {
        continue;
      }
      session.desired = desired;
      session.desired_sent = true;
      pushes.emplace_back(session.socket, DesiredModelsMessage(desired));
    }
  }
  for (auto& [socket, text] : pushes) socket->Send(std::move(text));
  return first_error;
}

Status FleetImpl::FollowModelTags(const std::string& org_id) {
  std::lock_guard<std::mutex> lock(reconcile_mu_);
  LOCAI_ASSIGN_OR_RETURN(std::vector<store::Deployment> deployments,
                         store_.ListDeployments(org_id));
  for (auto& deployment : deployments) {
    const size_t colon = deployment.model.rfind(':');
    if (colon == std::string::npos) continue;
    auto tag = store_.GetModelTag(org_id, deployment.model.substr(0, colon),
                                  deployment.model.substr(colon + 1));
    // A deleted tag leaves the deployment on the digest it has (the blob stays referenced).
    if (!tag || tag->digest == deployment.digest) continue;
    deployment.rollout_state =
        std::string(RolloutStateName(StateAfterDigestChange(deployment.digest, tag->digest)));
    deployment.previous_digest = deployment.digest;
    deployment.digest = tag->digest;
    deployment.updated_at = NowMs();
    LOCAI_RETURN_IF_ERROR(store_.UpdateDeployment(deployment));
  }
  return Status::Ok();
}

}  // namespace locai::control::fleet
