#include "engine/tools/model_synth.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "engine/kernels/quant.h"
#include "engine/model/inference_context.h"
#include "engine/tools/quant_mix.h"

namespace locai::engine {
namespace {

class TempDir {
 public:
  TempDir() : path_(std::filesystem::temp_directory_path() /
                    ("locai_synth_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                     "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

std::vector<double> Row(const MatrixView& m, int64_t r) {
  std::vector<float> f(static_cast<size_t>(m.cols));
  DequantizeRow(m.type, m.data + static_cast<uint64_t>(r) * m.row_bytes, f.data(), m.cols);
  return {f.begin(), f.end()};
}

std::vector<double> MatVec(const MatrixView& m, const std::vector<double>& x) {
  std::vector<double> y(static_cast<size_t>(m.rows));
  for (int64_t r = 0; r < m.rows; ++r) {
    auto row = Row(m, r);
    double s = 0;
    for (size_t c = 0; c < row.size(); ++c) s += row[c] * x[c];
    y[static_cast<size_t>(r)] = s;
  }
  return y;
}

std::vector<double> Norm(const std::vector<double>& x, const std::vector<float>& w, double eps) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double scale = 1.0 / std::sqrt(ss / static_cast<double>(x.size()) + eps);
  std::vector<double> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = x[i] * scale * w[i];
  return out;
}

// A plain float64 forward pass, written independently of InferenceContext, for one sequence.
// Returns the logits of the last position. Only for tiny models.
std::vector<double> ReferenceForward(const Model& model, const std::vector<int32_t>& tokens) {
  const ModelConfig& c = model.config();
  const auto n = tokens.size();
  const auto hd = static_cast<size_t>(c.head_dim);
  std::vector<std::vector<double>> x(n);
  for (size_t t = 0; t < n; ++t) x[t] = Row(model.token_embedding(), tokens[t]);
  for (const LayerWeights& w : model.layers()) {
    std::vector<std::vector<double>> q(n), k(n), v(n);
    for (size_t t = 0; t < n; ++t) {
      auto xn = Norm(x[t], w.attn_norm, c.rms_eps);
      q[t] = MatVec(w.wq, xn);
      k[t] = MatVec(w.wk, xn);
      v[t] = MatVec(w.wv, xn);
      for (size_t i = 0; i < w.bq.size(); ++i) q[t][i] += w.bq[i];
      for (size_t i = 0; i < w.bk.size(); ++i) k[t][i] += w.bk[i];
      for (size_t i = 0; i < w.bv.size(); ++i) v[t][i] += w.bv[i];
      for (auto* vec : {&q[t], &k[t]}) {
        for (size_t h = 0; h < vec->size() / hd; ++h) {
          for (size_t i = 0; i < static_cast<size_t>(c.rope_dim / 2); ++i) {
            double freq = std::pow(c.rope_freq_base, -2.0 * static_cast<double>(i) / static_cast<double>(c.rope_dim));
            if (!model.rope_freq_factors().empty()) freq /= model.rope_freq_factors()[i];
            const double th = static_cast<double>(t) * freq;
            const bool adj = c.rope_style == RopeStyle::kAdjacentPairs;
            const size_t a = h * hd + (adj ? 2 * i : i);
            const size_t b = h * hd + (adj ? 2 * i + 1 : i + static_cast<size_t>(c.rope_dim / 2));
            const double x0 = (*vec)[a], x1 = (*vec)[b];
            (*vec)[a] = x0 * std::cos(th) - x1 * std::sin(th);
            (*vec)[b] = x0 * std::sin(th) + x1 * std::cos(th);
          }
        }
      }
    }
    for (size_t t = 0; t < n; ++t) {
      std::vector<double> attn(static_cast<size_t>(c.q_dim()), 0.0);
      for (size_t h = 0; h < static_cast<size_t>(c.n_head); ++h) {
        const size_t kvh = h / static_cast<size_t>(c.n_head / c.n_head_kv);
        std::vector<double> s(t + 1);
        double mx = -1e300;
        for (size_t p = 0; p <= t; ++p) {
          double d = 0;
          for (size_t i = 0; i < hd; ++i) d += q[t][h * hd + i] * k[p][kvh * hd + i];
          s[p] = d / std::sqrt(static_cast<double>(hd));
          mx = std::max(mx, s[p]);
        }
        double sum = 0;
        for (double& e : s) sum += (e = std::exp(e - mx));
        for (size_t p = 0; p <= t; ++p) {
          for (size_t i = 0; i < hd; ++i) attn[h * hd + i] += s[p] / sum * v[p][kvh * hd + i];
        }
      }
      auto o = MatVec(w.wo, attn);
      for (size_t i = 0; i < o.size(); ++i) x[t][i] += o[i];
      auto xn = Norm(x[t], w.ffn_norm, c.rms_eps);
      auto g = MatVec(w.w_gate, xn);
      auto u = MatVec(w.w_up, xn);
      for (size_t i = 0; i < g.size(); ++i) g[i] = g[i] / (1.0 + std::exp(-g[i])) * u[i];
      auto d = MatVec(w.w_down, g);
      for (size_t i = 0; i < d.size(); ++i) x[t][i] += d[i];
    }
  }
  return MatVec(model.output(), Norm(x[n - 1], model.output_norm(), c.rms_eps));
}

void ExpectMatchesReference(const std::string& path, double tol_std) {
  auto model = Model::Load(path);
  ASSERT_TRUE(model) << model.error().ToString();
  const std::vector<int32_t> tokens = {1, 17, 300, 42, 5, 99, 260};
  ContextOptions options;
  options.context_length = 16;
  options.n_threads = 2;
  auto ctx = InferenceContext::Create(*model, options);
  ASSERT_TRUE(ctx);
  std::vector<BatchEntry> batch;
  for (size_t i = 0; i < tokens.size(); ++i) batch.push_back({tokens[i], 0, i + 1 == tokens.size()});
  ASSERT_TRUE((*ctx)->Decode(batch).ok());
  auto ours = (*ctx)->Logits(0);
  auto ref = ReferenceForward(**model, tokens);
  double mean = 0, var = 0;
  for (double v : ref) mean += v;
  mean /= static_cast<double>(ref.size());
  for (double v : ref) var += (v - mean) * (v - mean);
  const double sd = std::sqrt(var / static_cast<double>(ref.size()));
  double worst = 0;
  for (size_t i = 0; i < ref.size(); ++i) worst = std::max(worst, std::abs(ours[i] - ref[i]) / sd);
  EXPECT_LT(worst, tol_std) << path;
}

SynthShape TinyShape(Architecture arch) {
  SynthShape shape = *FindSynthShape("tiny");
  shape.arch = arch;
  shape.n_embd = 64;
  shape.n_ff = 128;
  shape.n_vocab = 512;
  return shape;
}

TEST(ModelSynthTest, LlamaForwardMatchesFloat64Reference) {
  TempDir dir;
  SynthOptions options;
  options.shape = TinyShape(Architecture::kLlama);
  options.shape.llama3_rope_factors = true;
  options.mix = "f32";
  options.output_path = dir.File("llama.gguf");
  ASSERT_TRUE(SynthesizeModel(options).ok());
  ExpectMatchesReference(options.output_path, 1e-3);
}

TEST(ModelSynthTest, Qwen2ForwardMatchesFloat64Reference) {
  TempDir dir;
  SynthOptions options;
  options.shape = TinyShape(Architecture::kQwen2);
  options.shape.tied_output = true;
  options.mix = "f32";
  options.output_path = dir.File("qwen2.gguf");
  ASSERT_TRUE(SynthesizeModel(options).ok());
  auto model = Model::Load(options.output_path);
  ASSERT_TRUE(model);
  EXPECT_EQ((*model)->config().arch, Architecture::kQwen2);
  EXPECT_FALSE((*model)->layers()[0].bq.empty());
  EXPECT_TRUE((*model)->tied_output());
  ExpectMatchesReference(options.output_path, 1e-3);
}

TEST(ModelSynthTest, SameSeedSameBytesOtherSeedOtherBytes) {
  TempDir dir;
  SynthOptions options;
  options.shape = TinyShape(Architecture::kLlama);
  options.mix = "q8_0";
  auto read = [](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  options.output_path = dir.File("a.gguf");
  ASSERT_TRUE(SynthesizeModel(options).ok());
  options.output_path = dir.File("b.gguf");
  ASSERT_TRUE(SynthesizeModel(options).ok());
  options.seed = 7;
  options.output_path = dir.File("c.gguf");
  ASSERT_TRUE(SynthesizeModel(options).ok());
  EXPECT_EQ(read(dir.File("a.gguf")), read(dir.File("b.gguf")));
  EXPECT_NE(read(dir.File("a.gguf")), read(dir.File("c.gguf")));
}

TEST(ModelSynthTest, VocabularyAndTemplateComeFromTheGivenFile) {
  TempDir dir;
  SynthOptions options;
  options.shape = TinyShape(Architecture::kLlama);
  options.mix = "q4_0";
  options.vocab_from = std::string(LOCAI_CONFORMANCE_DIR) + "/tokenizer/vocab-spm.gguf";
  options.output_path = dir.File("spm.gguf");
  ASSERT_TRUE(SynthesizeModel(options).ok());
  auto model = Model::Load(options.output_path);
  ASSERT_TRUE(model) << model.error().ToString();
  EXPECT_EQ((*model)->config().n_vocab, 32000);
  EXPECT_TRUE((*model)->file().Find("tokenizer.chat_template") != nullptr);
}

TEST(ModelSynthTest, QuantizedMixesFollowTheLayout) {
  TempDir dir;
  SynthOptions options;
  options.shape = TinyShape(Architecture::kLlama);
  options.shape.n_embd = 256;
  options.shape.n_ff = 512;
  options.shape.n_layer = 8;
  options.mix = "q4_k_m";
  options.output_path = dir.File("q4km.gguf");
  ASSERT_TRUE(SynthesizeModel(options).ok());
  auto model = Model::Load(options.output_path);
  ASSERT_TRUE(model) << model.error().ToString();
  const auto& l0 = (*model)->layers()[0];
  const auto& l2 = (*model)->layers()[2];
  EXPECT_EQ(l0.wq.type, TensorType::kQ4_K);
  EXPECT_EQ(l0.wv.type, TensorType::kQ6_K);  // first eighth gets more bits
  EXPECT_EQ(l2.wv.type, TensorType::kQ4_K);  // (2 - 1) % 3 != 2: base type
  EXPECT_EQ((*model)->output().type, TensorType::kQ6_K);
  EXPECT_EQ(l0.attn_norm.size(), 256u);
  EXPECT_EQ((*model)->DominantType(), "q4_K");
}

TEST(ModelQuantizeTest, Q8_0OfTheF16ModelStaysCloseToIt) {
  TempDir dir;
  const std::string src = std::string(LOCAI_CONFORMANCE_DIR) + "/models/small-f16.gguf";
  QuantizeOptions options;
  options.input_path = src;
  options.output_path = dir.File("small-q8.gguf");
  options.mix = "q8_0";
  ASSERT_TRUE(QuantizeModel(options).ok());
  auto f16 = Model::Load(src);
  auto q8 = Model::Load(options.output_path);
  ASSERT_TRUE(f16 && q8);
  EXPECT_EQ((*q8)->layers()[1].w_down.type, TensorType::kQ8_0);
  EXPECT_EQ(*(*q8)->file().GetInt("general.file_type"), 7);
  const std::vector<int32_t> tokens = {1, 100, 200, 300, 400};
  std::vector<float> rows[2];
  int i = 0;
  for (const auto& m : {*f16, *q8}) {
    ContextOptions co;
    co.context_length = 8;
    co.n_threads = 2;
    auto ctx = InferenceContext::Create(m, co);
    ASSERT_TRUE(ctx);
    std::vector<BatchEntry> batch;
    for (size_t t = 0; t < tokens.size(); ++t) batch.push_back({tokens[t], 0, t + 1 == tokens.size()});
    ASSERT_TRUE((*ctx)->Decode(batch).ok());
    auto l = (*ctx)->Logits(0);
    rows[i++].assign(l.begin(), l.end());
  }
  double mean = 0, var = 0, worst = 0;
  for (float v : rows[0]) mean += v;
  mean /= static_cast<double>(rows[0].size());
  for (float v : rows[0]) var += (v - mean) * (v - mean);
  const double sd = std::sqrt(var / static_cast<double>(rows[0].size()));
  for (size_t k = 0; k < rows[0].size(); ++k) worst = std::max(worst, std::abs(rows[0][k] - rows[1][k]) / sd);
  EXPECT_LT(worst, 0.1);
}

TEST(ModelQuantizeTest, UnknownMixAndMissingFileAreErrors) {
  QuantizeOptions options;
  options.input_path = "/nonexistent.gguf";
  options.output_path = "/tmp/never.gguf";
  options.mix = "q9_z";
  EXPECT_EQ(QuantizeModel(options).code(), StatusCode::kInvalidArgument);
  options.mix = "q8_0";
  EXPECT_EQ(QuantizeModel(options).code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists("/tmp/never.gguf"));
}

}  // namespace
}  // namespace locai::engine
