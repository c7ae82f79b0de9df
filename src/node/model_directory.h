// ModelDirectory: the models a node serves, found in one directory.
//
// Every regular file (or symlink to one) named `*.gguf` in the directory is a model, served under
// its file stem ("llama3.2-1b-q4_0") and under its full file name ("llama3.2-1b-q4_0.gguf"). An
// optional `aliases.txt` adds names, one `NAME = FILE` per line ("llama3.2:1b =
// llama3.2-1b-q4_0.gguf"; FILE may also be a stem); blank lines and lines starting with '#' are
// ignored. Scan() reads the directory once. Add() and Remove() change the set of models at run time
// (the fleet agent registers models pulled from the registry under their registry names); the
// ModelManager keeps the directory as an immutable snapshot and replaces it on change.
// Thread-safety: a value; const methods are safe to call from many threads, Add() and Remove() need
// exclusive access (the ModelManager copies before changing).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace locai::node {

struct ModelFile {
  std::string id;         // the file stem, the model's canonical name
  std::string file_name;  // "x.gguf"
  std::string path;       // directory + "/" + file_name
  uint64_t size = 0;      // bytes (of the symlink's target)
  int64_t modified = 0;   // Unix seconds
  // False for a model added under registry names: listings show the names, not the id (a digest).
  bool list_id = true;
  // Per-model overrides of ModelManagerOptions; 0: the manager's default.
  int64_t context_length = 0;
  int32_t n_parallel = 0;
};

struct ModelAlias {
  std::string name;
  std::string target_id;  // a ModelFile::id
};

class ModelDirectory {
 public:
  // Scans `dir`. Errors: NotFound when `dir` is not a readable directory; InvalidArgument for a
  // malformed aliases.txt line or an alias whose file is not in the directory (the message names
  // the line).
  static Result<ModelDirectory> Scan(const std::string& dir);

  // The model `name` refers to (stem, file name or alias), or nullptr.
  const ModelFile* Find(std::string_view name) const;
  // Models sorted by id.
  const std::vector<ModelFile>& models() const { return models_; }
  // Aliases in file order.
  const std::vector<ModelAlias>& aliases() const { return aliases_; }
  // Every name: each listed id, then each alias (for listings).
  std::vector<std::string> Names() const;

  // Adds `file`, served under file.id (and file.file_name) and under each of `names`.
  // InvalidArgument for an empty id or name; AlreadyExists when the id or a name already refers to
  // a model.
  Status Add(ModelFile file, const std::vector<std::string>& names);
  // Removes the model whose id is `id` and every alias of it. NotFound when there is none.
  Status Remove(std::string_view id);
  // The model whose id is `id` (not a name or alias), or nullptr.
  const ModelFile* FindById(std::string_view id) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::vector<ModelFile> models_;
  std::vector<ModelAlias> aliases_;
};

}  // namespace locai::node
