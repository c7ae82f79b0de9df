#include "node/agent/reconciler.h"

#include <gtest/gtest.h>

#include "node/agent/test_fakes.h"

namespace locai::node::agent {
namespace {

using testing::FakeHost;

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');

struct Recorder {
  std::vector<ModelState> states;
  StateSink Sink() {
    return [this](const ModelState& state) { states.push_back(state); };
  }
  std::vector<std::string> Names(const std::string& digest) const {
    std::vector<std::string> out;
    for (const auto& state : states) {
      if (state.digest == digest) out.push_back(state.state);
    }
    return out;
  }
};

DesiredModel Desired(const std::string& digest, std::vector<std::string> names,
                     uint64_t size = 1000) {
  return DesiredModel{digest, std::move(names), size, 256, 2};
}

TEST(ReconcilerTest, DownloadsVerifiesLoadsThenRemovesWhatIsNoLongerDesired) {
  FakeHost host;
  Recorder recorder;
  Reconciler reconciler(host, recorder.Sink(),
                        {.progress_interval = std::chrono::hours(1), .progress_step = 0.2});
  reconciler.Apply({Desired(kA, {"llama3.2:1b"})});
  EXPECT_EQ(recorder.Names(kA),
            (std::vector<std::string>{"downloading", "downloading", "downloading", "downloading",
                                      "verifying", "loading", "ready"}));
  EXPECT_EQ(host.TakeCalls(),
            (std::vector<std::string>{"fetch " + kA, "load " + kA + " /blobs/" + kA}));
  EXPECT_EQ(host.loaded[kA], std::vector<std::string>{"llama3.2:1b"});
  const auto states = reconciler.States();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].state, "ready");
  EXPECT_EQ(states[0].names, std::vector<std::string>{"llama3.2:1b"});
  EXPECT_EQ(states[0].progress, 1.0);

  // The same list again: nothing to do.
  recorder.states.clear();
  reconciler.Apply({Desired(kA, {"llama3.2:1b"})});
  EXPECT_TRUE(host.TakeCalls().empty());
  EXPECT_TRUE(recorder.states.empty());

  // A new model replaces it.
  reconciler.Apply({Desired(kB, {"llama3.2:1b"})});
  EXPECT_EQ(recorder.Names(kA), (std::vector<std::string>{"removing", "removed"}));
  EXPECT_EQ(recorder.Names(kB).back(), "ready");
  EXPECT_EQ(host.TakeCalls(), (std::vector<std::string>{"remove " + kA, "fetch " + kB,
                                                        "load " + kB + " /blobs/" + kB}));
  ASSERT_EQ(reconciler.States().size(), 1u);
  EXPECT_EQ(reconciler.States()[0].digest, kB);

  // New names for a ready model: registered again (a real host only re-verifies the blob).
  reconciler.Apply({Desired(kB, {"llama3.2:1b", "llama3.2:latest"})});
  EXPECT_EQ(host.loaded[kB], (std::vector<std::string>{"llama3.2:1b", "llama3.2:latest"}));

  reconciler.Apply({});
  EXPECT_TRUE(reconciler.States().empty());
  EXPECT_TRUE(host.loaded.empty());
  EXPECT_TRUE(host.stored.empty());
}

TEST(ReconcilerTest, FailuresCarryAReasonAndAreRetriedOnTheNextApply) {
  FakeHost host;
  Recorder recorder;
  Reconciler reconciler(host, recorder.Sink());
  host.fetch_errors[kA] = Status::DataLoss("the downloaded bytes do not match");
  host.load_errors[kB] =
      Status::ResourceExhausted("model needs 5.1 GiB but only 3.2 GiB is available");
  reconciler.Apply({Desired(kA, {"a:1"}), Desired(kB, {"b:1"})});
  auto states = reconciler.States();
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[0].state, "failed");
  EXPECT_NE(states[0].reason.find("do not match"), std::string::npos);
  EXPECT_EQ(states[1].state, "does_not_fit");
  EXPECT_NE(states[1].reason.find("needs 5.1 GiB"), std::string::npos);

  host.fetch_errors.clear();
  host.load_errors.clear();
  reconciler.Apply({Desired(kA, {"a:1"}), Desired(kB, {"b:1"})});
  states = reconciler.States();
  EXPECT_EQ(states[0].state, "ready");
  EXPECT_EQ(states[0].reason, "");
  EXPECT_EQ(states[1].state, "ready");
}

TEST(ReconcilerTest, ProgressIsThrottledByStepAndByTime) {
  FakeHost host;
  host.progress_steps = 100;
  Recorder recorder;
  auto now = std::chrono::steady_clock::now();
  Reconciler reconciler(host, recorder.Sink(),
                        {.progress_interval = std::chrono::seconds(1),
                         .progress_step = 0.05,
                         .now = [&] { return now; }});
  reconciler.Apply({Desired(kA, {"a:1"}, 10'000)});
  std::vector<double> progress;
  for (const auto& state : recorder.states) {
    if (state.state == "downloading") progress.push_back(state.progress);
  }
  // The first report at 0, then one per 5 %: 0.05 ... 0.95.
  ASSERT_EQ(progress.size(), 20u);
  EXPECT_EQ(progress.front(), 0.0);
  EXPECT_NEAR(progress[1], 0.05, 1e-9);
  EXPECT_NEAR(progress.back(), 0.95, 1e-9);

  // With time passing by 2 s per piece, every piece is reported.
  FakeHost slow_host;
  slow_host.progress_steps = 10;
  Recorder slow;
  Reconciler timed(slow_host, slow.Sink(),
                   {.progress_interval = std::chrono::seconds(1), .progress_step = 0.5, .now = [&] {
                      return now += std::chrono::seconds(2);
                    }});
  timed.Apply({Desired(kA, {"a:1"}, 10'000)});
  size_t downloading = 0;
  for (const auto& state : slow.states) downloading += state.state == "downloading";
  EXPECT_EQ(downloading, 10u);  // the start and 9 pieces; the 10th is "verifying"
}

TEST(ReconcilerTest, DeletesStrayBlobsAndStopsWhenCancelled) {
  FakeHost host;
  host.stored.insert(kB);  // left from an earlier run
  Recorder recorder;
  Reconciler reconciler(host, recorder.Sink());
  reconciler.Apply({Desired(kA, {"a:1"})});
  EXPECT_EQ(host.stored, std::set<std::string>{kA});

  std::atomic<bool> cancel{true};
  FakeHost idle;
  Reconciler cancelled(idle, nullptr);
  cancelled.Apply({Desired(kA, {"a:1"})}, &cancel);
  EXPECT_TRUE(idle.TakeCalls().empty());
  EXPECT_TRUE(cancelled.States().empty());
}

}  // namespace
}  // namespace locai::node::agent
