// locai policy show|set|clear: the routing policy of the caller's organisation, or one API key's
// override of it (docs/control-plane.md, "Routing policy, providers and egress"; admin role).
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/admin_client.h"
#include "cli/commands.h"

namespace locai::cli {
namespace {

using nlohmann::json;

struct PolicyFlags {
  std::string key;  // --key ID: that key's override
  std::string policy;
  std::optional<int64_t> max_queue_wait_ms;
  std::vector<std::string> cloud_models;  // "local=provider/model"
  bool no_cloud_models = false;
  std::string pii;
};

std::string KeyPath(const std::string& key) { return "/v1/admin/keys/" + QueryEscape(key) + "/policy"; }

void PrintPolicy(const json& policy, const char* indent) {
  std::printf("%spolicy:            %s\n", indent, JsonString(policy, "policy").c_str());
  std::printf("%smax queue wait:    %lld ms\n", indent,
              static_cast<long long>(JsonI64(policy, "max_queue_wait_ms")));
  std::printf("%spii action:        %s\n", indent, JsonString(policy, "pii_action").c_str());
  std::printf("%sair-gapped:        %s\n", indent,
              policy.value("airgapped", false) ? "yes" : "no");
  const json models = policy.value("cloud_models", json::object());
  if (!models.is_object() || models.empty()) {
    std::printf("%scloud models:      none (nothing goes to a cloud provider)\n", indent);
    return;
  }
  std::printf("%scloud models:\n", indent);
  for (const auto& [local, target] : models.items()) {
    std::printf("%s  %s -> %s\n", indent, local.c_str(),
                target.is_string() ? target.get<std::string>().c_str() : target.dump().c_str());
  }
}

void Show(const AdminFlags& flags, const PolicyFlags& p) {
  auto client = OrFail(AdminClient::Create(flags));
  const json reply = OrFail(client->Call("GET", p.key.empty() ? "/v1/admin/policy" : KeyPath(p.key)));
  if (flags.json) {
    std::printf("%s\n", reply.dump(2).c_str());
    return;
  }
  if (p.key.empty()) {
    std::printf("organisation %s\n", JsonString(reply, "org").c_str());
    PrintPolicy(reply, "  ");
    if (reply.value("server_airgapped", false)) {
      std::printf("  (the server runs with --airgapped: no cloud provider, ever)\n");
    }
    return;
  }
  const json override_json = reply.value("override", json());
  std::printf("key %s override: %s\n", p.key.c_str(),
              override_json.is_object() && !override_json.empty() ? override_json.dump().c_str()
                                                                  : "none");
  std::printf("in force for this key:\n");
  PrintPolicy(reply.value("effective", json::object()), "  ");
}

void Set(const AdminFlags& flags, const PolicyFlags& p) {
  json body = json::object();
  if (!p.policy.empty()) body["policy"] = p.policy;
  if (p.max_queue_wait_ms) body["max_queue_wait_ms"] = *p.max_queue_wait_ms;
  if (!p.pii.empty()) body["pii_action"] = p.pii;
  if (!p.cloud_models.empty() || p.no_cloud_models) {
    if (!p.key.empty()) {
      Fail(Status::InvalidArgument("--cloud-model is the organisation's: leave out --key"), 2);
    }
    json models = json::object();
    for (const std::string& entry : p.cloud_models) {
      const size_t eq = entry.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == entry.size()) {
        Fail(Status::InvalidArgument("--cloud-model wants LOCAL=PROVIDER/MODEL, got '" + entry +
                                     "'"),
             2);
      }
      models[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    body["cloud_models"] = std::move(models);
  }
  if (body.empty()) {
    Fail(Status::InvalidArgument(
             "nothing to set: give --policy, --max-queue-wait-ms, --pii or --cloud-model"),
         2);
  }
  auto client = OrFail(AdminClient::Create(flags));
  json reply;
  if (p.key.empty()) {
    reply = OrFail(client->Call("PUT", "/v1/admin/policy", body));
  } else {
    // The override is replaced as a whole: keep the fields this command does not name.
    const json current = OrFail(client->Call("GET", KeyPath(p.key)));
    json merged = current.value("override", json());
    if (!merged.is_object()) merged = json::object();
    merged.update(body);
    reply = OrFail(client->Call("PUT", KeyPath(p.key), merged));
  }
  if (flags.json) {
    std::printf("%s\n", reply.dump(2).c_str());
    return;
  }
  if (p.key.empty()) {
    std::printf("policy of organisation %s set\n", JsonString(reply, "org").c_str());
    PrintPolicy(reply, "  ");
  } else {
    std::printf("policy override of key %s set\n", p.key.c_str());
    PrintPolicy(reply.value("effective", json::object()), "  ");
  }
}

void Clear(const AdminFlags& flags, const std::string& key) {
  auto client = OrFail(AdminClient::Create(flags));
  OrFail(client->Call("DELETE", KeyPath(key)));
  std::printf("key %s follows its organisation's policy again\n", key.c_str());
}

}  // namespace

void RegisterPolicyCommand(CLI::App& app) {
  auto flags = std::make_shared<AdminFlags>();
  auto p = std::make_shared<PolicyFlags>();
  auto* cmd = app.add_subcommand(
      "policy", "Show or set where requests may run: local, onprem or hybrid (admin)");
  cmd->require_subcommand(1);

  auto* show = cmd->add_subcommand("show", "Show the organisation's routing policy, or a key's");
  AddAdminFlags(show, flags.get());
  show->add_option("--key", p->key, "API key id: its override and the policy in force for it");
  show->callback([flags, p] { Show(*flags, *p); });

  auto* set = cmd->add_subcommand(
      "set", "Change the organisation's routing policy (or a key's override); fields not given "
             "keep their values");
  AddAdminFlags(set, flags.get());
  set->add_option("--key", p->key, "API key id: set that key's override instead");
  set->add_option("--policy", p->policy,
                  "local (this device only) | onprem (the organisation's devices, never a cloud) "
                  "| hybrid (devices first, then a cloud provider)")
      ->check(CLI::IsMember({"local", "onprem", "hybrid"}));
  set->add_option("--max-queue-wait-ms", p->max_queue_wait_ms,
                  "Longest wait for a device before failing (or, hybrid, falling back to the "
                  "cloud), 0-600000")
      ->check(CLI::Range(int64_t{0}, int64_t{600'000}));
  set->add_option("--cloud-model", p->cloud_models,
                  "LOCAL=PROVIDER/MODEL: a local model that may go to that cloud model under "
                  "hybrid (repeatable; replaces the whole map; organisation only)");
  set->add_flag("--no-cloud-models", p->no_cloud_models,
                "Clear the cloud model map (no model leaves the devices)");
  set->add_option("--pii", p->pii,
                  "What the PII guard does before a cloud call: block | redact | allow")
      ->check(CLI::IsMember({"block", "redact", "allow"}));
  set->callback([flags, p] { Set(*flags, *p); });

  auto* clear = cmd->add_subcommand("clear", "Remove a key's override");
  AddAdminFlags(clear, flags.get());
  clear->add_option("--key", p->key, "API key id")->required();
  clear->callback([flags, p] { Clear(*flags, p->key); });
}

}  // namespace locai::cli
