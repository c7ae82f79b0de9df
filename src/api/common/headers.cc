#include "api/common/headers.h"

namespace locai::api {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<std::string_view> FindHeader(const HeaderList& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::optional<std::string> ExtractApiKey(const HeaderList& headers) {
  if (auto key = FindHeader(headers, "x-api-key")) {
    std::string_view trimmed = Trim(*key);
    if (!trimmed.empty()) return std::string(trimmed);
  }
  if (auto auth = FindHeader(headers, "authorization")) {
    std::string_view value = Trim(*auth);
    constexpr std::string_view kScheme = "bearer";
    if (value.size() > kScheme.size() &&
        EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme) &&
        (value[kScheme.size()] == ' ' || value[kScheme.size()] == '\t')) {
      std::string_view token = Trim(value.substr(kScheme.size()));
      if (!token.empty()) return std::string(token);
    }
  }
  return std::nullopt;
}

}  // namespace locai::api
