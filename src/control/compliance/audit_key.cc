#include "control/compliance/audit_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <span>
#include <sstream>

#include "crypto/ed25519.h"
#include "crypto/random.h"
#include "crypto/sha256.h"

namespace locai::control::compliance {
namespace {

Status OsError(const std::string& what, const std::string& path) {
  return Status::Internal(what + " " + path + ": " + std::strerror(errno));
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Writes all of `contents` to `fd`, retrying short writes and EINTR.
bool WriteAll(int fd, const std::string& contents) {
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Status WriteFileAtomically(const std::string& path, const std::string& contents, unsigned mode) {
  LOCAI_ASSIGN_OR_RETURN(std::string suffix, crypto::RandomHex(6));
  const std::string temp = path + ".tmp-" + suffix;
  // O_EXCL with the final mode: the file never exists with wider permissions.
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return OsError("cannot create", temp);
  const bool written = WriteAll(fd, contents) && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!written) {
    ::unlink(temp.c_str());
    errno = saved_errno;
    return OsError("cannot write", temp);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const Status error = OsError("cannot rename into", path);
    ::unlink(temp.c_str());
    return error;
  }
  const std::string dir = DirectoryOf(path);
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return OsError("cannot open", dir);
  const bool synced = ::fsync(dir_fd) == 0;
  ::close(dir_fd);
  if (!synced) return OsError("cannot fsync", dir);
  return Status::Ok();
}

Result<std::string> LoadOrCreateAuditKey(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Err(OsError("cannot read", path));
    std::stringstream text;
    text << in.rdbuf();
    std::string hex = text.str();
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ')) {
      hex.pop_back();
    }
    auto bytes = crypto::FromHex(hex);
    if (!bytes || bytes->size() != crypto::kEd25519KeySize) {
      return Err(Status::DataLoss(path + " does not hold a 32-byte hex Ed25519 key; restore it "
                                         "from a backup (audit checkpoints are signed with it)"));
    }
    return std::string(bytes->begin(), bytes->end());
  }
  if (errno != ENOENT) return Err(OsError("cannot stat", path));

  LOCAI_ASSIGN_OR_RETURN(crypto::Ed25519KeyPair pair, crypto::GenerateEd25519());
  const auto* raw = reinterpret_cast<const uint8_t*>(pair.private_key.data());
  const std::string hex = crypto::ToHex(std::span<const uint8_t>(raw, pair.private_key.size()));
  LOCAI_RETURN_IF_ERROR(WriteFileAtomically(path, hex + "\n", 0600));
  return pair.private_key;
}

}  // namespace locai::control::compliance
