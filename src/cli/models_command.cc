// locai models push | ls | show | rm | tag: the control plane's model registry
// (docs/control-plane.md, "Registry").
//
// A push hashes the file, then uploads it in chunks (resumable: the upload id is kept in
// DATA/cli/pushes/<digest>.json, so running the same push again after an interruption continues
// from the offset the server holds), publishes the blob with its digest and names it NAME:TAG. A
// blob the registry already holds is not sent again.
#include <sys/stat.h>

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
#include "crypto/sha256.h"

namespace locai::cli {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr size_t kChunkBytes = 8 << 20;  // the server takes up to 16 MiB per chunk

std::string Str(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

uint64_t U64(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<uint64_t>() : 0;
}

Result<std::string> HashFile(const std::string& path, uint64_t size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Err(Status::NotFound("cannot open " + path));
  crypto::Sha256 hasher;
  std::vector<char> buffer(1 << 20);
  ProgressBar bar("hashing");
  uint64_t done = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    hasher.Update(buffer.data(), got);
    done += got;
    bar.Update(done, size, "bytes");
  }
  if (in.bad()) return Err(Status::DataLoss("read error on " + path));
  return "sha256:" + hasher.FinishHex();
}

// Where an interrupted push of `digest` to `server` left its upload id.
struct PushState {
  std::string path;
  std::string upload_id;
};

PushState LoadPushState(const std::string& data_dir, const std::string& server,
                        const std::string& digest) {
  PushState state;
  state.path = data_dir + "/cli/pushes/" + digest.substr(7) + ".json";
  std::ifstream in(state.path);
  if (!in) return state;
  json saved = json::parse(in, nullptr, false);
  if (!saved.is_discarded() && saved.is_object() && Str(saved, "server") == server) {
    state.upload_id = Str(saved, "upload_id");
  }
  return state;
}

void SavePushState(const PushState& state, const std::string& server) {
  std::error_code ec;
  fs::create_directories(fs::path(state.path).parent_path(), ec);
  const std::string tmp = state.path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << json{{"server", server}, {"upload_id", state.upload_id}}.dump();
  }
  fs::rename(tmp, state.path, ec);
}

Status UploadBlob(AdminClient& client, const std::string& path, uint64_t size,
                  const std::string& digest, const std::string& data_dir) {
  PushState state = LoadPushState(data_dir, client.server(), digest);
  uint64_t offset = 0;
  if (!state.upload_id.empty()) {
    auto resumed = client.Call("GET", "/v1/registry/uploads/" + state.upload_id);
    if (resumed) {
      offset = U64(*resumed, "offset");
      std::fprintf(stderr, "resuming upload %s at %s\n", state.upload_id.c_str(),
                   HumanBytes(offset).c_str());
    } else {
      state.upload_id.clear();  // expired or unknown: start again
    }
  }
  if (state.upload_id.empty()) {
    LOCAI_ASSIGN_OR_RETURN(json started,
                           client.Call("POST", "/v1/registry/uploads", json{{"size", size}}));
    state.upload_id = Str(started, "upload_id");
    if (state.upload_id.empty()) return Status::DataLoss("the server returned no upload_id");
    offset = U64(started, "offset");
    SavePushState(state, client.server());
  }

  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path);
  ProgressBar bar("pushing");
  std::string chunk;
  while (offset < size) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kChunkBytes, size - offset));
    chunk.resize(want);
    in.clear();
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(chunk.data(), static_cast<std::streamsize>(want));
    if (static_cast<size_t>(in.gcount()) != want) {
      return Status::DataLoss(path + " changed while it was pushed");
    }
    net::HttpHeaders headers;
    headers.Set("Upload-Offset", std::to_string(offset));
    headers.Set("Content-Type", "application/octet-stream");
    LOCAI_ASSIGN_OR_RETURN(net::ClientResponse response,
                           client.Send("PATCH", "/v1/registry/uploads/" + state.upload_id,
                                       chunk, headers));
    json body = json::parse(response.body, nullptr, false);
    if (response.status == 409 && !body.is_discarded()) {
      // The server holds a different offset (an earlier chunk was acknowledged but the answer
      // lost): continue from where it is.
      const auto header = response.headers.Get("Upload-Offset");
      offset = header ? std::stoull(std::string(*header)) : U64(body, "offset");
      continue;
    }
    if (response.status < 200 || response.status > 299) return StatusFromResponse(response);
    offset = body.is_discarded() ? offset + want : U64(body, "offset");
    bar.Update(offset, size, "bytes");
  }
  LOCAI_ASSIGN_OR_RETURN(
      json finished,
      client.Call("PUT", "/v1/registry/uploads/" + state.upload_id + "?digest=" + digest,
                  json::object()));
  std::error_code ec;
  fs::remove(state.path, ec);
  if (Str(finished, "digest") != digest) {
    return Status::DataLoss("the registry stored " + Str(finished, "digest") + ", expected " +
                            digest);
  }
  return Status::Ok();
}

void PrintManifest(const json& manifest) {
  std::printf("%s:%s  %s  %s  %s  %s params  ctx %s\n", Str(manifest, "name").c_str(),
              Str(manifest, "tag").c_str(), Str(manifest, "digest").substr(0, 19).c_str(),
              HumanBytes(U64(manifest, "size")).c_str(), Str(manifest, "architecture").c_str(),
              Str(manifest, "parameters").c_str(), Str(manifest, "context_length").c_str());
}

void Push(const AdminFlags& flags, const std::string& path, const std::string& name) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    Fail(Status::NotFound(path + " is not a readable file"), 2);
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  auto client = OrFail(AdminClient::Create(flags));
  const std::string digest = OrFail(HashFile(path, size));
  const json tag_request = {{"name", name}, {"digest", digest}};
  auto manifest = client->Call("POST", "/v1/registry/models", tag_request);
  if (!manifest && manifest.error().code() == StatusCode::kNotFound) {
    OrFail(UploadBlob(*client, path, size, digest, ResolveDataDir(flags.data_dir)));
    manifest = client->Call("POST", "/v1/registry/models", tag_request);
  } else if (manifest) {
    std::fprintf(stderr, "the registry already holds %s; tagged without uploading\n",
                 digest.c_str());
  }
  const json result = OrFail(std::move(manifest));
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
    rows.push_back({Str(m, "name") + ":" + Str(m, "tag"), Str(m, "digest").substr(0, 19),
                    HumanBytes(U64(m, "size")), Str(m, "architecture"), Str(m, "quantization"),
                    Str(m, "parameters"), Str(m, "context_length")});
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
      "POST", "/v1/registry/models", json{{"name", target}, {"digest", Str(manifest, "digest")}}));
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
