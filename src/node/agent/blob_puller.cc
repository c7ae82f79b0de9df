#include "node/agent/blob_puller.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "crypto/sha256.h"
#include "node/agent/atomic_file.h"
#include "node/agent/credential.h"

namespace locai::node::agent {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSha256Prefix = "sha256:";
constexpr size_t kMaxErrorBody = 4096;

uint64_t FileSizeOr0(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_size);
}

bool Cancelled(const std::atomic<bool>* cancel) { return cancel != nullptr && cancel->load(); }

Status TruncateTo(const std::string& path, uint64_t size) {
  if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
    return Status::Unavailable("cannot truncate " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

// The bytes of `path` from `offset` (at most kMaxErrorBody): an error body the server sent.
std::string ReadTail(const std::string& path, uint64_t offset) {
  std::string out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  out.resize(kMaxErrorBody);
  const ssize_t n = ::pread(fd, out.data(), out.size(), static_cast<off_t>(offset));
  ::close(fd);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

Status StatusForHttp(int status, const std::string& message) {
  if (status == 401 || status == 403) return Status::Unauthenticated(message);
  if (status == 404) return Status::NotFound(message);
  if (status == 400) return Status::InvalidArgument(message);
  if (status == 429) return Status::ResourceExhausted(message);
  return Status::Unavailable(message);
}

bool Retryable(const Status& status) {
  return status.code() == StatusCode::kUnavailable ||
         status.code() == StatusCode::kDeadlineExceeded ||
         status.code() == StatusCode::kResourceExhausted;
}

}  // namespace

bool IsValidDigest(std::string_view digest) {
  if (digest.size() != kSha256Prefix.size() + 64 || digest.substr(0, 7) != kSha256Prefix) {
    return false;
  }
  return std::all_of(digest.begin() + 7, digest.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

BlobPuller::BlobPuller(BlobPullerOptions options, net::egress::Connector& connector)
    : options_(std::move(options)), connector_(connector) {}

Result<std::string> BlobPuller::PathFor(std::string_view digest) const {
  if (!IsValidDigest(digest)) {
    return Err(Status::InvalidArgument("not a valid digest (sha256: + 64 lowercase hex): '" +
                                       std::string(digest.substr(0, 80)) + "'"));
  }
  const std::string_view hex = digest.substr(kSha256Prefix.size());
  return options_.blobs_dir + "/sha256/" + std::string(hex.substr(0, 2)) + "/" + std::string(hex);
}

Status BlobPuller::Verify(std::string_view digest) const {
  LOCAI_ASSIGN_OR_RETURN(std::string path, PathFor(digest));
  std::error_code ec;
  if (!fs::exists(path, ec)) return Status::NotFound("blob " + std::string(digest) + " is absent");
  LOCAI_ASSIGN_OR_RETURN(std::string actual, crypto::Sha256FileHex(path));
  if ("sha256:" + actual != digest) {
    fs::remove(path, ec);
    return Status::DataLoss("blob " + std::string(digest) +
                            " on disk is corrupted (its SHA-256 is " + actual + "); deleted");
  }
  return Status::Ok();
}

Status BlobPuller::Remove(std::string_view digest) const {
  LOCAI_ASSIGN_OR_RETURN(std::string path, PathFor(digest));
  std::error_code ec;
  fs::remove(path, ec);
  if (ec) return Status::Unavailable("cannot delete " + path + ": " + ec.message());
  fs::remove(path + ".partial", ec);
  if (ec) return Status::Unavailable("cannot delete " + path + ".partial: " + ec.message());
  return Status::Ok();
}

std::vector<std::string> BlobPuller::List() const {
  std::vector<std::string> digests;
  std::error_code ec;
  const fs::path root = fs::path(options_.blobs_dir) / "sha256";
  if (!fs::is_directory(root, ec)) return digests;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string digest = "sha256:" + it->path().filename().string();
    if (IsValidDigest(digest)) digests.push_back(digest);
  }
  std::sort(digests.begin(), digests.end());
  return digests;
}

Status BlobPuller::Transfer(const std::string& hex, const std::string& partial, uint64_t size,
                            const PullProgress& progress, const std::atomic<bool>* cancel) {
  uint64_t offset = FileSizeOr0(partial);
  if (size > 0 && offset > size) {
    LOCAI_RETURN_IF_ERROR(TruncateTo(partial, 0));
    offset = 0;
  }
  if (size > 0 && offset == size) return Status::Ok();

  const std::string target = "/v1/registry/blobs/sha256:" + hex;
  net::ClientRequest request;
  request.method = "GET";
  request.url = options_.server_url + target;
  request.purpose = "control-plane";
  if (offset > 0) request.headers.Set("Range", "bytes=" + std::to_string(offset) + "-");
  if (options_.signer) LOCAI_RETURN_IF_ERROR(options_.signer("GET", target, &request.headers));

  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("cannot open " + partial + ": " + std::strerror(errno));
  uint64_t received = offset;
  Status write_status;
  net::HttpClient client(connector_, options_.http);
  auto response = client.Stream(request, [&](std::string_view chunk) {
    if (Cancelled(cancel)) return false;
    size_t done = 0;
    while (done < chunk.size()) {
      const ssize_t n = ::write(fd, chunk.data() + done, chunk.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        write_status = Status::Unavailable("cannot write " + partial + ": " + std::strerror(errno));
        return false;
      }
      done += static_cast<size_t>(n);
    }
    received += chunk.size();
    if (progress && (size == 0 || received <= size)) progress(received, size);
    return true;
  });
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  LOCAI_RETURN_IF_ERROR(write_status);
  if (!response) {
    if (Cancelled(cancel)) return Status::Cancelled("the pull of sha256:" + hex + " was cancelled");
    return response.error();  // the partial file keeps what arrived
  }
  if (!synced) return Status::Unavailable("cannot fsync " + partial);
  const int status = response->status;
  if (status == 416 && offset > 0) {
    // Nothing past what we have: the partial file is complete (verification decides).
    return TruncateTo(partial, offset);
  }
  if (status != 200 && status != 206) {
    const std::string body = ReadTail(partial, offset);
    if (offset == 0) {
      fs::remove(partial);  // nothing of the blob arrived: leave no empty file behind
    } else {
      LOCAI_RETURN_IF_ERROR(TruncateTo(partial, offset));
    }
    return StatusForHttp(status, "the registry answered HTTP " + std::to_string(status) +
                                     " for sha256:" + hex + ": " +
                                     ServerErrorMessage(status, body));
  }
  if (offset > 0) {
    const std::string expected = "bytes " + std::to_string(offset) + "-";
    const std::string range = response->headers.GetOr("Content-Range", "");
    if (status == 200 || range.rfind(expected, 0) != 0) {
      // The server ignored or misread the Range: start over from the first byte.
      LOCAI_RETURN_IF_ERROR(TruncateTo(partial, 0));
      return Status::Unavailable("the registry did not resume at byte " + std::to_string(offset));
    }
  }
  if (size > 0 && received > size) {
    fs::remove(partial);
    return Status::DataLoss("the registry sent " + std::to_string(received) +
                            " bytes for sha256:" + hex + ", expected " + std::to_string(size));
  }
  if (size > 0 && received < size) {
    return Status::Unavailable("the transfer ended at byte " + std::to_string(received) + " of " +
                               std::to_string(size));
  }
  return Status::Ok();
}

Result<std::string> BlobPuller::Pull(std::string_view digest, uint64_t size,
                                     const PullProgress& progress,
                                     const std::atomic<bool>* cancel) {
  LOCAI_ASSIGN_OR_RETURN(std::string path, PathFor(digest));
  const std::string hex(digest.substr(kSha256Prefix.size()));
  std::error_code ec;
  if (fs::exists(path, ec)) {
    const Status verified = Verify(digest);
    if (verified.ok()) return path;
    if (verified.code() != StatusCode::kDataLoss) return Err(verified);
    // Corrupted and deleted: pull it again.
  }
  LOCAI_RETURN_IF_ERROR(MakeDirectories(fs::path(path).parent_path().string()));
  const std::string partial = path + ".partial";
  std::chrono::milliseconds delay = options_.retry_delay;
  Status last = Status::Unavailable("no attempt was made");
  for (int attempt = 0; attempt < std::max(1, options_.max_attempts); ++attempt) {
    if (attempt > 0) {
      const auto until = std::chrono::steady_clock::now() + delay;
      while (std::chrono::steady_clock::now() < until && !Cancelled(cancel)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      delay *= 2;
    }
    if (Cancelled(cancel))
      return Err(Status::Cancelled("the pull of " + std::string(digest) + " was cancelled"));
    last = Transfer(hex, partial, size, progress, cancel);
    if (last.ok() || !Retryable(last)) break;
  }
  if (!last.ok()) return Err(last);

  const uint64_t actual_size = FileSizeOr0(partial);
  if (size > 0 && actual_size != size) {
    fs::remove(partial, ec);
    return Err(Status::DataLoss("blob " + std::string(digest) + " has " +
                                std::to_string(actual_size) + " bytes, expected " +
                                std::to_string(size)));
  }
  LOCAI_ASSIGN_OR_RETURN(std::string actual, crypto::Sha256FileHex(partial));
  if (actual != hex) {
    fs::remove(partial, ec);
    return Err(Status::DataLoss("the downloaded bytes do not match " + std::string(digest) +
                                " (their SHA-256 is " + actual + "); discarded"));
  }
  ::chmod(partial.c_str(), 0444);
  if (::rename(partial.c_str(), path.c_str()) != 0) {
    return Err(Status::Unavailable("cannot rename " + partial + ": " + std::strerror(errno)));
  }
  LOCAI_RETURN_IF_ERROR(FsyncDirectory(fs::path(path).parent_path().string()));
  return path;
}

}  // namespace locai::node::agent
