// ExpressionParser: the token cursor, error helpers and expression grammar shared by the
// statement parser (parser.cc). Internal to the Jinja interpreter.
//
// Precedence, loosest first, as in Jinja: `a if c else b`, or, and, not, comparisons (== != < <=
// > >= in, not in), + -, ~, * / // %, **, unary - +, then postfix (.attr, [index], [a:b:c],
// calls) and filters/tests (| f, is t). Every node's depth is checked against max_depth, and the
// syntactic recursion is counted before it happens, so hostile nesting ends with an error.
// Thread-safety: one parser per Parse() call.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "engine/chat_template/ast.h"
#include "engine/chat_template/lexer.h"

namespace locai::engine::jinja {

bool IsKeyword(const std::string& s);

class ExpressionParser {
 public:
  ExpressionParser(std::vector<Token> tokens, int max_depth)
      : tokens_(std::move(tokens)), max_depth_(max_depth) {}

 protected:
  // Counts syntactic recursion (nested blocks, parentheses, unary chains) against max_depth_.
  class DepthGuard {
   public:
    explicit DepthGuard(ExpressionParser* p) : p_(p) { ++p_->depth_; }
    ~DepthGuard() { --p_->depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    ExpressionParser* p_;
  };

  const Token& Peek(size_t ahead = 0) const {
    const size_t i = std::min(pos_ + ahead, tokens_.size() - 1);
    return tokens_[i];
  }
  const Token& Next() {
    const Token& t = Peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return t;
  }
  bool IsOp(std::string_view op, size_t ahead = 0) const {
    const Token& t = Peek(ahead);
    return t.type == TokenType::kOperator && t.text == op;
  }
  bool IsName(std::string_view name, size_t ahead = 0) const {
    const Token& t = Peek(ahead);
    return t.type == TokenType::kName && t.text == name;
  }

  Status ErrorAt(const Token& t, StatusCode code, const std::string& message) const {
    std::string text = FormatPosition(t.line, t.column) + ": " + message;
    return code == StatusCode::kUnimplemented       ? Status::Unimplemented(std::move(text))
           : code == StatusCode::kResourceExhausted ? Status::ResourceExhausted(std::move(text))
                                                    : Status::InvalidArgument(std::move(text));
  }
  Status SyntaxError(const Token& t, const std::string& message) const {
    return ErrorAt(t, StatusCode::kInvalidArgument, message);
  }
  static std::string Describe(const Token& t) {
    switch (t.type) {
      case TokenType::kEnd:
        return "end of template";
      case TokenType::kText:
        return "template text";
      case TokenType::kVarEnd:
      case TokenType::kBlockEnd:
      case TokenType::kVarBegin:
      case TokenType::kBlockBegin:
        return "'" + t.text + "'";
      case TokenType::kString:
        return "string literal";
      default:
        return "'" + t.text + "'";
    }
  }
  Status Expect(std::string_view op) {
    if (!IsOp(op))
      return SyntaxError(Peek(), "expected '" + std::string(op) + "', got " + Describe(Peek()));
    Next();
    return Status::Ok();
  }
  Status ExpectBlockEnd() {
    if (Peek().type != TokenType::kBlockEnd) {
      return SyntaxError(Peek(), "expected '%}', got " + Describe(Peek()));
    }
    Next();
    return Status::Ok();
  }
  Status CheckDepth() const {
    if (depth_ > max_depth_) {
      return ErrorAt(Peek(), StatusCode::kResourceExhausted, "template nested too deeply");
    }
    return Status::Ok();
  }

  Result<ExprPtr> Make(ExprKind kind, const Token& at, std::vector<ExprPtr> args,
                       std::string name = {}) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = at.line;
    e->column = at.column;
    e->name = std::move(name);
    e->args = std::move(args);
    return Finish(std::move(e), at);
  }
  Result<ExprPtr> Finish(ExprPtr e, const Token& at) {
    int depth = 0;
    for (const ExprPtr& a : e->args) {
      if (a) depth = std::max(depth, a->depth);
    }
    for (const auto& kw : e->kwargs) depth = std::max(depth, kw.second->depth);
    e->depth = depth + 1;
    if (e->depth > max_depth_) {
      return Err(ErrorAt(at, StatusCode::kResourceExhausted, "expression nested too deeply"));
    }
    return e;
  }

  // ---- expressions: each parses one precedence level at the cursor ----
  // expr[, expr...]: a bare tuple as in `{% set a, b = 1, 2 %}`.
  Result<ExprPtr> ParseTupleOrExpr();
  Result<ExprPtr> ParseExpression();
  Result<ExprPtr> Binary(ExprKind kind, const Token& at, ExprPtr left, ExprPtr right,
                         std::string op = {});
  Result<ExprPtr> ParseOr();
  Result<ExprPtr> ParseAnd();
  Result<ExprPtr> ParseNot();
  Result<ExprPtr> ParseCompare();
  Result<ExprPtr> ParseMath1();
  Result<ExprPtr> ParseConcat();
  Result<ExprPtr> ParseMath2();
  Result<ExprPtr> ParsePow();
  Result<ExprPtr> ParseUnary(bool with_filters);
  Result<ExprPtr> ParsePrimary();
  Result<ExprPtr> ParseParenthesised();
  Result<ExprPtr> ParseList();
  Result<ExprPtr> ParseDict();
  Result<ExprPtr> ParsePostfix(ExprPtr node);
  Result<ExprPtr> ParseSubscript(ExprPtr node);
  // Parses `(args, name=value)` into e->args (after what is there) and e->kwargs.
  Status ParseArguments(Expr* e);
  Result<ExprPtr> ParseCall(ExprPtr callee);
  Result<ExprPtr> ParseFilterChain(ExprPtr node);

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int max_depth_;
  int depth_ = 0;
};

}  // namespace locai::engine::jinja
