#include "engine/model/model_config.h"

namespace locai::engine {

std::string_view ArchitectureName(Architecture arch) {
  switch (arch) {
    case Architecture::kLlama: return "llama";
    case Architecture::kQwen2: return "qwen2";
  }
  return "unknown";
}

namespace {

// Reads a positive integer `<arch>.<key>` no larger than `max`.
Result<int64_t> PositiveInt(const gguf::GgufFile& file, const std::string& key, int64_t max,
                            std::optional<int64_t> fallback = std::nullopt) {
  Result<int64_t> v = fallback ? file.GetIntOr(key, *fallback) : file.GetInt(key);
  if (!v) return v;
  if (*v <= 0 || *v > max) {
    return Err(file.Error(StatusCode::kDataLoss, key,
                          "value " + std::to_string(*v) + " is not between 1 and " +
                              std::to_string(max)));
  }
  return v;
}

}  // namespace

Result<ModelConfig> ReadModelConfig(const gguf::GgufFile& file) {
  ModelConfig cfg;
  LOCAI_ASSIGN_OR_RETURN(std::string arch, file.GetString("general.architecture"));
  if (arch == "llama") {
    cfg.arch = Architecture::kLlama;
  } else if (arch == "qwen2") {
    cfg.arch = Architecture::kQwen2;
    cfg.rope_style = RopeStyle::kSplitHalves;
    cfg.qkv_bias = true;
  } else {
    return Err(file.Error(StatusCode::kUnimplemented, "general.architecture",
                          "architecture '" + arch + "' is not supported (llama and qwen2 are)"));
  }
  LOCAI_ASSIGN_OR_RETURN(cfg.name, file.GetStringOr("general.name", ""));
  const std::string p = arch + ".";
  constexpr int64_t kMaxWidth = 1 << 16;
  LOCAI_ASSIGN_OR_RETURN(cfg.n_embd, PositiveInt(file, p + "embedding_length", kMaxWidth));
  LOCAI_ASSIGN_OR_RETURN(cfg.n_layer, PositiveInt(file, p + "block_count", 1024));
  LOCAI_ASSIGN_OR_RETURN(cfg.n_head, PositiveInt(file, p + "attention.head_count", 1024));
  LOCAI_ASSIGN_OR_RETURN(cfg.n_head_kv,
                         PositiveInt(file, p + "attention.head_count_kv", 1024, cfg.n_head));
  LOCAI_ASSIGN_OR_RETURN(cfg.n_ff, PositiveInt(file, p + "feed_forward_length", 1 << 20));
  LOCAI_ASSIGN_OR_RETURN(cfg.n_ctx_train, PositiveInt(file, p + "context_length", 1 << 24));
  if (cfg.n_head % cfg.n_head_kv != 0) {
    return Err(file.Error(StatusCode::kDataLoss, p + "attention.head_count_kv",
                          "head_count " + std::to_string(cfg.n_head) +
                              " is not a multiple of head_count_kv " +
                              std::to_string(cfg.n_head_kv)));
  }
  const int64_t default_head_dim = cfg.n_embd / cfg.n_head;
  LOCAI_ASSIGN_OR_RETURN(cfg.head_dim,
                         PositiveInt(file, p + "attention.key_length", 4096, default_head_dim));
  LOCAI_ASSIGN_OR_RETURN(int64_t value_length,
                         PositiveInt(file, p + "attention.value_length", 4096, cfg.head_dim));
  if (value_length != cfg.head_dim || cfg.head_dim % 2 != 0) {
    return Err(file.Error(StatusCode::kUnimplemented, p + "attention.value_length",
                          "key and value heads must have the same even size"));
  }
  LOCAI_ASSIGN_OR_RETURN(cfg.rope_dim,
                         PositiveInt(file, p + "rope.dimension_count", cfg.head_dim, cfg.head_dim));
  if (cfg.rope_dim % 2 != 0) {
    return Err(file.Error(StatusCode::kDataLoss, p + "rope.dimension_count", "must be even"));
  }
  LOCAI_ASSIGN_OR_RETURN(double base, file.GetFloatOr(p + "rope.freq_base", 10000.0));
  LOCAI_ASSIGN_OR_RETURN(double eps, file.GetFloatOr(p + "attention.layer_norm_rms_epsilon", 1e-5));
  if (!(base > 0.0) || !(eps > 0.0) || eps > 1.0) {
    return Err(file.Error(StatusCode::kDataLoss, p + "rope.freq_base",
                          "rope base and RMS epsilon must be positive"));
  }
  cfg.rope_freq_base = static_cast<float>(base);
  cfg.rms_eps = static_cast<float>(eps);
  if (const auto* scaling = file.Find(p + "rope.scaling.type")) {
    const std::string* type = scaling->AsString();
    if (type != nullptr && *type != "none" && *type != "llama3") {
      return Err(file.Error(StatusCode::kUnimplemented, p + "rope.scaling.type",
                            "RoPE scaling '" + *type + "' is not supported"));
    }
  }

  const gguf::TensorInfo* embd = file.FindTensor("token_embd.weight");
  if (embd == nullptr) {
    return Err(file.Error(StatusCode::kDataLoss, "token_embd.weight", "required tensor is missing"));
  }
  if (embd->dims.size() != 2) {
    return Err(file.Error(StatusCode::kDataLoss, "token_embd.weight", "must have two dimensions"));
  }
  LOCAI_ASSIGN_OR_RETURN(cfg.n_vocab, file.GetIntOr(p + "vocab_size", embd->dims[1]));
  if (cfg.n_vocab != embd->dims[1]) {
    return Err(file.Error(StatusCode::kDataLoss, p + "vocab_size",
                          std::to_string(cfg.n_vocab) + " does not match token_embd.weight's " +
                              std::to_string(embd->dims[1]) + " rows"));
  }
  return cfg;
}

}  // namespace locai::engine
