#include "store/blob/blob_store.h"

#include <algorithm>

#include "crypto/random.h"
#include "crypto/sha256.h"

namespace locai::store::blob {

namespace {

constexpr std::string_view kDigestPrefix = "sha256:";
constexpr size_t kHexDigits = 64;
constexpr size_t kUploadIdBytes = 16;
constexpr size_t kMaxUploadIdChars = 64;
constexpr size_t kCopyChunkBytes = size_t{1} << 20;

bool IsLowerHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

Result<std::string> ParseDigest(std::string_view digest) {
  if (digest.size() != kDigestPrefix.size() + kHexDigits ||
      digest.substr(0, kDigestPrefix.size()) != kDigestPrefix ||
      !IsLowerHex(digest.substr(kDigestPrefix.size()))) {
    return Err(Status::InvalidArgument(
        "invalid digest: expected \"sha256:\" followed by 64 lowercase hex characters"));
  }
  return std::string(digest.substr(kDigestPrefix.size()));
}

Status ValidateUploadId(std::string_view id) {
  if (id.empty() || id.size() > kMaxUploadIdChars || !IsLowerHex(id)) {
    return Status::InvalidArgument("invalid upload id: expected 1 to 64 lowercase hex characters");
  }
  return Status::Ok();
}

// Holds an upload id in busy_uploads_ until destroyed.
class BlobStore::UploadClaim {
 public:
  UploadClaim(BlobStore* store, std::string id) : store_(store), id_(std::move(id)) {}
  UploadClaim(UploadClaim&& other) noexcept
      : store_(std::exchange(other.store_, nullptr)), id_(std::move(other.id_)) {}
  UploadClaim& operator=(UploadClaim&&) = delete;
  ~UploadClaim() {
    if (store_ == nullptr) return;
    std::lock_guard<std::mutex> lock(store_->mu_);
    store_->busy_uploads_.erase(id_);
  }

 private:
  BlobStore* store_;
  std::string id_;
};

Result<BlobStore::UploadClaim> BlobStore::Claim(std::string_view id) {
  LOCAI_RETURN_IF_ERROR(ValidateUploadId(id));
  std::lock_guard<std::mutex> lock(mu_);
  if (!busy_uploads_.emplace(id).second) {
    return Err(
        Status::FailedPrecondition("upload " + std::string(id) + " is busy with another request"));
  }
  return UploadClaim(this, std::string(id));
}

Result<std::unique_ptr<BlobStore>> BlobStore::Open(const std::string& root,
                                                   std::unique_ptr<FileSystem> fs) {
  if (root.empty()) return Err(Status::InvalidArgument("blob store root is empty"));
  if (fs == nullptr) fs = std::make_unique<PosixFileSystem>();
  LOCAI_RETURN_IF_ERROR(fs->CreateDirs(root + "/blobs/sha256"));
  LOCAI_RETURN_IF_ERROR(fs->CreateDirs(root + "/uploads"));
  return std::unique_ptr<BlobStore>(new BlobStore(root, std::move(fs)));
}

std::string BlobStore::UploadPath(std::string_view id) const {
  return root_ + "/uploads/" + std::string(id);
}

std::string BlobStore::BlobDir(std::string_view hex) const {
  return root_ + "/blobs/sha256/" + std::string(hex.substr(0, 2));
}

// ---- Blobs ----

Result<std::string> BlobStore::Path(std::string_view digest) {
  LOCAI_ASSIGN_OR_RETURN(std::string hex, ParseDigest(digest));
  return BlobDir(hex) + "/" + hex;
}

bool BlobStore::Has(std::string_view digest) { return Size(digest).has_value(); }

Result<uint64_t> BlobStore::Size(std::string_view digest) {
  LOCAI_ASSIGN_OR_RETURN(std::string path, Path(digest));
  auto size = fs_->FileSize(path);
  if (!size && size.error().code() == StatusCode::kNotFound) {
    return Err(Status::NotFound("blob " + std::string(digest) + " not found"));
  }
  return size;
}

Status BlobStore::Remove(std::string_view digest) {
  LOCAI_ASSIGN_OR_RETURN(std::string path, Path(digest));
  Status status = fs_->Remove(path);
  if (status.code() == StatusCode::kNotFound) {
    return Status::NotFound("blob " + std::string(digest) + " not found");
  }
  return status;
}

Result<std::vector<BlobInfo>> BlobStore::List() {
  const std::string base = root_ + "/blobs/sha256";
  LOCAI_ASSIGN_OR_RETURN(std::vector<std::string> prefixes, fs_->ListDir(base));
  std::vector<BlobInfo> blobs;
  for (const std::string& prefix : prefixes) {
    if (prefix.size() != 2 || !IsLowerHex(prefix)) continue;
    auto names = fs_->ListDir(base + "/" + prefix);
    if (!names) continue;  // a file, or removed meanwhile
    for (const std::string& name : *names) {
      if (name.size() != kHexDigits || !IsLowerHex(name) || name.compare(0, 2, prefix) != 0) {
        continue;
      }
      std::string path = base + "/" + prefix + "/" + name;
      auto size = fs_->FileSize(path);
      if (!size) continue;
      blobs.push_back(BlobInfo{std::string(kDigestPrefix) + name, *size, path});
    }
  }
  std::sort(blobs.begin(), blobs.end(),
            [](const BlobInfo& a, const BlobInfo& b) { return a.digest < b.digest; });
  return blobs;
}

// ---- Uploads ----

Result<std::string> BlobStore::BeginUpload() {
  LOCAI_ASSIGN_OR_RETURN(std::string id, crypto::RandomHex(kUploadIdBytes));
  LOCAI_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                         fs_->OpenAppend(UploadPath(id), /*create_new=*/true));
  LOCAI_RETURN_IF_ERROR(file->Close());
  return id;
}

Result<uint64_t> BlobStore::UploadOffset(std::string_view id) {
  LOCAI_RETURN_IF_ERROR(ValidateUploadId(id));
  auto size = fs_->FileSize(UploadPath(id));
  if (!size && size.error().code() == StatusCode::kNotFound) {
    return Err(Status::NotFound("upload " + std::string(id) + " not found"));
  }
  return size;
}

Result<uint64_t> BlobStore::AppendUpload(std::string_view id, uint64_t offset,
                                         std::string_view bytes) {
  LOCAI_ASSIGN_OR_RETURN(UploadClaim claim, Claim(id));
  LOCAI_ASSIGN_OR_RETURN(uint64_t current, UploadOffset(id));
  if (offset != current) {
    return Err(Status::FailedPrecondition("upload " + std::string(id) + " is at offset " +
                                          std::to_string(current) + ", not " +
                                          std::to_string(offset)));
  }
  const std::string path = UploadPath(id);
  auto write = [&]() -> Status {
    LOCAI_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                           fs_->OpenAppend(path, /*create_new=*/false));
    LOCAI_RETURN_IF_ERROR(file->Append(bytes));
    LOCAI_RETURN_IF_ERROR(file->Sync());
    return file->Close();
  };
  Status status = write();
  if (!status.ok()) {
    // Cut back to what was acknowledged, so the client can resend this chunk at `offset`.
    Status cut = fs_->Truncate(path, offset);
    std::string context = "upload " + std::string(id) + " at offset " + std::to_string(offset);
    if (!cut.ok()) context += " (and cutting it back failed: " + cut.message() + ")";
    return Err(status.WithContext(context));
  }
  return offset + bytes.size();
}

Result<BlobInfo> BlobStore::FinishUpload(std::string_view id, std::string_view expected_digest) {
  LOCAI_ASSIGN_OR_RETURN(std::string expected_hex, ParseDigest(expected_digest));
  LOCAI_ASSIGN_OR_RETURN(UploadClaim claim, Claim(id));
  LOCAI_ASSIGN_OR_RETURN(uint64_t size, UploadOffset(id));
  const std::string upload_path = UploadPath(id);

  crypto::Sha256 hasher;
  LOCAI_RETURN_IF_ERROR(fs_->ReadChunks(upload_path, [&](std::string_view chunk) {
    hasher.Update(chunk);
    return Status::Ok();
  }));
  const std::string actual_hex = hasher.FinishHex();
  if (actual_hex != expected_hex) {
    (void)fs_->Remove(upload_path);  // its bytes are wrong; the client starts again
    return Err(Status::InvalidArgument("digest mismatch: upload " + std::string(id) +
                                       " has sha256:" + actual_hex + ", expected " +
                                       std::string(expected_digest) + "; the upload is discarded"));
  }
  BlobInfo info{std::string(expected_digest), size, BlobDir(expected_hex) + "/" + expected_hex};
  if (fs_->FileSize(info.path).has_value()) {
    (void)fs_->Remove(upload_path);  // same bytes are published already
    return info;
  }
  Status published = Publish(upload_path, expected_hex);
  if (!published.ok()) {
    return Err(published.WithContext("publish blob " + std::string(expected_digest)));
  }
  return info;
}

Status BlobStore::Publish(const std::string& upload_path, const std::string& hex) {
  {
    LOCAI_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                           fs_->OpenAppend(upload_path, /*create_new=*/false));
    Status synced = file->Sync();
    if (!synced.ok()) {
      // After a failed fsync the kernel may have dropped the dirty pages: the bytes on disk are
      // unknown, so the upload cannot be published or resumed.
      (void)fs_->Remove(upload_path);
      return Status::DataLoss(synced.message() + "; the upload is discarded, upload it again");
    }
    LOCAI_RETURN_IF_ERROR(file->Close());
  }
  const std::string dir = BlobDir(hex);
  const std::string target = dir + "/" + hex;
  LOCAI_RETURN_IF_ERROR(fs_->CreateDirs(dir));
  LOCAI_RETURN_IF_ERROR(fs_->Rename(upload_path, target));
  // Read-only after the rename, so that a failed rename leaves an upload that can be finished
  // again. The mode is defence in depth (the bytes are verified), so a failure does not unpublish.
  (void)fs_->MakeReadOnly(target);
  Status synced = fs_->SyncDir(dir);
  if (synced.ok()) synced = fs_->SyncDir(root_ + "/blobs/sha256");  // `dir` may be new
  if (!synced.ok()) {
    // The rename is not known to be durable: take the blob back out rather than publish it.
    (void)fs_->Remove(target);
    return synced;
  }
  return Status::Ok();
}

Status BlobStore::AbortUpload(std::string_view id) {
  LOCAI_ASSIGN_OR_RETURN(UploadClaim claim, Claim(id));
  Status status = fs_->Remove(UploadPath(id));
  if (status.code() == StatusCode::kNotFound) {
    return Status::NotFound("upload " + std::string(id) + " not found");
  }
  return status;
}

Result<int> BlobStore::CleanStaleUploads(std::chrono::milliseconds max_age, int64_t now_ms) {
  LOCAI_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_->ListDir(root_ + "/uploads"));
  int removed = 0;
  for (const std::string& name : names) {
    if (!ValidateUploadId(name).ok()) continue;
    auto claim = Claim(name);
    if (!claim) continue;  // in use right now: not stale
    auto modified = fs_->ModifiedAtMs(UploadPath(name));
    if (!modified || now_ms - *modified < max_age.count()) continue;
    if (fs_->Remove(UploadPath(name)).ok()) ++removed;
  }
  return removed;
}

// ---- Conveniences ----

Result<BlobInfo> BlobStore::PutBytes(std::string_view bytes) {
  const std::string digest = std::string(kDigestPrefix) + crypto::Sha256Hex(bytes);
  LOCAI_ASSIGN_OR_RETURN(std::string id, BeginUpload());
  auto appended = AppendUpload(id, 0, bytes);
  if (!appended) {
    (void)AbortUpload(id);
    return Err(appended.error());
  }
  return FinishUpload(id, digest);
}

Result<BlobInfo> BlobStore::PutFile(const std::string& path) {
  LOCAI_ASSIGN_OR_RETURN(std::string id, BeginUpload());
  crypto::Sha256 hasher;
  uint64_t offset = 0;
  std::string pending;  // appends go in chunks of kCopyChunkBytes
  auto flush = [&]() -> Status {
    LOCAI_ASSIGN_OR_RETURN(offset, AppendUpload(id, offset, pending));
    pending.clear();
    return Status::Ok();
  };
  Status copied = fs_->ReadChunks(path, [&](std::string_view chunk) {
    hasher.Update(chunk);
    pending.append(chunk);
    return pending.size() >= kCopyChunkBytes ? flush() : Status::Ok();
  });
  if (copied.ok() && !pending.empty()) copied = flush();
  if (!copied.ok()) {
    (void)AbortUpload(id);
    return Err(copied.WithContext("copy " + path));
  }
  return FinishUpload(id, std::string(kDigestPrefix) + hasher.FinishHex());
}

}  // namespace locai::store::blob
