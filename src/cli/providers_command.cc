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
  // `add`: the first --api-key is the provider's key, a second one the caller's admin key (scripts
  // append the admin flags to every command); --admin-key names the admin key explicitly.
  std::vector<std::string> api_keys;
  std::string admin_key;
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

void Add(AdminFlags flags, const ProviderFlags& p) {
  json body = {{"name", p.name}, {"kind", p.kind}, {"base_url", p.base_url}};
  std::string key;
  if (!p.api_key_file.empty()) {
    if (p.api_keys.size() > 1) {
      Fail(Status::InvalidArgument("--api-key-file gives the provider's key: the only --api-key "
                                   "left is your admin key"),
           2);
    }
    key = ReadKeyFile(p.api_key_file);
    if (!p.api_keys.empty()) flags.api_key = p.api_keys[0];
  } else {
    if (!p.api_keys.empty()) key = p.api_keys[0];
    if (p.api_keys.size() > 1) flags.api_key = p.api_keys[1];
  }
  if (!p.admin_key.empty()) flags.api_key = p.admin_key;
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

  // `add` has the admin flags but --api-key, which is the provider's key here.
  auto add_flags = std::make_shared<AdminFlags>();
  auto* add = cmd->add_subcommand("add", "Add or replace a cloud provider");
  add->add_option("--server", add_flags->server,
                  "Control plane URL (default: LOCAI_SERVER, else https://127.0.0.1:8443)");
  add->add_option("--admin-key", p->admin_key,
                  "Your admin API key (default: a second --api-key, else LOCAI_API_KEY, else "
                  "DATA/server/admin.key)");
  add->add_option("--ca-sha256", add_flags->ca_sha256,
                  "Trust the server whose CA has this SHA-256 fingerprint (LOCAI_CA_SHA256)");
  add->add_option("--ca-file", add_flags->ca_file, "CA certificate (PEM) to verify the server with");
  add->add_option("--data", add_flags->data_dir,
                  "Data directory (default: LOCAI_HOME, else ~/.locai)");
  add->add_flag("--json", add_flags->json, "Print JSON");
  add->add_option("NAME", p->name, "Provider name, the PROVIDER of --cloud-model (a-z 0-9 . _ -)")
      ->required();
  add->add_option("--kind", p->kind, "openai (any OpenAI-compatible API) | anthropic")
      ->required()
      ->check(CLI::IsMember({"openai", "anthropic"}));
  add->add_option("--base-url", p->base_url,
                  "e.g. https://api.openai.com/v1, https://api.anthropic.com")
      ->required();
  add->add_option("--api-key", p->api_keys,
                  "The provider's API key (prefer --api-key-file: command lines are visible to "
                  "other users); a second --api-key is taken as your admin key")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  add->add_option("--api-key-file", p->api_key_file, "File holding the provider's API key");
  add->add_option("--model", p->models,
                  "A provider model this organisation may use (repeatable; none: any)");
  add->callback([add_flags, p] { Add(*add_flags, *p); });

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
