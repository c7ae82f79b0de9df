// locai providers add|ls|show|rm: the cloud providers a hybrid policy may fall back to (admin).
// The provider's API key is sent once and never shown again; an air-gapped server refuses
// providers altogether.
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/admin_client.h"
#include "cli/commands.h"

namespace locai::cli {
namespace {

using nlohmann::json;

struct ProviderFlags {
  std::string name;
  std::string kind;
  std::string base_url;
  std::string api_key;
  std::string api_key_file;
  std::vector<std::string> models;
};

// The key in `path`, without surrounding whitespace (a trailing newline is usual).
std::string ReadKeyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) Fail(Status::NotFound("cannot read --api-key-file " + path), 2);
  std::stringstream text;
  text << in.rdbuf();
  std::string key = text.str();
  const size_t begin = key.find_first_not_of(" \t\r\n");
  const size_t end = key.find_last_not_of(" \t\r\n");
  return begin == std::string::npos ? "" : key.substr(begin, end - begin + 1);
}

std::string Models(const json& provider) {
  const json models = provider.value("models", json::array());
  if (!models.is_array() || models.empty()) return "any";
  std::string out;
  for (const json& model : models) {
    if (!out.empty()) out += ",";
    out += model.is_string() ? model.get<std::string>() : model.dump();
  }
  return out;
}

void Add(const AdminFlags& flags, const ProviderFlags& p) {
  json body = {{"name", p.name}, {"kind", p.kind}, {"base_url", p.base_url}};
  const std::string key = p.api_key_file.empty() ? p.api_key : ReadKeyFile(p.api_key_file);
  if (!key.empty()) body["api_key"] = key;
  if (!p.models.empty()) body["models"] = p.models;
  auto client = OrFail(AdminClient::Create(flags));
  const json provider = OrFail(client->Call("POST", "/v1/admin/providers", body));
  if (flags.json) {
    std::printf("%s\n", provider.dump(2).c_str());
    return;
  }
  std::printf("provider %s (%s, %s) saved%s\n", JsonString(provider, "name").c_str(),
              JsonString(provider, "kind").c_str(), JsonString(provider, "base_url").c_str(),
              provider.value("has_api_key", false) ? "; its API key is stored and never shown" : "");
}

void List(const AdminFlags& flags) {
  auto client = OrFail(AdminClient::Create(flags));
  const json list = OrFail(client->Call("GET", "/v1/admin/providers"));
  if (flags.json) {
    std::printf("%s\n", list.dump(2).c_str());
    return;
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "KIND", "BASE URL", "MODELS", "KEY"}};
  for (const json& provider : list.value("data", json::array())) {
    rows.push_back({JsonString(provider, "name"), JsonString(provider, "kind"),
                    JsonString(provider, "base_url"), Models(provider),
                    provider.value("has_api_key", false) ? "set" : "none"});
  }
  PrintTable(rows);
}

void Show(const AdminFlags& flags, const std::string& name) {
  auto client = OrFail(AdminClient::Create(flags));
  const json provider = OrFail(client->Call("GET", "/v1/admin/providers/" + QueryEscape(name)));
  if (flags.json) {
    std::printf("%s\n", provider.dump(2).c_str());
    return;
  }
  PrintTable({{"NAME", "KIND", "BASE URL", "MODELS", "KEY"},
              {JsonString(provider, "name"), JsonString(provider, "kind"),
               JsonString(provider, "base_url"), Models(provider),
               provider.value("has_api_key", false) ? "set" : "none"}});
}

void Remove(const AdminFlags& flags, const std::string& name) {
  auto client = OrFail(AdminClient::Create(flags));
  OrFail(client->Call("DELETE", "/v1/admin/providers/" + QueryEscape(name)));
  std::printf("removed provider %s\n", name.c_str());
}

}  // namespace

void RegisterProvidersCommand(CLI::App& app) {
  auto flags = std::make_shared<AdminFlags>();
  auto p = std::make_shared<ProviderFlags>();
  auto* cmd = app.add_subcommand(
      "providers", "Cloud providers a hybrid policy may fall back to (admin; refused when the "
                   "server runs with --airgapped)");
  cmd->require_subcommand(1);

  auto* add = cmd->add_subcommand("add", "Add or replace a cloud provider");
  AddAdminFlags(add, flags.get());
  add->add_option("NAME", p->name, "Provider name, the PROVIDER of --cloud-model (a-z 0-9 . _ -)")
      ->required();
  add->add_option("--kind", p->kind, "openai (any OpenAI-compatible API) | anthropic")
      ->required()
      ->check(CLI::IsMember({"openai", "anthropic"}));
  add->add_option("--base-url", p->base_url,
                  "e.g. https://api.openai.com/v1, https://api.anthropic.com")
      ->required();
  auto* key = add->add_option("--api-key", p->api_key,
                              "The provider's API key (prefer --api-key-file: command lines are "
                              "visible to other users)");
  add->add_option("--api-key-file", p->api_key_file, "File holding the provider's API key")
      ->excludes(key);
  add->add_option("--model", p->models,
                  "A provider model this organisation may use (repeatable; none: any)");
  add->callback([flags, p] { Add(*flags, *p); });

  auto* ls = cmd->add_subcommand("ls", "List the providers (never their keys)");
  AddAdminFlags(ls, flags.get());
  ls->callback([flags] { List(*flags); });

  auto* show = cmd->add_subcommand("show", "Show one provider (never its key)");
  AddAdminFlags(show, flags.get());
  show->add_option("NAME", p->name, "Provider name")->required();
  show->callback([flags, p] { Show(*flags, p->name); });

  auto* rm = cmd->add_subcommand("rm", "Remove a provider");
  AddAdminFlags(rm, flags.get());
  rm->add_option("NAME", p->name, "Provider name")->required();
  rm->callback([flags, p] { Remove(*flags, p->name); });
}

}  // namespace locai::cli
