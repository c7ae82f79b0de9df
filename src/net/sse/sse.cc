#include "net/sse/sse.h"

namespace locai::net::sse {
namespace {

std::string OneLine(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

void AppendDataLines(std::string* out, std::string_view data) {
  size_t start = 0;
  while (true) {
    size_t end = data.find_first_of("\r\n", start);
    out->append("data: ");
    out->append(data.substr(start, end == std::string_view::npos ? end : end - start));
    out->push_back('\n');
    if (end == std::string_view::npos) break;
    start = end + 1;
    if (data[end] == '\r' && start < data.size() && data[start] == '\n') ++start;
  }
}

}  // namespace

std::string FormatEvent(std::string_view data, std::string_view event) {
  std::string out;
  out.reserve(data.size() + event.size() + 16);
  if (!event.empty()) {
    out.append("event: ");
    out.append(OneLine(event));
    out.push_back('\n');
  }
  AppendDataLines(&out, data);
  out.push_back('\n');
  return out;
}

std::string FormatEvent(const SseEvent& event) {
  std::string out;
  if (!event.event.empty()) out += "event: " + OneLine(event.event) + "\n";
  if (!event.id.empty()) out += "id: " + OneLine(event.id) + "\n";
  if (event.retry_ms) out += "retry: " + std::to_string(*event.retry_ms) + "\n";
  AppendDataLines(&out, event.data);
  out.push_back('\n');
  return out;
}

std::string FormatComment(std::string_view text) { return ": " + OneLine(text) + "\n\n"; }

void SseParser::Feed(std::string_view chunk, const std::function<void(SseEvent)>& on_event) {
  size_t pos = 0;
  if (skip_lf_ && !chunk.empty()) {
    if (chunk[0] == '\n') pos = 1;
    skip_lf_ = false;
  }
  while (pos < chunk.size()) {
    size_t end = chunk.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) {
      line_.append(chunk.substr(pos));
      return;
    }
    line_.append(chunk.substr(pos, end - pos));
    std::string line = std::move(line_);
    line_.clear();
    ProcessLine(line, on_event);
    pos = end + 1;
    if (chunk[end] == '\r') {
      if (pos < chunk.size()) {
        if (chunk[pos] == '\n') ++pos;
      } else {
        skip_lf_ = true;
      }
    }
  }
}

std::vector<SseEvent> SseParser::Feed(std::string_view chunk) {
  std::vector<SseEvent> events;
  Feed(chunk, [&events](SseEvent event) { events.push_back(std::move(event)); });
  return events;
}

void SseParser::ProcessLine(std::string_view line, const std::function<void(SseEvent)>& on_event) {
  if (first_line_) {
    first_line_ = false;
    if (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
  }
  if (line.empty()) {
    if (has_data_) {
      SseEvent event;
      event.event = std::move(event_type_);
      event.data = std::move(data_);
      if (!event.data.empty() && event.data.back() == '\n') event.data.pop_back();
      event.id = last_event_id_;
      event.retry_ms = retry_ms_;
      on_event(std::move(event));
    }
    data_.clear();
    event_type_.clear();
    has_data_ = false;
    retry_ms_.reset();
    return;
  }
  if (line[0] == ':') return;  // comment
  size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
    has_data_ = true;
  } else if (field == "event") {
    event_type_ = std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_event_id_ = std::string(value);
  } else if (field == "retry") {
    bool digits = !value.empty() && value.size() < 19;
    uint64_t ms = 0;
    for (char c : value) {
      if (c < '0' || c > '9') {
        digits = false;
        break;
      }
      ms = ms * 10 + static_cast<uint64_t>(c - '0');
    }
    if (digits) retry_ms_ = ms;
  }
}

}  // namespace locai::net::sse
