#include "node/agent/blob_puller.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "node/agent/test_registry.h"
#include "node/test_util.h"

namespace locai::node::agent {
namespace {

namespace fs = std::filesystem;
using testing::DigestOf;
using testing::FakeRegistry;
using testing::LoopbackConnector;

std::string Pattern(size_t n) {
  std::string bytes(n, '\0');
  for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<char>((i * 7919 + i / 251) & 0xff);
  return bytes;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct PullerFixture {
  node::testing::TempDir dir;
  FakeRegistry registry;
  net::egress::Connector connector = LoopbackConnector();

  BlobPuller Make(int max_attempts = 3) {
    BlobPullerOptions options;
    options.blobs_dir = dir.Join("node/blobs");
    options.server_url = registry.url();
    options.http.purpose = "control-plane";
    options.max_attempts = max_attempts;
    options.retry_delay = std::chrono::milliseconds(10);
    options.signer = [](std::string_view method, std::string_view target,
                        net::HttpHeaders* headers) {
      headers->Set("X-Locai-Node-Id", "n_test");
      headers->Set("X-Locai-Signature", std::string(method) + " " + std::string(target));
      return Status::Ok();
    };
    return BlobPuller(std::move(options), connector);
  }
};

TEST(BlobPullerTest, PullsVerifiesAndPlacesTheBlobReadOnlyWithSignedRequests) {
  PullerFixture f;
  const std::string bytes = Pattern(300'000);
  const std::string digest = f.registry.Put(bytes);
  BlobPuller puller = f.Make();
  std::vector<uint64_t> progress;
  auto path = puller.Pull(digest, bytes.size(), [&](uint64_t done, uint64_t total) {
    EXPECT_EQ(total, bytes.size());
    progress.push_back(done);
  });
  ASSERT_TRUE(path) << path.error().ToString();
  const std::string hex = digest.substr(7);
  EXPECT_EQ(*path, f.dir.Join("node/blobs/sha256/" + hex.substr(0, 2) + "/" + hex));
  EXPECT_EQ(ReadFile(*path), bytes);
  EXPECT_FALSE(fs::exists(*path + ".partial"));
  struct stat st {};
  ASSERT_EQ(::stat(path->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  ASSERT_FALSE(progress.empty());
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  EXPECT_EQ(progress.back(), bytes.size());
  const auto seen = f.registry.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].node_id, "n_test");
  EXPECT_EQ(seen[0].signature, "GET /v1/registry/blobs/" + digest);
  EXPECT_EQ(seen[0].range, "");
  EXPECT_EQ(puller.List(), std::vector<std::string>{digest});

  // Present and intact: no second download.
  auto again = puller.Pull(digest, bytes.size(), nullptr);
  ASSERT_TRUE(again);
  EXPECT_EQ(f.registry.seen().size(), 1u);
}

TEST(BlobPullerTest, ResumesWithRangeAfterACutConnection) {
  PullerFixture f;
  const std::string bytes = Pattern(200'000);
  const std::string digest = f.registry.Put(bytes);
  f.registry.cut_after = 100'000;
  f.registry.cuts = 1;
  BlobPuller puller = f.Make();
  auto path = puller.Pull(digest, bytes.size(), nullptr);
  ASSERT_TRUE(path) << path.error().ToString();
  EXPECT_EQ(ReadFile(*path), bytes);
  const auto seen = f.registry.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].range, "");
  EXPECT_EQ(seen[1].range, "bytes=100000-");
}

TEST(BlobPullerTest, AnInterruptedPullResumesOnTheNextPull) {
  PullerFixture f;
  const std::string bytes = Pattern(150'000);
  const std::string digest = f.registry.Put(bytes);
  f.registry.cut_after = 60'000;
  f.registry.cuts = 1;
  BlobPuller once = f.Make(/*max_attempts=*/1);
  auto failed = once.Pull(digest, bytes.size(), nullptr);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), StatusCode::kUnavailable) << failed.error().ToString();
  const std::string path = *once.PathFor(digest);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(fs::file_size(path + ".partial"), 60'000u);
  EXPECT_TRUE(once.List().empty());

  BlobPuller later = f.Make();  // as after a restart
  std::vector<uint64_t> progress;
  auto pulled =
      later.Pull(digest, bytes.size(), [&](uint64_t done, uint64_t) { progress.push_back(done); });
  ASSERT_TRUE(pulled) << pulled.error().ToString();
  EXPECT_EQ(ReadFile(path), bytes);
  ASSERT_FALSE(progress.empty());
  EXPECT_GT(progress.front(), 60'000u);  // counted from where it resumed
  EXPECT_EQ(f.registry.seen().back().range, "bytes=60000-");
}

TEST(BlobPullerTest, RestartsFromZeroWhenTheServerIgnoresRange) {
  PullerFixture f;
  const std::string bytes = Pattern(90'000);
  const std::string digest = f.registry.Put(bytes);
  f.registry.cut_after = 30'000;
  f.registry.cuts = 1;
  f.registry.ignore_range = true;
  BlobPuller puller = f.Make();
  auto path = puller.Pull(digest, bytes.size(), nullptr);
  ASSERT_TRUE(path) << path.error().ToString();
  EXPECT_EQ(ReadFile(*path), bytes);
}

TEST(BlobPullerTest, DigestMismatchIsRefusedAndNothingIsLeftInPlace) {
  PullerFixture f;
  const std::string bytes = Pattern(50'000);
  const std::string digest = DigestOf("something else");
  f.registry.Put(digest, bytes);
  BlobPuller puller = f.Make();
  auto path = puller.Pull(digest, 0, nullptr);
  ASSERT_FALSE(path);
  EXPECT_EQ(path.error().code(), StatusCode::kDataLoss);
  EXPECT_NE(path.error().message().find("do not match"), std::string::npos);
  const std::string final_path = *puller.PathFor(digest);
  EXPECT_FALSE(fs::exists(final_path));
  EXPECT_FALSE(fs::exists(final_path + ".partial"));

  // A size that disagrees is refused the same way.
  const std::string good = f.registry.Put(Pattern(1000));
  auto wrong_size = puller.Pull(good, 999, nullptr);
  ASSERT_FALSE(wrong_size);
  EXPECT_EQ(wrong_size.error().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(fs::exists(*puller.PathFor(good)));
  EXPECT_FALSE(fs::exists(*puller.PathFor(good) + ".partial"));
}

TEST(BlobPullerTest, CorruptedStoredBlobIsDetectedDeletedAndPulledAgain) {
  PullerFixture f;
  const std::string bytes = Pattern(70'000);
  const std::string digest = f.registry.Put(bytes);
  BlobPuller puller = f.Make();
  auto path = puller.Pull(digest, bytes.size(), nullptr);
  ASSERT_TRUE(path);
  EXPECT_TRUE(puller.Verify(digest).ok());

  ::chmod(path->c_str(), 0644);
  {
    std::fstream file(*path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(1234);
    file.put('\x5a' ^ bytes[1234]);
  }
  const Status verified = puller.Verify(digest);
  EXPECT_EQ(verified.code(), StatusCode::kDataLoss) << verified.ToString();
  EXPECT_FALSE(fs::exists(*path));
  EXPECT_EQ(puller.Verify(digest).code(), StatusCode::kNotFound);

  // Corrupt it again, then Pull: detected, deleted and fetched again.
  ASSERT_TRUE(puller.Pull(digest, bytes.size(), nullptr));
  ::chmod(path->c_str(), 0644);
  { std::ofstream(*path, std::ios::binary | std::ios::trunc) << "garbage"; }
  const size_t requests = f.registry.seen().size();
  auto again = puller.Pull(digest, bytes.size(), nullptr);
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(ReadFile(*again), bytes);
  EXPECT_EQ(f.registry.seen().size(), requests + 1);
}

TEST(BlobPullerTest, ErrorsFromTheRegistryAndBadDigests) {
  PullerFixture f;
  BlobPuller puller = f.Make();
  const std::string missing = DigestOf("not uploaded");
  auto not_found = puller.Pull(missing, 0, nullptr);
  ASSERT_FALSE(not_found);
  EXPECT_EQ(not_found.error().code(), StatusCode::kNotFound);
  EXPECT_NE(not_found.error().message().find("blob not found"), std::string::npos);
  EXPECT_FALSE(fs::exists(*puller.PathFor(missing) + ".partial"));
  EXPECT_EQ(f.registry.seen().size(), 1u);  // a 404 is not retried

  for (const char* bad :
       {"sha256:../../etc/passwd", "md5:abc", "",
        "sha256:ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789"}) {
    auto refused = puller.Pull(bad, 0, nullptr);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code(), StatusCode::kInvalidArgument);
  }
}

TEST(BlobPullerTest, CancelStopsThePullAndKeepsThePartialFile) {
  PullerFixture f;
  const std::string bytes = Pattern(400'000);
  const std::string digest = f.registry.Put(bytes);
  BlobPuller puller = f.Make();
  std::atomic<bool> cancel{false};
  auto cancelled = puller.Pull(
      digest, bytes.size(),
      [&](uint64_t done, uint64_t) {
        if (done > 0) cancel = true;
      },
      &cancel);
  ASSERT_FALSE(cancelled);
  EXPECT_EQ(cancelled.error().code(), StatusCode::kCancelled);
  EXPECT_FALSE(fs::exists(*puller.PathFor(digest)));
  cancel = false;
  auto resumed = puller.Pull(digest, bytes.size(), nullptr, &cancel);
  ASSERT_TRUE(resumed) << resumed.error().ToString();
  EXPECT_EQ(ReadFile(*resumed), bytes);
}

}  // namespace
}  // namespace locai::node::agent
