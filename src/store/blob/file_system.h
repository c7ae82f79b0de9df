// FileSystem: the file operations the blob store needs, behind an interface so that tests can
// inject faults (a write that fails with ENOSPC, an fsync that fails) and check that no partial or
// unverified blob ever becomes visible. PosixFileSystem is the real one.
//
// Errors: NotFound for a missing file or directory (ENOENT); ResourceExhausted for a full disk or
// quota (ENOSPC, EDQUOT); PermissionDenied for EACCES/EPERM; AlreadyExists for EEXIST; DataLoss for
// EIO; Internal otherwise. Messages name the operation, the path and strerror's text, e.g.
// "write /data/server/uploads/ab12: No space left on device".
// Threading: PosixFileSystem is stateless and thread-safe; a WritableFile is confined to one
// thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace locai::store::blob {

// A file open for appending. The destructor closes it (without syncing).
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Writes all of `bytes` at the end of the file (retrying short writes and EINTR).
  virtual Status Append(std::string_view bytes) = 0;
  // fsync(2): the file's data and size are on stable storage when this returns OK.
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Opens `path` for appending. With `create_new` the file must not exist (AlreadyExists) and is
  // created with mode 0644; without it, it must exist (NotFound).
  virtual Result<std::unique_ptr<WritableFile>> OpenAppend(const std::string& path,
                                                           bool create_new) = 0;
  // Calls `sink` with consecutive chunks of the file (at most 1 MiB each) until the end or until
  // `sink` returns an error, which is returned.
  virtual Status ReadChunks(const std::string& path,
                            const std::function<Status(std::string_view)>& sink) = 0;
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
  // Last modification time, Unix milliseconds.
  virtual Result<int64_t> ModifiedAtMs(const std::string& path) = 0;
  virtual Status Truncate(const std::string& path, uint64_t size) = 0;
  // rename(2): atomically replaces `to`.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Remove(const std::string& path) = 0;
  // Creates the directory and its missing parents; OK when it exists.
  virtual Status CreateDirs(const std::string& path) = 0;
  // fsync(2) on a directory, so that entries created or renamed in it are durable.
  virtual Status SyncDir(const std::string& path) = 0;
  // Names of the entries of a directory (not "." and ".."), in no particular order.
  virtual Result<std::vector<std::string>> ListDir(const std::string& path) = 0;
  // chmod 0444.
  virtual Status MakeReadOnly(const std::string& path) = 0;
};

// The real file system (POSIX calls). Its methods are virtual so that a test can override one.
class PosixFileSystem : public FileSystem {
 public:
  Result<std::unique_ptr<WritableFile>> OpenAppend(const std::string& path,
                                                   bool create_new) override;
  Status ReadChunks(const std::string& path,
                    const std::function<Status(std::string_view)>& sink) override;
  Result<uint64_t> FileSize(const std::string& path) override;
  Result<int64_t> ModifiedAtMs(const std::string& path) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Status CreateDirs(const std::string& path) override;
  Status SyncDir(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& path) override;
  Status MakeReadOnly(const std::string& path) override;
};

// The Status for errno `err` of operation `op` on `path` (the mapping above).
Status ErrnoStatus(int err, std::string_view op, const std::string& path);

}  // namespace locai::store::blob
