// ModelDirectory: the models a node serves, found in one directory.
//
// Every regular file (or symlink to one) named `*.gguf` in the directory is a model, served under
// its file stem ("llama3.2-1b-q4_0") and under its full file name ("llama3.2-1b-q4_0.gguf"). An
// optional `aliases.txt` adds names, one `NAME = FILE` per line ("llama3.2:1b =
// llama3.2-1b-q4_0.gguf"; FILE may also be a stem); blank lines and lines starting with '#' are
// ignored. Scan() reads the directory once; the result is an immutable snapshot.
// Thread-safety: immutable after Scan(); safe to share between threads.
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
  // Every name: each id, then each alias (for listings).
  std::vector<std::string> Names() const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::vector<ModelFile> models_;
  std::vector<ModelAlias> aliases_;
};

}  // namespace locai::node
