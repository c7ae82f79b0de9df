#include "control/admin/admin_routes.h"

#include <string>
#include <utility>

#include "control/auth/api_key.h"
#include "control/auth/http_reply.h"
#include "control/auth/join_token.h"
#include "crypto/random.h"

namespace locai::control::admin {
namespace {

nlohmann::json OrgJson(const store::Org& org) {
  return {{"id", org.id}, {"name", org.name}, {"plan", org.plan}, {"created_at", org.created_at}};
}

nlohmann::json KeyJson(const store::ApiKey& key) {
  nlohmann::json json = {{"id", key.id},         {"name", key.name},
                         {"role", key.role},     {"org", key.org_id},
                         {"created_at", key.created_at}, {"revoked_at", nullptr}};
  if (key.revoked_at) json["revoked_at"] = *key.revoked_at;
  return json;
}

nlohmann::json TokenJson(const store::JoinToken& token) {
  return {{"id", token.id},
          {"org", token.org_id},
          {"group", token.group},
          {"expires_at", token.expires_at},
          {"uses_left", token.uses_left},
          {"created_at", token.created_at},
          {"revoked", token.revoked}};
}

nlohmann::json List(nlohmann::json data) {
  return {{"object", "list"}, {"data", std::move(data)}};
}

bool ValidOrgName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

AdminRoutes::AdminRoutes(store::Store& store, auth::Authenticator& authenticator,
                         ControlHooks hooks, AdminOptions options)
    : store_(store), auth_(authenticator), hooks_(std::move(hooks)), options_(std::move(options)) {}

Status AdminRoutes::RegisterRoutes(net::Router& router) {
  using Method = void (AdminRoutes::*)(const net::HttpRequest&, const WriterPtr&);
  auto add = [&](const char* method, const char* pattern, Method handler) {
    return router.Add(method, pattern, [this, handler](net::HttpRequest request, WriterPtr writer) {
      (this->*handler)(request, writer);
    });
  };
  LOCAI_RETURN_IF_ERROR(add("POST", "/v1/admin/orgs", &AdminRoutes::CreateOrg));
  LOCAI_RETURN_IF_ERROR(add("GET", "/v1/admin/orgs", &AdminRoutes::ListOrgs));
  LOCAI_RETURN_IF_ERROR(add("POST", "/v1/admin/keys", &AdminRoutes::CreateKey));
  LOCAI_RETURN_IF_ERROR(add("GET", "/v1/admin/keys", &AdminRoutes::ListKeys));
  LOCAI_RETURN_IF_ERROR(add("DELETE", "/v1/admin/keys/{id}", &AdminRoutes::RevokeKey));
  LOCAI_RETURN_IF_ERROR(add("POST", "/v1/admin/join-tokens", &AdminRoutes::CreateJoinToken));
  LOCAI_RETURN_IF_ERROR(add("GET", "/v1/admin/join-tokens", &AdminRoutes::ListJoinTokens));
  LOCAI_RETURN_IF_ERROR(
      add("DELETE", "/v1/admin/join-tokens/{id}", &AdminRoutes::RevokeJoinToken));
  return Status::Ok();
}

int64_t AdminRoutes::NowMs() const { return NowMsOr(options_.now_ms); }

void AdminRoutes::Audit(const auth::Principal& who, std::string action, std::string target) {
  hooks_.Audit(KeyAuditEvent(NowMs(), who.org_id, who.key_id, std::move(action), std::move(target)));
}

Result<auth::Principal> AdminRoutes::Admin(const net::HttpRequest& request) {
  LOCAI_ASSIGN_OR_RETURN(auth::Principal principal, auth_.AuthenticateKey(request));
  LOCAI_RETURN_IF_ERROR(auth::Require(principal, auth::Role::kAdmin));
  return principal;
}

Result<std::string> AdminRoutes::TargetOrg(const auth::Principal& admin,
                                           const std::string& requested) {
  if (requested.empty() || requested == admin.org_id) return admin.org_id;
  LOCAI_RETURN_IF_ERROR(auth::RequirePlatformAdmin(admin));
  auto by_id = store_.GetOrg(requested);
  if (by_id) return by_id->id;
  auto by_name = store_.FindOrgByName(requested);
  if (by_name) return by_name->id;
  if (by_name.error().code() == StatusCode::kNotFound) {
    return Err(Status::NotFound("no organisation '" + requested + "'"));
  }
  return Err(by_name.error());
}

void AdminRoutes::CreateOrg(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Admin(request);
  if (!who) return SendError(*writer, who.error());
  if (Status platform = auth::RequirePlatformAdmin(*who); !platform.ok()) {
    return SendError(*writer, platform);
  }
  auto body = ParseJsonObject(request.body);
  if (!body) return SendError(*writer, body.error());
  auto name = RequiredString(*body, "name");
  if (!name) return SendError(*writer, name.error());
  if (!ValidOrgName(*name)) {
    return SendError(*writer, Status::InvalidArgument(
                                  "'name' must be 1 to 64 of a-z 0-9 - _"));
  }
  auto plan = OptionalString(*body, "plan", "free");
  if (!plan) return SendError(*writer, plan.error());
  auto id = crypto::RandomHex(8);
  if (!id) return SendError(*writer, id.error());
  store::Org org{"org_" + *id, *name, *plan, NowMs()};
  if (Status created = store_.CreateOrg(org); !created.ok()) {
    if (created.code() == StatusCode::kAlreadyExists) {
      return SendError(*writer, Status::AlreadyExists("organisation '" + *name + "' exists"));
    }
    return SendError(*writer, created);
  }
  Audit(*who, "admin.org.create", org.id);
  writer->Send(JsonResponse(201, OrgJson(org)));
}

void AdminRoutes::ListOrgs(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Admin(request);
  if (!who) return SendError(*writer, who.error());
  if (Status platform = auth::RequirePlatformAdmin(*who); !platform.ok()) {
    return SendError(*writer, platform);
  }
  auto orgs = store_.ListOrgs();
  if (!orgs) return SendError(*writer, orgs.error());
  nlohmann::json data = nlohmann::json::array();
  for (const auto& org : *orgs) data.push_back(OrgJson(org));
  writer->Send(JsonResponse(200, List(std::move(data))));
}

void AdminRoutes::CreateKey(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Admin(request);
  if (!who) return SendError(*writer, who.error());
  auto body = ParseJsonObject(request.body);
  if (!body) return SendError(*writer, body.error());
  auto name = RequiredString(*body, "name");
  if (!name) return SendError(*writer, name.error());
  auto role_name = OptionalString(*body, "role", "inference");
  if (!role_name) return SendError(*writer, role_name.error());
  auto role = auth::ParseRole(*role_name);
  if (!role) {
    return SendError(*writer, Status::InvalidArgument(
                                  "'role' must be one of admin, deployer, inference"));
  }
  auto org_field = OptionalString(*body, "org", "");
  if (!org_field) return SendError(*writer, org_field.error());
  auto org = TargetOrg(*who, *org_field);
  if (!org) return SendError(*writer, org.error());
  auto created = auth::CreateApiKey(store_, *org, *name, *role, NowMs());
  if (!created) return SendError(*writer, created.error());
  Audit(*who, "admin.key.create", created->record.id);
  nlohmann::json json = KeyJson(created->record);
  json["key"] = created->key;
  writer->Send(JsonResponse(201, json));
}

void AdminRoutes::ListKeys(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Admin(request);
  if (!who) return SendError(*writer, who.error());
  auto org = TargetOrg(*who, request.QueryParam("org").value_or(""));
  if (!org) return SendError(*writer, org.error());
  auto keys = store_.ListApiKeys(*org);
  if (!keys) return SendError(*writer, keys.error());
  nlohmann::json data = nlohmann::json::array();
  for (const auto& key : *keys) data.push_back(KeyJson(key));
  writer->Send(JsonResponse(200, List(std::move(data))));
}

void AdminRoutes::RevokeKey(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Admin(request);
  if (!who) return SendError(*writer, who.error());
  const std::string id = request.PathParam("id");
  auto key = store_.GetApiKey(id);
  // Another organisation's key is as absent as an unknown one, unless a platform admin asks.
  if (!key || (key->org_id != who->org_id && !who->is_platform_admin)) {
    if (key || key.error().code() == StatusCode::kNotFound) {
      return SendError(*writer, Status::NotFound("no API key '" + id + "'"));
    }
    return SendError(*writer, key.error());
  }
  if (Status revoked = store_.RevokeApiKey(key->org_id, id, NowMs()); !revoked.ok()) {
    return SendError(*writer, revoked);
  }
  auth_.InvalidateKey(id);
  Audit(*who, "admin.key.revoke", id);
  auto after = store_.GetApiKey(id);
  writer->Send(JsonResponse(200, KeyJson(after ? *after : *key)));
}

void AdminRoutes::CreateJoinToken(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Admin(request);
  if (!who) return SendError(*writer, who.error());
  auto body = ParseJsonObject(request.body);
  if (!body) return SendError(*writer, body.error());
  auth::JoinTokenSpec spec;
  auto group = OptionalString(*body, "group", spec.group);
  if (!group) return SendError(*writer, group.error());
  auto ttl = OptionalInt(*body, "ttl_seconds", spec.ttl_seconds);
  if (!ttl) return SendError(*writer, ttl.error());
  auto uses = OptionalInt(*body, "uses", spec.uses);
  if (!uses) return SendError(*writer, uses.error());
  auto org_field = OptionalString(*body, "org", "");
  if (!org_field) return SendError(*writer, org_field.error());
  auto org = TargetOrg(*who, *org_field);
  if (!org) return SendError(*writer, org.error());
  spec.group = *group;
  spec.ttl_seconds = *ttl;
  spec.uses = *uses;
  auto created = auth::CreateJoinToken(store_, *org, spec, options_.ca_fingerprint, NowMs());
  if (!created) return SendError(*writer, created.error());
  Audit(*who, "admin.join_token.create", created->record.id);
  nlohmann::json json = TokenJson(created->record);
  json["token"] = created->token;
  writer->Send(JsonResponse(201, json));
}

void AdminRoutes::ListJoinTokens(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Admin(request);
  if (!who) return SendError(*writer, who.error());
  auto org = TargetOrg(*who, request.QueryParam("org").value_or(""));
  if (!org) return SendError(*writer, org.error());
  auto tokens = store_.ListJoinTokens(*org);
  if (!tokens) return SendError(*writer, tokens.error());
  nlohmann::json data = nlohmann::json::array();
  for (const auto& token : *tokens) data.push_back(TokenJson(token));
  writer->Send(JsonResponse(200, List(std::move(data))));
}

void AdminRoutes::RevokeJoinToken(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Admin(request);
  if (!who) return SendError(*writer, who.error());
  const std::string id = request.PathParam("id");
  auto token = store_.GetJoinToken(id);
  if (!token || (token->org_id != who->org_id && !who->is_platform_admin)) {
    if (token || token.error().code() == StatusCode::kNotFound) {
      return SendError(*writer, Status::NotFound("no join token '" + id + "'"));
    }
    return SendError(*writer, token.error());
  }
  if (Status revoked = store_.RevokeJoinToken(token->org_id, id); !revoked.ok()) {
    return SendError(*writer, revoked);
  }
  Audit(*who, "admin.join_token.revoke", id);
  token->revoked = true;
  writer->Send(JsonResponse(200, TokenJson(*token)));
}

}  // namespace locai::control::admin
