#include "control/routing_admin/routing_admin.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "control/auth/http_reply.h"
#include "control/routing_admin/egress_journal.h"
#include "control/routing_admin/policy_json.h"

namespace locai::control::routing_admin {
namespace {

using nlohmann::json;
using WriterPtr = std::shared_ptr<net::ResponseWriter>;

// A refusal because of the air-gapped state: 409 with the API's error shape (FailedPrecondition
// alone would be a 400, which reads as a malformed request).
void SendConflict(net::ResponseWriter& writer, const Status& status) {
  net::HttpResponse response = ErrorResponse(status);
  response.status = 409;
  writer.Send(std::move(response));
}

// The store's air-gapped refusals are FailedPrecondition("air-gapped: ..."); anything else goes
// out as its own status.
void SendStoreError(net::ResponseWriter& writer, const Status& status) {
  if (status.code() == StatusCode::kFailedPrecondition) return SendConflict(writer, status);
  SendError(writer, status);
}

// The routes' state, shared by the handlers' closures.
class RoutingAdmin {
 public:
  explicit RoutingAdmin(RoutingAdminContext context) : ctx_(std::move(context)) {}

  void GetPolicy(const net::HttpRequest& request, const WriterPtr& writer);
  void PutPolicy(const net::HttpRequest& request, const WriterPtr& writer);
  void GetKeyPolicy(const net::HttpRequest& request, const WriterPtr& writer);
  void PutKeyPolicy(const net::HttpRequest& request, const WriterPtr& writer);
  void DeleteKeyPolicy(const net::HttpRequest& request, const WriterPtr& writer);
  void ListProviders(const net::HttpRequest& request, const WriterPtr& writer);
  void PutProvider(const net::HttpRequest& request, const WriterPtr& writer);
  void GetProvider(const net::HttpRequest& request, const WriterPtr& writer);
  void DeleteProvider(const net::HttpRequest& request, const WriterPtr& writer);
  void FleetPolicy(const net::HttpRequest& request, const WriterPtr& writer);
  void Egress(const net::HttpRequest& request, const WriterPtr& writer);

 private:
  Result<auth::Principal> Admin(const net::HttpRequest& request) {
    LOCAI_ASSIGN_OR_RETURN(auth::Principal principal, ctx_.authenticator.AuthenticateKey(request));
    LOCAI_RETURN_IF_ERROR(auth::Require(principal, auth::Role::kAdmin));
    return principal;
  }
  // The key `key_id` when it belongs to the admin's organisation; NotFound otherwise (another
  // organisation's key is as absent as an unknown one).
  Status CheckKeyInOrg(const auth::Principal& admin, const std::string& key_id);
  // Why a provider may not be configured for `org_id` now, or OK.
  Status ProvidersAllowed(const std::string& org_id);
  int64_t NowMs() const {
    if (ctx_.now_ms) return ctx_.now_ms();
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  void Audit(const auth::Principal& who, std::string action, std::string target,
             std::string detail) {
    AuditEvent event;
    event.at_ms = NowMs();
    event.org_id = who.org_id;
    event.actor = "key:" + who.key_id;
    event.action = std::move(action);
    event.target = std::move(target);
    event.detail = std::move(detail);
    ctx_.hooks.Audit(event);
  }
  void ProvidersChanged() {
    if (ctx_.providers_changed) ctx_.providers_changed();
  }

  RoutingAdminContext ctx_;
};

Status RoutingAdmin::CheckKeyInOrg(const auth::Principal& admin, const std::string& key_id) {
  auto key = ctx_.store.GetApiKey(key_id);
  if (key && key->org_id == admin.org_id) return Status::Ok();
  if (key || key.error().code() == StatusCode::kNotFound) {
    return Status::NotFound("no API key '" + key_id + "'");
  }
  return key.error();
}

Status RoutingAdmin::ProvidersAllowed(const std::string& org_id) {
  if (ctx_.policies.airgapped()) {
    return Status::PermissionDenied(
        "this server runs air-gapped (--airgapped): cloud providers cannot be configured");
  }
  LOCAI_ASSIGN_OR_RETURN(router::OrgPolicy policy, ctx_.policies.GetOrgPolicy(org_id));
  if (policy.airgapped) {
    return Status::PermissionDenied(
        "the organisation is air-gapped (policy \"airgapped\": true): cloud providers cannot be "
        "configured");
  }
  return Status::Ok();
}

void RoutingAdmin::GetPolicy(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Admin(request);
  if (!who) return SendError(*writer, who.error());
  auto policy = ctx_.policies.GetOrgPolicy(who->org_id);
  if (!policy) return SendError(*writer, policy.error());
  json body = OrgPolicyJson(*policy);
  body["org"] = who->org_id;
  body["server_airgapped"] = ctx_.policies.airgapped();
  writer->Send(JsonResponse(200, body));
}

void RoutingAdmin::PutPolicy(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Admin(request);
  if (!who) return SendError(*writer, who.error());
  auto body = ParseJsonObject(request.body);
  if (!body) return SendError(*writer, body.error());
  auto current = ctx_.policies.GetOrgPolicy(who->org_id);
  if (!current) return SendError(*writer, current.error());
  auto policy = MergeOrgPolicy(*current, *body);
  if (!policy) return SendError(*writer, policy.error());
  // The process's flag shows in every read; lifting it is not the organisation's to do.
  if (ctx_.policies.airgapped() && !policy->airgapped) {
    return SendConflict(*writer, Status::FailedPrecondition(
                                     "this server runs air-gapped (--airgapped): 'airgapped' "
                                     "cannot be turned off"));
  }
  if (current->airgapped && !policy->airgapped && !who->is_platform_admin) {
    return SendError(*writer, Status::PermissionDenied(
                                  "only a platform admin can turn off an organisation's "
                                  "air-gapped mode"));
  }
  if (Status set = ctx_.policies.SetOrgPolicy(who->org_id, *policy); !set.ok()) {
    return SendStoreError(*writer, set);
  }
  auto stored = ctx_.policies.GetOrgPolicy(who->org_id);
  if (!stored) return SendError(*writer, stored.error());
  json reply = OrgPolicyJson(*stored);
  Audit(*who, "policy.set", who->org_id, reply.dump());
  reply["org"] = who->org_id;
  reply["server_airgapped"] = ctx_.policies.airgapped();
  writer->Send(JsonResponse(200, reply));
}

void RoutingAdmin::GetKeyPolicy(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Admin(request);
  if (!who) return SendError(*writer, who.error());
  const std::string key_id = request.PathParam("id");
  if (Status in_org = CheckKeyInOrg(*who, key_id); !in_org.ok()) {
    return SendError(*writer, in_org);
  }
  auto key = ctx_.policies.GetKeyOverride(key_id);
  if (!key) return SendError(*writer, key.error());
  auto effective = ctx_.policies.ResolveForKey(who->org_id, key_id);
  if (!effective) return SendError(*writer, effective.error());
  writer->Send(JsonResponse(200, json{{"key", key_id},
                                      {"override", KeyOverrideJson(*key)},
                                      {"effective", OrgPolicyJson(*effective)}}));
}

void RoutingAdmin::PutKeyPolicy(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Admin(request);
  if (!who) return SendError(*writer, who.error());
  const std::string key_id = request.PathParam("id");
  if (Status in_org = CheckKeyInOrg(*who, key_id); !in_org.ok()) {
    return SendError(*writer, in_org);
  }
  auto body = ParseJsonObject(request.body);
  if (!body) return SendError(*writer, body.error());
  auto key = ParseKeyOverride(*body);
  if (!key) return SendError(*writer, key.error());
  if (Status set = ctx_.policies.SetKeyOverride(who->org_id, key_id, *key); !set.ok()) {
    return SendStoreError(*writer, set);
  }
  auto effective = ctx_.policies.ResolveForKey(who->org_id, key_id);
  if (!effective) return SendError(*writer, effective.error());
  const json override_json = KeyOverrideJson(*key);
  Audit(*who, "key.policy.set", key_id, override_json.dump());
  writer->Send(JsonResponse(200, json{{"key", key_id},
                                      {"override", override_json},
                                      {"effective", OrgPolicyJson(*effective)}}));
}

void RoutingAdmin::DeleteKeyPolicy(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Admin(request);
  if (!who) return SendError(*writer, who.error());
  const std::string key_id = request.PathParam("id");
  if (Status in_org = CheckKeyInOrg(*who, key_id); !in_org.ok()) {
    return SendError(*writer, in_org);
  }
  if (Status removed = ctx_.policies.DeleteKeyOverride(key_id); !removed.ok()) {
    return SendError(*writer, removed);
  }
  Audit(*who, "key.policy.delete", key_id, "");
  writer->Send(JsonResponse(200, json{{"key", key_id}, {"override", nullptr}}));
}

void RoutingAdmin::ListProviders(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Admin(request);
  if (!who) return SendError(*writer, who.error());
  auto providers = ctx_.policies.ListProviders(who->org_id);
  if (!providers) return SendError(*writer, providers.error());
  json data = json::array();
  for (const router::ProviderInfo& provider : *providers) data.push_back(ProviderInfoJson(provider));
  writer->Send(JsonResponse(200, json{{"object", "list"}, {"data", std::move(data)}}));
}

void RoutingAdmin::PutProvider(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Admin(request);
  if (!who) return SendError(*writer, who.error());
  if (Status allowed = ProvidersAllowed(who->org_id); !allowed.ok()) {
    return SendError(*writer, allowed);
  }
  auto body = ParseJsonObject(request.body);
  if (!body) return SendError(*writer, body.error());
  auto provider = ParseProvider(*body);
  if (!provider) return SendError(*writer, provider.error());
  if (Status put = ctx_.policies.PutProvider(who->org_id, *provider); !put.ok()) {
    return SendStoreError(*writer, put);
  }
  ProvidersChanged();
  const router::ProviderInfo info = router::ToProviderInfo(*provider);
  // Never the key: kind and URL only.
  Audit(*who, "provider.put", info.name,
        "kind=" + std::string(router::ProviderKindName(info.kind)) + " base_url=" + info.base_url);
  writer->Send(JsonResponse(201, ProviderInfoJson(info)));
}

void RoutingAdmin::GetProvider(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Admin(request);
  if (!who) return SendError(*writer, who.error());
  auto provider = ctx_.policies.GetProvider(who->org_id, request.PathParam("name"));
  if (!provider) return SendError(*writer, provider.error());
  writer->Send(JsonResponse(200, ProviderInfoJson(router::ToProviderInfo(*provider))));
}

void RoutingAdmin::DeleteProvider(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Admin(request);
  if (!who) return SendError(*writer, who.error());
  const std::string name = request.PathParam("name");
  if (Status removed = ctx_.policies.DeleteProvider(who->org_id, name); !removed.ok()) {
    return SendError(*writer, removed);
  }
  ProvidersChanged();
  Audit(*who, "provider.delete", name, "");
  writer->Send(JsonResponse(200, json{{"name", name}, {"deleted", true}}));
}

void RoutingAdmin::FleetPolicy(const net::HttpRequest& request, const WriterPtr& writer) {
  auto node = ctx_.authenticator.AuthenticateNode(request, NowMs() / 1000);
  if (!node) return SendError(*writer, node.error());
  auto policy = ctx_.policies.GetOrgPolicy(node->org_id);
  if (!policy) return SendError(*writer, policy.error());
  writer->Send(JsonResponse(200, json{{"policy", std::string(router::DataPolicyName(policy->policy))},
                                      {"airgapped", policy->airgapped}}));
}

void RoutingAdmin::Egress(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Admin(request);
  if (!who) return SendError(*writer, who.error());
  // The journal is the whole server's (every organisation's providers): platform admins only.
  if (Status platform = auth::RequirePlatformAdmin(*who); !platform.ok()) {
    return SendError(*writer, platform);
  }
  EgressJournal journal;
  if (!ctx_.egress_journal_path.empty()) {
    auto read = ReadEgressJournal(ctx_.egress_journal_path);
    if (!read) return SendError(*writer, read.error());
    journal = std::move(*read);
  }
  // The newest `limit` attempts (default 1000); the totals count them all.
  size_t limit = 1000;
  if (auto text = request.QueryParam("limit")) {
    char* end = nullptr;
    const unsigned long long value = std::strtoull(text->c_str(), &end, 10);
    if (text->empty() || *end != '\0' || value == 0) {
      return SendError(*writer, Status::InvalidArgument("'limit' must be a positive integer"));
    }
    limit = static_cast<size_t>(std::min<unsigned long long>(value, 1'000'000));
  }
  json entries = json::array();
  uint64_t allowed = 0;
  const size_t first = journal.entries.size() > limit ? journal.entries.size() - limit : 0;
  for (size_t i = 0; i < journal.entries.size(); ++i) {
    if (i >= first) entries.push_back(EgressEntryJson(journal.entries[i]));
    if (journal.entries[i].allowed) ++allowed;
  }
  json destinations = json::array();
  for (const EgressDestination& destination : SummariseEgress(journal.entries)) {
    destinations.push_back(EgressDestinationJson(destination));
  }
  const uint64_t attempts = journal.entries.size();
  writer->Send(JsonResponse(200, json{{"path", ctx_.egress_journal_path},
                                      {"airgapped", ctx_.policies.airgapped()},
                                      {"data", std::move(entries)},
                                      {"destinations", std::move(destinations)},
                                      {"totals",
                                       {{"attempts", attempts},
                                        {"allowed", allowed},
                                        {"denied", attempts - allowed},
                                        {"malformed_lines", journal.malformed_lines}}}}));
}

}  // namespace

Status RegisterRoutingAdminRoutes(net::Router& router, RoutingAdminContext context) {
  auto routes = std::make_shared<RoutingAdmin>(std::move(context));
  using Method = void (RoutingAdmin::*)(const net::HttpRequest&, const WriterPtr&);
  auto add = [&](const char* method, const char* pattern, Method handler) {
    return router.Add(method, pattern, [routes, handler](net::HttpRequest request,
                                                         WriterPtr writer) {
      ((*routes).*handler)(request, writer);
    });
  };
  LOCAI_RETURN_IF_ERROR(add("GET", "/v1/admin/policy", &RoutingAdmin::GetPolicy));
  LOCAI_RETURN_IF_ERROR(add("PUT", "/v1/admin/policy", &RoutingAdmin::PutPolicy));
  LOCAI_RETURN_IF_ERROR(add("GET", "/v1/admin/keys/{id}/policy", &RoutingAdmin::GetKeyPolicy));
  LOCAI_RETURN_IF_ERROR(add("PUT", "/v1/admin/keys/{id}/policy", &RoutingAdmin::PutKeyPolicy));
  LOCAI_RETURN_IF_ERROR(
      add("DELETE", "/v1/admin/keys/{id}/policy", &RoutingAdmin::DeleteKeyPolicy));
  LOCAI_RETURN_IF_ERROR(add("GET", "/v1/admin/providers", &RoutingAdmin::ListProviders));
  LOCAI_RETURN_IF_ERROR(add("POST", "/v1/admin/providers", &RoutingAdmin::PutProvider));
  LOCAI_RETURN_IF_ERROR(add("GET", "/v1/admin/providers/{name}", &RoutingAdmin::GetProvider));
  LOCAI_RETURN_IF_ERROR(
      add("DELETE", "/v1/admin/providers/{name}", &RoutingAdmin::DeleteProvider));
  LOCAI_RETURN_IF_ERROR(add("GET", "/v1/fleet/policy", &RoutingAdmin::FleetPolicy));
  LOCAI_RETURN_IF_ERROR(add("GET", "/v1/admin/egress", &RoutingAdmin::Egress));
  return Status::Ok();
}

}  // namespace locai::control::routing_admin
