#include "engine/chat_template/expression_parser.h"

#include <algorithm>

namespace locai::engine::jinja {

bool IsKeyword(const std::string& s) {
  static constexpr std::string_view kKeywords[] = {"and", "or", "not", "in", "is", "if", "else"};
  return std::find(std::begin(kKeywords), std::end(kKeywords), s) != std::end(kKeywords);
}

// ---- expressions ----

Result<ExprPtr> ExpressionParser::ParseTupleOrExpr() {
  const Token at = Peek();
  LOCAI_ASSIGN_OR_RETURN(ExprPtr first, ParseExpression());
  if (!IsOp(",")) return first;
  std::vector<ExprPtr> items;
  items.push_back(std::move(first));
  while (IsOp(",")) {
    Next();
    if (Peek().type == TokenType::kBlockEnd || Peek().type == TokenType::kVarEnd) break;
    LOCAI_ASSIGN_OR_RETURN(ExprPtr item, ParseExpression());
    items.push_back(std::move(item));
  }
  return Make(ExprKind::kTuple, at, std::move(items));
}

Result<ExprPtr> ExpressionParser::ParseExpression() {
  DepthGuard guard(this);
  LOCAI_RETURN_IF_ERROR(CheckDepth());
  LOCAI_ASSIGN_OR_RETURN(ExprPtr value, ParseOr());
  while (IsName("if")) {
    const Token at = Next();
    LOCAI_ASSIGN_OR_RETURN(ExprPtr cond, ParseOr());
    ExprPtr otherwise;
    if (IsName("else")) {
      Next();
      LOCAI_ASSIGN_OR_RETURN(otherwise, ParseExpression());
    }
    std::vector<ExprPtr> args;
    args.push_back(std::move(value));
    args.push_back(std::move(cond));
    args.push_back(std::move(otherwise));
    LOCAI_ASSIGN_OR_RETURN(value, Make(ExprKind::kCondition, at, std::move(args)));
  }
  return value;
}

Result<ExprPtr> ExpressionParser::Binary(ExprKind kind, const Token& at, ExprPtr left,
                                         ExprPtr right, std::string op) {
  std::vector<ExprPtr> args;
  args.push_back(std::move(left));
  args.push_back(std::move(right));
  return Make(kind, at, std::move(args), std::move(op));
}

Result<ExprPtr> ExpressionParser::ParseOr() {
  LOCAI_ASSIGN_OR_RETURN(ExprPtr left, ParseAnd());
  while (IsName("or")) {
    const Token at = Next();
    LOCAI_ASSIGN_OR_RETURN(ExprPtr right, ParseAnd());
    LOCAI_ASSIGN_OR_RETURN(left, Binary(ExprKind::kOr, at, std::move(left), std::move(right)));
  }
  return left;
}

Result<ExprPtr> ExpressionParser::ParseAnd() {
  LOCAI_ASSIGN_OR_RETURN(ExprPtr left, ParseNot());
  while (IsName("and")) {
    const Token at = Next();
    LOCAI_ASSIGN_OR_RETURN(ExprPtr right, ParseNot());
    LOCAI_ASSIGN_OR_RETURN(left, Binary(ExprKind::kAnd, at, std::move(left), std::move(right)));
  }
  return left;
}

Result<ExprPtr> ExpressionParser::ParseNot() {
  if (IsName("not")) {
    DepthGuard guard(this);
    LOCAI_RETURN_IF_ERROR(CheckDepth());
    const Token at = Next();
    LOCAI_ASSIGN_OR_RETURN(ExprPtr operand, ParseNot());
    std::vector<ExprPtr> args;
    args.push_back(std::move(operand));
    return Make(ExprKind::kNot, at, std::move(args));
  }
  return ParseCompare();
}

Result<ExprPtr> ExpressionParser::ParseCompare() {
  LOCAI_ASSIGN_OR_RETURN(ExprPtr left, ParseMath1());
  while (true) {
    const Token at = Peek();
    std::string op;
    if (at.type == TokenType::kOperator && (at.text == "==" || at.text == "!=" || at.text == "<" ||
                                            at.text == "<=" || at.text == ">" || at.text == ">=")) {
      op = at.text;
      Next();
    } else if (IsName("in")) {
      op = "in";
      Next();
    } else if (IsName("not") && IsName("in", 1)) {
      op = "not in";
      Next();
      Next();
    } else {
      return left;
    }
    LOCAI_ASSIGN_OR_RETURN(ExprPtr right, ParseMath1());
    LOCAI_ASSIGN_OR_RETURN(left,
                           Binary(ExprKind::kBinary, at, std::move(left), std::move(right), op));
  }
}

Result<ExprPtr> ExpressionParser::ParseMath1() {
  LOCAI_ASSIGN_OR_RETURN(ExprPtr left, ParseConcat());
  while (IsOp("+") || IsOp("-")) {
    const Token at = Next();
    LOCAI_ASSIGN_OR_RETURN(ExprPtr right, ParseConcat());
    LOCAI_ASSIGN_OR_RETURN(
        left, Binary(ExprKind::kBinary, at, std::move(left), std::move(right), at.text));
  }
  return left;
}

Result<ExprPtr> ExpressionParser::ParseConcat() {
  LOCAI_ASSIGN_OR_RETURN(ExprPtr left, ParseMath2());
  while (IsOp("~")) {
    const Token at = Next();
    LOCAI_ASSIGN_OR_RETURN(ExprPtr right, ParseMath2());
    LOCAI_ASSIGN_OR_RETURN(left,
                           Binary(ExprKind::kBinary, at, std::move(left), std::move(right), "~"));
  }
  return left;
}

Result<ExprPtr> ExpressionParser::ParseMath2() {
  LOCAI_ASSIGN_OR_RETURN(ExprPtr left, ParsePow());
  while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) {
    const Token at = Next();
    LOCAI_ASSIGN_OR_RETURN(ExprPtr right, ParsePow());
    LOCAI_ASSIGN_OR_RETURN(
        left, Binary(ExprKind::kBinary, at, std::move(left), std::move(right), at.text));
  }
  return left;
}

Result<ExprPtr> ExpressionParser::ParsePow() {
  LOCAI_ASSIGN_OR_RETURN(ExprPtr left, ParseUnary(true));
  while (IsOp("**")) {
    const Token at = Next();
    LOCAI_ASSIGN_OR_RETURN(ExprPtr right, ParseUnary(true));
    LOCAI_ASSIGN_OR_RETURN(left,
                           Binary(ExprKind::kBinary, at, std::move(left), std::move(right), "**"));
  }
  return left;
}

Result<ExprPtr> ExpressionParser::ParseUnary(bool with_filters) {
  ExprPtr node;
  if (IsOp("-") || IsOp("+")) {
    DepthGuard guard(this);
    LOCAI_RETURN_IF_ERROR(CheckDepth());
    const Token at = Next();
    LOCAI_ASSIGN_OR_RETURN(ExprPtr operand, ParseUnary(false));
    std::vector<ExprPtr> args;
    args.push_back(std::move(operand));
    LOCAI_ASSIGN_OR_RETURN(node, Make(ExprKind::kUnary, at, std::move(args), at.text));
  } else {
    LOCAI_ASSIGN_OR_RETURN(node, ParsePrimary());
  }
  LOCAI_ASSIGN_OR_RETURN(node, ParsePostfix(std::move(node)));
  if (with_filters) {
    LOCAI_ASSIGN_OR_RETURN(node, ParseFilterChain(std::move(node)));
  }
  return node;
}

Result<ExprPtr> ExpressionParser::ParsePrimary() {
  const Token t = Peek();
  switch (t.type) {
    case TokenType::kName: {
      Next();
      auto e = std::make_unique<Expr>();
      e->line = t.line;
      e->column = t.column;
      if (t.text == "true" || t.text == "True") {
        e->literal = TemplateValue(true);
      } else if (t.text == "false" || t.text == "False") {
        e->literal = TemplateValue(false);
      } else if (t.text == "none" || t.text == "None") {
        e->literal = TemplateValue::Null();
      } else if (IsKeyword(t.text)) {
        return Err(SyntaxError(t, "unexpected '" + t.text + "'"));
      } else {
        e->kind = ExprKind::kName;
        e->name = t.text;
      }
      return e;
    }
    case TokenType::kString: {
      std::string value;
      while (Peek().type == TokenType::kString) value += Next().text;  // "a" "b" joins
      auto e = std::make_unique<Expr>();
      e->line = t.line;
      e->column = t.column;
      e->literal = TemplateValue(std::move(value));
      return e;
    }
    case TokenType::kInt:
    case TokenType::kFloat: {
      Next();
      auto e = std::make_unique<Expr>();
      e->line = t.line;
      e->column = t.column;
      e->literal =
          t.type == TokenType::kInt ? TemplateValue(t.int_value) : TemplateValue(t.float_value);
      return e;
    }
    case TokenType::kOperator:
      if (t.text == "(") return ParseParenthesised();
      if (t.text == "[") return ParseList();
      if (t.text == "{") return ParseDict();
      break;
    default:
      break;
  }
  return Err(SyntaxError(t, "unexpected " + Describe(t)));
}

Result<ExprPtr> ExpressionParser::ParseParenthesised() {
  const Token at = Next();
  if (IsOp(")")) {
    Next();
    return Make(ExprKind::kTuple, at, {});
  }
  LOCAI_ASSIGN_OR_RETURN(ExprPtr first, ParseExpression());
  if (IsOp(")")) {
    Next();
    return first;
  }
  std::vector<ExprPtr> items;
  items.push_back(std::move(first));
  while (IsOp(",")) {
    Next();
    if (IsOp(")")) break;
    LOCAI_ASSIGN_OR_RETURN(ExprPtr item, ParseExpression());
    items.push_back(std::move(item));
  }
  LOCAI_RETURN_IF_ERROR(Expect(")"));
  return Make(ExprKind::kTuple, at, std::move(items));
}

Result<ExprPtr> ExpressionParser::ParseList() {
  const Token at = Next();
  std::vector<ExprPtr> items;
  while (!IsOp("]")) {
    LOCAI_ASSIGN_OR_RETURN(ExprPtr item, ParseExpression());
    items.push_back(std::move(item));
    if (!IsOp(",")) break;
    Next();
  }
  LOCAI_RETURN_IF_ERROR(Expect("]"));
  return Make(ExprKind::kList, at, std::move(items));
}

Result<ExprPtr> ExpressionParser::ParseDict() {
  const Token at = Next();
  std::vector<ExprPtr> items;
  while (!IsOp("}")) {
    LOCAI_ASSIGN_OR_RETURN(ExprPtr key, ParseExpression());
    LOCAI_RETURN_IF_ERROR(Expect(":"));
    LOCAI_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression());
    items.push_back(std::move(key));
    items.push_back(std::move(value));
    if (!IsOp(",")) break;
    Next();
  }
  LOCAI_RETURN_IF_ERROR(Expect("}"));
  return Make(ExprKind::kDict, at, std::move(items));
}

Result<ExprPtr> ExpressionParser::ParsePostfix(ExprPtr node) {
  while (true) {
    if (IsOp(".")) {
      const Token at = Next();
      const Token& attr = Peek();
      std::vector<ExprPtr> args;
      args.push_back(std::move(node));
      if (attr.type == TokenType::kInt) {  // x.0 is x[0]
        auto index = std::make_unique<Expr>();
        index->literal = TemplateValue(attr.int_value);
        args.push_back(std::move(index));
        Next();
        LOCAI_ASSIGN_OR_RETURN(node, Make(ExprKind::kSubscript, at, std::move(args)));
        continue;
      }
      if (attr.type != TokenType::kName)
        return Err(SyntaxError(attr, "expected an attribute name"));
      if (attr.text[0] == '_') {
        return Err(SyntaxError(attr, "access to attribute '" + attr.text + "' is not allowed"));
      }
      std::string name = attr.text;
      Next();
      LOCAI_ASSIGN_OR_RETURN(node,
                             Make(ExprKind::kAttribute, at, std::move(args), std::move(name)));
    } else if (IsOp("[")) {
      LOCAI_ASSIGN_OR_RETURN(node, ParseSubscript(std::move(node)));
    } else if (IsOp("(")) {
      LOCAI_ASSIGN_OR_RETURN(node, ParseCall(std::move(node)));
    } else {
      return node;
    }
  }
}

Result<ExprPtr> ExpressionParser::ParseSubscript(ExprPtr node) {
  const Token at = Next();  // [
  DepthGuard guard(this);
  LOCAI_RETURN_IF_ERROR(CheckDepth());
  ExprPtr bounds[3];
  int part = 0;
  bool is_slice = false;
  while (true) {
    if (IsOp(":")) {
      is_slice = true;
      if (++part > 2) return Err(SyntaxError(Peek(), "too many ':' in slice"));
      Next();
      continue;
    }
    if (IsOp("]")) break;
    if (bounds[part]) return Err(SyntaxError(Peek(), "expected ':' or ']'"));
    LOCAI_ASSIGN_OR_RETURN(bounds[part], ParseExpression());
  }
  Next();  // ]
  std::vector<ExprPtr> args;
  args.push_back(std::move(node));
  if (!is_slice) {
    if (!bounds[0]) return Err(SyntaxError(at, "empty subscript"));
    args.push_back(std::move(bounds[0]));
    return Make(ExprKind::kSubscript, at, std::move(args));
  }
  for (ExprPtr& b : bounds) args.push_back(std::move(b));
  return Make(ExprKind::kSlice, at, std::move(args));
}

Status ExpressionParser::ParseArguments(Expr* e) {
  DepthGuard guard(this);
  LOCAI_RETURN_IF_ERROR(CheckDepth());
  LOCAI_RETURN_IF_ERROR(Expect("("));
  while (!IsOp(")")) {
    if (Peek().type == TokenType::kName && IsOp("=", 1)) {
      std::string key = Next().text;
      Next();
      auto value = ParseExpression();
      if (!value) return value.error();
      e->kwargs.emplace_back(std::move(key), std::move(*value));
    } else {
      if (!e->kwargs.empty())
        return SyntaxError(Peek(), "positional argument after keyword argument");
      auto value = ParseExpression();
      if (!value) return value.error();
      e->args.push_back(std::move(*value));
    }
    if (!IsOp(",")) break;
    Next();
  }
  return Expect(")");
}

Result<ExprPtr> ExpressionParser::ParseCall(ExprPtr callee) {
  const Token at = Peek();
  auto e = std::make_unique<Expr>();
  e->kind = ExprKind::kCall;
  e->line = at.line;
  e->column = at.column;
  e->args.push_back(std::move(callee));
  LOCAI_RETURN_IF_ERROR(ParseArguments(e.get()));
  return Finish(std::move(e), at);
}

Result<ExprPtr> ExpressionParser::ParseFilterChain(ExprPtr node) {
  while (true) {
    if (IsOp("|")) {
      Next();
      const Token name = Peek();
      if (name.type != TokenType::kName) return Err(SyntaxError(name, "expected a filter name"));
      Next();
      auto e = std::make_unique<Expr>();
      e->kind = ExprKind::kFilter;
      e->line = name.line;
      e->column = name.column;
      e->name = name.text;
      e->args.push_back(std::move(node));
      if (IsOp("(")) LOCAI_RETURN_IF_ERROR(ParseArguments(e.get()));
      LOCAI_ASSIGN_OR_RETURN(node, Finish(std::move(e), name));
    } else if (IsName("is")) {
      Next();
      auto e = std::make_unique<Expr>();
      e->kind = ExprKind::kTest;
      if (IsName("not")) {
        Next();
        e->negated = true;
      }
      const Token name = Peek();
      if (name.type != TokenType::kName) return Err(SyntaxError(name, "expected a test name"));
      Next();
      e->line = name.line;
      e->column = name.column;
      e->name = name.text == "none" || name.text == "None"     ? "none"
                : name.text == "true" || name.text == "True"   ? "true"
                : name.text == "false" || name.text == "False" ? "false"
                                                               : name.text;
      e->args.push_back(std::move(node));
      const Token& next = Peek();
      if (IsOp("(")) {
        LOCAI_RETURN_IF_ERROR(ParseArguments(e.get()));
      } else if (next.type == TokenType::kString || next.type == TokenType::kInt ||
                 next.type == TokenType::kFloat ||
                 (next.type == TokenType::kName && !IsKeyword(next.text))) {
        // `x is divisibleby 3`: one argument without parentheses.
        LOCAI_ASSIGN_OR_RETURN(ExprPtr arg, ParsePrimary());
        LOCAI_ASSIGN_OR_RETURN(arg, ParsePostfix(std::move(arg)));
        e->args.push_back(std::move(arg));
      }
      LOCAI_ASSIGN_OR_RETURN(node, Finish(std::move(e), name));
    } else if (IsOp("(")) {
      LOCAI_ASSIGN_OR_RETURN(node, ParseCall(std::move(node)));
    } else {
      return node;
    }
  }
}

}  // namespace locai::engine::jinja
