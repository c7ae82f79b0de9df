// Conformance: the engine's logits against the reference files in ../shared/conformance/logits,
// under the rule of its README (tolerance `tol` in units of each row's standard deviation).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "engine/model/inference_context.h"

namespace locai::engine {
namespace {

using nlohmann::json;

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in, nullptr, false);
}

std::string Conformance(const std::string& rel) {
  return std::string(LOCAI_CONFORMANCE_DIR) + "/" + rel;
}

// Indices of the `k` largest values, largest first.
std::vector<int32_t> TopK(std::span<const float> row, size_t k) {
  std::vector<int32_t> idx(row.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::partial_sort(idx.begin(), idx.begin() + static_cast<long>(k), idx.end(),
                    [&](int32_t a, int32_t b) { return row[a] > row[b]; });
  idx.resize(k);
  return idx;
}

// Checks one position against its reference row; returns the worst deviation in units of sd.
double CheckPosition(std::span<const float> row, const json& ref, double tol,
                     const std::string& where) {
  const double sd = ref["std"].get<double>();
  const auto& top = ref["top"];
  const std::vector<int32_t> ours = TopK(row, 10);
  double worst = 0.0;
  for (const auto& pair : top) {
    const int32_t id = pair[0].get<int32_t>();
    const double logit = pair[1].get<double>();
    if (std::find(ours.begin(), ours.end(), id) == ours.end()) continue;
    const double dev = std::abs(row[static_cast<size_t>(id)] - logit) / sd;
    worst = std::max(worst, dev);
    EXPECT_LE(dev, tol) << where << " id " << id << " ours " << row[static_cast<size_t>(id)]
                        << " reference " << logit;
  }
  // Rule 2: our top-1 is the reference top-1 or a near-tie inside the reference top ten.
  const int32_t our_top = ours[0];
  const double ref_max = top[0][1].get<double>();
  bool ok = false;
  for (const auto& pair : top) {
    if (pair[0].get<int32_t>() == our_top) ok = (ref_max - pair[1].get<double>()) <= tol * sd;
  }
  EXPECT_TRUE(ok) << where << ": our top-1 " << our_top << " is not the reference top-1 "
                  << top[0][0] << " nor a near-tie";
  return worst;
}

class ConformanceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ConformanceTest, LogitsMatchReference) {
  const std::string name = GetParam();
  const json ref = ReadJson(Conformance("logits/" + name + ".json"));
  ASSERT_FALSE(ref.is_discarded());
  auto model = Model::Load(Conformance("models/" + name + ".gguf"));
  ASSERT_TRUE(model) << model.error().ToString();
  const double tol = ref["tolerance_std"].get<double>();
  double worst = 0.0;
  int seq_idx = 0;
  for (const auto& seq : ref["sequences"]) {
    const auto tokens = seq["tokens"].get<std::vector<int32_t>>();
    ContextOptions options;
    options.context_length = static_cast<int64_t>(tokens.size());
    options.n_threads = 2;
    auto ctx = InferenceContext::Create(*model, options);
    ASSERT_TRUE(ctx) << ctx.error().ToString();
    std::vector<BatchEntry> batch;
    for (int32_t t : tokens) batch.push_back({t, 0, true});
    ASSERT_TRUE((*ctx)->Decode(batch).ok());
    const auto& positions = seq["positions"];
    ASSERT_EQ(positions.size(), tokens.size());
    for (size_t p = 0; p < tokens.size(); ++p) {
      const std::string where = name + " seq " + std::to_string(seq_idx) + " pos " + std::to_string(p);
      worst = std::max(worst, CheckPosition((*ctx)->Logits(p), positions[p], tol, where));
    }
    ++seq_idx;
  }
  std::cout << "[conformance] " << name << ": worst deviation " << worst << " sd (tolerance " << tol
            << ")\n";
}

INSTANTIATE_TEST_SUITE_P(Models, ConformanceTest,
                         ::testing::Values("tiny-f32", "small-f16", "small-q8_0", "small-q4_0",
                                           "small-q4_k_m", "small-q6_k", "tied-f16",
                                           "stories260K"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// The trained model writes English: greedy decoding of the first prompt is expected verbatim.
TEST(ConformanceGreedyTest, StoriesFirstPromptVerbatim) {
  const json ref = ReadJson(Conformance("logits/stories260K.json"));
  const auto& greedy = ref["greedy"][0];
  const auto prompt = greedy["prompt_ids"].get<std::vector<int32_t>>();
  const auto expected = greedy["continuation_ids"].get<std::vector<int32_t>>();
  auto model = Model::Load(Conformance("models/stories260K.gguf"));
  ASSERT_TRUE(model);
  ContextOptions options;
  options.context_length = 256;
  options.n_threads = 2;
  auto ctx = InferenceContext::Create(*model, options);
  ASSERT_TRUE(ctx);
  std::vector<BatchEntry> batch;
  for (size_t i = 0; i < prompt.size(); ++i) batch.push_back({prompt[i], 0, i + 1 == prompt.size()});
  ASSERT_TRUE((*ctx)->Decode(batch).ok());
  std::vector<int32_t> got;
  for (size_t i = 0; i < expected.size(); ++i) {
    auto logits = (*ctx)->Logits(0);
    const auto next = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    got.push_back(next);
    BatchEntry e{next, 0, true};
    ASSERT_TRUE((*ctx)->Decode({&e, 1}).ok());
  }
  EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace locai::engine
