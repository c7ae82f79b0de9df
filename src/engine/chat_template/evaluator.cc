#include "engine/chat_template/evaluator.h"

#include "engine/chat_template/lexer.h"

namespace locai::engine::jinja {

// Bounds the interpreter's recursion: every Eval and ExecBody holds one.
class Evaluator::DepthGuard {
 public:
  explicit DepthGuard(Evaluator* e) : e_(e) { ++e_->depth_; }
  ~DepthGuard() { --e_->depth_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;
  bool exceeded() const { return e_->depth_ > e_->max_depth_; }

 private:
  Evaluator* e_;
};

Evaluator::Evaluator(const TemplateLimits& limits, const RenderOptions& options,
                     const TemplateValue& context)
    : budget_(limits, options), max_depth_(limits.max_nesting_depth * 4) {
  Frame globals;
  if (context.is_object()) {
    for (const auto& entry : context.AsObject().entries()) globals.vars.push_back(entry);
  }
  frames_.push_back(std::move(globals));
}

Result<std::string> Evaluator::Render(const Body& body) {
  LOCAI_ASSIGN_OR_RETURN(Flow flow, ExecBody(body));
  (void)flow;
  return std::move(output_);
}

Status Evaluator::At(int line, int column, const Status& status) {
  if (status.ok() || status.message().rfind("line ", 0) == 0) return status;
  return status.WithContext(FormatPosition(line, column));
}

Status Evaluator::ErrorAt(int line, int column, std::string message) {
  return Status::InvalidArgument(FormatPosition(line, column) + ": " + message);
}

TemplateValue Evaluator::Lookup(const std::string& name) const {
  for (size_t i = frames_.size(); i-- > 0;) {
    for (const auto& [key, value] : frames_[i].vars) {
      if (key == name) return value;
    }
    if (frames_[i].barrier && i > 0) i = 1;  // continue with the globals (frame 0)
  }
  if (IsGlobalFunction(budget_, name)) return TemplateValue::Callable(name);
  return TemplateValue::Undefined();
}

void Evaluator::Assign(const std::string& name, TemplateValue value) {
  auto& vars = frames_.back().vars;
  for (auto& [key, existing] : vars) {
    if (key == name) {
      existing = std::move(value);
      return;
    }
  }
  vars.emplace_back(name, std::move(value));
}

Status Evaluator::Unpack(const std::vector<std::string>& targets, const TemplateValue& value) {
  if (targets.size() == 1) {
    Assign(targets[0], value);
    return Status::Ok();
  }
  LOCAI_ASSIGN_OR_RETURN(TemplateArray items, IterateValue(budget_, value));
  if (items.size() != targets.size()) {
    return Status::InvalidArgument("cannot unpack " + std::to_string(items.size()) +
                                   " values into " + std::to_string(targets.size()) + " names");
  }
  for (size_t i = 0; i < targets.size(); ++i) Assign(targets[i], items[i]);
  return Status::Ok();
}

// A namespace may not hold a namespace: that keeps every value acyclic and of bounded depth.
Status Evaluator::CheckNamespaceValue(const TemplateValue& value, int depth) {
  return CheckValue(budget_, value, depth + 1, /*allow_namespace=*/false);
}

// ---- statements ----

Result<Evaluator::Flow> Evaluator::ExecBody(const Body& body) {
  DepthGuard guard(this);
  if (guard.exceeded()) {
    const int line = body.empty() ? 0 : body[0]->line;
    const int column = body.empty() ? 0 : body[0]->column;
    return Err(At(line, column, Status::ResourceExhausted("template recursion too deep")));
  }
  for (const StmtPtr& stmt : body) {
    LOCAI_ASSIGN_OR_RETURN(Flow flow, ExecStmt(*stmt));
    if (flow != Flow::kNormal) return flow;
  }
  return Flow::kNormal;
}

Status Evaluator::Output(const TemplateValue& value, const Stmt& at) {
  if (value.is_string()) {
    output_ += value.AsString();
  } else {
    auto text = Stringify(budget_, value);
    if (!text) return At(at.line, at.column, text.error());
    output_ += *text;
  }
  if (output_.size() > budget_.limits().max_output_bytes) {
    return At(
        at.line, at.column,
        Status::ResourceExhausted("output larger than the limit of " +
                                  std::to_string(budget_.limits().max_output_bytes) + " bytes"));
  }
  return Status::Ok();
}

Result<Evaluator::Flow> Evaluator::ExecStmt(const Stmt& stmt) {
  if (Status s = budget_.Charge(1); !s.ok()) return Err(At(stmt.line, stmt.column, s));
  switch (stmt.kind) {
    case StmtKind::kText: {
      TemplateValue text(stmt.text);
      LOCAI_RETURN_IF_ERROR(Output(text, stmt));
      return Flow::kNormal;
    }
    case StmtKind::kOutput: {
      LOCAI_ASSIGN_OR_RETURN(TemplateValue value, Eval(*stmt.expr));
      LOCAI_RETURN_IF_ERROR(Output(value, stmt));
      return Flow::kNormal;
    }
    case StmtKind::kIf: {
      for (const auto& [cond, body] : stmt.branches) {
        LOCAI_ASSIGN_OR_RETURN(TemplateValue value, Eval(*cond));
        if (value.Truthy()) return ExecBody(body);
      }
      return ExecBody(stmt.else_body);
    }
    case StmtKind::kFor:
      return ExecFor(stmt);
    case StmtKind::kSet: {
      LOCAI_RETURN_IF_ERROR(ExecSet(stmt));
      return Flow::kNormal;
    }
    case StmtKind::kSetBlock: {
      std::string saved = std::move(output_);
      output_.clear();
      auto flow = ExecBody(stmt.body);
      std::string captured = std::move(output_);
      output_ = std::move(saved);
      if (!flow) return Err(flow.error());
      Assign(stmt.targets[0], TemplateValue(std::move(captured)));
      return Flow::kNormal;
    }
    case StmtKind::kMacro:
      Assign(stmt.text, TemplateValue::Callable(stmt.text, &stmt));
      return Flow::kNormal;
    case StmtKind::kBreak:
      return Flow::kBreak;
    case StmtKind::kContinue:
      return Flow::kContinue;
  }
  return Flow::kNormal;
}

Status Evaluator::ExecSet(const Stmt& stmt) {
  LOCAI_ASSIGN_OR_RETURN(TemplateValue value, Eval(*stmt.expr));
  if (stmt.attribute.empty()) return At(stmt.line, stmt.column, Unpack(stmt.targets, value));
  TemplateValue target = Lookup(stmt.targets[0]);
  if (!target.is_object() || !target.AsObject().is_namespace) {
    return ErrorAt(stmt.line, stmt.column,
                   "cannot set attribute '" + stmt.attribute + "' of '" + stmt.targets[0] +
                       "': not a namespace");
  }
  LOCAI_RETURN_IF_ERROR(At(stmt.line, stmt.column, CheckNamespaceValue(value, 0)));
  target.MutableObject().Set(stmt.attribute, std::move(value));
  return Status::Ok();
}

Result<Evaluator::Flow> Evaluator::ExecFor(const Stmt& stmt) {
  LOCAI_ASSIGN_OR_RETURN(TemplateValue iterable, Eval(*stmt.expr));
  auto items_or = IterateValue(budget_, iterable);
  if (!items_or) return Err(At(stmt.expr->line, stmt.expr->column, items_or.error()));
  TemplateArray items = std::move(*items_or);

  frames_.emplace_back();
  auto run = [&]() -> Result<bool> {
    if (stmt.condition) {  // `for x in xs if cond`: filter first, so loop.length is right
      TemplateArray kept;
      for (const TemplateValue& item : items) {
        LOCAI_RETURN_IF_ERROR(At(stmt.line, stmt.column, budget_.CountIteration()));
        LOCAI_RETURN_IF_ERROR(At(stmt.line, stmt.column, Unpack(stmt.targets, item)));
        LOCAI_ASSIGN_OR_RETURN(TemplateValue keep, Eval(*stmt.condition));
        if (keep.Truthy()) kept.push_back(item);
      }
      items = std::move(kept);
    }
    const int64_t length = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < length; ++i) {
      LOCAI_RETURN_IF_ERROR(At(stmt.line, stmt.column, budget_.CountIteration()));
      frames_.back().vars.clear();
      LOCAI_RETURN_IF_ERROR(At(stmt.line, stmt.column, Unpack(stmt.targets, items[i])));
      TemplateValue loop = TemplateValue::Object();
      TemplateObject& fields = loop.MutableObject();
      fields.Reserve(11);
      fields.AppendNew("index", TemplateValue(i + 1));
      fields.AppendNew("index0", TemplateValue(i));
      fields.AppendNew("revindex", TemplateValue(length - i));
      fields.AppendNew("revindex0", TemplateValue(length - i - 1));
      fields.AppendNew("first", TemplateValue(i == 0));
      fields.AppendNew("last", TemplateValue(i == length - 1));
      fields.AppendNew("length", TemplateValue(length));
      fields.AppendNew("depth", TemplateValue(1));
      fields.AppendNew("depth0", TemplateValue(0));
      if (i > 0) fields.AppendNew("previtem", items[static_cast<size_t>(i) - 1]);
      if (i + 1 < length) fields.AppendNew("nextitem", items[static_cast<size_t>(i) + 1]);
      Assign("loop", std::move(loop));
      LOCAI_ASSIGN_OR_RETURN(Flow flow, ExecBody(stmt.body));
      if (flow == Flow::kBreak) break;
    }
    return length > 0;
  };
  auto ran = run();
  frames_.pop_back();
  if (!ran) return Err(ran.error());
  if (!*ran) return ExecBody(stmt.else_body);
  return Flow::kNormal;
}

// ---- expressions ----

Result<TemplateValue> Evaluator::Eval(const Expr& expr) {
  DepthGuard guard(this);
  if (guard.exceeded()) {
    return Err(
        At(expr.line, expr.column, Status::ResourceExhausted("template recursion too deep")));
  }
  if (Status s = budget_.Charge(1); !s.ok()) return Err(At(expr.line, expr.column, s));
  switch (expr.kind) {
    case ExprKind::kLiteral:
      return expr.literal;
    case ExprKind::kName:
      return Lookup(expr.name);
    case ExprKind::kAttribute:
      return EvalAttribute(expr);
    case ExprKind::kSubscript:
      return EvalSubscript(expr);
    case ExprKind::kSlice:
      return EvalSlice(expr);
    case ExprKind::kUnary: {
      LOCAI_ASSIGN_OR_RETURN(TemplateValue v, Eval(*expr.args[0]));
      if (v.is_bool()) v = TemplateValue(v.AsInt());
      if (!v.is_number()) {
        return Err(ErrorAt(
            expr.line, expr.column,
            "bad operand type for unary " + expr.name + ": '" + std::string(v.TypeName()) + "'"));
      }
      if (expr.name == "+") return v;
      if (v.is_double()) return TemplateValue(-v.AsDouble());
      if (v.AsInt() == INT64_MIN) return Err(ErrorAt(expr.line, expr.column, "integer overflow"));
      return TemplateValue(-v.AsInt());
    }
    case ExprKind::kNot: {
      LOCAI_ASSIGN_OR_RETURN(TemplateValue v, Eval(*expr.args[0]));
      return TemplateValue(!v.Truthy());
    }
    case ExprKind::kAnd:
    case ExprKind::kOr: {
      LOCAI_ASSIGN_OR_RETURN(TemplateValue left, Eval(*expr.args[0]));
      const bool short_circuit = expr.kind == ExprKind::kAnd ? !left.Truthy() : left.Truthy();
      if (short_circuit) return left;
      return Eval(*expr.args[1]);
    }
    case ExprKind::kCondition: {
      LOCAI_ASSIGN_OR_RETURN(TemplateValue cond, Eval(*expr.args[1]));
      if (cond.Truthy()) return Eval(*expr.args[0]);
      if (expr.args[2]) return Eval(*expr.args[2]);
      return TemplateValue::Undefined();
    }
    case ExprKind::kBinary:
      return EvalBinary(expr);
    case ExprKind::kFilter:
      return EvalFilter(expr);
    case ExprKind::kTest:
      return EvalTest(expr);
    case ExprKind::kCall:
      return EvalCall(expr);
    case ExprKind::kList:
    case ExprKind::kTuple:
    case ExprKind::kDict:
      return EvalCollection(expr);
  }
  return Err(ErrorAt(expr.line, expr.column, "unknown expression"));
}

Result<TemplateValue> Evaluator::EvalAttribute(const Expr& expr) {
  LOCAI_ASSIGN_OR_RETURN(TemplateValue object, Eval(*expr.args[0]));
  if (object.is_undefined()) {
    if (lenient_undefined_) return object;
    return Err(ErrorAt(expr.line, expr.column,
                       "cannot read attribute '" + expr.name + "' of an undefined value"));
  }
  if (object.is_object()) {
    if (const TemplateValue* found = object.Find(expr.name)) return *found;
  }
  return TemplateValue::Undefined();
}

Result<TemplateValue> Evaluator::EvalSubscript(const Expr& expr) {
  LOCAI_ASSIGN_OR_RETURN(TemplateValue object, Eval(*expr.args[0]));
  LOCAI_ASSIGN_OR_RETURN(TemplateValue key, Eval(*expr.args[1]));
  if (object.is_undefined()) {
    if (lenient_undefined_) return object;
    return Err(ErrorAt(expr.line, expr.column, "cannot subscript an undefined value"));
  }
  auto item = GetItem(budget_, object, key);
  if (!item) return Err(At(expr.line, expr.column, item.error()));
  return item;
}

Result<TemplateValue> Evaluator::EvalSlice(const Expr& expr) {
  LOCAI_ASSIGN_OR_RETURN(TemplateValue object, Eval(*expr.args[0]));
  TemplateValue bounds[3];
  for (int i = 0; i < 3; ++i) {
    if (expr.args[static_cast<size_t>(i) + 1]) {
      LOCAI_ASSIGN_OR_RETURN(bounds[i], Eval(*expr.args[static_cast<size_t>(i) + 1]));
    }
  }
  auto sliced = GetSlice(budget_, object, bounds[0], bounds[1], bounds[2]);
  if (!sliced) return Err(At(expr.line, expr.column, sliced.error()));
  return sliced;
}

Result<TemplateValue> Evaluator::EvalBinary(const Expr& expr) {
  LOCAI_ASSIGN_OR_RETURN(TemplateValue left, Eval(*expr.args[0]));
  LOCAI_ASSIGN_OR_RETURN(TemplateValue right, Eval(*expr.args[1]));
  auto result = ApplyBinaryOperator(budget_, expr.name, left, right);
  if (!result) return Err(At(expr.line, expr.column, result.error()));
  return result;
}

Result<CallArgs> Evaluator::EvalArgs(const Expr& expr, size_t first) {
  CallArgs args;
  for (size_t i = first; i < expr.args.size(); ++i) {
    LOCAI_ASSIGN_OR_RETURN(TemplateValue v, Eval(*expr.args[i]));
    args.positional.push_back(std::move(v));
  }
  for (const auto& [name, value_expr] : expr.kwargs) {
    LOCAI_ASSIGN_OR_RETURN(TemplateValue v, Eval(*value_expr));
    args.named.emplace_back(name, std::move(v));
  }
  return args;
}

Result<TemplateValue> Evaluator::EvalFilter(const Expr& expr) {
  LOCAI_ASSIGN_OR_RETURN(TemplateValue input, Eval(*expr.args[0]));
  LOCAI_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(expr, 1));
  auto result = ApplyFilter(budget_, expr.name, input, args);
  if (!result) return Err(At(expr.line, expr.column, result.error()));
  return result;
}

Result<TemplateValue> Evaluator::EvalTest(const Expr& expr) {
  const bool definedness = expr.name == "defined" || expr.name == "undefined";
  const bool saved = lenient_undefined_;
  if (definedness) lenient_undefined_ = true;
  auto input = Eval(*expr.args[0]);
  lenient_undefined_ = saved;
  if (!input) return Err(input.error());
  LOCAI_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(expr, 1));
  auto result = ApplyTest(budget_, expr.name, *input, args);
  if (!result) return Err(At(expr.line, expr.column, result.error()));
  return TemplateValue(*result != expr.negated);
}

Result<TemplateValue> Evaluator::EvalCall(const Expr& expr) {
  const Expr& callee = *expr.args[0];
  if (callee.kind == ExprKind::kAttribute) {  // a method: obj.name(args)
    LOCAI_ASSIGN_OR_RETURN(TemplateValue object, Eval(*callee.args[0]));
    LOCAI_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(expr, 1));
    if (object.is_undefined()) {
      return Err(ErrorAt(expr.line, expr.column,
                         "cannot call method '" + callee.name + "' of an undefined value"));
    }
    const TemplateValue* member = object.Find(callee.name);
    if (member == nullptr || !member->is_callable()) {
      auto result = CallMethod(budget_, object, callee.name, args);
      if (!result) return Err(At(expr.line, expr.column, result.error()));
      return result;
    }
    const TemplateCallable& fn = member->AsCallable();
    if (fn.target != nullptr) return CallMacro(*static_cast<const Stmt*>(fn.target), args, expr);
    auto result = CallGlobal(budget_, fn.name, args);
    if (!result) return Err(At(expr.line, expr.column, result.error()));
    return result;
  }
  LOCAI_ASSIGN_OR_RETURN(TemplateValue fn_value, Eval(callee));
  LOCAI_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(expr, 1));
  if (!fn_value.is_callable()) {
    std::string what = callee.kind == ExprKind::kName ? "'" + callee.name + "'" : "value";
    return Err(ErrorAt(expr.line, expr.column,
                       what + (fn_value.is_undefined() ? " is undefined" : " is not callable")));
  }
  const TemplateCallable& fn = fn_value.AsCallable();
  if (fn.target != nullptr) return CallMacro(*static_cast<const Stmt*>(fn.target), args, expr);
  auto result = CallGlobal(budget_, fn.name, args);
  if (!result) return Err(At(expr.line, expr.column, result.error()));
  return result;
}

Result<TemplateValue> Evaluator::CallMacro(const Stmt& macro, const CallArgs& args,
                                           const Expr& at) {
  if (args.positional.size() > macro.params.size()) {
    return Err(ErrorAt(
        at.line, at.column,
        "macro '" + macro.text + "' takes " + std::to_string(macro.params.size()) + " arguments"));
  }
  Frame frame;
  frame.barrier = true;
  frames_.push_back(std::move(frame));
  auto run = [&]() -> Result<std::string> {
    for (size_t i = 0; i < macro.params.size(); ++i) {
      const auto& [name, default_expr] = macro.params[i];
      const TemplateValue* given = args.Get(i, name);
      if (given != nullptr) {
        Assign(name, *given);
      } else if (default_expr) {
        LOCAI_ASSIGN_OR_RETURN(TemplateValue v, Eval(*default_expr));
        Assign(name, std::move(v));
      } else {
        Assign(name, TemplateValue::Undefined());
      }
    }
    std::string saved = std::move(output_);
    output_.clear();
    auto flow = ExecBody(macro.body);
    std::string produced = std::move(output_);
    output_ = std::move(saved);
    if (!flow) return Err(flow.error());
    return produced;
  };
  auto produced = run();
  frames_.pop_back();
  if (!produced) return Err(produced.error());
  return TemplateValue(std::move(*produced));
}

Result<TemplateValue> Evaluator::EvalCollection(const Expr& expr) {
  if (expr.kind == ExprKind::kDict) {
    TemplateValue dict = TemplateValue::Object();
    for (size_t i = 0; i + 1 < expr.args.size(); i += 2) {
      LOCAI_ASSIGN_OR_RETURN(TemplateValue key, Eval(*expr.args[i]));
      LOCAI_ASSIGN_OR_RETURN(TemplateValue value, Eval(*expr.args[i + 1]));
      if (Status st = CheckValue(budget_, value, 1, true); !st.ok()) {
        return Err(At(expr.line, expr.column, st));
      }
      if (!key.is_string()) {
        auto text = Stringify(budget_, key);
        if (!text) return Err(At(expr.line, expr.column, text.error()));
        key = TemplateValue(*text);
      }
      dict.Set(key.AsString(), std::move(value));
    }
    return dict;
  }
  TemplateArray items;
  items.reserve(expr.args.size());
  for (const ExprPtr& item : expr.args) {
    LOCAI_ASSIGN_OR_RETURN(TemplateValue v, Eval(*item));
    if (Status st = CheckValue(budget_, v, 1, true); !st.ok()) {
      return Err(At(expr.line, expr.column, st));
    }
    items.push_back(std::move(v));
  }
  return TemplateValue(std::move(items));
}

}  // namespace locai::engine::jinja
