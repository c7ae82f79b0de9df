#include "control/compliance/audit_settings_routes.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "control/auth/http_reply.h"
#include "control/compliance/admin_target.h"
#include "control/compliance/plan_limit_reply.h"

namespace locai::control::compliance {
namespace {

using nlohmann::json;

json CaptureJson(const std::string& org_id, const PromptCaptureSetting& setting) {
  return json{{"org", org_id},
              {"enabled", setting.enabled},
              {"retention_days", setting.retention_days},
              {"updated_at", setting.updated_ms}};
}

class AuditSettingsRoutes : public std::enable_shared_from_this<AuditSettingsRoutes> {
 public:
  AuditSettingsRoutes(Compliance& compliance, auth::Authenticator& authenticator)
      : compliance_(compliance), auth_(authenticator) {}

  Status Register(net::Router& router) {
    LOCAI_RETURN_IF_ERROR(router.Add("GET", "/v1/admin/audit/prompt-capture",
                                     Bind(&AuditSettingsRoutes::GetCapture)));
    LOCAI_RETURN_IF_ERROR(router.Add("PUT", "/v1/admin/audit/prompt-capture",
                                     Bind(&AuditSettingsRoutes::PutCapture)));
    LOCAI_RETURN_IF_ERROR(
        router.Add("GET", "/v1/admin/audit/retention", Bind(&AuditSettingsRoutes::GetRetention)));
    return router.Add("PUT", "/v1/admin/audit/retention", Bind(&AuditSettingsRoutes::PutRetention));
  }

 private:
  using Method = Result<net::HttpResponse> (AuditSettingsRoutes::*)(const net::HttpRequest&);

  net::Handler Bind(Method method) { return BindRoute(shared_from_this(), method); }

  Result<auth::Principal> Admin(const net::HttpRequest& request) {
    return RequireAdmin(auth_, request);
  }

  void AuditChange(const auth::Principal& who, const std::string& org, const std::string& action,
                   const json& details) {
    audit::AuditEvent event;
    event.kind = "admin";
    event.action = action;
    event.org = org;
    event.actor_key_id = who.key_id;
    event.target = org;
    event.details_json = details.dump();
    if (auto appended = compliance_.AppendAudit(event); !appended) {
      compliance_.Log("audit: could not record " + action + " of " + org + ": " +
                      appended.error().ToString());
    }
  }

  Result<net::HttpResponse> GetCapture(const net::HttpRequest& request) {
    LOCAI_ASSIGN_OR_RETURN(auth::Principal who, Admin(request));
    LOCAI_ASSIGN_OR_RETURN(std::string org, TargetOrg(compliance_.store(), who,
                                                      request.QueryParam("org").value_or("")));
    LOCAI_ASSIGN_OR_RETURN(PromptCaptureSetting setting, compliance_.settings().PromptCapture(org));
    return JsonResponse(200, CaptureJson(org, setting));
  }

  Result<net::HttpResponse> PutCapture(const net::HttpRequest& request) {
    LOCAI_ASSIGN_OR_RETURN(auth::Principal who, Admin(request));
    LOCAI_ASSIGN_OR_RETURN(json body, ParseJsonObject(request.body));
    LOCAI_ASSIGN_OR_RETURN(std::string requested, OptionalString(body, "org", ""));
    LOCAI_ASSIGN_OR_RETURN(std::string org, TargetOrg(compliance_.store(), who, requested));
    if (!body.contains("enabled") || !body["enabled"].is_boolean()) {
      return Err(Status::InvalidArgument("'enabled' must be true or false"));
    }
    const bool enabled = body["enabled"].get<bool>();
    std::optional<int64_t> days;
    if (body.contains("retention_days") && !body["retention_days"].is_null()) {
      if (!body["retention_days"].is_number_integer()) {
        return Err(Status::InvalidArgument("'retention_days' must be a whole number of days"));
      }
      days = body["retention_days"].get<int64_t>();
    }
    LOCAI_ASSIGN_OR_RETURN(PromptCaptureSetting before, compliance_.settings().PromptCapture(org));
    LOCAI_ASSIGN_OR_RETURN(
        PromptCaptureSetting after,
        compliance_.settings().SetPromptCapture(org, enabled, days, compliance_.NowMs()));
    AuditChange(who, org, "audit.prompt_capture.set",
                json{{"enabled", after.enabled},
                     {"retention_days", after.retention_days},
                     {"was_enabled", before.enabled},
                     {"was_retention_days", before.retention_days}});
    return JsonResponse(200, CaptureJson(org, after));
  }

  Result<net::HttpResponse> GetRetention(const net::HttpRequest& request) {
    if (auto who = Admin(request); !who) return Err(who.error());
    LOCAI_ASSIGN_OR_RETURN(int64_t days, compliance_.settings().AuditRetentionDays());
    return JsonResponse(200, json{{"days", days}});
  }

  Result<net::HttpResponse> PutRetention(const net::HttpRequest& request) {
    LOCAI_ASSIGN_OR_RETURN(auth::Principal who, Admin(request));
    LOCAI_RETURN_IF_ERROR(auth::RequirePlatformAdmin(who));
    LOCAI_ASSIGN_OR_RETURN(json body, ParseJsonObject(request.body));
    if (!body.contains("days") || !body["days"].is_number_integer()) {
      return Err(Status::InvalidArgument("'days' must be a whole number of days"));
    }
    const int64_t days = body["days"].get<int64_t>();
    LOCAI_ASSIGN_OR_RETURN(int64_t before, compliance_.settings().AuditRetentionDays());
    LOCAI_RETURN_IF_ERROR(compliance_.settings().SetAuditRetentionDays(days));
    AuditChange(who, who.org_id, "audit.retention.set", json{{"days", days}, {"was_days", before}});
    return JsonResponse(200, json{{"days", days}});
  }

  Compliance& compliance_;
  auth::Authenticator& auth_;
};

}  // namespace

Status RegisterAuditSettingsRoutes(Compliance& compliance, net::Router& router,
                                   auth::Authenticator& authenticator) {
  return std::make_shared<AuditSettingsRoutes>(compliance, authenticator)->Register(router);
}

}  // namespace locai::control::compliance
