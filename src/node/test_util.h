// Test-only helpers for node_test: a temporary model directory.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace locai::node::testing {

inline std::string ConformanceModel(const std::string& name) {
  return std::string(LOCAI_CONFORMANCE_DIR) + "/models/" + name;
}

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "locai_node_test_XXXXXX").string();
    char* made = ::mkdtemp(pattern.data());
    path_ = made ? std::string(made) : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const { return path_ + "/" + name; }
  void Link(const std::string& target, const std::string& name) const {
    std::filesystem::create_symlink(target, Join(name));
  }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(Join(name)) << text;
  }

 private:
  std::string path_;
};

}  // namespace locai::node::testing
