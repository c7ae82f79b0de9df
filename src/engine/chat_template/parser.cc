#include "engine/chat_template/parser.h"

#include <algorithm>
#include <initializer_list>

namespace locai::engine::jinja {
namespace {

bool IsKeyword(const std::string& s) {
  static constexpr std::string_view kKeywords[] = {"and", "or", "not", "in", "is", "if", "else"};
  return std::find(std::begin(kKeywords), std::end(kKeywords), s) != std::end(kKeywords);
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, int max_depth)
      : tokens_(std::move(tokens)), max_depth_(max_depth) {}

  Result<Body> Run() {
    std::string stop;
    LOCAI_ASSIGN_OR_RETURN(Body body, ParseBody({}, &stop));
    return body;
  }

 private:
  // Counts syntactic recursion (nested blocks, parentheses, unary chains) against max_depth_.
  class DepthGuard {
   public:
    explicit DepthGuard(Parser* p) : p_(p) { ++p_->depth_; }
    ~DepthGuard() { --p_->depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    Parser* p_;
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

  // ---- statements ----

  // Parses statements until a block tag whose name is in `stops`; consumes that name and stores
  // it in *stop. With no stops, parses to the end of the template.
  Result<Body> ParseBody(std::initializer_list<std::string_view> stops, std::string* stop) {
    DepthGuard guard(this);
    LOCAI_RETURN_IF_ERROR(CheckDepth());
    Body body;
    while (true) {
      const Token& t = Peek();
      if (t.type == TokenType::kEnd) {
        if (stops.size() == 0) return body;
        return Err(SyntaxError(
            t, "unexpected end of template, expected '" + std::string(*stops.begin()) + "'"));
      }
      if (t.type == TokenType::kText) {
        auto s = NewStmt(StmtKind::kText, t);
        s->text = t.text;
        Next();
        body.push_back(std::move(s));
        continue;
      }
      if (t.type == TokenType::kVarBegin) {
        auto s = NewStmt(StmtKind::kOutput, t);
        Next();
        LOCAI_ASSIGN_OR_RETURN(s->expr, ParseTupleOrExpr());
        if (Peek().type != TokenType::kVarEnd) {
          return Err(SyntaxError(Peek(), "expected '}}', got " + Describe(Peek())));
        }
        Next();
        body.push_back(std::move(s));
        continue;
      }
      if (t.type != TokenType::kBlockBegin) {
        return Err(SyntaxError(t, "unexpected " + Describe(t)));
      }
      const Token& begin = Next();
      const Token& name = Peek();
      if (name.type != TokenType::kName) return Err(SyntaxError(name, "expected a tag name"));
      for (std::string_view s : stops) {
        if (name.text == s) {
          *stop = name.text;
          Next();
          return body;
        }
      }
      LOCAI_ASSIGN_OR_RETURN(StmtPtr stmt, ParseStatement(begin));
      if (stmt) body.push_back(std::move(stmt));
    }
  }

  StmtPtr NewStmt(StmtKind kind, const Token& at) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->line = at.line;
    s->column = at.column;
    return s;
  }

  // After `{%`, at the tag name. Returns null for tags that produce no node.
  Result<StmtPtr> ParseStatement(const Token& begin) {
    const Token name = Next();
    if (name.text == "if") return ParseIf(name);
    if (name.text == "for") return ParseFor(name);
    if (name.text == "set") return ParseSet(name);
    if (name.text == "macro") return ParseMacro(name);
    if (name.text == "break" || name.text == "continue") {
      LOCAI_RETURN_IF_ERROR(ExpectBlockEnd());
      if (loop_depth_ == 0) return Err(SyntaxError(name, "'" + name.text + "' outside a loop"));
      return NewStmt(name.text == "break" ? StmtKind::kBreak : StmtKind::kContinue, name);
    }
    if (name.text == "generation") {
      // Hugging Face's marker for assistant tokens: renders as its body.
      LOCAI_RETURN_IF_ERROR(ExpectBlockEnd());
      std::string stop;
      LOCAI_ASSIGN_OR_RETURN(Body inner, ParseBody({"endgeneration"}, &stop));
      LOCAI_RETURN_IF_ERROR(ExpectBlockEnd());
      auto s = NewStmt(StmtKind::kIf, name);
      auto always = std::make_unique<Expr>();
      always->literal = TemplateValue(true);
      s->branches.emplace_back(std::move(always), std::move(inner));
      return s;
    }
    static constexpr std::string_view kKnownUnsupported[] = {
        "call",    "filter", "raw",  "include", "import",     "from",
        "extends", "block",  "with", "do",      "autoescape", "trans"};
    for (std::string_view u : kKnownUnsupported) {
      if (name.text == u) {
        return Err(
            ErrorAt(name, StatusCode::kUnimplemented, "unsupported tag '" + name.text + "'"));
      }
    }
    (void)begin;
    return Err(SyntaxError(name, "unknown or misplaced tag '" + name.text + "'"));
  }

  Result<StmtPtr> ParseIf(const Token& at) {
    auto s = NewStmt(StmtKind::kIf, at);
    while (true) {
      LOCAI_ASSIGN_OR_RETURN(ExprPtr cond, ParseExpression());
      LOCAI_RETURN_IF_ERROR(ExpectBlockEnd());
      std::string stop;
      LOCAI_ASSIGN_OR_RETURN(Body body, ParseBody({"endif", "elif", "else"}, &stop));
      s->branches.emplace_back(std::move(cond), std::move(body));
      if (stop == "elif") continue;
      if (stop == "else") {
        LOCAI_RETURN_IF_ERROR(ExpectBlockEnd());
        LOCAI_ASSIGN_OR_RETURN(s->else_body, ParseBody({"endif"}, &stop));
      }
      LOCAI_RETURN_IF_ERROR(ExpectBlockEnd());
      return s;
    }
  }

  Result<std::vector<std::string>> ParseTargets() {
    std::vector<std::string> targets;
    const bool paren = IsOp("(");
    if (paren) Next();
    while (true) {
      const Token& t = Peek();
      if (t.type != TokenType::kName || IsKeyword(t.text)) {
        return Err(SyntaxError(t, "expected a variable name, got " + Describe(t)));
      }
      targets.push_back(t.text);
      Next();
      if (!IsOp(",")) break;
      Next();
    }
    if (paren) LOCAI_RETURN_IF_ERROR(Expect(")"));
    return targets;
  }

  Result<StmtPtr> ParseFor(const Token& at) {
    auto s = NewStmt(StmtKind::kFor, at);
    LOCAI_ASSIGN_OR_RETURN(s->targets, ParseTargets());
    if (!IsName("in")) return Err(SyntaxError(Peek(), "expected 'in', got " + Describe(Peek())));
    Next();
    LOCAI_ASSIGN_OR_RETURN(s->expr, ParseOr());
    if (IsName("if")) {
      Next();
      LOCAI_ASSIGN_OR_RETURN(s->condition, ParseExpression());
    }
    if (IsName("recursive")) {
      return Err(ErrorAt(Peek(), StatusCode::kUnimplemented, "recursive loops are not supported"));
    }
    LOCAI_RETURN_IF_ERROR(ExpectBlockEnd());
    ++loop_depth_;
    std::string stop;
    auto body = ParseBody({"endfor", "else"}, &stop);
    --loop_depth_;
    if (!body) return Err(body.error());
    s->body = std::move(*body);
    if (stop == "else") {
      LOCAI_RETURN_IF_ERROR(ExpectBlockEnd());
      LOCAI_ASSIGN_OR_RETURN(s->else_body, ParseBody({"endfor"}, &stop));
    }
    LOCAI_RETURN_IF_ERROR(ExpectBlockEnd());
    return s;
  }

  Result<StmtPtr> ParseSet(const Token& at) {
    auto s = NewStmt(StmtKind::kSet, at);
    const Token& first = Peek();
    if (first.type == TokenType::kName && IsOp(".", 1)) {
      s->targets.push_back(first.text);
      Next();
      Next();
      const Token& attr = Peek();
      if (attr.type != TokenType::kName)
        return Err(SyntaxError(attr, "expected an attribute name"));
      if (attr.text[0] == '_') {
        return Err(SyntaxError(attr, "access to attribute '" + attr.text + "' is not allowed"));
      }
      s->attribute = attr.text;
      Next();
    } else {
      LOCAI_ASSIGN_OR_RETURN(s->targets, ParseTargets());
    }
    if (Peek().type == TokenType::kBlockEnd && s->attribute.empty() && s->targets.size() == 1) {
      Next();
      s->kind = StmtKind::kSetBlock;
      std::string stop;
      LOCAI_ASSIGN_OR_RETURN(s->body, ParseBody({"endset"}, &stop));
      LOCAI_RETURN_IF_ERROR(ExpectBlockEnd());
      return s;
    }
    LOCAI_RETURN_IF_ERROR(Expect("="));
    LOCAI_ASSIGN_OR_RETURN(s->expr, ParseTupleOrExpr());
    LOCAI_RETURN_IF_ERROR(ExpectBlockEnd());
    return s;
  }

  Result<StmtPtr> ParseMacro(const Token& at) {
    auto s = NewStmt(StmtKind::kMacro, at);
    const Token& name = Next();
    if (name.type != TokenType::kName) return Err(SyntaxError(name, "expected a macro name"));
    s->text = name.text;
    LOCAI_RETURN_IF_ERROR(Expect("("));
    while (!IsOp(")")) {
      const Token& param = Next();
      if (param.type != TokenType::kName)
        return Err(SyntaxError(param, "expected a parameter name"));
      ExprPtr default_value;
      if (IsOp("=")) {
        Next();
        LOCAI_ASSIGN_OR_RETURN(default_value, ParseExpression());
      }
      s->params.emplace_back(param.text, std::move(default_value));
      if (!IsOp(",")) break;
      Next();
    }
    LOCAI_RETURN_IF_ERROR(Expect(")"));
    LOCAI_RETURN_IF_ERROR(ExpectBlockEnd());
    const int saved_loop_depth = loop_depth_;
    loop_depth_ = 0;
    std::string stop;
    auto body = ParseBody({"endmacro"}, &stop);
    loop_depth_ = saved_loop_depth;
    if (!body) return Err(body.error());
    s->body = std::move(*body);
    LOCAI_RETURN_IF_ERROR(ExpectBlockEnd());
    return s;
  }

  // ---- expressions ----

  // expr[, expr...]: a bare tuple as in `{% set a, b = 1, 2 %}`.
  Result<ExprPtr> ParseTupleOrExpr() {
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

  Result<ExprPtr> ParseExpression() {
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

  Result<ExprPtr> Binary(ExprKind kind, const Token& at, ExprPtr left, ExprPtr right,
                         std::string op = {}) {
    std::vector<ExprPtr> args;
    args.push_back(std::move(left));
    args.push_back(std::move(right));
    return Make(kind, at, std::move(args), std::move(op));
  }

  Result<ExprPtr> ParseOr() {
    LOCAI_ASSIGN_OR_RETURN(ExprPtr left, ParseAnd());
    while (IsName("or")) {
      const Token at = Next();
      LOCAI_ASSIGN_OR_RETURN(ExprPtr right, ParseAnd());
      LOCAI_ASSIGN_OR_RETURN(left, Binary(ExprKind::kOr, at, std::move(left), std::move(right)));
    }
    return left;
  }

  Result<ExprPtr> ParseAnd() {
    LOCAI_ASSIGN_OR_RETURN(ExprPtr left, ParseNot());
    while (IsName("and")) {
      const Token at = Next();
      LOCAI_ASSIGN_OR_RETURN(ExprPtr right, ParseNot());
      LOCAI_ASSIGN_OR_RETURN(left, Binary(ExprKind::kAnd, at, std::move(left), std::move(right)));
    }
    return left;
  }

  Result<ExprPtr> ParseNot() {
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

  Result<ExprPtr> ParseCompare() {
    LOCAI_ASSIGN_OR_RETURN(ExprPtr left, ParseMath1());
    while (true) {
      const Token at = Peek();
      std::string op;
      if (at.type == TokenType::kOperator &&
          (at.text == "==" || at.text == "!=" || at.text == "<" || at.text == "<=" ||
           at.text == ">" || at.text == ">=")) {
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

  Result<ExprPtr> ParseMath1() {
    LOCAI_ASSIGN_OR_RETURN(ExprPtr left, ParseConcat());
    while (IsOp("+") || IsOp("-")) {
      const Token at = Next();
      LOCAI_ASSIGN_OR_RETURN(ExprPtr right, ParseConcat());
      LOCAI_ASSIGN_OR_RETURN(
          left, Binary(ExprKind::kBinary, at, std::move(left), std::move(right), at.text));
    }
    return left;
  }

  Result<ExprPtr> ParseConcat() {
    LOCAI_ASSIGN_OR_RETURN(ExprPtr left, ParseMath2());
    while (IsOp("~")) {
      const Token at = Next();
      LOCAI_ASSIGN_OR_RETURN(ExprPtr right, ParseMath2());
      LOCAI_ASSIGN_OR_RETURN(left,
                             Binary(ExprKind::kBinary, at, std::move(left), std::move(right), "~"));
    }
    return left;
  }

  Result<ExprPtr> ParseMath2() {
    LOCAI_ASSIGN_OR_RETURN(ExprPtr left, ParsePow());
    while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) {
      const Token at = Next();
      LOCAI_ASSIGN_OR_RETURN(ExprPtr right, ParsePow());
      LOCAI_ASSIGN_OR_RETURN(
          left, Binary(ExprKind::kBinary, at, std::move(left), std::move(right), at.text));
    }
    return left;
  }

  Result<ExprPtr> ParsePow() {
    LOCAI_ASSIGN_OR_RETURN(ExprPtr left, ParseUnary(true));
    while (IsOp("**")) {
      const Token at = Next();
      LOCAI_ASSIGN_OR_RETURN(ExprPtr right, ParseUnary(true));
      LOCAI_ASSIGN_OR_RETURN(
          left, Binary(ExprKind::kBinary, at, std::move(left), std::move(right), "**"));
    }
    return left;
  }

  Result<ExprPtr> ParseUnary(bool with_filters) {
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

  Result<ExprPtr> ParsePrimary() {
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

  Result<ExprPtr> ParseParenthesised() {
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

  Result<ExprPtr> ParseList() {
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

  Result<ExprPtr> ParseDict() {
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

  Result<ExprPtr> ParsePostfix(ExprPtr node) {
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

  Result<ExprPtr> ParseSubscript(ExprPtr node) {
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

  // Parses `(args, name=value)` into e->args (after what is already there) and e->kwargs.
  Status ParseArguments(Expr* e) {
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

  Result<ExprPtr> ParseCall(ExprPtr callee) {
    const Token at = Peek();
    auto e = std::make_unique<Expr>();
    e->kind = ExprKind::kCall;
    e->line = at.line;
    e->column = at.column;
    e->args.push_back(std::move(callee));
    LOCAI_RETURN_IF_ERROR(ParseArguments(e.get()));
    return Finish(std::move(e), at);
  }

  Result<ExprPtr> ParseFilterChain(ExprPtr node) {
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

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int max_depth_;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Result<Body> Parse(std::vector<Token> tokens, int max_depth) {
  if (tokens.empty() || tokens.back().type != TokenType::kEnd) {
    Token end;
    tokens.push_back(end);
  }
  return Parser(std::move(tokens), max_depth).Run();
}

}  // namespace locai::engine::jinja
