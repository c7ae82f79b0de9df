#include "engine/chat_template/lexer.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "common/utf8.h"

namespace locai::engine::jinja {
namespace {

enum class TagKind { kNone, kVar, kBlock, kComment };

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Lexer {
 public:
  Lexer(std::string_view source, const LexOptions& options) : src_(source), options_(options) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i) {
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  Result<std::vector<Token>> Run() {
    while (pos_ < src_.size()) {
      const size_t tag = FindTagStart(pos_);
      EmitText(pos_, tag);
      if (tag == src_.size()) break;
      Status s = LexTag(tag);
      if (!s.ok()) return Err(s);
    }
    Token end;
    end.type = TokenType::kEnd;
    SetPosition(src_.size(), &end);
    tokens_.push_back(std::move(end));
    return std::move(tokens_);
  }

 private:
  size_t FindTagStart(size_t from) const {
    for (size_t i = from; i + 1 < src_.size(); ++i) {
      if (src_[i] == '{' && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) {
        return i;
      }
    }
    return src_.size();
  }

  void SetPosition(size_t offset, Token* token) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    const size_t line_idx = static_cast<size_t>(it - line_starts_.begin()) - 1;
    token->line = static_cast<int>(line_idx + 1);
    token->column = static_cast<int>(offset - line_starts_[line_idx] + 1);
  }

  Status ErrorAt(size_t offset, const std::string& message) const {
    Token t;
    SetPosition(offset, &t);
    return Status::InvalidArgument(FormatPosition(t.line, t.column) + ": " + message);
  }

  // Emits src_[begin, end) as text after whitespace control against the tags around it.
  void EmitText(size_t begin, size_t end) {
    const bool block_like_prev = prev_tag_ == TagKind::kBlock || prev_tag_ == TagKind::kComment;
    if (prev_right_modifier_ == '-') {
      while (begin < end && IsSpace(src_[begin])) ++begin;
    } else if (block_like_prev && options_.trim_blocks && prev_right_modifier_ != '+') {
      if (begin < end && src_[begin] == '\n') {
        ++begin;
      } else if (begin + 1 < end && src_[begin] == '\r' && src_[begin + 1] == '\n') {
        begin += 2;
      }
    }
    if (end < src_.size()) {
      const char kind_char = src_[end + 1];
      const char modifier = end + 2 < src_.size() ? src_[end + 2] : '\0';
      const bool block_like_next = kind_char == '%' || kind_char == '#';
      if (modifier == '-') {
        while (end > begin && IsSpace(src_[end - 1])) --end;
      } else if (block_like_next && options_.lstrip_blocks && modifier != '+') {
        size_t line_start = end;
        while (line_start > begin &&
               (src_[line_start - 1] == ' ' || src_[line_start - 1] == '\t')) {
          --line_start;
        }
        const bool at_line_start = line_start == 0 || src_[line_start - 1] == '\n';
        if (at_line_start) end = line_start;
      }
    }
    if (end > begin) {
      Token t;
      t.type = TokenType::kText;
      t.text = std::string(src_.substr(begin, end - begin));
      SetPosition(begin, &t);
      tokens_.push_back(std::move(t));
    }
  }

  Status LexTag(size_t tag) {
    const char kind_char = src_[tag + 1];
    size_t p = tag + 2;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) ++p;
    if (kind_char == '#') {
      for (size_t i = p; i + 1 < src_.size(); ++i) {
        if (src_[i] == '#' && src_[i + 1] == '}') {
          prev_tag_ = TagKind::kComment;
          prev_right_modifier_ =
              (i > p && (src_[i - 1] == '-' || src_[i - 1] == '+')) ? src_[i - 1] : '\0';
          pos_ = i + 2;
          return Status::Ok();
        }
      }
      return ErrorAt(tag, "unterminated comment");
    }
    const bool is_var = kind_char == '{';
    const char close_char = is_var ? '}' : '%';
    Token begin_token;
    begin_token.type = is_var ? TokenType::kVarBegin : TokenType::kBlockBegin;
    begin_token.text = is_var ? "{{" : "{%";
    SetPosition(tag, &begin_token);
    tokens_.push_back(std::move(begin_token));
    std::string brackets;  // open brackets, innermost last
    while (true) {
      while (p < src_.size() && IsSpace(src_[p])) ++p;
      if (p >= src_.size()) return ErrorAt(tag, is_var ? "unterminated '{{'" : "unterminated '{%'");
      if (brackets.empty()) {
        char modifier = '\0';
        size_t q = p;
        if (src_[q] == '-' || (src_[q] == '+' && !is_var)) modifier = src_[q++];
        if (q + 1 < src_.size() && src_[q] == close_char && src_[q + 1] == '}') {
          Token end_token;
          end_token.type = is_var ? TokenType::kVarEnd : TokenType::kBlockEnd;
          end_token.text = is_var ? "}}" : "%}";
          SetPosition(p, &end_token);
          tokens_.push_back(std::move(end_token));
          prev_tag_ = is_var ? TagKind::kVar : TagKind::kBlock;
          prev_right_modifier_ = modifier;
          pos_ = q + 2;
          return Status::Ok();
        }
      }
      Status s = LexExpressionToken(&p, &brackets);
      if (!s.ok()) return s;
    }
  }

  Status LexExpressionToken(size_t* pos, std::string* brackets) {
    size_t p = *pos;
    Token t;
    SetPosition(p, &t);
    const char c = src_[p];
    if (IsNameStart(c)) {
      size_t q = p;
      while (q < src_.size() && IsNameChar(src_[q])) ++q;
      t.type = TokenType::kName;
      t.text = std::string(src_.substr(p, q - p));
      p = q;
    } else if (IsDigit(c)) {
      Status s = LexNumber(&p, &t);
      if (!s.ok()) return s;
    } else if (c == '\'' || c == '"') {
      Status s = LexString(&p, &t);
      if (!s.ok()) return s;
    } else {
      static constexpr std::string_view kTwoChar[] = {"**", "//", "==", "!=", "<=", ">="};
      std::string_view rest = src_.substr(p);
      t.type = TokenType::kOperator;
      for (std::string_view op : kTwoChar) {
        if (rest.substr(0, 2) == op) t.text = std::string(op);
      }
      if (t.text.empty()) {
        static constexpr std::string_view kOneChar = "+-*/%~<>=()[]{},.:|";
        if (kOneChar.find(c) == std::string_view::npos) {
          return ErrorAt(p, std::string("unexpected character '") + c + "'");
        }
        t.text = std::string(1, c);
        if (c == '(' || c == '[' || c == '{')
          brackets->push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
        if (c == ')' || c == ']' || c == '}') {
          if (brackets->empty() || brackets->back() != c) {
            std::string message = std::string("unexpected '") + c + "'";
            if (!brackets->empty()) message += std::string(", expected '") + brackets->back() + "'";
            return ErrorAt(p, message);
          }
          brackets->pop_back();
        }
      }
      p += t.text.size();
    }
    tokens_.push_back(std::move(t));
    *pos = p;
    return Status::Ok();
  }

  Status LexNumber(size_t* pos, Token* t) {
    size_t p = *pos;
    std::string digits;
    bool is_float = false;
    auto take_digits = [&] {
      while (p < src_.size() && (IsDigit(src_[p]) || (src_[p] == '_' && !digits.empty()))) {
        if (src_[p] != '_') digits.push_back(src_[p]);
        ++p;
      }
    };
    take_digits();
    if (p + 1 < src_.size() && src_[p] == '.' && IsDigit(src_[p + 1])) {
      is_float = true;
      digits.push_back('.');
      ++p;
      take_digits();
    }
    if (p < src_.size() && (src_[p] == 'e' || src_[p] == 'E')) {
      size_t q = p + 1;
      if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
      if (q < src_.size() && IsDigit(src_[q])) {
        is_float = true;
        digits.append(src_.substr(p, q - p));
        p = q;
        take_digits();
      }
    }
    if (is_float) {
      t->type = TokenType::kFloat;
      t->float_value = std::strtod(digits.c_str(), nullptr);
    } else {
      t->type = TokenType::kInt;
      int64_t value = 0;
      for (char d : digits) {
        if (__builtin_mul_overflow(value, int64_t{10}, &value) ||
            __builtin_add_overflow(value, int64_t{d - '0'}, &value)) {
          return ErrorAt(*pos, "integer literal out of range");
        }
      }
      t->int_value = value;
    }
    t->text = std::string(src_.substr(*pos, p - *pos));
    *pos = p;
    return Status::Ok();
  }

  Status LexString(size_t* pos, Token* t) {
    const size_t start = *pos;
    const char quote = src_[start];
    size_t p = start + 1;
    std::string value;
    while (p < src_.size() && src_[p] != quote) {
      char c = src_[p];
      if (c != '\\') {
        value.push_back(c);
        ++p;
        continue;
      }
      if (p + 1 >= src_.size()) break;
      const char e = src_[p + 1];
      p += 2;
      switch (e) {
        case 'n':
          value.push_back('\n');
          break;
        case 't':
          value.push_back('\t');
          break;
        case 'r':
          value.push_back('\r');
          break;
        case '0':
          value.push_back('\0');
          break;
        case 'a':
          value.push_back('\a');
          break;
        case 'b':
          value.push_back('\b');
          break;
        case 'f':
          value.push_back('\f');
          break;
        case 'v':
          value.push_back('\v');
          break;
        case '\\':
          value.push_back('\\');
          break;
        case '\'':
          value.push_back('\'');
          break;
        case '"':
          value.push_back('"');
          break;
        case '\n':
          break;  // line continuation
        case 'x':
        case 'u':
        case 'U': {
          const size_t n = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
          uint32_t cp = 0;
          bool ok = p + n <= src_.size();
          for (size_t i = 0; ok && i < n; ++i) {
            const int h = HexValue(src_[p + i]);
            ok = h >= 0;
            cp = cp * 16 + static_cast<uint32_t>(std::max(h, 0));
          }
          if (!ok || cp > 0x10FFFF) return ErrorAt(p - 2, "invalid escape in string literal");
          ::locai::AppendUtf8(cp, &value);
          p += n;
          break;
        }
        default:
          value.push_back('\\');
          value.push_back(e);
      }
    }
    if (p >= src_.size()) return ErrorAt(start, "unterminated string literal");
    t->type = TokenType::kString;
    t->text = std::move(value);
    *pos = p + 1;
    return Status::Ok();
  }

  std::string_view src_;
  LexOptions options_;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  TagKind prev_tag_ = TagKind::kNone;
  char prev_right_modifier_ = '\0';
};

}  // namespace

Result<std::vector<Token>> Lex(std::string_view source, const LexOptions& options) {
  return Lexer(source, options).Run();
}

std::string FormatPosition(int line, int column) {
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

}  // namespace locai::engine::jinja
