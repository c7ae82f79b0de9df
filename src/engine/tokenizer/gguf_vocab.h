// Reads a GGUF file's tokenizer.* metadata into a VocabSpec (format: docs/gguf.md; keys as the
// GGUF tokenizer convention names them). Checks types here; Vocab::Build checks consistency.
// Thread-safety: pure function of an immutable GgufFile.
#pragma once

#include "common/status.h"
#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/vocab.h"

namespace locai::engine {

// Errors name the file and the key: InvalidArgument for a missing or mistyped key,
// Unimplemented for a tokenizer.ggml.model other than "llama" or "gpt2".
Result<VocabSpec> VocabSpecFromGguf(const gguf::GgufFile& file);

}  // namespace locai::engine
