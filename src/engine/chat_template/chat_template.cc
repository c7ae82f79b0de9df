#include "engine/chat_template/chat_template.h"

#include "engine/chat_template/ast.h"
#include "engine/chat_template/evaluator.h"
#include "engine/chat_template/lexer.h"
#include "engine/chat_template/parser.h"

namespace locai::engine {

struct ChatTemplate::Impl {
  jinja::Body body;
  TemplateLimits limits;
};

ChatTemplate::ChatTemplate(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
ChatTemplate::ChatTemplate(ChatTemplate&&) noexcept = default;
ChatTemplate& ChatTemplate::operator=(ChatTemplate&&) noexcept = default;
ChatTemplate::~ChatTemplate() = default;

Result<ChatTemplate> ChatTemplate::Parse(std::string_view source, const TemplateLimits& limits) {
  if (source.size() > limits.max_source_bytes) {
    return Err(Status::ResourceExhausted("chat template of " + std::to_string(source.size()) +
                                         " bytes exceeds the limit of " +
                                         std::to_string(limits.max_source_bytes)));
  }
  LOCAI_ASSIGN_OR_RETURN(std::vector<jinja::Token> tokens, jinja::Lex(source));
  LOCAI_ASSIGN_OR_RETURN(jinja::Body body,
                         jinja::Parse(std::move(tokens), limits.max_nesting_depth));
  auto impl = std::make_shared<Impl>();
  impl->body = std::move(body);
  impl->limits = limits;
  return ChatTemplate(std::move(impl));
}

Result<std::string> ChatTemplate::Render(const TemplateValue& context,
                                         const RenderOptions& options) const {
  jinja::Evaluator evaluator(impl_->limits, options, context);
  return evaluator.Render(impl_->body);
}

TemplateValue MakeChatContext(const std::vector<ChatMessage>& messages,
                              const ChatTemplateOptions& options) {
  TemplateArray list;
  list.reserve(messages.size());
  for (const ChatMessage& m : messages) {
    list.push_back(TemplateValue::Object(
        {{"role", TemplateValue(m.role)}, {"content", TemplateValue(m.content)}}));
  }
  TemplateValue context = TemplateValue::Object();
  context.Set("messages", TemplateValue(std::move(list)));
  context.Set("bos_token", TemplateValue(options.bos_token));
  context.Set("eos_token", TemplateValue(options.eos_token));
  context.Set("add_generation_prompt", TemplateValue(options.add_generation_prompt));
  if (options.extra_context.is_object()) {
    for (const auto& [key, value] : options.extra_context.AsObject().entries()) {
      context.Set(key, value);
    }
  }
  return context;
}

Result<std::string> ApplyChatTemplate(std::string_view template_source,
                                      const std::vector<ChatMessage>& messages,
                                      const ChatTemplateOptions& options) {
  if (template_source.empty()) {
    std::string out;
    for (const ChatMessage& m : messages) {
      out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
    }
    if (options.add_generation_prompt) out += "<|im_start|>assistant\n";
    return out;
  }
  LOCAI_ASSIGN_OR_RETURN(ChatTemplate tmpl, ChatTemplate::Parse(template_source, options.limits));
  RenderOptions render_options;
  render_options.now_unix_seconds = options.now_unix_seconds;
  return tmpl.Render(MakeChatContext(messages, options), render_options);
}

}  // namespace locai::engine
