// StopMatcher: finds stop strings in streamed text without emitting any part of them.
//
// Text arrives piece by piece (detokenized tokens). Push() returns the text that is safe to emit
// now: it holds back the longest suffix that could still grow into a stop string, and an
// incomplete UTF-8 sequence at the very end (so an emitted chunk never splits a character). When
// a stop string completes, Push() returns the text before it, excluded as OpenAI excludes it, and
// reports stopped; the earliest match in the text wins. After that every Push() returns nothing.
// At the end of generation Flush() returns whatever was held back.
// Empty stop strings are ignored; with no stop strings only the UTF-8 hold-back applies.
// Thread-safety: not thread-safe; one matcher per sequence.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace locai::engine {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops);

  struct Output {
    std::string text;      // emit this now
    bool stopped = false;  // a stop string completed (now or before); stop generating
  };
  Output Push(std::string_view piece);

  // Returns the held-back text (empty after a stop) and clears it.
  std::string Flush();

  bool stopped() const { return stopped_; }
  // Index into the constructor's list of the stop string that matched, or -1.
  int matched_index() const { return matched_index_; }
  // The longest stop string in bytes: the most text Push() ever holds back for stop matching.
  size_t max_stop_length() const { return max_stop_length_; }

 private:
  // Length of the longest suffix of pending_ that is a proper prefix of some stop string.
  size_t PartialMatchLength() const;

  std::vector<std::string> stops_;
  std::vector<int> stop_index_;  // stops_[i] is the constructor's stops[stop_index_[i]]
  size_t max_stop_length_ = 0;
  std::string pending_;  // received but not yet emitted
  bool stopped_ = false;
  int matched_index_ = -1;
};

}  // namespace locai::engine
