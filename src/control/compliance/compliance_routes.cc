// The usage, plan and audit admin routes (docs/control-plane.md, "Plans, usage and the audit
// log"):
//   GET /v1/admin/usage?month=YYYY-MM[&org=ID|NAME][&format=text]    admin
//   GET /v1/admin/plan[?org=ID|NAME]                                  admin
//   PUT /v1/admin/plan {org?, plan}                                   admin of the default org
//   GET /v1/admin/audit/verify                                        admin
//   GET /v1/admin/audit/export?since=MS[&format=jsonl]                admin
// and the audit settings (audit_settings_routes.h).
// Another organisation (org=) only for the default organisation's admins. The audit log is the
// server's: verify checks the whole chain; an export gives a platform admin every record and
// another admin only the records of its own organisation.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "control/auth/authenticator.h"
#include "control/auth/http_reply.h"
#include "control/compliance/admin_target.h"
#include "control/compliance/audit_settings_routes.h"
#include "control/compliance/compliance.h"
#include "control/compliance/plan_limit_reply.h"
#include "control/metering/calendar.h"
#include "net/http/router.h"

namespace locai::control::compliance {
namespace {

using nlohmann::json;

json LimitJson(const std::optional<int64_t>& limit) { return limit ? json(*limit) : json(nullptr); }

json PlanJson(const OrgPlan& plan, const metering::PlanCatalog& catalog) {
  json available = json::array();
  for (const metering::Plan& entry : catalog.plans()) available.push_back(entry.name);
  return json{{"org", plan.org.id},
              {"org_name", plan.org.name},
              {"plan", plan.plan.name},
              {"display_name", plan.plan.display_name},
              {"bills_overage", plan.plan.bills_overage},
              {"limits",
               {{"nodes", LimitJson(plan.plan.max_nodes)},
                {"registry_bytes", LimitJson(plan.plan.max_registry_bytes)},
                {"egress_bytes", LimitJson(plan.plan.max_egress_bytes)}}},
              {"started_at", plan.started_ms},
              {"available", available}};
}

json VerifyJson(const audit::VerifyReport& report) {
  return json{{"ok", report.ok},
              {"records_checked", report.records_checked},
              {"first_seq", report.first_seq},
              {"last_seq", report.last_seq},
              {"head_seq", report.head_seq},
              {"problem", report.problem},
              {"first_bad_seq", report.first_bad_seq},
              {"message", report.message}};
}

Result<int64_t> ParseMillis(const std::string& text) {
  if (text.empty() || text.size() > 18) {
    return Err(Status::InvalidArgument("'since' must be Unix milliseconds"));
  }
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return Err(Status::InvalidArgument("'since' must be Unix milliseconds"));
    value = value * 10 + (c - '0');
  }
  return value;
}

class Routes : public std::enable_shared_from_this<Routes> {
 public:
  Routes(Compliance& compliance, auth::Authenticator& authenticator)
      : compliance_(compliance), auth_(authenticator) {}

  Status Register(net::Router& router) {
    LOCAI_RETURN_IF_ERROR(router.Add("GET", "/v1/admin/usage", Bind(&Routes::Usage)));
    LOCAI_RETURN_IF_ERROR(router.Add("GET", "/v1/admin/plan", Bind(&Routes::GetPlan)));
    LOCAI_RETURN_IF_ERROR(router.Add("PUT", "/v1/admin/plan", Bind(&Routes::PutPlan)));
    LOCAI_RETURN_IF_ERROR(router.Add("GET", "/v1/admin/audit/verify", Bind(&Routes::Verify)));
    return router.Add("GET", "/v1/admin/audit/export", Bind(&Routes::Export));
  }

 private:
  using Method = Result<net::HttpResponse> (Routes::*)(const net::HttpRequest&);

  net::Handler Bind(Method method) { return BindRoute(shared_from_this(), method); }

  Result<auth::Principal> Admin(const net::HttpRequest& request) {
    return RequireAdmin(auth_, request);
  }

  Result<std::string> TargetOrg(const auth::Principal& who, const std::string& requested) {
    return compliance::TargetOrg(compliance_.store(), who, requested);
  }

  Result<net::HttpResponse> Usage(const net::HttpRequest& request) {
    LOCAI_ASSIGN_OR_RETURN(auth::Principal who, Admin(request));
    LOCAI_ASSIGN_OR_RETURN(std::string org, TargetOrg(who, request.QueryParam("org").value_or("")));
    const std::string month =
        request.QueryParam("month").value_or(metering::MonthKey(compliance_.NowMs()));
    if (auto parsed = metering::ParseMonth(month); !parsed) return Err(parsed.error());
    const std::string format = request.QueryParam("format").value_or("json");
    if (format != "json" && format != "text") {
      return Err(Status::InvalidArgument("'format' must be json or text"));
    }
    LOCAI_ASSIGN_OR_RETURN(std::string report,
                           compliance_.UsageReport(org, month, format == "text"));
    if (format == "text") return net::HttpResponse::Text(200, std::move(report));
    return net::HttpResponse::Json(200, std::move(report));
  }

  Result<net::HttpResponse> GetPlan(const net::HttpRequest& request) {
    LOCAI_ASSIGN_OR_RETURN(auth::Principal who, Admin(request));
    LOCAI_ASSIGN_OR_RETURN(std::string org, TargetOrg(who, request.QueryParam("org").value_or("")));
    LOCAI_ASSIGN_OR_RETURN(OrgPlan plan, compliance_.PlanFor(org));
    return JsonResponse(200, PlanJson(plan, compliance_.catalog()));
  }

  Result<net::HttpResponse> PutPlan(const net::HttpRequest& request) {
    LOCAI_ASSIGN_OR_RETURN(auth::Principal who, Admin(request));
    LOCAI_RETURN_IF_ERROR(auth::RequirePlatformAdmin(who));
    LOCAI_ASSIGN_OR_RETURN(json body, ParseJsonObject(request.body));
    LOCAI_ASSIGN_OR_RETURN(std::string requested, OptionalString(body, "org", ""));
    LOCAI_ASSIGN_OR_RETURN(std::string plan_name, RequiredString(body, "plan"));
    LOCAI_ASSIGN_OR_RETURN(std::string org, TargetOrg(who, requested));
    LOCAI_ASSIGN_OR_RETURN(OrgPlan before, compliance_.PlanFor(org));
    LOCAI_ASSIGN_OR_RETURN(OrgPlan after, compliance_.SetPlan(org, plan_name));
    if (before.org.plan != after.org.plan) {
      audit::AuditEvent event;
      event.kind = "admin";
      event.action = "plan.update";
      event.org = org;
      event.actor_key_id = who.key_id;
      event.target = org;
      event.details_json = json{{"from", before.org.plan}, {"to", after.org.plan}}.dump();
      if (auto appended = compliance_.AppendAudit(event); !appended) {
        compliance_.Log("audit: could not record plan.update of " + org + ": " +
                        appended.error().ToString());
      }
    }
    return JsonResponse(200, PlanJson(after, compliance_.catalog()));
  }

  Result<net::HttpResponse> Verify(const net::HttpRequest& request) {
    if (auto who = Admin(request); !who) return Err(who.error());
    LOCAI_ASSIGN_OR_RETURN(audit::VerifyReport report, compliance_.audit_log().Verify());
    return JsonResponse(200, VerifyJson(report));
  }

  Result<net::HttpResponse> Export(const net::HttpRequest& request) {
    LOCAI_ASSIGN_OR_RETURN(auth::Principal who, Admin(request));
    LOCAI_ASSIGN_OR_RETURN(int64_t since, ParseMillis(request.QueryParam("since").value_or("0")));
    const std::string format = request.QueryParam("format").value_or("jsonl");
    std::string body;
    LOCAI_RETURN_IF_ERROR(
        compliance_.audit_log().Export(since, format, [&](std::string_view line) -> Status {
          if (!who.is_platform_admin) {
            const json record = json::parse(line, nullptr, /*allow_exceptions=*/false);
            if (!record.is_object() || record.value("org", std::string()) != who.org_id) {
              return Status::Ok();
            }
          }
          body.append(line);
          if (body.empty() || body.back() != '\n') body.push_back('\n');
          return Status::Ok();
        }));
    net::HttpResponse response;
    response.status = 200;
    response.headers.Set("Content-Type", "application/x-ndjson");
    response.body = std::move(body);
    return response;
  }

  Compliance& compliance_;
  auth::Authenticator& auth_;
};

}  // namespace

Status Compliance::RegisterRoutes(net::Router& router, auth::Authenticator& authenticator) {
  LOCAI_RETURN_IF_ERROR(std::make_shared<Routes>(*this, authenticator)->Register(router));
  return RegisterAuditSettingsRoutes(*this, router, authenticator);
}

}  // namespace locai::control::compliance
