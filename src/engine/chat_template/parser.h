// Jinja parser: turns the lexer's tokens into a statement tree (ast.h).
//
// Supported statements: if/elif/else, for (with else, an `if` filter and tuple targets), set
// (names, tuple targets, namespace attributes, block set), macro, break, continue, and
// generation/endgeneration (rendered as its body). Anything else, and any syntax error, is an
// error naming the line and column: InvalidArgument for bad syntax, Unimplemented for Jinja
// features this interpreter does not have. Block and expression nesting deeper than `max_depth`
// is ResourceExhausted, detected before the parser's own recursion gets deep.
// Thread-safety: pure function.
#pragma once

#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/chat_template/ast.h"
#include "engine/chat_template/lexer.h"

namespace locai::engine::jinja {

Result<Body> Parse(std::vector<Token> tokens, int max_depth);

}  // namespace locai::engine::jinja
