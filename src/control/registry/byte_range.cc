#include "control/registry/byte_range.h"

#include <charconv>

namespace locai::control::registry {
namespace {

// A non-empty run of digits that fits in uint64_t.
std::optional<uint64_t> ParseNumber(std::string_view text) {
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

RangeResult ResolveRange(std::optional<std::string_view> header, uint64_t size) {
  RangeResult whole;
  if (!header) return whole;
  std::string_view spec = Trim(*header);
  constexpr std::string_view kUnit = "bytes=";
  if (!spec.starts_with(kUnit)) return whole;
  spec = Trim(spec.substr(kUnit.size()));
  if (spec.find(',') != std::string_view::npos) return whole;  // several ranges: send it all
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  std::string_view first_text = Trim(spec.substr(0, dash));
  std::string_view last_text = Trim(spec.substr(dash + 1));

  RangeResult result;
  result.kind = RangeKind::kPartial;
  if (first_text.empty()) {  // suffix: the last N bytes
    auto suffix = ParseNumber(last_text);
    if (!suffix) return whole;
    if (*suffix == 0 || size == 0) return RangeResult{RangeKind::kUnsatisfiable, {}};
    const uint64_t length = *suffix < size ? *suffix : size;
    result.range = {size - length, length};
    return result;
  }
  auto first = ParseNumber(first_text);
  if (!first) return whole;
  uint64_t last = size == 0 ? 0 : size - 1;
  if (!last_text.empty()) {
    auto parsed_last = ParseNumber(last_text);
    if (!parsed_last || *parsed_last < *first) return whole;
    if (*parsed_last < last) last = *parsed_last;
  }
  if (*first >= size) return RangeResult{RangeKind::kUnsatisfiable, {}};
  result.range = {*first, last - *first + 1};
  return result;
}

}  // namespace locai::control::registry
