#include "control/policy/redactor.h"

#include <algorithm>
#include <utility>

namespace locai::control::policy {
namespace {

std::string PlaceholderFor(PiiType type, int index) {
  std::string placeholder = "[";
  for (char c : PiiTypeName(type)) {
    placeholder.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  placeholder += "_" + std::to_string(index) + "]";
  return placeholder;
}

Status CheckMatches(std::string_view text, const std::vector<PiiMatch>& matches) {
  size_t previous_end = 0;
  for (const PiiMatch& match : matches) {
    if (match.begin >= match.end || match.end > text.size() || match.begin < previous_end) {
      return Status::InvalidArgument(
          "PII matches must be sorted, non-overlapping, non-empty spans inside the text");
    }
    previous_end = match.end;
  }
  return Status::Ok();
}

bool IsPlaceholderPrefix(const PlaceholderMap& map, std::string_view text) {
  auto it = map.lower_bound(text);
  return it != map.end() && std::string_view(it->first).substr(0, text.size()) == text;
}

// Appends the restored form of a prefix of `text` to `out` and returns its length. With `final`
// the prefix is all of `text`; otherwise it stops before a '[' whose remainder could still grow
// into a placeholder. Every decision reads at most max_length bytes from its '[', and is taken only
// when those bytes are present or cannot matter, so it is the same whatever the chunking.
size_t RestoreSome(const PlaceholderMap& map, size_t max_length, std::string_view text, bool final,
                   std::string* out) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = max_length == 0 ? std::string_view::npos : text.find('[', pos);
    if (open == std::string_view::npos) {
      out->append(text.substr(pos));
      return text.size();
    }
    out->append(text.substr(pos, open - pos));
    // A placeholder is '[' ... ']' with no other ']' inside, at most max_length bytes long.
    const std::string_view window = text.substr(open, max_length);
    const size_t close = window.find(']', 1);
    if (close != std::string_view::npos) {
      auto it = map.find(window.substr(0, close + 1));
      if (it != map.end()) {
        out->append(it->second);
        pos = open + close + 1;
        continue;
      }
    } else if (!final && window.size() < max_length && IsPlaceholderPrefix(map, window)) {
      return open;  // may still become a placeholder once more text arrives
    }
    out->push_back('[');
    pos = open + 1;
  }
  return text.size();
}

}  // namespace

Result<std::string> Redaction::Add(std::string_view text, const std::vector<PiiMatch>& matches) {
  LOCAI_RETURN_IF_ERROR(CheckMatches(text, matches));
  std::string redacted;
  redacted.reserve(text.size());
  size_t pos = 0;
  for (const PiiMatch& match : matches) {
    redacted.append(text.substr(pos, match.begin - pos));
    const std::string_view value = text.substr(match.begin, match.end - match.begin);
    auto known = placeholder_by_value_.find(value);
    if (known == placeholder_by_value_.end()) {
      const int index = ++last_index_[static_cast<size_t>(match.type)];
      std::string placeholder = PlaceholderFor(match.type, index);
      max_placeholder_length_ = std::max(max_placeholder_length_, placeholder.size());
      value_by_placeholder_.emplace(placeholder, std::string(value));
      known = placeholder_by_value_.emplace(std::string(value), std::move(placeholder)).first;
    }
    redacted.append(known->second);
    pos = match.end;
  }
  redacted.append(text.substr(pos));
  texts_.push_back(redacted);
  return redacted;
}

std::string Redaction::Restore(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  RestoreSome(value_by_placeholder_, max_placeholder_length_, text, /*final=*/true, &out);
  return out;
}

Result<Redaction> Redact(std::string_view text, const std::vector<PiiMatch>& matches) {
  Redaction redaction;
  auto added = redaction.Add(text, matches);
  if (!added) return Err(added.error());
  return redaction;
}

Result<Redaction> Redact(const std::vector<std::string_view>& texts,
                         const std::vector<std::vector<PiiMatch>>& matches) {
  if (texts.size() != matches.size()) {
    return Err(Status::InvalidArgument("Redact: one match list per text is required"));
  }
  Redaction redaction;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto added = redaction.Add(texts[i], matches[i]);
    if (!added) return Err(added.error());
  }
  return redaction;
}

StreamRestorer::StreamRestorer(const Redaction& redaction)
    : value_by_placeholder_(redaction.placeholders()),
      max_placeholder_length_(redaction.max_placeholder_length()) {}

std::string StreamRestorer::Push(std::string_view chunk) {
  pending_.append(chunk);
  std::string out;
  const size_t consumed =
      RestoreSome(value_by_placeholder_, max_placeholder_length_, pending_, /*final=*/false, &out);
  pending_.erase(0, consumed);
  return out;
}

std::string StreamRestorer::Finish() {
  std::string out;
  RestoreSome(value_by_placeholder_, max_placeholder_length_, pending_, /*final=*/true, &out);
  pending_.clear();
  return out;
}

}  // namespace locai::control::policy
