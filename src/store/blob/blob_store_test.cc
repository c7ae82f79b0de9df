#include "store/blob/blob_store.h"

#include <errno.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "crypto/sha256.h"
#include "store/testing/temp_dir.h"

namespace locai::store::blob {
namespace {

using store::testing::TempDir;

std::string DigestOf(std::string_view bytes) { return "sha256:" + crypto::Sha256Hex(bytes); }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Faults to inject; all off by default.
struct Faults {
  int write_errno = 0;      // Append fails with this errno after writing half of the bytes
  bool fail_fsync = false;  // WritableFile::Sync fails (EIO)
  bool fail_dir_sync = false;
  bool fail_rename = false;
  std::function<void()> on_append;  // runs once inside the next Append (re-entrancy tests)
};

class FaultyFile final : public WritableFile {
 public:
  FaultyFile(std::unique_ptr<WritableFile> real, Faults& faults, std::string path)
      : real_(std::move(real)), faults_(faults), path_(std::move(path)) {}
  Status Append(std::string_view bytes) override {
    if (faults_.on_append) {
      auto hook = std::exchange(faults_.on_append, nullptr);  // runs once
      hook();
    }
    if (faults_.write_errno != 0) {
      // A partial write, then the error: the store must cut the file back.
      LOCAI_RETURN_IF_ERROR(real_->Append(bytes.substr(0, bytes.size() / 2)));
      return ErrnoStatus(faults_.write_errno, "write", path_);
    }
    return real_->Append(bytes);
  }
  Status Sync() override {
    if (faults_.fail_fsync) return ErrnoStatus(EIO, "fsync", path_);
    return real_->Sync();
  }
  Status Close() override { return real_->Close(); }

 private:
  std::unique_ptr<WritableFile> real_;
  Faults& faults_;
  std::string path_;
};

class FaultyFileSystem final : public PosixFileSystem {
 public:
  explicit FaultyFileSystem(Faults& faults) : faults_(faults) {}
  Result<std::unique_ptr<WritableFile>> OpenAppend(const std::string& path,
                                                   bool create_new) override {
    LOCAI_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> real,
                           PosixFileSystem::OpenAppend(path, create_new));
    return std::unique_ptr<WritableFile>(new FaultyFile(std::move(real), faults_, path));
  }
  Status Rename(const std::string& from, const std::string& to) override {
    if (faults_.fail_rename) return ErrnoStatus(EIO, "rename to " + to, from);
    return PosixFileSystem::Rename(from, to);
  }
  Status SyncDir(const std::string& path) override {
    if (faults_.fail_dir_sync) return ErrnoStatus(EIO, "fsync directory", path);
    return PosixFileSystem::SyncDir(path);
  }

 private:
  Faults& faults_;
};

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = BlobStore::Open(dir_.File("server"), std::make_unique<FaultyFileSystem>(faults_));
    ASSERT_TRUE(store.has_value()) << store.error().ToString();
    store_ = std::move(*store);
  }

  size_t UploadCount() {
    auto names = PosixFileSystem().ListDir(dir_.File("server/uploads"));
    return names ? names->size() : 0;
  }

  TempDir dir_;
  Faults faults_;
  std::unique_ptr<BlobStore> store_;
};

TEST(ParseDigestTest, AcceptsOnlyLowercaseSha256) {
  const std::string hex(64, 'a');
  EXPECT_EQ(*ParseDigest("sha256:" + hex), hex);
  EXPECT_FALSE(ParseDigest("sha256:" + std::string(64, 'A')).has_value());
  EXPECT_FALSE(ParseDigest("sha256:" + std::string(63, 'a')).has_value());
  EXPECT_FALSE(ParseDigest("sha256:" + std::string(65, 'a')).has_value());
  EXPECT_FALSE(ParseDigest("sha512:" + hex).has_value());
  EXPECT_FALSE(ParseDigest(hex).has_value());
  EXPECT_FALSE(ParseDigest("sha256:../../" + std::string(58, 'a')).has_value());
  EXPECT_FALSE(ParseDigest("sha256:" + std::string(63, 'a') + "/").has_value());
  EXPECT_EQ(ParseDigest("").error().code(), StatusCode::kInvalidArgument);
}

TEST(ValidateUploadIdTest, HexOnly) {
  EXPECT_TRUE(ValidateUploadId("0123abcd").ok());
  EXPECT_FALSE(ValidateUploadId("").ok());
  EXPECT_FALSE(ValidateUploadId("../etc").ok());
  EXPECT_FALSE(ValidateUploadId("ABCD").ok());
  EXPECT_FALSE(ValidateUploadId(std::string(65, 'a')).ok());
}

TEST_F(BlobStoreTest, PutBytesPublishesAReadOnlyContentAddressedFile) {
  auto info = store_->PutBytes("hello world");
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  const std::string hex = crypto::Sha256Hex("hello world");
  EXPECT_EQ(info->digest, "sha256:" + hex);
  EXPECT_EQ(info->size, 11u);
  EXPECT_EQ(info->path, dir_.File("server/blobs/sha256/" + hex.substr(0, 2) + "/" + hex));
  EXPECT_EQ(*store_->Path(info->digest), info->path);
  EXPECT_EQ(ReadAll(info->path), "hello world");
  struct stat st;
  ASSERT_EQ(stat(info->path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  EXPECT_TRUE(store_->Has(info->digest));
  EXPECT_EQ(*store_->Size(info->digest), 11u);
  EXPECT_EQ(UploadCount(), 0u);

  // Putting the same bytes again is a no-op that succeeds.
  auto again = store_->PutBytes("hello world");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->digest, info->digest);
  EXPECT_EQ(UploadCount(), 0u);
}

TEST_F(BlobStoreTest, LookupsValidateTheDigest) {
  EXPECT_FALSE(store_->Has("sha256:../../etc/passwd"));
  EXPECT_EQ(store_->Size("nope").error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Path("sha256:xyz").error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Remove("../x").code(), StatusCode::kInvalidArgument);
  const std::string absent = "sha256:" + std::string(64, '0');
  EXPECT_FALSE(store_->Has(absent));
  EXPECT_EQ(store_->Size(absent).error().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Remove(absent).code(), StatusCode::kNotFound);
}

TEST_F(BlobStoreTest, ListAndRemove) {
  auto a = store_->PutBytes("a");
  auto b = store_->PutBytes("b");
  ASSERT_TRUE(a.has_value() && b.has_value());
  // Stray files are not blobs.
  std::ofstream(dir_.File("server/blobs/sha256/stray")) << "x";
  auto blobs = store_->List();
  ASSERT_TRUE(blobs.has_value());
  ASSERT_EQ(blobs->size(), 2u);
  EXPECT_LT((*blobs)[0].digest, (*blobs)[1].digest);
  EXPECT_EQ((*blobs)[0].size, 1u);
  ASSERT_TRUE(store_->Remove(a->digest).ok());
  EXPECT_FALSE(store_->Has(a->digest));
  EXPECT_EQ(store_->List()->size(), 1u);
}

TEST_F(BlobStoreTest, ResumableUploadSurvivesReopen) {
  auto id = store_->BeginUpload();
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->size(), 32u);
  EXPECT_EQ(*store_->UploadOffset(*id), 0u);
  EXPECT_EQ(*store_->AppendUpload(*id, 0, "hello "), 6u);
  auto wrong = store_->AppendUpload(*id, 3, "xx");
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(wrong.error().message().find("at offset 6"), std::string::npos);

  // A restarted server finds the upload where it was.
  store_.reset();
  auto reopened = BlobStore::Open(dir_.File("server"));
  ASSERT_TRUE(reopened.has_value());
  store_ = std::move(*reopened);
  EXPECT_EQ(*store_->UploadOffset(*id), 6u);
  EXPECT_EQ(*store_->AppendUpload(*id, 6, "world"), 11u);
  EXPECT_EQ(*store_->AppendUpload(*id, 11, ""), 11u);
  auto info = store_->FinishUpload(*id, DigestOf("hello world"));
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  EXPECT_EQ(ReadAll(info->path), "hello world");
  EXPECT_EQ(store_->UploadOffset(*id).error().code(), StatusCode::kNotFound);
}

TEST_F(BlobStoreTest, DigestMismatchDiscardsTheUpload) {
  auto id = store_->BeginUpload();
  ASSERT_TRUE(id.has_value());
  ASSERT_TRUE(store_->AppendUpload(*id, 0, "tampered").has_value());
  // A malformed digest is refused before anything happens; the upload stays.
  EXPECT_EQ(store_->FinishUpload(*id, "sha256:nope").error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_->UploadOffset(*id), 8u);
  auto result = store_->FinishUpload(*id, DigestOf("original"));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.error().message().find("digest mismatch"), std::string::npos);
  EXPECT_FALSE(store_->Has(DigestOf("original")));
  EXPECT_FALSE(store_->Has(DigestOf("tampered")));
  EXPECT_EQ(UploadCount(), 0u);
}

TEST_F(BlobStoreTest, UploadIdsAreValidatedAndUnknownOnesNotFound) {
  EXPECT_EQ(store_->UploadOffset("../../blobs").error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->AppendUpload("x/y", 0, "a").error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->AbortUpload("..").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->UploadOffset("abcd").error().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->AppendUpload("abcd", 0, "a").error().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->FinishUpload("abcd", DigestOf("a")).error().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->AbortUpload("abcd").code(), StatusCode::kNotFound);
  auto id = store_->BeginUpload();
  ASSERT_TRUE(id.has_value());
  ASSERT_TRUE(store_->AbortUpload(*id).ok());
  EXPECT_EQ(UploadCount(), 0u);
}

TEST_F(BlobStoreTest, DiskFullOnWriteFailsClearlyAndKeepsAcknowledgedBytes) {
  auto id = store_->BeginUpload();
  ASSERT_TRUE(id.has_value());
  ASSERT_TRUE(store_->AppendUpload(*id, 0, "first").has_value());
  faults_.write_errno = ENOSPC;
  auto full = store_->AppendUpload(*id, 5, "second chunk");
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(full.error().message().find("No space left on device"), std::string::npos)
      << full.error().message();
  EXPECT_EQ(*store_->UploadOffset(*id), 5u);  // the partial write was cut back
  faults_.write_errno = 0;
  ASSERT_TRUE(store_->AppendUpload(*id, 5, "second chunk").has_value());
  auto info = store_->FinishUpload(*id, DigestOf("firstsecond chunk"));
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
}

TEST_F(BlobStoreTest, DiskFullInPutBytesLeavesNothingBehind) {
  faults_.write_errno = ENOSPC;
  auto result = store_->PutBytes("payload");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), StatusCode::kResourceExhausted);
  EXPECT_FALSE(store_->Has(DigestOf("payload")));
  EXPECT_EQ(UploadCount(), 0u);
  EXPECT_TRUE(store_->List()->empty());
}

TEST_F(BlobStoreTest, FsyncFailureOnAppendIsReportedAndNotAcknowledged) {
  auto id = store_->BeginUpload();
  ASSERT_TRUE(id.has_value());
  faults_.fail_fsync = true;
  auto result = store_->AppendUpload(*id, 0, "bytes");
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message().find("fsync"), std::string::npos);
  EXPECT_EQ(*store_->UploadOffset(*id), 0u);
}

TEST_F(BlobStoreTest, FsyncFailureAtFinishPublishesNothing) {
  auto id = store_->BeginUpload();
  ASSERT_TRUE(id.has_value());
  ASSERT_TRUE(store_->AppendUpload(*id, 0, "model bytes").has_value());
  faults_.fail_fsync = true;
  auto result = store_->FinishUpload(*id, DigestOf("model bytes"));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), StatusCode::kDataLoss);
  EXPECT_NE(result.error().message().find("fsync"), std::string::npos);
  EXPECT_FALSE(store_->Has(DigestOf("model bytes")));
  EXPECT_EQ(UploadCount(), 0u);
}

TEST_F(BlobStoreTest, DirectoryFsyncFailureTakesTheBlobBackOut) {
  faults_.fail_dir_sync = true;
  auto result = store_->PutBytes("weights");
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message().find("fsync directory"), std::string::npos);
  EXPECT_FALSE(store_->Has(DigestOf("weights")));
  EXPECT_TRUE(store_->List()->empty());
  faults_.fail_dir_sync = false;
  EXPECT_TRUE(store_->PutBytes("weights").has_value());
}

TEST_F(BlobStoreTest, FailedRenameLeavesAnUploadThatCanBeFinishedAgain) {
  auto id = store_->BeginUpload();
  ASSERT_TRUE(id.has_value());
  ASSERT_TRUE(store_->AppendUpload(*id, 0, "weights").has_value());
  faults_.fail_rename = true;
  auto failed = store_->FinishUpload(*id, DigestOf("weights"));
  ASSERT_FALSE(failed.has_value());
  EXPECT_NE(failed.error().message().find("rename"), std::string::npos);
  EXPECT_FALSE(store_->Has(DigestOf("weights")));
  faults_.fail_rename = false;
  auto info = store_->FinishUpload(*id, DigestOf("weights"));
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  EXPECT_EQ(ReadAll(info->path), "weights");
}

TEST_F(BlobStoreTest, ConcurrentWorkOnOneUploadIsRefused) {
  auto id = store_->BeginUpload();
  ASSERT_TRUE(id.has_value());
  Result<uint64_t> inner = 0;
  faults_.on_append = [&] {
    inner = store_->AppendUpload(*id, 0, "other");  // while the outer append holds the upload
  };
  ASSERT_TRUE(store_->AppendUpload(*id, 0, "outer").has_value());
  ASSERT_FALSE(inner.has_value());
  EXPECT_EQ(inner.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(inner.error().message().find("busy"), std::string::npos);
  EXPECT_EQ(*store_->UploadOffset(*id), 5u);
}

TEST_F(BlobStoreTest, CleanStaleUploads) {
  auto a = store_->BeginUpload();
  auto b = store_->BeginUpload();
  ASSERT_TRUE(a.has_value() && b.has_value());
  const int64_t now_ms = *PosixFileSystem().ModifiedAtMs(dir_.File("server/uploads/" + *a));
  EXPECT_EQ(*store_->CleanStaleUploads(std::chrono::hours(1), now_ms), 0);
  EXPECT_EQ(UploadCount(), 2u);
  EXPECT_EQ(*store_->CleanStaleUploads(std::chrono::hours(1), now_ms + 2 * 3600 * 1000), 2);
  EXPECT_EQ(UploadCount(), 0u);
}

TEST_F(BlobStoreTest, PutFileCopiesInChunks) {
  std::string content(2'500'000, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7 + i / 1000);
  const std::string source = dir_.File("model.gguf");
  std::ofstream(source, std::ios::binary) << content;
  auto info = store_->PutFile(source);
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  EXPECT_EQ(info->digest, DigestOf(content));
  EXPECT_EQ(info->size, content.size());
  EXPECT_EQ(ReadAll(info->path), content);
  EXPECT_EQ(store_->PutFile(dir_.File("missing")).error().code(), StatusCode::kNotFound);
  EXPECT_EQ(UploadCount(), 0u);
}

}  // namespace
}  // namespace locai::store::blob
