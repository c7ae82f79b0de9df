// BlobStore: content-addressed, verified blobs on disk, with resumable uploads.
//
// Layout under the root directory (docs/control-plane.md, "Data directory"):
//   blobs/sha256/ab/ab01...ff   complete, verified blobs (mode 0444), named by their SHA-256
//   uploads/<id>                partial uploads; <id> is lowercase hex
// A blob becomes visible only complete and verified: an upload's bytes are fsynced as they are
// appended, FinishUpload hashes the file, fsyncs it, renames it into place and fsyncs the
// directory. A failure at any step (disk full, fsync error, wrong digest) leaves no blob behind.
//
// Digests are "sha256:" + 64 lowercase hex characters; anything else is InvalidArgument before it
// is used in a path, and upload ids are hex only, so no input can name a path outside the root.
//
// Threading: thread-safe. Operations on one upload id are serialised: an Append/Finish/Abort on an
// upload another thread is working on fails at once with FailedPrecondition ("... busy") rather
// than waiting. Several processes must not share one root.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/blob/file_system.h"

namespace locai::store::blob {

struct BlobInfo {
  std::string digest;  // "sha256:<hex>"
  uint64_t size = 0;
  std::string path;  // absolute or relative as the root was given
};

// The 64-hex part of "sha256:<64 lowercase hex>"; InvalidArgument for anything else.
Result<std::string> ParseDigest(std::string_view digest);

// OK for an upload id (1 to 64 lowercase hex characters); InvalidArgument otherwise.
Status ValidateUploadId(std::string_view id);

class BlobStore {
 public:
  // Creates root/blobs/sha256 and root/uploads if missing. `fs` defaults to PosixFileSystem.
  static Result<std::unique_ptr<BlobStore>> Open(const std::string& root,
                                                 std::unique_ptr<FileSystem> fs = nullptr);

  // ---- Blobs ----
  // False also for an invalid digest.
  bool Has(std::string_view digest);
  // InvalidArgument (bad digest), NotFound.
  Result<uint64_t> Size(std::string_view digest);
  // Where the blob is (or would be); InvalidArgument for a bad digest. Does not check existence.
  Result<std::string> Path(std::string_view digest);
  // InvalidArgument, NotFound.
  Status Remove(std::string_view digest);
  // Every complete blob, in digest order. Stray files in the tree are ignored.
  Result<std::vector<BlobInfo>> List();

  // ---- Uploads ----
  // Creates an empty upload with a random 32-hex-character id.
  Result<std::string> BeginUpload();
  // The upload's current size, where the next AppendUpload must start. NotFound.
  Result<uint64_t> UploadOffset(std::string_view id);
  // Appends `bytes` at `offset` and fsyncs before returning the new offset, so acknowledged bytes
  // survive a crash. FailedPrecondition "upload <id> is at offset N" when `offset` is not the
  // current size; NotFound; a write or fsync error (e.g. ResourceExhausted for a full disk) is
  // returned after the upload is cut back to `offset`, so the chunk can be sent again.
  Result<uint64_t> AppendUpload(std::string_view id, uint64_t offset, std::string_view bytes);
  // Verifies the upload against `expected_digest` and publishes it as a blob. InvalidArgument for a
  // bad digest (upload kept) or a mismatch ("digest mismatch ...": the upload is discarded);
  // NotFound. When the blob exists already the upload is dropped and the existing blob returned.
  // On a file-system error nothing becomes visible; after an fsync error the upload is discarded
  // (its bytes can no longer be trusted: DataLoss).
  Result<BlobInfo> FinishUpload(std::string_view id, std::string_view expected_digest);
  // Deletes the upload. NotFound.
  Status AbortUpload(std::string_view id);
  // Deletes uploads not modified for `max_age` as of `now_ms` (Unix ms). Returns how many.
  Result<int> CleanStaleUploads(std::chrono::milliseconds max_age, int64_t now_ms);

  // ---- Conveniences (tests, the node, seeding) ----
  Result<BlobInfo> PutBytes(std::string_view bytes);
  // Copies the file at `path` in (it is read twice: hashed while copied, verified at the end).
  Result<BlobInfo> PutFile(const std::string& path);

  const std::string& root() const { return root_; }

 private:
  BlobStore(std::string root, std::unique_ptr<FileSystem> fs)
      : root_(std::move(root)), fs_(std::move(fs)) {}

  // Marks upload `id` busy for its lifetime (or fails with FailedPrecondition).
  class UploadClaim;
  Result<UploadClaim> Claim(std::string_view id);

  std::string UploadPath(std::string_view id) const;
  std::string BlobDir(std::string_view hex) const;
  // Publishes the verified upload file as blob `hex` (sync, chmod, rename, directory syncs).
  Status Publish(const std::string& upload_path, const std::string& hex);

  const std::string root_;
  const std::unique_ptr<FileSystem> fs_;
  std::mutex mu_;
  std::set<std::string, std::less<>> busy_uploads_;  // GUARDED_BY(mu_)
};

}  // namespace locai::store::blob
