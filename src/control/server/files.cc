#include "control/server/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace locai::control::server {
namespace {

Status OsError(const std::string& what, const std::string& path, int error) {
  return Status::Internal(what + " " + path + ": " + std::strerror(error));
}

// Closes a descriptor on every path out of a function.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

}  // namespace

Result<std::string> ReadWholeFile(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return Err(Status::NotFound("no such file: " + path));
  std::ifstream in(path, std::ios::binary);
  if (!in) return Err(OsError("cannot open", path, errno));
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return Err(Status::Internal("cannot read " + path));
  return contents.str();
}

Status WriteFileAtomically(const std::string& path, const std::string& contents, unsigned mode) {
  const std::string temp = path + ".tmp";
  ::unlink(temp.c_str());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) return OsError("cannot create", temp, errno);
  FdCloser closer(fd);
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) return OsError("cannot chmod", temp, errno);
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return OsError("cannot write", temp, errno);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return OsError("cannot fsync", temp, errno);
  if (::close(closer.Release()) != 0) return OsError("cannot close", temp, errno);
  if (::rename(temp.c_str(), path.c_str()) != 0) return OsError("cannot rename", temp, errno);
  const std::string dir = std::filesystem::path(path).parent_path().string();
  int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return Status::Ok();
}

Status MakeDirectories(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) return Status::Internal("cannot create directory " + path + ": " + error.message());
  ::chmod(path.c_str(), 0700);
  return Status::Ok();
}

}  // namespace locai::control::server
