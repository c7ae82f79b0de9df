// The syntax tree of a parsed Jinja template: expressions (Expr) and statements (Stmt).
//
// Nodes are plain structs with a kind and a few generic fields whose meaning per kind is listed
// below; the parser builds them, the evaluator walks them. The parser bounds the depth of every
// tree (TemplateLimits::max_nesting_depth), so recursive walks and destruction stay shallow.
// Thread-safety: immutable once parsed; safe to share between threads.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/chat_template/value.h"

namespace locai::engine::jinja {

enum class ExprKind {
  kLiteral,    // literal
  kName,       // name
  kAttribute,  // args[0].name
  kSubscript,  // args[0][args[1]]
  kSlice,      // args[0][args[1]:args[2]:args[3]], each bound may be null
  kUnary,      // name ("-" or "+") applied to args[0]
  kNot,        // not args[0]
  kBinary,     // args[0] name args[1]; name is an operator, "in" or "not in"
  kAnd,        // args[0] and args[1]
  kOr,         // args[0] or args[1]
  kCondition,  // args[0] if args[1] else args[2] (args[2] may be null: undefined)
  kFilter,     // args[0] | name(args[1..], kwargs)
  kTest,       // args[0] is [not] name(args[1..]); negated for `is not`
  kCall,       // args[0](args[1..], kwargs)
  kList,       // [args...]
  kTuple,      // (args...), evaluated as a list
  kDict,       // {args[0]: args[1], args[2]: args[3], ...}
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  int line = 0;
  int column = 0;
  int depth = 1;  // height of this subtree
  bool negated = false;
  std::string name;
  TemplateValue literal;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
};

enum class StmtKind {
  kText,      // text
  kOutput,    // {{ expr }}
  kIf,        // branches (condition, body)..., else_body
  kFor,       // for targets in expr [if condition]: body, else_body
  kSet,       // set targets = expr; with attribute: set targets[0].attribute = expr
  kSetBlock,  // set targets[0]: body captured as a string
  kMacro,     // macro name(params): body
  kBreak,     // break
  kContinue,  // continue
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  StmtKind kind = StmtKind::kText;
  int line = 0;
  int column = 0;
  std::string text;       // kText: the text; kMacro: the macro's name
  std::string attribute;  // kSet on a namespace attribute
  std::vector<std::string> targets;
  ExprPtr expr;
  ExprPtr condition;
  std::vector<std::pair<ExprPtr, Body>> branches;
  Body body;
  Body else_body;
  std::vector<std::pair<std::string, ExprPtr>> params;  // kMacro: name and default (or null)
};

}  // namespace locai::engine::jinja
