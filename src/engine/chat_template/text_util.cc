#include "engine/chat_template/text_util.h"

namespace locai::engine::jinja {
namespace {

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
char ToLower(char c) { return IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c; }
char ToUpper(char c) { return IsLower(c) ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace

bool IsPythonSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLower(c);
  return out;
}

std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToUpper(c);
  return out;
}

std::string TitleCase(std::string_view s) {
  std::string out(s);
  bool previous_cased = false;
  for (char& c : out) {
    const bool cased = IsLower(c) || IsUpper(c);
    if (cased) c = previous_cased ? ToLower(c) : ToUpper(c);
    previous_cased = cased;
  }
  return out;
}

std::string Capitalize(std::string_view s) {
  std::string out = AsciiLower(s);
  if (!out.empty()) out[0] = ToUpper(out[0]);
  return out;
}

std::string Strip(std::string_view s, const std::string* chars, bool left, bool right) {
  auto strip_char = [chars](char c) {
    return chars == nullptr ? IsPythonSpace(c) : chars->find(c) != std::string::npos;
  };
  size_t begin = 0;
  size_t end = s.size();
  if (left) {
    while (begin < end && strip_char(s[begin])) ++begin;
  }
  if (right) {
    while (end > begin && strip_char(s[end - 1])) --end;
  }
  return std::string(s.substr(begin, end - begin));
}

std::vector<std::string> Split(std::string_view s, const std::string* sep, long long maxsplit) {
  std::vector<std::string> parts;
  if (sep == nullptr) {
    size_t i = 0;
    while (i < s.size()) {
      while (i < s.size() && IsPythonSpace(s[i])) ++i;
      if (i >= s.size()) break;
      if (maxsplit >= 0 && static_cast<long long>(parts.size()) >= maxsplit) {
        size_t end = s.size();
        while (end > i && IsPythonSpace(s[end - 1])) --end;
        parts.emplace_back(s.substr(i, end - i));
        break;
      }
      size_t j = i;
      while (j < s.size() && !IsPythonSpace(s[j])) ++j;
      parts.emplace_back(s.substr(i, j - i));
      i = j;
    }
    return parts;
  }
  size_t start = 0;
  while (true) {
    if (maxsplit >= 0 && static_cast<long long>(parts.size()) >= maxsplit) break;
    const size_t found = s.find(*sep, start);
    if (found == std::string_view::npos) break;
    parts.emplace_back(s.substr(start, found - start));
    start = found + sep->size();
  }
  parts.emplace_back(s.substr(start));
  return parts;
}

std::string Replace(std::string_view s, std::string_view from, std::string_view to,
                    long long count) {
  std::string out;
  long long done = 0;
  if (from.empty()) {
    for (size_t i = 0; i <= s.size(); ++i) {
      if (count < 0 || done < count) {
        out.append(to);
        ++done;
      }
      if (i < s.size()) out.push_back(s[i]);
    }
    return out;
  }
  size_t start = 0;
  while (count < 0 || done < count) {
    const size_t found = s.find(from, start);
    if (found == std::string_view::npos) break;
    out.append(s.substr(start, found - start));
    out.append(to);
    start = found + from.size();
    ++done;
  }
  out.append(s.substr(start));
  return out;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace locai::engine::jinja
