// Blob downloads: GET /v1/registry/blobs/{digest}, with Range, streamed from the file in chunks
// on a task thread (never the whole file in memory), pacing itself on the connection's queue.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <utility>

#include "control/auth/http_reply.h"
#include "control/compliance/plan_limit_reply.h"
#include "control/registry/byte_range.h"
#include "control/registry/registry_impl.h"
#include "crypto/node_signature.h"

namespace locai::control::registry {
namespace {

// Closes a descriptor when the download ends, however it ends.
class FileHandle {
 public:
  explicit FileHandle(int fd) : fd_(fd) {}
  ~FileHandle() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

void RegistryImpl::DownloadBlob(const net::HttpRequest& request, const WriterPtr& writer) {
  // A node signs its requests; anyone else needs a deployer key.
  std::string org_id;
  if (request.headers.Has(crypto::kNodeIdHeader)) {
    auto node = auth_.AuthenticateNode(request, NowMs() / 1000);
    if (!node) return SendError(*writer, node.error());
    org_id = node->org_id;
  } else {
    auto who = Authorize(request, auth::Role::kDeployer);
    if (!who) return SendError(*writer, who.error());
    org_id = who->org_id;
  }
  const std::string digest_text = request.PathParam("digest");
  auto path = blobs_.Path(digest_text);
  if (!path) {
    return SendError(*writer, Status::InvalidArgument(
                                  "a digest is sha256: followed by 64 lowercase hex digits"));
  }
  auto held = store_.OrgHasBlob(org_id, digest_text);
  if (!held) return SendError(*writer, held.error());
  if (!*held) return SendError(*writer, Status::NotFound("no blob " + digest_text));

  struct stat info {};
  if (::stat(path->c_str(), &info) != 0) {
    return SendError(*writer, Status::NotFound("no blob " + digest_text));
  }
  const uint64_t size = static_cast<uint64_t>(info.st_size);
  const std::string etag = "\"" + digest_text + "\"";
  auto if_none_match = request.headers.Get("If-None-Match");
  if (if_none_match && (*if_none_match == etag || *if_none_match == digest_text)) {
    net::HttpResponse not_modified;
    not_modified.status = 304;
    not_modified.headers.Set("ETag", etag);
    return (void)writer->Send(std::move(not_modified));
  }

  const RangeResult range = ResolveRange(request.headers.Get("Range"), size);
  if (range.kind == RangeKind::kUnsatisfiable) {
    net::HttpResponse response = ErrorResponse(
        Status::OutOfRange("the range is outside the blob's " + std::to_string(size) + " bytes"));
    response.status = 416;
    response.headers.Set("Content-Range", "bytes */" + std::to_string(size));
    return (void)writer->Send(std::move(response));
  }
  net::HttpHeaders headers;
  headers.Set("Content-Type", "application/octet-stream");
  headers.Set("ETag", etag);
  headers.Set("Accept-Ranges", "bytes");
  headers.Set("X-Blob-Size", std::to_string(size));
  uint64_t first = 0;
  uint64_t length = size;
  int status = 200;
  if (range.kind == RangeKind::kPartial) {
    status = 206;
    first = range.range.first;
    length = range.range.length;
    headers.Set("Content-Range", "bytes " + std::to_string(first) + "-" +
                                     std::to_string(first + length - 1) + "/" +
                                     std::to_string(size));
  }
  // Egress is charged before the first byte: past the plan's quota nothing is sent (402).
  if (Status charged = hooks_.ChargeEgress(org_id, length); !charged.ok()) {
    return compliance::SendComplianceError(*writer, charged);
  }
  Status started = tasks_.Run([this, path = *path, first, length, status, headers = std::move(headers),
                               writer](const std::atomic<bool>& stopping) mutable {
    if (!writer->StartStream(status, std::move(headers))) return;
    StreamFile(path, first, length, writer, stopping);
  });
  if (!started.ok()) SendError(*writer, started);
}

void RegistryImpl::StreamFile(const std::string& path, uint64_t first, uint64_t length,
                              const WriterPtr& writer, const std::atomic<bool>& stopping) {
  FileHandle file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  // Dropping the writer without End() closes the connection: the client sees a truncated body,
  // never a short one that looks complete.
  if (file.fd() < 0) return;
  uint64_t position = first;
  const uint64_t end = first + length;
  std::string buffer;
  while (position < end) {
    if (stopping || writer->closed()) return;
    if (writer->queued_bytes() > options_.max_queued_download_bytes) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    const uint64_t want = std::min<uint64_t>(options_.download_chunk_bytes, end - position);
    buffer.resize(static_cast<size_t>(want));
    ssize_t got = ::pread(file.fd(), buffer.data(), buffer.size(), static_cast<off_t>(position));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return;  // a read error or a file shorter than it was: cut the connection
    buffer.resize(static_cast<size_t>(got));
    position += static_cast<uint64_t>(got);
    if (!writer->Write(std::move(buffer))) return;
    buffer = std::string();
  }
  writer->End();
}

}  // namespace locai::control::registry
