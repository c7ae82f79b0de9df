// ChatTemplate: a sandboxed interpreter for the Jinja subset that GGUF chat templates
// (`tokenizer.chat_template`) use, and ApplyChatTemplate, which turns a conversation into the
// prompt text a model expects.
//
// Rendering follows Hugging Face's: trim_blocks and lstrip_blocks on, the loopcontrols extension
// (break/continue), `tojson` as json.dumps(ensure_ascii=False), the globals raise_exception(),
// strftime_now() and namespace(). The sandbox: a template sees only the values passed in (there
// is no object model to walk; attribute names starting with `_` are refused), lists are
// immutable, and TemplateLimits bounds nesting, loop iterations, output size, range() and total
// work, so a hostile template ends with an error, never a crash, stack overflow or hang.
// The language and the limits are described in README.md beside this header.
//
// Errors: Parse returns InvalidArgument for syntax errors, Unimplemented for Jinja features not
// supported here, ResourceExhausted past a limit; Render returns InvalidArgument for type errors
// and raise_exception() (the message is the template's), ResourceExhausted past a limit. Every
// message names the line and column.
// Thread-safety: a parsed ChatTemplate is immutable; Render may be called from several threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/chat_template/template_limits.h"
#include "engine/chat_template/value.h"

namespace locai::engine {

class ChatTemplate {
 public:
  static Result<ChatTemplate> Parse(std::string_view source, const TemplateLimits& limits = {});

  // Renders with `context` (an object; its entries are the template's variables).
  Result<std::string> Render(const TemplateValue& context, const RenderOptions& options = {}) const;

  ChatTemplate(ChatTemplate&&) noexcept;
  ChatTemplate& operator=(ChatTemplate&&) noexcept;
  ~ChatTemplate();

 private:
  struct Impl;
  explicit ChatTemplate(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

struct ChatMessage {
  std::string role;
  std::string content;
};

struct ChatTemplateOptions {
  bool add_generation_prompt = true;
  std::string bos_token;
  std::string eos_token;
  // The clock for strftime_now(); unset leaves it undefined (templates use their default date).
  std::optional<int64_t> now_unix_seconds;
  // More variables for the template (e.g. `tools`, `date_string`): an object, or undefined.
  TemplateValue extra_context;
  TemplateLimits limits;
};

// The context ApplyChatTemplate renders with: messages (each {role, content}), bos_token,
// eos_token, add_generation_prompt, then the entries of options.extra_context.
TemplateValue MakeChatContext(const std::vector<ChatMessage>& messages,
                              const ChatTemplateOptions& options);

// Renders `messages` with `template_source`; an empty source means ChatML:
// "<|im_start|>ROLE\nCONTENT<|im_end|>\n" per message, then "<|im_start|>assistant\n" when
// add_generation_prompt is set.
Result<std::string> ApplyChatTemplate(std::string_view template_source,
                                      const std::vector<ChatMessage>& messages,
                                      const ChatTemplateOptions& options);

}  // namespace locai::engine
