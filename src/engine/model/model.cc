#include "engine/model/model.h"

#include <map>

#include "engine/kernels/quant.h"

namespace locai::engine {

namespace {

Result<MatrixView> Matrix(const gguf::GgufFile& file, const std::string& name, int64_t cols,
                          int64_t rows) {
  const gguf::TensorInfo* t = file.FindTensor(name);
  if (t == nullptr) return Err(file.Error(StatusCode::kDataLoss, name, "required tensor is missing"));
  if (t->dims.size() != 2 || t->dims[0] != cols || t->dims[1] != rows) {
    std::string shape;
    for (int64_t d : t->dims) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
    return Err(file.Error(StatusCode::kDataLoss, name,
                          "shape [" + shape + "] is not the expected [" + std::to_string(cols) +
                              ", " + std::to_string(rows) + "]"));
  }
  if (!Traits(t->type).supported) {
    return Err(file.Error(StatusCode::kUnimplemented, name,
                          "weight type " + std::string(Traits(t->type).name) +
                              " is not supported"));
  }
  MatrixView view;
  view.type = t->type;
  view.data = t->data;
  view.rows = rows;
  view.cols = cols;
  view.row_bytes = *RowBytes(t->type, static_cast<uint64_t>(cols));
  return view;
}

Result<std::vector<float>> Vector(const gguf::GgufFile& file, const std::string& name, int64_t n) {
  const gguf::TensorInfo* t = file.FindTensor(name);
  if (t == nullptr) return Err(file.Error(StatusCode::kDataLoss, name, "required tensor is missing"));
  if (t->dims.size() != 1 || t->dims[0] != n) {
    return Err(file.Error(StatusCode::kDataLoss, name,
                          "expected a vector of " + std::to_string(n) + " elements"));
  }
  if (!Traits(t->type).supported) {
    return Err(file.Error(StatusCode::kUnimplemented, name,
                          "type " + std::string(Traits(t->type).name) + " is not supported"));
  }
  std::vector<float> out(static_cast<size_t>(n));
  DequantizeRow(t->type, t->data, out.data(), n);
  return out;
}

}  // namespace

uint64_t KvCacheBytes(const ModelConfig& config, int64_t tokens) {
  return static_cast<uint64_t>(config.n_layer) * 2 * static_cast<uint64_t>(config.kv_dim()) *
         sizeof(uint16_t) * static_cast<uint64_t>(tokens);
}

Result<std::shared_ptr<const Model>> Model::Load(const std::string& path,
                                                 const ModelLoadOptions& options) {
  LOCAI_ASSIGN_OR_RETURN(auto file, gguf::GgufFile::Open(path));
  return FromFile(std::move(file), options);
}

Result<std::shared_ptr<const Model>> Model::FromFile(std::unique_ptr<gguf::GgufFile> file,
                                                     const ModelLoadOptions& options) {
  auto model = std::shared_ptr<Model>(new Model());
  model->file_ = std::move(file);
  LOCAI_ASSIGN_OR_RETURN(model->config_, ReadModelConfig(*model->file_));
  if (options.context_length < 0) {
    return Err(Status::InvalidArgument("context length must not be negative"));
  }
  model->context_length_ =
      options.context_length > 0 ? options.context_length : model->config_.n_ctx_train;
  LOCAI_RETURN_IF_ERROR(model->LoadTensors());
  return std::shared_ptr<const Model>(std::move(model));
}

Status Model::LoadTensors() {
  const gguf::GgufFile& f = *file_;
  const ModelConfig& c = config_;
  LOCAI_ASSIGN_OR_RETURN(token_embd_, Matrix(f, "token_embd.weight", c.n_embd, c.n_vocab));
  LOCAI_ASSIGN_OR_RETURN(output_norm_, Vector(f, "output_norm.weight", c.n_embd));
  if (f.FindTensor("output.weight") != nullptr) {
    LOCAI_ASSIGN_OR_RETURN(output_, Matrix(f, "output.weight", c.n_embd, c.n_vocab));
  } else {
    output_ = token_embd_;
    tied_output_ = true;
  }
  if (f.FindTensor("rope_freqs.weight") != nullptr) {
    LOCAI_ASSIGN_OR_RETURN(rope_freq_factors_, Vector(f, "rope_freqs.weight", c.rope_dim / 2));
    for (float factor : rope_freq_factors_) {
      if (!(factor > 0.0f)) {
        return f.Error(StatusCode::kDataLoss, "rope_freqs.weight", "factors must be positive");
      }
    }
  }
  layers_.resize(static_cast<size_t>(c.n_layer));
  for (int64_t i = 0; i < c.n_layer; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    LayerWeights& l = layers_[static_cast<size_t>(i)];
    LOCAI_ASSIGN_OR_RETURN(l.attn_norm, Vector(f, p + "attn_norm.weight", c.n_embd));
    LOCAI_ASSIGN_OR_RETURN(l.wq, Matrix(f, p + "attn_q.weight", c.n_embd, c.q_dim()));
    LOCAI_ASSIGN_OR_RETURN(l.wk, Matrix(f, p + "attn_k.weight", c.n_embd, c.kv_dim()));
    LOCAI_ASSIGN_OR_RETURN(l.wv, Matrix(f, p + "attn_v.weight", c.n_embd, c.kv_dim()));
    LOCAI_ASSIGN_OR_RETURN(l.wo, Matrix(f, p + "attn_output.weight", c.q_dim(), c.n_embd));
    if (c.qkv_bias) {
      LOCAI_ASSIGN_OR_RETURN(l.bq, Vector(f, p + "attn_q.bias", c.q_dim()));
      LOCAI_ASSIGN_OR_RETURN(l.bk, Vector(f, p + "attn_k.bias", c.kv_dim()));
      LOCAI_ASSIGN_OR_RETURN(l.bv, Vector(f, p + "attn_v.bias", c.kv_dim()));
    }
    LOCAI_ASSIGN_OR_RETURN(l.ffn_norm, Vector(f, p + "ffn_norm.weight", c.n_embd));
    LOCAI_ASSIGN_OR_RETURN(l.w_gate, Matrix(f, p + "ffn_gate.weight", c.n_embd, c.n_ff));
    LOCAI_ASSIGN_OR_RETURN(l.w_up, Matrix(f, p + "ffn_up.weight", c.n_embd, c.n_ff));
    LOCAI_ASSIGN_OR_RETURN(l.w_down, Matrix(f, p + "ffn_down.weight", c.n_ff, c.n_embd));
  }
  return Status::Ok();
}

std::string_view Model::DominantType() const {
  std::map<TensorType, uint64_t> bytes_by_type;
  for (const auto& t : file_->tensors()) bytes_by_type[t.type] += t.size_bytes;
  TensorType best = TensorType::kF32;
  uint64_t best_bytes = 0;
  for (const auto& [type, bytes] : bytes_by_type) {
    if (bytes > best_bytes) {
      best = type;
      best_bytes = bytes;
    }
  }
  return Traits(best).name;
}

uint64_t Model::parameter_count() const {
  uint64_t n = 0;
  for (const auto& t : file_->tensors()) n += static_cast<uint64_t>(t.n_elements);
  return n;
}

MemoryEstimate Model::EstimateMemory(int64_t context_length, int64_t n_sequences,
                                     int64_t batch_size) const {
  MemoryEstimate m;
  for (const auto& t : file_->tensors()) m.weights += t.size_bytes;
  m.kv_cache = KvCacheBytes(config_, context_length * n_sequences);
  const auto& c = config_;
  // Per token in a batch: residual, normed input, q/k/v, attention output, gate/up, logits rows.
  const uint64_t per_token =
      sizeof(float) * static_cast<uint64_t>(3 * c.n_embd + c.q_dim() + 2 * c.kv_dim() + 2 * c.n_ff);
  m.compute = per_token * static_cast<uint64_t>(batch_size) +
              sizeof(float) * static_cast<uint64_t>(c.n_vocab) * static_cast<uint64_t>(n_sequences) +
              sizeof(float) * static_cast<uint64_t>(context_length) *
                  static_cast<uint64_t>(c.n_head);
  return m;
}

}  // namespace locai::engine
