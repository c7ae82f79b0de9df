// locai nodes ls | show | label | revoke | token create | token ls | token revoke: the device
// fleet, through the control plane's admin API (docs/control-plane.md).
#include <cstdio>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/admin_client.h"
#include "cli/commands.h"
#include "cli/progress_bar.h"

namespace locai::cli {
namespace {

using nlohmann::json;

// "12s ago", "3m ago", "never".
std::string Ago(int64_t ms) {
  if (ms <= 0) return "never";
  const int64_t seconds = std::time(nullptr) - ms / 1000;
  if (seconds < 60) return std::to_string(std::max<int64_t>(seconds, 0)) + "s ago";
  if (seconds < 3600) return std::to_string(seconds / 60) + "m ago";
  if (seconds < 86400) return std::to_string(seconds / 3600) + "h ago";
  return std::to_string(seconds / 86400) + "d ago";
}

std::string Labels(const json& node) {
  std::string out;
  const json labels = node.value("labels", json::object());
  if (!labels.is_object()) return out;
  for (const auto& [key, value] : labels.items()) {
    out += (out.empty() ? "" : ",") + key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

std::string Capabilities(const json& node) {
  const json caps = node.value("capabilities", json::object());
  if (!caps.is_object() || caps.empty()) return "";
  std::string out = std::to_string(JsonI64(caps, "cores")) + " cores, " +
                    HumanBytes(static_cast<uint64_t>(JsonI64(caps, "ram_free"))) + " free of " +
                    HumanBytes(static_cast<uint64_t>(JsonI64(caps, "ram_total")));
  const json simd = caps.value("simd", json::array());
  if (simd.is_array() && !simd.empty()) {
    out += ", ";
    for (size_t i = 0; i < simd.size(); ++i) out += (i ? "/" : "") + simd[i].get<std::string>();
  }
  return out;
}

std::string Models(const json& node) {
  std::string out;
  const json models = node.value("models", json::array());
  if (!models.is_array()) return out;
  for (const auto& model : models) {
    std::string name = model.contains("names") && model["names"].is_array() && !model["names"].empty()
                           ? model["names"][0].get<std::string>()
                           : JsonString(model, "digest").substr(0, 19);
    std::string state = JsonString(model, "state");
    if (state == "downloading") {
      state += " " + std::to_string(static_cast<int>(model.value("progress", 0.0) * 100)) + "%";
    }
    out += (out.empty() ? "" : ", ") + name + " (" + state + ")";
  }
  return out;
}

json DataOf(const json& list) {
  if (list.is_array()) return list;
  return list.value("data", json::array());
}

void ListNodes(const AdminFlags& flags) {
  auto client = OrFail(AdminClient::Create(flags));
  json list = OrFail(client->Call("GET", "/v1/admin/nodes"));
  if (flags.json) {
    std::printf("%s\n", list.dump(2).c_str());
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"ID", "NAME", "STATUS", "GROUP", "LABELS", "LAST SEEN", "CAPABILITIES", "MODELS"}};
  for (const auto& node : DataOf(list)) {
    rows.push_back({JsonString(node, "id"), JsonString(node, "name"), JsonString(node, "status"), JsonString(node, "group"),
                    Labels(node), Ago(JsonI64(node, "last_seen_at")), Capabilities(node),
                    Models(node)});
  }
  PrintTable(rows);
}

void ShowNode(const AdminFlags& flags, const std::string& id) {
  auto client = OrFail(AdminClient::Create(flags));
  json node = OrFail(client->Call("GET", "/v1/admin/nodes/" + id));
  std::printf("%s\n", node.dump(2).c_str());
}

void LabelNode(const AdminFlags& flags, const std::string& id,
               const std::vector<std::string>& assignments, const std::vector<std::string>& remove,
               const std::string& group) {
  json set = json::object();
  for (const auto& assignment : assignments) {
    const size_t eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) {
      Fail(Status::InvalidArgument("label '" + assignment + "' is not KEY=VALUE"), 2);
    }
    set[assignment.substr(0, eq)] = assignment.substr(eq + 1);
  }
  json body = {{"set", set}, {"remove", remove}};
  if (!group.empty()) body["group"] = group;
  auto client = OrFail(AdminClient::Create(flags));
  json node = OrFail(client->Call("POST", "/v1/admin/nodes/" + id + "/labels", body));
  if (flags.json) {
    std::printf("%s\n", node.dump(2).c_str());
  } else {
    std::printf("%s: group=%s labels=%s\n", id.c_str(), JsonString(node, "group").c_str(),
                Labels(node).c_str());
  }
}

void RevokeNode(const AdminFlags& flags, const std::string& id) {
  auto client = OrFail(AdminClient::Create(flags));
  OrFail(client->Call("POST", "/v1/admin/nodes/" + id + "/revoke", json::object()));
  std::printf("revoked node %s: its connection is closed and its credential refused\n", id.c_str());
}

// "90s", "15m", "1h", "7d" -> seconds.
Result<int64_t> ParseDuration(const std::string& text) {
  if (text.empty()) return Err(Status::InvalidArgument("empty duration"));
  size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (...) {
    return Err(Status::InvalidArgument("duration '" + text + "' is not like 90s, 15m, 1h or 7d"));
  }
  const std::string unit = text.substr(used);
  int64_t scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  if (unit == "m") scale = 60;
  if (unit == "h") scale = 3600;
  if (unit == "d") scale = 86400;
  if (scale == 0 || value <= 0) {
    return Err(Status::InvalidArgument("duration '" + text + "' is not like 90s, 15m, 1h or 7d"));
  }
  return value * scale;
}

void CreateToken(const AdminFlags& flags, const std::string& group, const std::string& ttl,
                 int uses) {
  const int64_t ttl_seconds = OrFail(ParseDuration(ttl));
  if (uses < 1) Fail(Status::InvalidArgument("--uses must be at least 1"), 2);
  json body = {{"ttl_seconds", ttl_seconds}, {"uses", uses}};
  if (!group.empty()) body["group"] = group;
  auto client = OrFail(AdminClient::Create(flags));
  json token = OrFail(client->Call("POST", "/v1/admin/join-tokens", body));
  if (flags.json) {
    std::printf("%s\n", token.dump(2).c_str());
    return;
  }
  std::printf("%s\n", JsonString(token, "token").c_str());
  std::fprintf(stderr,
               "join token %s: %d use(s), expires in %s%s. It is shown only now. On a device:\n"
               "  locai node --join %s --token %s\n",
               JsonString(token, "id").c_str(), uses, ttl.c_str(),
               group.empty() ? "" : (", group " + group).c_str(), client->server().c_str(),
               JsonString(token, "token").c_str());
}

void ListTokens(const AdminFlags& flags) {
  auto client = OrFail(AdminClient::Create(flags));
  json list = OrFail(client->Call("GET", "/v1/admin/join-tokens"));
  if (flags.json) {
    std::printf("%s\n", list.dump(2).c_str());
    return;
  }
  std::vector<std::vector<std::string>> rows = {{"ID", "GROUP", "USES LEFT", "EXPIRES"}};
  for (const auto& token : DataOf(list)) {
    const int64_t expires = JsonI64(token, "expires_at") / 1000;
    char when[32] = "";
    std::tm tm{};
    const std::time_t t = static_cast<std::time_t>(expires);
    gmtime_r(&t, &tm);
    std::strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    rows.push_back({JsonString(token, "id"), JsonString(token, "group"), std::to_string(JsonI64(token, "uses_left")),
                    when});
  }
  PrintTable(rows);
}

void RevokeToken(const AdminFlags& flags, const std::string& id) {
  auto client = OrFail(AdminClient::Create(flags));
  OrFail(client->Call("DELETE", "/v1/admin/join-tokens/" + id));
  std::printf("revoked join token %s\n", id.c_str());
}

}  // namespace

void RegisterNodesCommand(CLI::App& app) {
  auto flags = std::make_shared<AdminFlags>();
  auto* cmd = app.add_subcommand("nodes", "Manage the device fleet of a control plane");
  cmd->require_subcommand(1);

  auto* ls = cmd->add_subcommand("ls", "List nodes: status, group, labels, capabilities, models");
  AddAdminFlags(ls, flags.get());
  ls->callback([flags] { ListNodes(*flags); });

  auto id = std::make_shared<std::string>();
  auto* show = cmd->add_subcommand("show", "Show one node as JSON");
  AddAdminFlags(show, flags.get());
  show->add_option("ID", *id, "Node id")->required();
  show->callback([flags, id] { ShowNode(*flags, *id); });

  auto assignments = std::make_shared<std::vector<std::string>>();
  auto remove = std::make_shared<std::vector<std::string>>();
  auto group = std::make_shared<std::string>();
  auto* label = cmd->add_subcommand("label", "Set labels (KEY=VALUE...) or the group of a node");
  AddAdminFlags(label, flags.get());
  label->add_option("ID", *id, "Node id")->required();
  label->add_option("LABELS", *assignments, "KEY=VALUE labels to set");
  label->add_option("--remove", *remove, "Label keys to remove");
  label->add_option("--group", *group, "Move the node to this group");
  label->callback([flags, id, assignments, remove, group] {
    LabelNode(*flags, *id, *assignments, *remove, *group);
  });

  auto* revoke = cmd->add_subcommand("revoke", "Cut a node off and refuse its credential");
  AddAdminFlags(revoke, flags.get());
  revoke->add_option("ID", *id, "Node id")->required();
  revoke->callback([flags, id] { RevokeNode(*flags, *id); });

  auto* token = cmd->add_subcommand("token", "Join tokens for enrolling devices");
  token->require_subcommand(1);
  auto ttl = std::make_shared<std::string>("1h");
  auto uses = std::make_shared<int>(1);
  auto* create = token->add_subcommand("create", "Create a join token (printed once)");
  AddAdminFlags(create, flags.get());
  create->add_option("--group", *group, "Group the enrolled nodes join");
  create->add_option("--ttl", *ttl, "Validity: 90s, 15m, 1h, 7d")->capture_default_str();
  create->add_option("--uses", *uses, "Enrolments allowed")->capture_default_str();
  create->callback([flags, group, ttl, uses] { CreateToken(*flags, *group, *ttl, *uses); });
  auto* tls = token->add_subcommand("ls", "List join tokens");
  AddAdminFlags(tls, flags.get());
  tls->callback([flags] { ListTokens(*flags); });
  auto* trevoke = token->add_subcommand("revoke", "Revoke a join token");
  AddAdminFlags(trevoke, flags.get());
  trevoke->add_option("ID", *id, "Token id")->required();
  trevoke->callback([flags, id] { RevokeToken(*flags, *id); });
}

}  // namespace locai::cli
