#include "control/audit/head_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace locai::control::audit {
namespace {

Status ErrnoStatus(std::string_view what, const std::string& path) {
  return Status::Internal("audit head file " + path + ": " + std::string(what) + ": " +
                          std::strerror(errno));
}

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoStatus("write", path);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

bool IsHex64(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::optional<ChainHead> ParseLine(std::string_view line) {
  size_t space = line.find(' ');
  if (space == std::string_view::npos || space == 0 || space > 19) return std::nullopt;
  int64_t seq = 0;
  for (char c : line.substr(0, space)) {
    if (c < '0' || c > '9') return std::nullopt;
    seq = seq * 10 + (c - '0');
  }
  std::string_view hash = line.substr(space + 1);
  if (seq <= 0 || !IsHex64(hash)) return std::nullopt;
  return ChainHead{seq, std::string(hash)};
}

}  // namespace

Result<std::unique_ptr<HeadFile>> HeadFile::Open(const std::string& path) {
  bool existed = std::filesystem::exists(path);
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Err(ErrnoStatus("open", path));
  bool needs_newline = false;
  struct stat st;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    int rfd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    char last = '\n';
    if (rfd >= 0) {
      if (::pread(rfd, &last, 1, st.st_size - 1) != 1) last = '\n';
      ::close(rfd);
    }
    needs_newline = last != '\n';
  }
  if (!existed) {
    // Make the new file's directory entry durable.
    std::string dir = std::filesystem::path(path).parent_path().string();
    int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }
  return std::unique_ptr<HeadFile>(new HeadFile(fd, path, needs_newline));
}

HeadFile::~HeadFile() { ::close(fd_); }

Status HeadFile::Append(int64_t seq, std::string_view hash) {
  std::string line =
      (needs_newline_ ? "\n" : "") + std::to_string(seq) + " " + std::string(hash) + "\n";
  LOCAI_RETURN_IF_ERROR(WriteAll(fd_, line, path_));
  needs_newline_ = false;
  if (::fsync(fd_) != 0) return ErrnoStatus("fsync", path_);
  return Status::Ok();
}

Status HeadFile::AppendAll(const std::vector<ChainHead>& heads) {
  if (heads.empty()) return Status::Ok();
  std::string lines = needs_newline_ ? "\n" : "";
  for (const ChainHead& head : heads) {
    lines += std::to_string(head.seq) + " " + head.hash + "\n";
  }
  LOCAI_RETURN_IF_ERROR(WriteAll(fd_, lines, path_));
  needs_newline_ = false;
  if (::fsync(fd_) != 0) return ErrnoStatus("fsync", path_);
  return Status::Ok();
}

Result<std::optional<ChainHead>> HeadFile::ReadLast(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<ChainHead>();
    return Err(ErrnoStatus("open", path));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status status = ErrnoStatus("stat", path);
    ::close(fd);
    return Err(status);
  }
  // Lines are under 100 bytes: the last 4 KiB hold the last good line unless the tail is garbage.
  const off_t size = st.st_size;
  const off_t start = size > 4096 ? size - 4096 : 0;
  std::string tail(static_cast<size_t>(size - start), '\0');
  size_t got = 0;
  while (got < tail.size()) {
    ssize_t n = ::pread(fd, tail.data() + got, tail.size() - got, start + static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  tail.resize(got);
  // Walk complete lines from the end; a line without its '\n' is torn.
  size_t end = tail.rfind('\n');
  while (end != std::string::npos) {
    size_t begin = end == 0 ? std::string::npos : tail.rfind('\n', end - 1);
    size_t from = begin == std::string::npos ? 0 : begin + 1;
    if (from == 0 && start > 0) break;  // may be cut by the window
    if (auto head = ParseLine(std::string_view(tail).substr(from, end - from))) return head;
    if (begin == std::string::npos) break;
    end = begin;
  }
  return std::optional<ChainHead>();
}

Result<HeadFileScan> HeadFile::Scan(const std::string& path) {
  HeadFileScan scan;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) return scan;
    return Err(ErrnoStatus("open", path));
  }
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no '\n': a torn last line
    auto head = ParseLine(line);
    if (!head) continue;
    if (scan.last && head->seq <= scan.last->seq && !scan.rewound_at) {
      scan.rewound_at = head->seq;
    }
    scan.last = std::move(head);
    ++scan.lines;
  }
  if (in.bad()) return Err(ErrnoStatus("read", path));
  return scan;
}

}  // namespace locai::control::audit
