// Deployments (docs/control-plane.md, "HTTP API" and "Placement and rollout"): create or update
// by name, list and show with per-node state, delete, roll back. Every change re-plans the
// organisation while holding deployments_mu(), so a change and its plan are not interleaved with
// another's.

#include "control/auth/http_reply.h"
#include "control/fleet/fleet_impl.h"
#include "control/fleet/placement.h"
#include "control/fleet/rollout.h"
#include "crypto/random.h"
#include "net/http/router.h"

namespace locai::control::fleet {
namespace {

constexpr int64_t kDefaultContextLength = 4096;
constexpr int64_t kMaxContextLength = 1 << 20;
constexpr int64_t kMaxParallel = 256;
constexpr int64_t kDefaultCanaryPercent = 10;
constexpr size_t kMaxDeploymentNameBytes = 128;

struct ModelName {
  std::string name;
  std::string tag;
};

// "name[:tag]" (tag "latest" when missing). The registry validates names when tags are created;
// here an unknown name simply finds no tag.
Result<ModelName> SplitModelRef(const std::string& ref) {
  const size_t colon = ref.find(':');
  ModelName model{ref.substr(0, colon),
                  colon == std::string::npos ? "latest" : ref.substr(colon + 1)};
  if (model.name.empty() || model.tag.empty() || model.tag.find(':') != std::string::npos) {
    return Err(Status::InvalidArgument("'model' must be a model reference name[:tag]"));
  }
  return model;
}

Status CheckDeploymentName(const std::string& name) {
  if (name.empty() || name.size() > kMaxDeploymentNameBytes) {
    return Status::InvalidArgument("'name' must be 1 to 128 bytes");
  }
  for (unsigned char c : name) {
    if (c <= 0x20 || c == 0x7f || c == '/') {
      return Status::InvalidArgument("'name' may not hold spaces, control characters or '/'");
    }
  }
  return Status::Ok();
}

Status CheckRange(const char* field, int64_t value, int64_t low, int64_t high) {
  if (value < low || value > high) {
    return Status::InvalidArgument(std::string("'") + field + "' must be between " +
                                   std::to_string(low) + " and " + std::to_string(high));
  }
  return Status::Ok();
}

}  // namespace

Result<store::Deployment> FleetImpl::FindDeployment(const std::string& org_id,
                                                    const std::string& id_or_name) {
  auto by_id = store_.GetDeployment(org_id, id_or_name);
  if (by_id || by_id.error().code() != StatusCode::kNotFound) return by_id;
  auto by_name = store_.GetDeploymentByName(org_id, id_or_name);
  if (!by_name && by_name.error().code() == StatusCode::kNotFound) {
    return Err(Status::NotFound("no deployment " + id_or_name));
  }
  return by_name;
}

Result<store::Deployment> FleetImpl::PutDeployment(const std::string& org_id,
                                                   const std::string& body_text, bool* created) {
  LOCAI_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(body_text));
  LOCAI_ASSIGN_OR_RETURN(std::string model_text, RequiredString(body, "model"));
  LOCAI_ASSIGN_OR_RETURN(ModelName model, SplitModelRef(model_text));
  const std::string ref = model.name + ":" + model.tag;
  LOCAI_ASSIGN_OR_RETURN(std::string name, OptionalString(body, "name", ref));
  LOCAI_RETURN_IF_ERROR(CheckDeploymentName(name));
  auto target_json = body.find("target");
  if (target_json == body.end() || target_json->is_null()) {
    return Err(Status::InvalidArgument("'target' is required"));
  }
  LOCAI_ASSIGN_OR_RETURN(DeploymentTarget target, ParseDeploymentTarget(*target_json));

  auto tag = store_.GetModelTag(org_id, model.name, model.tag);
  if (!tag) {
    if (tag.error().code() == StatusCode::kNotFound) {
      return Err(Status::NotFound("model " + ref + " not found in the registry"));
    }
    return Err(tag.error());
  }
  auto facts = ParseManifestFacts(tag->manifest_json);
  int64_t default_context = kDefaultContextLength;
  if (facts && facts->context_length > 0) {
    default_context = std::min(default_context, facts->context_length);
  }

  std::lock_guard<std::mutex> lock(deployments_mu());
  auto existing = store_.GetDeploymentByName(org_id, name);
  if (!existing && existing.error().code() != StatusCode::kNotFound) return Err(existing.error());
  *created = !existing.has_value();

  store::Deployment deployment;
  if (existing) deployment = *existing;
  const int64_t replicas_fallback = existing ? deployment.replicas : 0;
  const int64_t canary_fallback = existing ? deployment.canary_percent : kDefaultCanaryPercent;
  const int64_t context_fallback = existing ? deployment.context_length : default_context;
  const int64_t parallel_fallback = existing ? deployment.parallel : 1;
  LOCAI_ASSIGN_OR_RETURN(deployment.replicas, OptionalInt(body, "replicas", replicas_fallback));
  LOCAI_ASSIGN_OR_RETURN(deployment.canary_percent,
                         OptionalInt(body, "canary_percent", canary_fallback));
  LOCAI_ASSIGN_OR_RETURN(deployment.context_length,
                         OptionalInt(body, "context_length", context_fallback));
  LOCAI_ASSIGN_OR_RETURN(deployment.parallel, OptionalInt(body, "parallel", parallel_fallback));
  LOCAI_RETURN_IF_ERROR(CheckRange("replicas", deployment.replicas, 0, 100000));
  LOCAI_RETURN_IF_ERROR(CheckRange("canary_percent", deployment.canary_percent, 0, 100));
  LOCAI_RETURN_IF_ERROR(
      CheckRange("context_length", deployment.context_length, 1, kMaxContextLength));
  LOCAI_RETURN_IF_ERROR(CheckRange("parallel", deployment.parallel, 1, kMaxParallel));

  const int64_t now = NowMs();
  deployment.model = ref;
  deployment.target_json = DeploymentTargetToJson(target).dump();
  deployment.updated_at = now;
  if (*created) {
    LOCAI_ASSIGN_OR_RETURN(std::string suffix, crypto::RandomHex(8));
    deployment.id = "d_" + suffix;
    deployment.org_id = org_id;
    deployment.name = name;
    deployment.digest = tag->digest;
    deployment.previous_digest = "";
    deployment.rollout_state = std::string(RolloutStateName(RolloutState::kStable));
    deployment.created_at = now;
    LOCAI_RETURN_IF_ERROR(store_.CreateDeployment(deployment));
  } else {
    if (tag->digest != deployment.digest) {
      // A new model version: canary first (rollout.h).
      deployment.rollout_state =
          std::string(RolloutStateName(StateAfterDigestChange(deployment.digest, tag->digest)));
      deployment.previous_digest = deployment.digest;
      deployment.digest = tag->digest;
    }
    LOCAI_RETURN_IF_ERROR(store_.UpdateDeployment(deployment));
  }
  Status planned = ReconcileLocked(org_id);
  if (!planned.ok()) Log("reconcile after a deployment change failed: " + planned.ToString());
  return store_.GetDeployment(org_id, deployment.id);
}

Result<store::Deployment> FleetImpl::Rollback(const std::string& org_id,
                                              const std::string& id_or_name) {
  std::lock_guard<std::mutex> lock(deployments_mu());
  LOCAI_ASSIGN_OR_RETURN(store::Deployment deployment, FindDeployment(org_id, id_or_name));
  LOCAI_ASSIGN_OR_RETURN(RollbackTarget target,
                         PlanRollback(deployment.digest, deployment.previous_digest));
  deployment.digest = target.digest;
  deployment.previous_digest = target.previous_digest;
  deployment.rollout_state = std::string(RolloutStateName(target.state));
  deployment.updated_at = NowMs();
  LOCAI_RETURN_IF_ERROR(store_.UpdateDeployment(deployment));
  Status planned = ReconcileLocked(org_id);
  if (!planned.ok()) Log("reconcile after a rollback failed: " + planned.ToString());
  return store_.GetDeployment(org_id, deployment.id);
}

Status FleetImpl::DeleteDeployment(const std::string& org_id, const std::string& id_or_name) {
  std::lock_guard<std::mutex> lock(deployments_mu());
  LOCAI_ASSIGN_OR_RETURN(store::Deployment deployment, FindDeployment(org_id, id_or_name));
  LOCAI_RETURN_IF_ERROR(store_.DeleteDeployment(org_id, deployment.id));
  // The model leaves the desired set of its nodes, which unload and delete it.
  Status planned = ReconcileLocked(org_id);
  if (!planned.ok()) Log("reconcile after a deletion failed: " + planned.ToString());
  return Status::Ok();
}

Result<nlohmann::json> FleetImpl::DeploymentJson(const store::Deployment& deployment) {
  LOCAI_ASSIGN_OR_RETURN(std::vector<store::DeploymentNodeState> states,
                         store_.ListDeploymentNodeStates(deployment.id));
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& state : states) {
    std::string node_name;
    if (auto node = store_.GetNode(state.node_id)) node_name = node->name;
    nodes.push_back({{"node_id", state.node_id},
                     {"node_name", node_name},
                     {"digest", state.digest},
                     {"state", state.state},
                     {"progress", state.progress},
                     {"reason", state.reason},
                     {"updated_at", state.updated_at}});
  }
  auto target = nlohmann::json::parse(deployment.target_json, nullptr, false);
  return nlohmann::json{{"id", deployment.id},
                        {"name", deployment.name},
                        {"model", deployment.model},
                        {"digest", deployment.digest},
                        {"previous_digest", deployment.previous_digest},
                        {"target", target.is_discarded() ? nlohmann::json() : target},
                        {"replicas", deployment.replicas},
                        {"canary_percent", deployment.canary_percent},
                        {"context_length", deployment.context_length},
                        {"parallel", deployment.parallel},
                        {"rollout_state", deployment.rollout_state},
                        {"created_at", deployment.created_at},
                        {"updated_at", deployment.updated_at},
                        {"nodes", std::move(nodes)}};
}

Status FleetImpl::RegisterDeploymentRoutes(net::Router& router) {
  using net::HttpRequest;
  using net::ResponseWriter;
  auto reply_deployment = [this](ResponseWriter& w, int status,
                                 const Result<store::Deployment>& deployment) {
    if (!deployment) return ReplyError(w, deployment.error());
    auto json = DeploymentJson(*deployment);
    if (!json) return ReplyError(w, json.error());
    ReplyJson(w, status, *json);
  };
  LOCAI_RETURN_IF_ERROR(router.Add(
      "POST", "/v1/admin/deployments",
      [this, reply_deployment](HttpRequest request, std::shared_ptr<ResponseWriter> w) {
        auto principal = Authorize(request, auth::Role::kDeployer);
        if (!principal) return ReplyError(*w, principal.error());
        bool created = false;
        auto deployment = PutDeployment(principal->org_id, request.body, &created);
        if (deployment) {
          Audit(*principal, created ? "deployment.create" : "deployment.update", deployment->id,
                deployment->name + " " + deployment->model + " " + deployment->digest);
        }
        reply_deployment(*w, created ? 201 : 200, deployment);
      }));
  LOCAI_RETURN_IF_ERROR(
      router.Add("GET", "/v1/admin/deployments",
                 [this](HttpRequest request, std::shared_ptr<ResponseWriter> w) {
                   auto principal = Authorize(request, auth::Role::kDeployer);
                   if (!principal) return ReplyError(*w, principal.error());
                   auto deployments = store_.ListDeployments(principal->org_id);
                   if (!deployments) return ReplyError(*w, deployments.error());
                   nlohmann::json data = nlohmann::json::array();
                   for (const auto& deployment : *deployments) {
                     auto json = DeploymentJson(deployment);
                     if (!json) return ReplyError(*w, json.error());
                     data.push_back(std::move(*json));
                   }
                   ReplyJson(*w, 200, {{"object", "list"}, {"data", std::move(data)}});
                 }));
  LOCAI_RETURN_IF_ERROR(router.Add(
      "GET", "/v1/admin/deployments/{id}",
      [this, reply_deployment](HttpRequest request, std::shared_ptr<ResponseWriter> w) {
        auto principal = Authorize(request, auth::Role::kDeployer);
        if (!principal) return ReplyError(*w, principal.error());
        reply_deployment(*w, 200, FindDeployment(principal->org_id, request.PathParam("id")));
      }));
  LOCAI_RETURN_IF_ERROR(router.Add("DELETE", "/v1/admin/deployments/{id}",
                                   [this](HttpRequest request, std::shared_ptr<ResponseWriter> w) {
                                     auto principal = Authorize(request, auth::Role::kDeployer);
                                     if (!principal) return ReplyError(*w, principal.error());
                                     const std::string id = request.PathParam("id");
                                     Status deleted = DeleteDeployment(principal->org_id, id);
                                     if (!deleted.ok()) return ReplyError(*w, deleted);
                                     Audit(*principal, "deployment.delete", id);
                                     ReplyJson(*w, 200, {{"id", id}, {"deleted", true}});
                                   }));
  return router.Add(
      "POST", "/v1/admin/deployments/{id}/rollback",
      [this, reply_deployment](HttpRequest request, std::shared_ptr<ResponseWriter> w) {
        auto principal = Authorize(request, auth::Role::kDeployer);
        if (!principal) return ReplyError(*w, principal.error());
        auto deployment = Rollback(principal->org_id, request.PathParam("id"));
        if (deployment) {
          Audit(*principal, "deployment.rollback", deployment->id,
                deployment->name + " back to " + deployment->digest);
        }
        reply_deployment(*w, 200, deployment);
      });
}

}  // namespace locai::control::fleet
