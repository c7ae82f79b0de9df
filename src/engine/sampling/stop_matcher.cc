#include "engine/sampling/stop_matcher.h"

#include <algorithm>
#include <utility>

namespace locai::engine {
namespace {

// Number of bytes at the end of `text` that begin a UTF-8 sequence not yet complete. Invalid
// bytes are not held: they can never complete, and the emitter deals with them as it would anyway.
size_t IncompleteUtf8Tail(std::string_view text) {
  const size_t n = text.size();
  // A sequence is at most 4 bytes, so its lead byte is among the last 3 for an incomplete one.
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const auto byte = static_cast<unsigned char>(text[n - back]);
    if ((byte & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    size_t needed = 0;
    if (byte >= 0xC2 && byte <= 0xDF) {
      needed = 2;
    } else if (byte >= 0xE0 && byte <= 0xEF) {
      needed = 3;
    } else if (byte >= 0xF0 && byte <= 0xF4) {
      needed = 4;
    }
    return needed > back ? back : 0;
  }
  return 0;
}

}  // namespace

StopMatcher::StopMatcher(std::vector<std::string> stops) {
  for (size_t i = 0; i < stops.size(); ++i) {
    if (stops[i].empty()) continue;
    max_stop_length_ = std::max(max_stop_length_, stops[i].size());
    stops_.push_back(std::move(stops[i]));
    stop_index_.push_back(static_cast<int>(i));
  }
}

size_t StopMatcher::PartialMatchLength() const {
  const std::string_view pending(pending_);
  const size_t longest = std::min(pending.size(), max_stop_length_ == 0 ? 0 : max_stop_length_ - 1);
  for (size_t len = longest; len > 0; --len) {
    const std::string_view suffix = pending.substr(pending.size() - len);
    for (const std::string& stop : stops_) {
      if (stop.size() > len && std::string_view(stop).substr(0, len) == suffix) return len;
    }
  }
  return 0;
}

StopMatcher::Output StopMatcher::Push(std::string_view piece) {
  Output out;
  if (stopped_) {
    out.stopped = true;
    return out;
  }
  pending_.append(piece);

  // Earliest complete match; pending_ holds at most one stop's worth of old text plus `piece`.
  size_t match_pos = std::string::npos;
  for (size_t i = 0; i < stops_.size(); ++i) {
    const size_t pos = pending_.find(stops_[i]);
    if (pos < match_pos) {
      match_pos = pos;
      matched_index_ = stop_index_[i];
    }
  }
  if (match_pos != std::string::npos) {
    out.text = pending_.substr(0, match_pos);
    out.stopped = true;
    stopped_ = true;
    pending_.clear();
    return out;
  }

  size_t hold = PartialMatchLength();
  hold = std::max(hold, IncompleteUtf8Tail(pending_));
  const size_t emit = pending_.size() - hold;
  out.text = pending_.substr(0, emit);
  pending_.erase(0, emit);
  return out;
}

std::string StopMatcher::Flush() {
  std::string out = std::move(pending_);
  pending_.clear();
  return out;
}

}  // namespace locai::engine
