#include "cli/model_push.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "cli/progress_bar.h"
#include "crypto/sha256.h"

namespace locai::cli {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr size_t kChunkBytes = 8 << 20;  // the server takes up to 16 MiB per chunk

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
  if (!saved.is_discarded() && saved.is_object() && JsonString(saved, "server") == server) {
    state.upload_id = JsonString(saved, "upload_id");
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
      offset = JsonU64(*resumed, "offset");
      std::fprintf(stderr, "resuming upload %s at %s\n", state.upload_id.c_str(),
                   HumanBytes(offset).c_str());
    } else {
      state.upload_id.clear();  // expired or unknown: start again
    }
  }
  if (state.upload_id.empty()) {
    LOCAI_ASSIGN_OR_RETURN(json started,
                           client.Call("POST", "/v1/registry/uploads", json{{"size", size}}));
    state.upload_id = JsonString(started, "upload_id");
    if (state.upload_id.empty()) return Status::DataLoss("the server returned no upload_id");
    offset = JsonU64(started, "offset");
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
      offset = header ? std::stoull(std::string(*header)) : JsonU64(body, "offset");
      continue;
    }
    if (response.status < 200 || response.status > 299) return StatusFromResponse(response);
    offset = body.is_discarded() ? offset + want : JsonU64(body, "offset");
    bar.Update(offset, size, "bytes");
  }
  LOCAI_ASSIGN_OR_RETURN(
      json finished,
      client.Call("PUT", "/v1/registry/uploads/" + state.upload_id + "?digest=" + digest,
                  json::object()));
  std::error_code ec;
  fs::remove(state.path, ec);
  if (JsonString(finished, "digest") != digest) {
    return Status::DataLoss("the registry stored " + JsonString(finished, "digest") + ", expected " +
                            digest);
  }
  return Status::Ok();
}

}  // namespace

Result<json> PushModel(AdminClient& client, const std::string& path, const std::string& ref,
                       const std::string& data_dir) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Err(Status::NotFound(path + " is not a readable file"));
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  LOCAI_ASSIGN_OR_RETURN(std::string digest, HashFile(path, size));
  const json tag_request = {{"name", ref}, {"digest", digest}};
  auto manifest = client.Call("POST", "/v1/registry/models", tag_request);
  if (!manifest && manifest.error().code() == StatusCode::kNotFound) {
    LOCAI_RETURN_IF_ERROR(UploadBlob(client, path, size, digest, data_dir));
    return client.Call("POST", "/v1/registry/models", tag_request);
  }
  if (manifest) {
    std::fprintf(stderr, "the registry already holds %s; tagged without uploading\n",
                 digest.c_str());
  }
  return manifest;
}

}  // namespace locai::cli
