// locai deploy MODEL --to TARGET | deploy rollback NAME | deployments ls | deployments rm NAME:
// desired state for the fleet (docs/control-plane.md, "Placement and rollout").
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/admin_client.h"
#include "cli/commands.h"

namespace locai::cli {
namespace {

using nlohmann::json;

struct DeployFlags {
  std::string model;
  std::string to = "all";
  std::string name;
  int replicas = 0;
  int canary_percent = -1;
  int64_t context_length = 0;
  int parallel = 0;
};

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return parts;
}

// "all" | "group=NAME" | "nodes=ID,ID" | "KEY=VALUE[,KEY=VALUE]" (labels).
Result<json> ParseTarget(const std::string& to) {
  if (to == "all") return json{{"all", true}};
  const size_t eq = to.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == to.size()) {
    return Err(Status::InvalidArgument(
        "--to '" + to + "' is not all, group=NAME, nodes=ID,ID or KEY=VALUE[,KEY=VALUE]"));
  }
  const std::string key = to.substr(0, eq);
  const std::string value = to.substr(eq + 1);
  if (key == "group") return json{{"group", value}};
  if (key == "nodes") return json{{"nodes", Split(value, ',')}};
  json labels = json::object();
  for (const auto& pair : Split(to, ',')) {
    const size_t at = pair.find('=');
    if (at == std::string::npos || at == 0) {
      return Err(Status::InvalidArgument("label selector '" + pair + "' is not KEY=VALUE"));
    }
    labels[pair.substr(0, at)] = pair.substr(at + 1);
  }
  return json{{"labels", labels}};
}

std::string NodeState(const json& node) {
  std::string state = JsonString(node, "state");
  if (state == "downloading") {
    state += " " + std::to_string(static_cast<int>(node.value("progress", 0.0) * 100.0)) + "%";
  }
  const std::string reason = JsonString(node, "reason");
  if (!reason.empty()) state += ": " + reason;
  return state;
}

void Deploy(const AdminFlags& flags, const DeployFlags& d) {
  json body = {{"model", d.model}, {"target", OrFail(ParseTarget(d.to))}};
  if (!d.name.empty()) body["name"] = d.name;
  if (d.replicas > 0) body["replicas"] = d.replicas;
  if (d.canary_percent >= 0) body["canary_percent"] = d.canary_percent;
  if (d.context_length > 0) body["context_length"] = d.context_length;
  if (d.parallel > 0) body["parallel"] = d.parallel;
  auto client = OrFail(AdminClient::Create(flags));
  json deployment = OrFail(client->Call("POST", "/v1/admin/deployments", body));
  if (flags.json) {
    std::printf("%s\n", deployment.dump(2).c_str());
    return;
  }
  std::printf("deployment %s: %s (%s) to %s\n", JsonString(deployment, "name").c_str(),
              JsonString(deployment, "model").c_str(), JsonString(deployment, "digest").substr(0, 19).c_str(),
              d.to.c_str());
  std::vector<std::vector<std::string>> rows = {{"NODE", "STATE"}};
  for (const auto& node : deployment.value("nodes", json::array())) {
    rows.push_back({JsonString(node, "node_name").empty() ? JsonString(node, "node_id") : JsonString(node, "node_name"),
                    NodeState(node)});
  }
  if (rows.size() > 1) PrintTable(rows);
}

void Rollback(const AdminFlags& flags, const std::string& name) {
  auto client = OrFail(AdminClient::Create(flags));
  json deployment =
      OrFail(client->Call("POST", "/v1/admin/deployments/" + name + "/rollback", json::object()));
  std::printf("deployment %s rolled back to %s\n", JsonString(deployment, "name").c_str(),
              JsonString(deployment, "digest").substr(0, 19).c_str());
}

void ListDeployments(const AdminFlags& flags) {
  auto client = OrFail(AdminClient::Create(flags));
  json list = OrFail(client->Call("GET", "/v1/admin/deployments"));
  if (flags.json) {
    std::printf("%s\n", list.dump(2).c_str());
    return;
  }
  std::vector<std::vector<std::string>> rows = {{"DEPLOYMENT", "MODEL", "DIGEST", "TARGET",
                                                 "ROLLOUT", "NODE", "STATE"}};
  const json data = list.is_array() ? list : list.value("data", json::array());
  for (const auto& deployment : data) {
    const json nodes = deployment.value("nodes", json::array());
    std::vector<std::string> head = {JsonString(deployment, "name"), JsonString(deployment, "model"),
                                     JsonString(deployment, "digest").substr(0, 19),
                                     deployment.value("target", json::object()).dump(),
                                     JsonString(deployment, "rollout_state")};
    if (nodes.empty()) {
      head.push_back("-");
      head.push_back("no node targeted");
      rows.push_back(head);
    }
    bool first = true;
    for (const auto& node : nodes) {
      std::vector<std::string> row = first ? head : std::vector<std::string>(5, "");
      row.push_back(JsonString(node, "node_name").empty() ? JsonString(node, "node_id") : JsonString(node, "node_name"));
      row.push_back(NodeState(node));
      rows.push_back(row);
      first = false;
    }
  }
  PrintTable(rows);
}

void RemoveDeployment(const AdminFlags& flags, const std::string& name) {
  auto client = OrFail(AdminClient::Create(flags));
  OrFail(client->Call("DELETE", "/v1/admin/deployments/" + name));
  std::printf("deleted deployment %s: its nodes unload and delete the model\n", name.c_str());
}

}  // namespace

void RegisterDeployCommand(CLI::App& app) {
  auto flags = std::make_shared<AdminFlags>();
  auto d = std::make_shared<DeployFlags>();
  auto* cmd = app.add_subcommand("deploy", "Deploy a registry model to the devices that can hold it");
  AddAdminFlags(cmd, flags.get());
  cmd->add_option("MODEL", d->model, "Model reference NAME:TAG");
  cmd->add_option("--to", d->to, "all | group=NAME | nodes=ID,ID | KEY=VALUE[,KEY=VALUE]")
      ->capture_default_str();
  cmd->add_option("--name", d->name, "Deployment name (default: the model name)");
  cmd->add_option("--replicas", d->replicas, "Nodes to place it on (default: every target)");
  cmd->add_option("--canary", d->canary_percent,
                  "Share of nodes (percent) that get a new version first");
  cmd->add_option("--ctx", d->context_length, "Context length per sequence on the nodes");
  cmd->add_option("--parallel", d->parallel, "Sequences generated at once per node");
  auto name = std::make_shared<std::string>();
  auto* rollback = cmd->add_subcommand("rollback", "Go back to the deployment's previous version");
  AddAdminFlags(rollback, flags.get());
  rollback->add_option("NAME", *name, "Deployment name or id")->required();
  rollback->callback([flags, name] { Rollback(*flags, *name); });
  cmd->require_subcommand(0, 1);
  cmd->callback([flags, d, rollback] {
    if (rollback->parsed()) return;
    if (d->model.empty()) Fail(Status::InvalidArgument("MODEL is required"), 2);
    Deploy(*flags, *d);
  });

  auto* deployments = app.add_subcommand("deployments", "List or delete deployments");
  deployments->require_subcommand(1);
  auto* ls = deployments->add_subcommand("ls", "Deployments with the state of each node");
  AddAdminFlags(ls, flags.get());
  ls->callback([flags] { ListDeployments(*flags); });
  auto* rm = deployments->add_subcommand("rm", "Delete a deployment");
  AddAdminFlags(rm, flags.get());
  rm->add_option("NAME", *name, "Deployment name or id")->required();
  rm->callback([flags, name] { RemoveDeployment(*flags, *name); });
}

}  // namespace locai::cli
