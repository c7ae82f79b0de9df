#include "engine/chat_template/parser.h"

#include <algorithm>
#include <initializer_list>

#include "engine/chat_template/expression_parser.h"

namespace locai::engine::jinja {
namespace {

class Parser : public ExpressionParser {
 public:
  using ExpressionParser::ExpressionParser;

  Result<Body> Run() {
    std::string stop;
    LOCAI_ASSIGN_OR_RETURN(Body body, ParseBody({}, &stop));
    return body;
  }

 private:
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