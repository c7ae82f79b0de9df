#include "node/agent/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace locai::node::agent {
namespace {

namespace fs = std::filesystem;

Status IoError(const std::string& what, const std::string& path, int error) {
  return Status::Unavailable(what + " " + path + ": " + std::strerror(error));
}

// Closes the descriptor on every path out of WriteFileAtomically.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

}  // namespace

Status MakeDirectories(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Unavailable("cannot create directory " + dir + ": " + ec.message());
  return Status::Ok();
}

Status FsyncDirectory(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return IoError("cannot open directory", dir, errno);
  if (::fsync(fd.get()) != 0) return IoError("cannot fsync directory", dir, errno);
  return Status::Ok();
}

Status WriteFileAtomically(const std::string& path, std::string_view contents, mode_t mode) {
  const fs::path target(path);
  const std::string dir =
      target.has_parent_path() ? target.parent_path().string() : std::string(".");
  LOCAI_RETURN_IF_ERROR(MakeDirectories(dir));
  std::string temp = path + ".tmp.XXXXXX";
  Fd fd(::mkstemp(temp.data()));
  if (fd.get() < 0) return IoError("cannot create", temp, errno);
  auto fail = [&](const std::string& what) {
    const int error = errno;
    ::unlink(temp.c_str());
    return IoError(what, temp, error);
  };
  if (::fchmod(fd.get(), mode) != 0) return fail("cannot chmod");
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd.get(), contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("cannot write");
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail("cannot fsync");
  if (fd.Close() != 0) return fail("cannot close");
  if (::rename(temp.c_str(), path.c_str()) != 0) return fail("cannot rename to " + path + " from");
  return FsyncDirectory(dir);
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return Err(Status::NotFound(path + " does not exist"));
  std::ifstream in(path, std::ios::binary);
  if (!in) return Err(IoError("cannot open", path, errno));
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return Err(Status::Unavailable("cannot read " + path));
  return out.str();
}

}  // namespace locai::node::agent
