// locai keys create | ls | revoke: API keys of the caller's organisation (admin role).
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

void CreateKey(const AdminFlags& flags, const std::string& name, const std::string& role) {
  if (role != "admin" && role != "deployer" && role != "inference") {
    Fail(Status::InvalidArgument("--role must be admin, deployer or inference"), 2);
  }
  auto client = OrFail(AdminClient::Create(flags));
  json key = OrFail(client->Call("POST", "/v1/admin/keys", json{{"name", name}, {"role", role}}));
  if (flags.json) {
    std::printf("%s\n", key.dump(2).c_str());
    return;
  }
  std::printf("%s\n", JsonString(key, "key").c_str());
  std::fprintf(stderr, "API key %s (%s, role %s). It is shown only now; store it safely.\n",
               JsonString(key, "id").c_str(), name.c_str(), role.c_str());
}

void ListKeys(const AdminFlags& flags) {
  auto client = OrFail(AdminClient::Create(flags));
  json list = OrFail(client->Call("GET", "/v1/admin/keys"));
  if (flags.json) {
    std::printf("%s\n", list.dump(2).c_str());
    return;
  }
  std::vector<std::vector<std::string>> rows = {{"ID", "NAME", "ROLE", "STATUS"}};
  const json data = list.is_array() ? list : list.value("data", json::array());
  for (const auto& key : data) {
    const bool revoked = key.value("revoked_at", json(0)).is_number() &&
                         key.value("revoked_at", json(0)).get<int64_t>() > 0;
    rows.push_back({JsonString(key, "id"), JsonString(key, "name"), JsonString(key, "role"),
                    revoked ? "revoked" : "active"});
  }
  PrintTable(rows);
}

void RevokeKey(const AdminFlags& flags, const std::string& id) {
  auto client = OrFail(AdminClient::Create(flags));
  OrFail(client->Call("DELETE", "/v1/admin/keys/" + id));
  std::printf("revoked API key %s\n", id.c_str());
}

}  // namespace

void RegisterKeysCommand(CLI::App& app) {
  auto flags = std::make_shared<AdminFlags>();
  auto* cmd = app.add_subcommand("keys", "Manage API keys of your organisation");
  cmd->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  auto role = std::make_shared<std::string>("inference");
  auto* create = cmd->add_subcommand("create", "Create an API key (printed once)");
  AddAdminFlags(create, flags.get());
  create->add_option("--name", *name, "What the key is for")->required();
  create->add_option("--role", *role, "admin | deployer | inference")->capture_default_str();
  create->callback([flags, name, role] { CreateKey(*flags, *name, *role); });
  auto* ls = cmd->add_subcommand("ls", "List API keys (never their secrets)");
  AddAdminFlags(ls, flags.get());
  ls->callback([flags] { ListKeys(*flags); });
  auto* revoke = cmd->add_subcommand("revoke", "Revoke an API key");
  AddAdminFlags(revoke, flags.get());
  revoke->add_option("ID", *name, "Key id")->required();
  revoke->callback([flags, name] { RevokeKey(*flags, *name); });
}

}  // namespace locai::cli
