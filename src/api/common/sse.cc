#include "api/common/sse.h"

namespace locai::api {

std::string SseData(std::string_view json) {
  std::string out;
  out.reserve(json.size() + 8);
  out += "data: ";
  out += json;
  out += "\n\n";
  return out;
}

std::string SseEvent(std::string_view name, std::string_view json) {
  std::string out;
  out.reserve(name.size() + json.size() + 16);
  out += "event: ";
  out += name;
  out += "\ndata: ";
  out += json;
  out += "\n\n";
  return out;
}

std::string SseDone() { return "data: [DONE]\n\n"; }

std::vector<SseMessage> SseParser::Feed(std::string_view bytes) {
  std::vector<SseMessage> out;
  for (char c : bytes) {
    if (last_was_cr_) {
      last_was_cr_ = false;
      if (c == '\n') continue;  // the LF of a CRLF
    }
    if (c == '\r' || c == '\n') {
      last_was_cr_ = c == '\r';
      EndLine(out);
    } else {
      line_ += c;
    }
  }
  return out;
}

void SseParser::EndLine(std::vector<SseMessage>& out) {
  if (line_.empty()) {  // blank line: dispatch
    if (has_data_) out.push_back(std::move(pending_));
    pending_ = SseMessage();
    has_data_ = false;
    return;
  }
  std::string_view line = line_;
  if (line.front() == ':') {
    line_.clear();
    return;
  }
  std::string_view field = line;
  std::string_view value;
  if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "event") {
    pending_.event = std::string(value);
  } else if (field == "data") {
    if (has_data_) pending_.data += '\n';
    pending_.data += value;
    has_data_ = true;
  }
  line_.clear();
}

}  // namespace locai::api
