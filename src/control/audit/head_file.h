// HeadFile: the append-only file beside the database that records each audit chain head, one
// line "<seq> <hash>\n" per appended record, fsynced before the record's transaction commits.
// Verification compares the database's chain with the last line, which catches records cut off
// the end and an older copy of the database restored (docs/audit-log.md).
//
// A torn last line (crash mid-write) is skipped by ReadLast; the next Append starts a new line.
// Threading: not thread-safe; AuditLog calls it under its mutex. One HeadFile per file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace locai::control::audit {

struct ChainHead {
  int64_t seq = 0;
  std::string hash;
};

// What a full read of a head file finds.
struct HeadFileScan {
  std::optional<ChainHead> last;  // the last well-formed line
  // The seq of the first line that does not follow its predecessor (seq + 1): the chain was
  // rewound there, i.e. an older database was restored and appended to.
  std::optional<int64_t> rewound_at;
  int64_t lines = 0;  // well-formed lines
};

class HeadFile {
 public:
  // Opens `path` for appending, creating it (mode 0600; directory fsynced) when missing.
  // Internal naming the path on failure.
  static Result<std::unique_ptr<HeadFile>> Open(const std::string& path);
  ~HeadFile();
  HeadFile(const HeadFile&) = delete;
  HeadFile& operator=(const HeadFile&) = delete;

  // Appends "<seq> <hash>\n" and fsyncs. Internal on a short write or fsync failure.
  Status Append(int64_t seq, std::string_view hash);
  // Appends one line per head in one write and one fsync (a batch of appends).
  Status AppendAll(const std::vector<ChainHead>& heads);

  // The last well-formed line of the file at `path`; nullopt when the file is missing or holds
  // none. Internal when it exists but cannot be read.
  static Result<std::optional<ChainHead>> ReadLast(const std::string& path);

  // Reads the whole file (streamed, constant memory). A missing file scans as empty.
  static Result<HeadFileScan> Scan(const std::string& path);

  const std::string& path() const { return path_; }

 private:
  HeadFile(int fd, std::string path, bool needs_newline)
      : fd_(fd), path_(std::move(path)), needs_newline_(needs_newline) {}
  int fd_;
  std::string path_;
  bool needs_newline_;  // the file ends in a torn line
};

}  // namespace locai::control::audit
