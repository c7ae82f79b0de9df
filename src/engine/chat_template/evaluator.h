// Evaluator: renders a parsed template (ast.h) against a context of variables.
//
// Scoping follows Jinja: `for` bodies and macro bodies get their own scope (a `set` inside a loop
// is gone after it; namespace() objects carry values out), `if` does not. Undefined names are
// undefined values: they print as "", are false, and iterate as empty; reading an attribute of
// one is an error (except inside `is defined` / `is undefined`).
// Every error names the line and column of the node that failed. Recursion is bounded by
// 4 * max_nesting_depth; work by EvalBudget.
// Thread-safety: one Evaluator per render, on one thread.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "engine/chat_template/ast.h"
#include "engine/chat_template/builtins.h"

namespace locai::engine::jinja {

class Evaluator {
 public:
  // `context` must be an object (or undefined for none); its entries become the global variables.
  Evaluator(const TemplateLimits& limits, const RenderOptions& options,
            const TemplateValue& context);

  Result<std::string> Render(const Body& body);

 private:
  enum class Flow { kNormal, kBreak, kContinue };
  struct Frame {
    std::vector<std::pair<std::string, TemplateValue>> vars;
    bool barrier = false;  // a macro scope: lookups skip to the globals after it
  };
  class DepthGuard;

  Result<Flow> ExecBody(const Body& body);
  Result<Flow> ExecStmt(const Stmt& stmt);
  Result<Flow> ExecFor(const Stmt& stmt);
  Status ExecSet(const Stmt& stmt);
  Status Output(const TemplateValue& value, const Stmt& at);

  Result<TemplateValue> Eval(const Expr& expr);
  Result<TemplateValue> EvalAttribute(const Expr& expr);
  Result<TemplateValue> EvalSubscript(const Expr& expr);
  Result<TemplateValue> EvalSlice(const Expr& expr);
  Result<TemplateValue> EvalBinary(const Expr& expr);
  Result<TemplateValue> EvalFilter(const Expr& expr);
  Result<TemplateValue> EvalTest(const Expr& expr);
  Result<TemplateValue> EvalCall(const Expr& expr);
  Result<TemplateValue> EvalCollection(const Expr& expr);
  Result<CallArgs> EvalArgs(const Expr& expr, size_t first);
  Result<TemplateValue> CallMacro(const Stmt& macro, const CallArgs& args, const Expr& at);

  TemplateValue Lookup(const std::string& name) const;
  void Assign(const std::string& name, TemplateValue value);
  Status Unpack(const std::vector<std::string>& targets, const TemplateValue& value);
  Status CheckNamespaceValue(const TemplateValue& value, int depth);
  // Prefixes `status` with the position of `line`:`column` unless it already has one.
  static Status At(int line, int column, const Status& status);
  static Status ErrorAt(int line, int column, std::string message);

  EvalBudget budget_;
  std::vector<Frame> frames_;
  std::string output_;
  int depth_ = 0;
  int max_depth_;
  bool lenient_undefined_ = false;
};

}  // namespace locai::engine::jinja
