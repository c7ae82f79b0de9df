#include "engine/tokenizer/gguf_vocab.h"

#include <limits>

#include "engine/tokenizer/tokenizer.h"

namespace locai::engine {
namespace {

constexpr std::string_view kModelKey = "tokenizer.ggml.model";
constexpr std::string_view kTokensKey = "tokenizer.ggml.tokens";
constexpr std::string_view kScoresKey = "tokenizer.ggml.scores";
constexpr std::string_view kTypesKey = "tokenizer.ggml.token_type";
constexpr std::string_view kMergesKey = "tokenizer.ggml.merges";

Status Invalid(const gguf::GgufFile& file, std::string_view key, std::string_view reason) {
  return file.Error(StatusCode::kInvalidArgument, key, reason);
}

// The array under `key` with elements of type `want`; null (no error) when absent and optional.
Result<const gguf::Array*> ArrayOf(const gguf::GgufFile& file, std::string_view key,
                                   gguf::ValueType want, bool required) {
  const gguf::Value* value = file.Find(key);
  if (value == nullptr) {
    if (!required) return nullptr;
    return Err(Invalid(file, key, "required key is missing"));
  }
  const gguf::Array* array = value->AsArray();
  if (array == nullptr) {
    return Err(Invalid(file, key,
                       "expected an array of " + std::string(gguf::ValueTypeName(want)) +
                           ", found " + std::string(gguf::ValueTypeName(value->type))));
  }
  if (array->element_type != want) {
    return Err(Invalid(file, key,
                       "expected an array of " + std::string(gguf::ValueTypeName(want)) +
                           ", found an array of " +
                           std::string(gguf::ValueTypeName(array->element_type))));
  }
  return array;
}

Result<std::vector<std::string>> StringArray(const gguf::GgufFile& file, std::string_view key,
                                             bool required) {
  LOCAI_ASSIGN_OR_RETURN(const gguf::Array* array,
                         ArrayOf(file, key, gguf::ValueType::kString, required));
  std::vector<std::string> out;
  if (array == nullptr) return out;
  out.reserve(array->items.size());
  for (const gguf::Value& item : array->items) {
    const std::string* text = item.AsString();
    if (text == nullptr) return Err(Invalid(file, key, "element is not a string"));
    if (text->size() > kMaxTokenTextBytes) {
      return Err(Invalid(file, key,
                         "entry " + std::to_string(out.size()) + " is " +
                             std::to_string(text->size()) + " bytes long (limit " +
                             std::to_string(kMaxTokenTextBytes) + ")"));
    }
    out.push_back(*text);
  }
  return out;
}

// A token id key: absent, negative or 0xFFFFFFFF (the "none" convention) mean no token.
Result<int32_t> TokenId(const gguf::GgufFile& file, std::string_view key) {
  LOCAI_ASSIGN_OR_RETURN(int64_t id, file.GetIntOr(key, -1));
  if (id < 0 || id == 0xFFFFFFFFll) return kNoToken;
  if (id > std::numeric_limits<int32_t>::max()) {
    return Err(Invalid(file, key, "id " + std::to_string(id) + " is out of range"));
  }
  return static_cast<int32_t>(id);
}

}  // namespace

Result<VocabSpec> VocabSpecFromGguf(const gguf::GgufFile& file) {
  VocabSpec spec;
  LOCAI_ASSIGN_OR_RETURN(std::string model, file.GetString(kModelKey));
  if (model == "llama") {
    spec.model = TokenizerModel::kSpm;
  } else if (model == "gpt2") {
    spec.model = TokenizerModel::kBpe;
  } else {
    return Err(file.Error(StatusCode::kUnimplemented, kModelKey,
                          "tokenizer model \"" + model + "\" is not supported (llama, gpt2)"));
  }
  const bool spm = spec.model == TokenizerModel::kSpm;

  LOCAI_ASSIGN_OR_RETURN(spec.tokens, StringArray(file, kTokensKey, /*required=*/true));

  LOCAI_ASSIGN_OR_RETURN(const gguf::Array* scores,
                         ArrayOf(file, kScoresKey, gguf::ValueType::kFloat32, false));
  if (scores != nullptr) {
    if (scores->items.size() != spec.tokens.size()) {
      return Err(Invalid(file, kScoresKey,
                         "has " + std::to_string(scores->items.size()) + " entries for " +
                             std::to_string(spec.tokens.size()) + " tokens"));
    }
    spec.scores.reserve(scores->items.size());
    for (const gguf::Value& item : scores->items) {
      spec.scores.push_back(static_cast<float>(item.AsFloat().value_or(0.0)));
    }
  }

  const gguf::Value* types = file.Find(kTypesKey);
  if (types != nullptr) {
    const gguf::Array* array = types->AsArray();
    if (array == nullptr || (array->element_type != gguf::ValueType::kInt32 &&
                             array->element_type != gguf::ValueType::kUint32 &&
                             array->element_type != gguf::ValueType::kInt8 &&
                             array->element_type != gguf::ValueType::kUint8 &&
                             array->element_type != gguf::ValueType::kInt16 &&
                             array->element_type != gguf::ValueType::kUint16)) {
      return Err(Invalid(file, kTypesKey, "expected an array of integers"));
    }
    if (array->items.size() != spec.tokens.size()) {
      return Err(Invalid(file, kTypesKey,
                         "has " + std::to_string(array->items.size()) + " entries for " +
                             std::to_string(spec.tokens.size()) + " tokens"));
    }
    spec.types.reserve(array->items.size());
    for (const gguf::Value& item : array->items) {
      const int64_t type = item.AsInt().value_or(-1);
      if (type < 0 || type > static_cast<int64_t>(TokenType::kByte)) {
        return Err(Invalid(file, kTypesKey,
                           "token " + std::to_string(spec.types.size()) + " has unknown type " +
                               std::to_string(type)));
      }
      spec.types.push_back(static_cast<TokenType>(type));
    }
  }

  if (!spm) {
    LOCAI_ASSIGN_OR_RETURN(spec.merges, StringArray(file, kMergesKey, /*required=*/true));
    LOCAI_ASSIGN_OR_RETURN(std::string pre, file.GetStringOr("tokenizer.ggml.pre", "default"));
    spec.pre = PreTokenizerKindFromName(pre);
  }

  LOCAI_ASSIGN_OR_RETURN(spec.bos_id, TokenId(file, "tokenizer.ggml.bos_token_id"));
  LOCAI_ASSIGN_OR_RETURN(spec.eos_id, TokenId(file, "tokenizer.ggml.eos_token_id"));
  LOCAI_ASSIGN_OR_RETURN(spec.eot_id, TokenId(file, "tokenizer.ggml.eot_token_id"));
  LOCAI_ASSIGN_OR_RETURN(spec.unk_id, TokenId(file, "tokenizer.ggml.unknown_token_id"));
  LOCAI_ASSIGN_OR_RETURN(spec.pad_id, TokenId(file, "tokenizer.ggml.padding_token_id"));
  // Defaults as the reference runtime has them: SPM adds BOS unless told otherwise, BPE only
  // when the file says so (Llama 3's files do).
  const bool bos_default = spm || spec.pre == PreTokenizerKind::kLlama3;
  LOCAI_ASSIGN_OR_RETURN(spec.add_bos, file.GetBoolOr("tokenizer.ggml.add_bos_token", bos_default));
  LOCAI_ASSIGN_OR_RETURN(spec.add_eos, file.GetBoolOr("tokenizer.ggml.add_eos_token", false));
  LOCAI_ASSIGN_OR_RETURN(spec.add_space_prefix,
                         file.GetBoolOr("tokenizer.ggml.add_space_prefix", spm));
  return spec;
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromGguf(const gguf::GgufFile& file) {
  LOCAI_ASSIGN_OR_RETURN(VocabSpec spec, VocabSpecFromGguf(file));
  return FromSpec(std::move(spec), file.path());
}

}  // namespace locai::engine
