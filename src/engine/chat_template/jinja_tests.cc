// Jinja tests (`value is name(args)`).
#include "engine/chat_template/builtins.h"
#include "engine/chat_template/text_util.h"

namespace locai::engine::jinja {

Result<bool> ApplyTest(EvalBudget& budget, std::string_view name, const TemplateValue& input,
                       const CallArgs& args) {
  LOCAI_RETURN_IF_ERROR(budget.Charge(1));
  if (name == "defined") return !input.is_undefined();
  if (name == "undefined") return input.is_undefined();
  if (name == "none") return input.is_null();
  if (name == "boolean") return input.is_bool();
  if (name == "true") return input.is_bool() && input.AsBool();
  if (name == "false") return input.is_bool() && !input.AsBool();
  if (name == "string") return input.is_string();
  if (name == "number") return input.is_number();
  if (name == "integer") return input.is_int();
  if (name == "float") return input.is_double();
  if (name == "mapping") return input.is_object() && !input.AsObject().is_namespace;
  if (name == "sequence")
    return input.is_string() || input.is_array() ||
           (input.is_object() && !input.AsObject().is_namespace);
  if (name == "iterable") return input.is_string() || input.is_array() || input.is_object();
  if (name == "callable") return input.is_callable();
  if (name == "escaped") return false;
  if (name == "lower") return input.is_string() && AsciiLower(input.AsString()) == input.AsString();
  if (name == "upper") return input.is_string() && AsciiUpper(input.AsString()) == input.AsString();
  if (name == "odd" || name == "even" || name == "divisibleby") {
    if (!input.is_int() && !input.is_bool())
      return Err(Status::InvalidArgument("test '" + std::string(name) + "' needs an integer"));
    int64_t divisor = 2;
    if (name == "divisibleby") {
      const TemplateValue* d = args.Get(0, "num");
      if (d == nullptr || !d->is_int() || d->AsInt() == 0)
        return Err(Status::InvalidArgument("divisibleby needs a non-zero integer"));
      divisor = d->AsInt();
    }
    const int64_t rem = divisor == -1 ? 0 : input.AsInt() % divisor;
    return name == "odd" ? rem != 0 : rem == 0;
  }
  const TemplateValue* other = args.Get(0, "other");
  auto compare_op = [&]() -> std::string_view {
    if (name == "eq" || name == "equalto" || name == "==" || name == "sameas") return "==";
    if (name == "ne" || name == "!=") return "!=";
    if (name == "lt" || name == "lessthan" || name == "<") return "<";
    if (name == "le" || name == "<=") return "<=";
    if (name == "gt" || name == "greaterthan" || name == ">") return ">";
    if (name == "ge" || name == ">=") return ">=";
    if (name == "in") return "in";
    return "";
  }();
  if (compare_op.empty())
    return Err(Status::Unimplemented("unknown test '" + std::string(name) + "'"));
  if (other == nullptr)
    return Err(Status::InvalidArgument("test '" + std::string(name) + "' needs an argument"));
  if (name == "sameas" && input.kind() != other->kind()) return false;
  LOCAI_ASSIGN_OR_RETURN(TemplateValue r, ApplyBinaryOperator(budget, compare_op, input, *other));
  return r.Truthy();
}

}  // namespace locai::engine::jinja
