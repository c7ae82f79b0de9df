// Redaction of detected personal data, and its reversal in the response.
//
// Redact() replaces every detected value with a placeholder "[<TYPE>_<n>]" ("[EMAIL_1]",
// "[NHS_NUMBER_2]"), numbered per type in order of first appearance across all texts of one
// request; the same value gets the same placeholder everywhere in the request. The Redaction keeps
// placeholder -> value, so Restore() and StreamRestorer put the originals back into what the cloud
// model answers before the client sees it. A placeholder the model invents or mangles ("[EMAIL_9]",
// "[EMAIL_1") is passed through unchanged. A prompt that already contains the literal text of a
// placeholder this request assigns gets that value in the response; the value belongs to the same
// client, so this discloses nothing.
//
// A Redaction holds the original values: keep it in memory for the request only; never log it.
// Threading: a Redaction is a value; const methods are safe from many threads, Add() needs
// exclusive access. A StreamRestorer belongs to one stream (one thread at a time).
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "control/policy/pii_detector.h"

namespace locai::control::policy {

// placeholder ("[EMAIL_1]") -> original value.
using PlaceholderMap = std::map<std::string, std::string, std::less<>>;

class Redaction {
 public:
  Redaction() = default;

  // Redacts one more text of the request and returns it (it is also kept, see texts()).
  // `matches` must be sorted, non-overlapping, non-empty spans inside `text`, as
  // PiiDetector::Detect returns them; otherwise InvalidArgument and the Redaction is unchanged.
  Result<std::string> Add(std::string_view text, const std::vector<PiiMatch>& matches);

  // The redacted texts, in the order they were added.
  const std::vector<std::string>& texts() const { return texts_; }

  // `text` with every known placeholder replaced by its original value.
  std::string Restore(std::string_view text) const;

  // Placeholder -> original value.
  const PlaceholderMap& placeholders() const { return value_by_placeholder_; }
  // The length in bytes of the longest placeholder (0 when none): what a stream may hold back.
  size_t max_placeholder_length() const { return max_placeholder_length_; }

 private:
  PlaceholderMap value_by_placeholder_;
  std::map<std::string, std::string, std::less<>> placeholder_by_value_;
  std::array<int, kPiiTypeCount> last_index_{};
  std::vector<std::string> texts_;
  size_t max_placeholder_length_ = 0;
};

// One text: the Redaction's texts() holds the one redacted text.
Result<Redaction> Redact(std::string_view text, const std::vector<PiiMatch>& matches);
// Several texts of one request (its messages), sharing the numbering; matches[i] belongs to
// texts[i]. InvalidArgument when the sizes differ or a match list is invalid.
Result<Redaction> Redact(const std::vector<std::string_view>& texts,
                         const std::vector<std::vector<PiiMatch>>& matches);

// Restores placeholders in a response that arrives in chunks (SSE deltas). A placeholder may be
// split across any number of chunks: text from a '[' is held back only while it is still a prefix
// of one of this request's placeholders (so at most max_placeholder_length() - 1 bytes), and
// everything else is returned at once. The concatenation of every Push() and the Finish() equals
// Restore() of the concatenated input, whatever the split.
class StreamRestorer {
 public:
  // Copies the placeholder map; the Redaction need not outlive the restorer.
  explicit StreamRestorer(const Redaction& redaction);

  // Returns the restored text that is ready; may be empty while a placeholder is incomplete.
  std::string Push(std::string_view chunk);
  // Returns what was held back (an incomplete placeholder stays as it was written). The restorer
  // may be reused afterwards for a new stream.
  std::string Finish();

  // Bytes currently held back.
  size_t pending_size() const { return pending_.size(); }

 private:
  PlaceholderMap value_by_placeholder_;
  size_t max_placeholder_length_;
  std::string pending_;
};

}  // namespace locai::control::policy
