// Jinja lexer: splits a template into text and tag tokens and tokenises the expressions inside
// `{{ }}` and `{% %}` tags; comments `{# #}` are dropped.
//
// Whitespace control is applied here, as Jinja does it: a `-` inside a tag's delimiter strips all
// whitespace on that side; with trim_blocks the first newline after a block or comment tag is
// removed; with lstrip_blocks the spaces and tabs before a block or comment tag that starts its
// line are removed; `+` turns trim_blocks/lstrip_blocks off for that side of the tag.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace locai::engine::jinja {

enum class TokenType {
  kText,        // literal template text (after whitespace control)
  kVarBegin,    // {{
  kVarEnd,      // }}
  kBlockBegin,  // {%
  kBlockEnd,    // %}
  kName,        // identifier or keyword
  kString,      // string literal, `text` holds the unescaped value
  kInt,         // integer literal
  kFloat,       // float literal
  kOperator,    // punctuation: + - * / // % ** ~ == != < <= > >= = ( ) [ ] { } , . : |
  kEnd,         // end of the template
};

struct Token {
  TokenType type = TokenType::kEnd;
  std::string text;
  int64_t int_value = 0;
  double float_value = 0;
  int line = 1;
  int column = 1;
};

struct LexOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
};

// Tokenises `source`. Errors (InvalidArgument) name the line and column: an unterminated tag,
// comment or string, an unexpected character, an integer that does not fit in 64 bits.
Result<std::vector<Token>> Lex(std::string_view source, const LexOptions& options = {});

// "line L, column C" for error messages.
std::string FormatPosition(int line, int column);

}  // namespace locai::engine::jinja
