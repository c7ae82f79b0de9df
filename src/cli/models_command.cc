// locai models push | ls | show | rm | tag: the control plane's model registry
// (docs/control-plane.md, "Registry"). The push itself is in model_push.h.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/admin_client.h"
#include "cli/commands.h"
#include "cli/progress_bar.h"
#include "cli/model_push.h"

namespace locai::cli {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

void PrintManifest(const json& manifest) {
  std::printf("%s:%s  %s  %s  %s  %s params  ctx %s\n", JsonString(manifest, "name").c_str(),
              JsonString(manifest, "tag").c_str(), JsonString(manifest, "digest").substr(0, 19).c_str(),
              HumanBytes(JsonU64(manifest, "size")).c_str(), JsonString(manifest, "architecture").c_str(),
              JsonString(manifest, "parameters").c_str(), JsonString(manifest, "context_length").c_str());
}

void Push(const AdminFlags& flags, const std::string& path, const std::string& name) {
  auto client = OrFail(AdminClient::Create(flags));
  const json result =
      OrFail(PushModel(*client, path, name, ResolveDataDir(flags.data_dir)));
  if (flags.json) {
    std::printf("%s\n", result.dump(2).c_str());
  } else {
    PrintManifest(result);
  }
}

void List(const AdminFlags& flags) {
  auto client = OrFail(AdminClient::Create(flags));
  json list = OrFail(client->Call("GET", "/v1/registry/models"));
  if (flags.json) {
    std::printf("%s\n", list.dump(2).c_str());
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "DIGEST", "SIZE", "ARCH", "QUANT", "PARAMS", "CONTEXT"}};
  const json data = list.is_array() ? list : list.value("data", json::array());
  for (const auto& m : data) {
    rows.push_back({JsonString(m, "name") + ":" + JsonString(m, "tag"), JsonString(m, "digest").substr(0, 19),
                    HumanBytes(JsonU64(m, "size")), JsonString(m, "architecture"), JsonString(m, "quantization"),
                    JsonString(m, "parameters"), JsonString(m, "context_length")});
  }
  PrintTable(rows);
}

void Show(const AdminFlags& flags, const std::string& ref) {
  auto client = OrFail(AdminClient::Create(flags));
  json manifest = OrFail(client->Call("GET", "/v1/registry/models/" + ref));
  std::printf("%s\n", manifest.dump(2).c_str());
}

void Remove(const AdminFlags& flags, const std::string& ref) {
  auto client = OrFail(AdminClient::Create(flags));
  OrFail(client->Call("DELETE", "/v1/registry/models/" + ref));
  std::printf("deleted %s\n", ref.c_str());
}

void Tag(const AdminFlags& flags, const std::string& source, const std::string& target) {
  auto client = OrFail(AdminClient::Create(flags));
  json manifest = OrFail(client->Call("GET", "/v1/registry/models/" + source));
  json moved = OrFail(client->Call(
      "POST", "/v1/registry/models", json{{"name", target}, {"digest", JsonString(manifest, "digest")}}));
  PrintManifest(moved);
}

}  // namespace

void RegisterModelsCommand(CLI::App& app) {
  auto flags = std::make_shared<AdminFlags>();
  auto* cmd = app.add_subcommand("models", "Manage the control plane's model registry");
  cmd->require_subcommand(1);

  auto path = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  auto* push = cmd->add_subcommand("push", "Upload a GGUF file as NAME:TAG (resumable)");
  AddAdminFlags(push, flags.get());
  push->add_option("FILE", *path, "GGUF file")->required();
  push->add_option("--name", *name, "Model reference NAME:TAG, e.g. llama3.2:1b-q4_k_m")
      ->required();
  push->callback([flags, path, name] { Push(*flags, *path, *name); });

  auto* ls = cmd->add_subcommand("ls", "List the registry's models");
  AddAdminFlags(ls, flags.get());
  ls->callback([flags] { List(*flags); });

  auto* show = cmd->add_subcommand("show", "Show a model's manifest");
  AddAdminFlags(show, flags.get());
  show->add_option("REF", *name, "NAME:TAG")->required();
  show->callback([flags, name] { Show(*flags, *name); });

  auto* rm = cmd->add_subcommand("rm", "Delete a tag (blobs nothing references are removed)");
  AddAdminFlags(rm, flags.get());
  rm->add_option("REF", *name, "NAME:TAG")->required();
  rm->callback([flags, name] { Remove(*flags, *name); });

  auto target = std::make_shared<std::string>();
  auto* tag = cmd->add_subcommand("tag", "Point NEW_REF at the model of REF (moves NEW_REF)");
  AddAdminFlags(tag, flags.get());
  tag->add_option("REF", *name, "Existing NAME:TAG")->required();
  tag->add_option("NEW_REF", *target, "NAME:TAG to create or move")->required();
  tag->callback([flags, name, target] { Tag(*flags, *name, *target); });
}

}  // namespace locai::cli
