// String helpers with Python's semantics for the template built-ins. Case mapping is ASCII-only:
// bytes outside ASCII pass through unchanged.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace locai::engine::jinja {

std::string AsciiLower(std::string_view s);
std::string AsciiUpper(std::string_view s);
// str.title(): a letter after a non-letter is upper-cased, every other letter lower-cased.
std::string TitleCase(std::string_view s);
// str.capitalize(): first character upper-cased, the rest lower-cased.
std::string Capitalize(std::string_view s);
// str.strip(chars): `chars` null means whitespace.
std::string Strip(std::string_view s, const std::string* chars, bool left, bool right);
// str.split(sep, maxsplit): null `sep` splits on runs of whitespace and drops empty parts;
// maxsplit < 0 means no limit.
std::vector<std::string> Split(std::string_view s, const std::string* sep, long long maxsplit);
// str.replace(old, new, count): count < 0 replaces all. An empty `from` inserts `to` between
// characters as Python does.
std::string Replace(std::string_view s, std::string_view from, std::string_view to,
                    long long count);
// HTML escaping as Jinja's escape filter: & < > " '.
std::string HtmlEscape(std::string_view s);
bool IsPythonSpace(char c);

}  // namespace locai::engine::jinja
