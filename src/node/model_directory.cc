#include "node/model_directory.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace locai::node {
namespace {

namespace fs = std::filesystem;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

int64_t UnixSeconds(fs::file_time_type t) {
  // file_clock's epoch is unspecified before C++20's clock_cast; go through the difference to now.
  const auto now_file = fs::file_time_type::clock::now();
  const auto now_sys = std::chrono::system_clock::now();
  const auto sys = now_sys + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                 t - now_file);
  return std::chrono::duration_cast<std::chrono::seconds>(sys.time_since_epoch()).count();
}

}  // namespace

Result<ModelDirectory> ModelDirectory::Scan(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Err(Status::NotFound("model directory '" + dir + "' does not exist or is not a directory"));
  }
  ModelDirectory out;
  out.dir_ = dir;
  fs::directory_iterator it(dir, ec);
  if (ec) return Err(Status::NotFound("cannot read model directory '" + dir + "': " + ec.message()));
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const fs::path& path = it->path();
    const std::string name = path.filename().string();
    if (!EndsWith(name, ".gguf") || name.size() == 5) continue;
    std::error_code file_ec;
    if (!fs::is_regular_file(path, file_ec)) continue;  // follows symlinks
    ModelFile model;
    model.file_name = name;
    model.id = name.substr(0, name.size() - 5);
    model.path = (fs::path(dir) / name).string();
    model.size = static_cast<uint64_t>(fs::file_size(path, file_ec));
    if (file_ec) model.size = 0;
    const auto mtime = fs::last_write_time(path, file_ec);
    if (!file_ec) model.modified = UnixSeconds(mtime);
    out.models_.push_back(std::move(model));
  }
  std::sort(out.models_.begin(), out.models_.end(),
            [](const ModelFile& a, const ModelFile& b) { return a.id < b.id; });

  const fs::path aliases_path = fs::path(dir) / "aliases.txt";
  if (fs::exists(aliases_path, ec)) {
    std::ifstream in(aliases_path);
    if (!in) return Err(Status::InvalidArgument("cannot read " + aliases_path.string()));
    std::string line;
    int line_number = 0;
    while (std::getline(in, line)) {
      ++line_number;
      std::string_view text = Trim(line);
      if (text.empty() || text.front() == '#') continue;
      const size_t eq = text.find('=');
      const std::string where = aliases_path.string() + ":" + std::to_string(line_number);
      if (eq == std::string_view::npos) {
        return Err(Status::InvalidArgument(where + ": expected 'NAME = FILE'"));
      }
      const std::string_view name = Trim(text.substr(0, eq));
      const std::string_view target = Trim(text.substr(eq + 1));
      if (name.empty() || target.empty()) {
        return Err(Status::InvalidArgument(where + ": expected 'NAME = FILE'"));
      }
      const ModelFile* model = out.Find(target);
      if (model == nullptr) {
        return Err(Status::InvalidArgument(where + ": alias '" + std::string(name) +
                                           "' names '" + std::string(target) +
                                           "', which is not a model in the directory"));
      }
      out.aliases_.push_back(ModelAlias{std::string(name), model->id});
    }
  }
  return out;
}

const ModelFile* ModelDirectory::Find(std::string_view name) const {
  for (const auto& model : models_) {
    if (model.id == name || model.file_name == name) return &model;
  }
  for (const auto& alias : aliases_) {
    if (alias.name == name) {
      for (const auto& model : models_) {
        if (model.id == alias.target_id) return &model;
      }
    }
  }
  return nullptr;
}

std::vector<std::string> ModelDirectory::Names() const {
  std::vector<std::string> names;
  for (const auto& model : models_) {
    if (model.list_id) names.push_back(model.id);
  }
  for (const auto& alias : aliases_) {
    if (std::find(names.begin(), names.end(), alias.name) == names.end()) {
      names.push_back(alias.name);
    }
  }
  return names;
}

const ModelFile* ModelDirectory::FindById(std::string_view id) const {
  for (const auto& model : models_) {
    if (model.id == id) return &model;
  }
  return nullptr;
}

Status ModelDirectory::Add(ModelFile file, const std::vector<std::string>& names) {
  if (file.id.empty()) return Status::InvalidArgument("a model needs an id");
  if (Find(file.id) != nullptr || (!file.file_name.empty() && Find(file.file_name) != nullptr)) {
    return Status::AlreadyExists("a model named '" + file.id + "' already exists");
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    if (name.empty()) return Status::InvalidArgument("a model name is empty");
    const bool repeated = std::find(names.begin(), names.begin() + i, name) != names.begin() + i;
    if (Find(name) != nullptr || name == file.id || name == file.file_name || repeated) {
      return Status::AlreadyExists("a model named '" + name + "' already exists");
    }
  }
  for (const auto& name : names) aliases_.push_back(ModelAlias{name, file.id});
  auto at = std::lower_bound(models_.begin(), models_.end(), file.id,
                             [](const ModelFile& a, const std::string& id) { return a.id < id; });
  models_.insert(at, std::move(file));
  return Status::Ok();
}

Status ModelDirectory::Remove(std::string_view id) {
  auto it = std::find_if(models_.begin(), models_.end(),
                         [&](const ModelFile& model) { return model.id == id; });
  if (it == models_.end()) {
    return Status::NotFound("no model with id '" + std::string(id) + "'");
  }
  models_.erase(it);
  std::erase_if(aliases_, [&](const ModelAlias& alias) { return alias.target_id == id; });
  return Status::Ok();
}

}  // namespace locai::node
