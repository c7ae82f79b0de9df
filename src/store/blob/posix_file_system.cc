#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <system_error>

#include "store/blob/file_system.h"

namespace locai::store::blob {

namespace {

constexpr size_t kChunkBytes = size_t{1} << 20;

// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) close(fd_);
  }

  Status Append(std::string_view bytes) override {
    while (!bytes.empty()) {
      ssize_t n = write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "write", path_);
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }

  Status Sync() override {
    if (fsync(fd_) != 0) return ErrnoStatus(errno, "fsync", path_);
    return Status::Ok();
  }

  Status Close() override {
    int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && close(fd) != 0) return ErrnoStatus(errno, "close", path_);
    return Status::Ok();
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

Status ErrnoStatus(int err, std::string_view op, const std::string& path) {
  std::string msg = std::string(op) + " " + path + ": " + std::strerror(err);
  switch (err) {
    case ENOENT:
      return Status::NotFound(std::move(msg));
    case ENOSPC:
    case EDQUOT:
      return Status::ResourceExhausted(std::move(msg));
    case EACCES:
    case EPERM:
      return Status::PermissionDenied(std::move(msg));
    case EEXIST:
      return Status::AlreadyExists(std::move(msg));
    case EIO:
      return Status::DataLoss(std::move(msg));
    default:
      return Status::Internal(std::move(msg));
  }
}

Result<std::unique_ptr<WritableFile>> PosixFileSystem::OpenAppend(const std::string& path,
                                                                  bool create_new) {
  int flags = O_WRONLY | O_APPEND | O_CLOEXEC | (create_new ? O_CREAT | O_EXCL : 0);
  int fd = open(path.c_str(), flags, 0644);
  if (fd < 0) return Err(ErrnoStatus(errno, "open", path));
  return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path));
}

Status PosixFileSystem::ReadChunks(const std::string& path,
                                   const std::function<Status(std::string_view)>& sink) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus(errno, "open", path);
  std::string buffer(kChunkBytes, '\0');
  while (true) {
    ssize_t n = read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "read", path);
    }
    if (n == 0) return Status::Ok();
    LOCAI_RETURN_IF_ERROR(sink(std::string_view(buffer.data(), static_cast<size_t>(n))));
  }
}

Result<uint64_t> PosixFileSystem::FileSize(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Err(ErrnoStatus(errno, "stat", path));
  if (!S_ISREG(st.st_mode)) return Err(Status::FailedPrecondition(path + " is not a file"));
  return static_cast<uint64_t>(st.st_size);
}

Result<int64_t> PosixFileSystem::ModifiedAtMs(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Err(ErrnoStatus(errno, "stat", path));
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

Status PosixFileSystem::Truncate(const std::string& path, uint64_t size) {
  if (truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
    return ErrnoStatus(errno, "truncate", path);
  }
  return Status::Ok();
}

Status PosixFileSystem::Rename(const std::string& from, const std::string& to) {
  if (rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus(errno, "rename to " + to, from);
  return Status::Ok();
}

Status PosixFileSystem::Remove(const std::string& path) {
  if (unlink(path.c_str()) != 0) return ErrnoStatus(errno, "remove", path);
  return Status::Ok();
}

Status PosixFileSystem::CreateDirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return ErrnoStatus(ec.value(), "create directory", path);
  return Status::Ok();
}

Status PosixFileSystem::SyncDir(const std::string& path) {
  Fd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus(errno, "open directory", path);
  if (fsync(fd.get()) != 0) return ErrnoStatus(errno, "fsync directory", path);
  return Status::Ok();
}

Result<std::vector<std::string>> PosixFileSystem::ListDir(const std::string& path) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return Err(ErrnoStatus(errno, "list", path));
  std::vector<std::string> names;
  while (struct dirent* entry = readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  closedir(dir);
  return names;
}

Status PosixFileSystem::MakeReadOnly(const std::string& path) {
  if (chmod(path.c_str(), 0444) != 0) return ErrnoStatus(errno, "chmod", path);
  return Status::Ok();
}

}  // namespace locai::store::blob
