// Node administration: list and show nodes (admin, deployer), set labels and group, revoke
// (admin). A node of another organisation is 404, as one that does not exist.

#include "control/auth/http_reply.h"
#include "control/fleet/fleet_impl.h"
#include "net/http/router.h"

namespace locai::control::fleet {
namespace {

constexpr size_t kMaxLabelKeyBytes = 63;
constexpr size_t kMaxLabelValueBytes = 256;
constexpr size_t kMaxGroupBytes = 128;

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

Status CheckLabelKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxLabelKeyBytes) {
    return Status::InvalidArgument("label keys must be 1 to 63 bytes");
  }
  for (char c : key) {
    if (!IsNameChar(c) && c != '/') {
      return Status::InvalidArgument("label key \"" + key + "\" may hold only [A-Za-z0-9._/-]");
    }
  }
  return Status::Ok();
}

Status CheckLabelValue(const std::string& key, const std::string& value) {
  if (value.size() > kMaxLabelValueBytes) {
    return Status::InvalidArgument("label " + key + " is longer than 256 bytes");
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("label " + key + " holds a control character");
    }
  }
  return Status::Ok();
}

Status CheckGroup(const std::string& group) {
  if (group.empty() || group.size() > kMaxGroupBytes) {
    return Status::InvalidArgument("group must be 1 to 128 bytes");
  }
  for (char c : group) {
    if (!IsNameChar(c)) return Status::InvalidArgument("group may hold only [A-Za-z0-9._-]");
  }
  return Status::Ok();
}

nlohmann::json ParsedOr(const std::string& text, nlohmann::json fallback) {
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  return parsed.is_discarded() ? fallback : parsed;
}

}  // namespace

nlohmann::json FleetImpl::NodeJson(const store::Node& node) const {
  std::string status = node.status;
  int64_t last_seen = node.last_seen_at;
  if (!node.revoked_at.has_value()) LiveStatus(node.id, &status, &last_seen);
  nlohmann::json json = {
      {"id", node.id},
      {"name", node.name},
      {"org", node.org_id},
      {"group", node.group},
      {"labels", node.labels},
      {"status", status},
      {"enrolled_at", node.enrolled_at},
      {"last_seen_at", last_seen},
      {"capabilities", ParsedOr(node.capabilities_json, nlohmann::json::object())},
      {"models", ParsedOr(node.models_json, nlohmann::json::array())}};
  json["revoked_at"] = node.revoked_at ? nlohmann::json(*node.revoked_at) : nlohmann::json();
  return json;
}

Result<store::Node> FleetImpl::GetOrgNode(const std::string& org_id, const std::string& id) {
  auto node = store_.GetNode(id);
  if (!node || node->org_id != org_id) {
    if (node || node.error().code() == StatusCode::kNotFound) {
      return Err(Status::NotFound("no node " + id));
    }
    return Err(node.error());
  }
  return node;
}

Result<auth::Principal> FleetImpl::Authorize(const net::HttpRequest& request, auth::Role role) {
  LOCAI_ASSIGN_OR_RETURN(auth::Principal principal, auth_.AuthenticateKey(request));
  LOCAI_RETURN_IF_ERROR(auth::Require(principal, role));
  return principal;
}

Status FleetImpl::RegisterNodeRoutes(net::Router& router) {
  using net::HttpRequest;
  using net::ResponseWriter;
  LOCAI_RETURN_IF_ERROR(router.Add(
      "GET", "/v1/admin/nodes", [this](HttpRequest request, std::shared_ptr<ResponseWriter> w) {
        auto principal = Authorize(request, auth::Role::kDeployer);
        if (!principal) return ReplyError(*w, principal.error());
        auto nodes = store_.ListNodes(principal->org_id);
        if (!nodes) return ReplyError(*w, nodes.error());
        nlohmann::json data = nlohmann::json::array();
        for (const auto& node : *nodes) data.push_back(NodeJson(node));
        ReplyJson(*w, 200, {{"object", "list"}, {"data", std::move(data)}});
      }));
  LOCAI_RETURN_IF_ERROR(router.Add("GET", "/v1/admin/nodes/{id}",
                                   [this](HttpRequest request, std::shared_ptr<ResponseWriter> w) {
                                     auto principal = Authorize(request, auth::Role::kDeployer);
                                     if (!principal) return ReplyError(*w, principal.error());
                                     auto node =
                                         GetOrgNode(principal->org_id, request.PathParam("id"));
                                     if (!node) return ReplyError(*w, node.error());
                                     ReplyJson(*w, 200, NodeJson(*node));
                                   }));
  LOCAI_RETURN_IF_ERROR(router.Add("POST", "/v1/admin/nodes/{id}/labels",
                                   [this](HttpRequest request, std::shared_ptr<ResponseWriter> w) {
                                     auto principal = Authorize(request, auth::Role::kAdmin);
                                     if (!principal) return ReplyError(*w, principal.error());
                                     auto node = UpdateLabels(
                                         principal->org_id, request.PathParam("id"), request.body);
                                     if (!node) return ReplyError(*w, node.error());
                                     Audit(*principal, "node.label", node->id, request.body);
                                     ReplyJson(*w, 200, NodeJson(*node));
                                   }));
  return router.Add("POST", "/v1/admin/nodes/{id}/revoke",
                    [this](HttpRequest request, std::shared_ptr<ResponseWriter> w) {
                      auto principal = Authorize(request, auth::Role::kAdmin);
                      if (!principal) return ReplyError(*w, principal.error());
                      const std::string id = request.PathParam("id");
                      auto node = GetOrgNode(principal->org_id, id);
                      if (!node) return ReplyError(*w, node.error());
                      Status revoked = store_.RevokeNode(principal->org_id, id, NowMs());
                      if (!revoked.ok()) return ReplyError(*w, revoked);
                      // Refused from now on by the Authenticator; the open link is told and closed
                      // at once.
                      DisconnectRevoked(id, "the node was revoked by an administrator");
                      Audit(*principal, "node.revoke", id);
                      ReconcileOrLog(principal->org_id);
                      auto updated = GetOrgNode(principal->org_id, id);
                      if (!updated) return ReplyError(*w, updated.error());
                      ReplyJson(*w, 200, NodeJson(*updated));
                    });
}

Result<store::Node> FleetImpl::UpdateLabels(const std::string& org_id, const std::string& id,
                                            const std::string& body_text) {
  LOCAI_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(body_text));
  std::map<std::string, std::string> set;
  std::vector<std::string> remove;
  std::optional<std::string> group;
  if (auto it = body.find("set"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return Err(Status::InvalidArgument("'set' must be an object"));
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string()) {
        return Err(Status::InvalidArgument("label " + key + " must be a string"));
      }
      LOCAI_RETURN_IF_ERROR(CheckLabelKey(key));
      LOCAI_RETURN_IF_ERROR(CheckLabelValue(key, value.get<std::string>()));
      set[key] = value.get<std::string>();
    }
  }
  if (auto it = body.find("remove"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return Err(Status::InvalidArgument("'remove' must be an array"));
    for (const auto& key : *it) {
      if (!key.is_string()) return Err(Status::InvalidArgument("'remove' must hold strings"));
      remove.push_back(key.get<std::string>());
    }
  }
  if (auto it = body.find("group"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) return Err(Status::InvalidArgument("'group' must be a string"));
    LOCAI_RETURN_IF_ERROR(CheckGroup(it->get<std::string>()));
    group = it->get<std::string>();
  }
  if (auto existing = GetOrgNode(org_id, id); !existing) return Err(existing.error());
  LOCAI_ASSIGN_OR_RETURN(store::Node node, store_.UpdateNodeLabels(org_id, id, set, remove, group));
  RefreshRouting(node);
  // Labels and group decide placement: re-plan, pushing desired_models where it changed.
  ReconcileOrLog(org_id);
  return node;
}

}  // namespace locai::control::fleet
