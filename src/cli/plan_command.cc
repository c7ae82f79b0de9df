// locai plan show [--org ORG] | plan set --org ORG PLAN: an organisation's plan (its limits) and
// changing it (admins of the default organisation; the change is audited).
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/admin_client.h"
#include "cli/commands.h"

namespace locai::cli {
namespace {

using nlohmann::json;

std::string GB(const json& bytes) {
  if (!bytes.is_number_integer()) return "no limit";
  const int64_t value = bytes.get<int64_t>();
  char text[32];
  std::snprintf(text, sizeof(text), "%.3g GB", static_cast<double>(value) / 1e9);
  return text;
}

void PrintPlan(const json& plan, bool as_json) {
  if (as_json) {
    std::printf("%s\n", plan.dump(2).c_str());
    return;
  }
  const json limits = plan.value("limits", json::object());
  const json nodes = limits.value("nodes", json());
  std::printf("organisation  %s (%s)\n", plan.value("org_name", "").c_str(),
              plan.value("org", "").c_str());
  std::printf("plan          %s (%s)%s\n", plan.value("display_name", "").c_str(),
              plan.value("plan", "").c_str(),
              plan.value("bills_overage", false) ? ", usage billed" : "");
  std::printf("nodes         %s\n", nodes.is_number_integer()
                                        ? std::to_string(nodes.get<int64_t>()).c_str()
                                        : "no limit");
  std::printf("registry      %s\n", GB(limits.value("registry_bytes", json())).c_str());
  std::printf("egress/month  %s\n", GB(limits.value("egress_bytes", json())).c_str());
  std::string available;
  for (const json& name : plan.value("available", json::array())) {
    if (!name.is_string()) continue;
    available += (available.empty() ? "" : ", ") + name.get<std::string>();
  }
  std::printf("plans         %s\n", available.c_str());
}

void ShowPlan(const AdminFlags& flags, const std::string& org) {
  auto client = OrFail(AdminClient::Create(flags));
  std::string path = "/v1/admin/plan";
  if (!org.empty()) path += "?org=" + QueryEscape(org);
  PrintPlan(OrFail(client->Call("GET", path)), flags.json);
}

void SetPlan(const AdminFlags& flags, const std::string& org, const std::string& plan) {
  auto client = OrFail(AdminClient::Create(flags));
  const json changed =
      OrFail(client->Call("PUT", "/v1/admin/plan", json{{"org", org}, {"plan", plan}}));
  PrintPlan(changed, flags.json);
}

}  // namespace

void RegisterPlanCommand(CLI::App& app) {
  auto flags = std::make_shared<AdminFlags>();
  auto org = std::make_shared<std::string>();
  auto plan = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("plan", "Show or change an organisation's plan");
  cmd->require_subcommand(1);
  auto* show = cmd->add_subcommand("show", "Show the plan and its limits");
  AddAdminFlags(show, flags.get());
  show->add_option("--org", *org, "Organisation id or name (default: the key's)");
  show->callback([flags, org] { ShowPlan(*flags, *org); });
  auto* set = cmd->add_subcommand("set", "Put an organisation on a plan (default-org admins)");
  AddAdminFlags(set, flags.get());
  set->add_option("--org", *org, "Organisation id or name")->required();
  set->add_option("PLAN", *plan, "developer, starter, payg, enterprise, ...")->required();
  set->callback([flags, org, plan] { SetPlan(*flags, *org, *plan); });
}

}  // namespace locai::cli
