// BlobPuller: downloads model blobs from the control plane's registry into the node's data
// directory, `<blobs_dir>/sha256/ab/<hex>` (docs/control-plane.md, Data directory).
//
// Pull(digest, size): GET /v1/registry/blobs/sha256:<hex>, signed, into `<path>.partial`. The
// partial file survives an interrupted transfer: the next attempt (within Pull, up to max_attempts,
// or a later Pull after a restart) asks for `Range: bytes=<partial size>-` and appends. Once the
// bytes are complete they are fsynced and their SHA-256 compared with the digest: a mismatch
// deletes the partial file and fails with DataLoss, so nothing unverified is ever at the final
// path; a match renames the file into place (read-only) and fsyncs the directory.
// Verify(digest) re-hashes a stored blob before each load: a blob corrupted on the device is
// deleted (DataLoss), so the caller pulls it again.
// Thread-safety: Pull/Verify/Remove of different digests may run concurrently (each Pull uses its
// own HttpClient); two concurrent Pulls of one digest are not supported.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "net/egress/connector.h"
#include "net/http/http_client.h"
#include "net/http/http_message.h"

namespace locai::node::agent {

// Adds authentication headers to a request (`method`, `target` = path and query). Empty: none.
using RequestSigner =
    std::function<Status(std::string_view method, std::string_view target, net::HttpHeaders*)>;
// Bytes received so far (including those of an earlier, resumed attempt) and the total (0 when
// unknown). Called on the pulling thread after each piece.
using PullProgress = std::function<void(uint64_t done, uint64_t total)>;

struct BlobPullerOptions {
  std::string blobs_dir;        // "<data>/node/blobs"
  std::string server_url;       // "https://control:8443" (no trailing slash)
  net::HttpClientOptions http;  // timeouts, pinned CA, purpose "control-plane"
  RequestSigner signer;
  int max_attempts = 5;  // transfers per Pull; each one resumes where the last stopped
  std::chrono::milliseconds retry_delay{500};  // doubled after each failed attempt
};

class BlobPuller {
 public:
  BlobPuller(BlobPullerOptions options, net::egress::Connector& connector);

  // The final path of a blob. InvalidArgument when `digest` is not "sha256:" + 64 lowercase hex.
  Result<std::string> PathFor(std::string_view digest) const;

  // Makes the blob present and verified; returns its path. `size` is the expected size in bytes
  // (0: unknown). An already present blob is verified and returned without a download (a
  // corrupted one is deleted and pulled again). Errors: InvalidArgument (digest); Cancelled when
  // `cancel` becomes true; DataLoss when the downloaded bytes do not match the digest or size
  // (nothing is left behind); NotFound / Unauthenticated / ... when the server answers 404 / 401 /
  // ...; Unavailable when every attempt failed on the network (the partial file is kept).
  Result<std::string> Pull(std::string_view digest, uint64_t size, const PullProgress& progress,
                           const std::atomic<bool>* cancel = nullptr);

  // Re-hashes a stored blob. OK when it matches; NotFound when absent; DataLoss when it does not
  // match, after deleting it.
  Status Verify(std::string_view digest) const;
  // Deletes a blob and its partial file (absent is OK).
  Status Remove(std::string_view digest) const;
  // Digests ("sha256:<hex>") of the complete blobs on disk, sorted.
  std::vector<std::string> List() const;

 private:
  // One transfer from the partial file's current size. OK when the partial file now holds the
  // whole blob (not yet verified); Unavailable (retryable) when the transfer stopped early.
  Status Transfer(const std::string& hex, const std::string& partial, uint64_t size,
                  const PullProgress& progress, const std::atomic<bool>* cancel);

  BlobPullerOptions options_;
  net::egress::Connector& connector_;
};

// True for "sha256:" followed by 64 lowercase hex characters.
bool IsValidDigest(std::string_view digest);

}  // namespace locai::node::agent
