// Server-sent events framing (https://html.spec.whatwg.org/multipage/server-sent-events.html):
// writers for the OpenAI style (data-only events, `data: [DONE]` terminator) and the Anthropic
// style (`event:` + `data:` lines), and an incremental parser for reading an upstream stream.
// Thread-safety: the writers are pure functions; an SseParser is confined to one thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace locai::api {

// "data: <json>\n\n". `json` must be one line (the serialisers produce compact JSON).
std::string SseData(std::string_view json);
// "event: <name>\ndata: <json>\n\n".
std::string SseEvent(std::string_view name, std::string_view json);
// "data: [DONE]\n\n", the end of an OpenAI stream.
std::string SseDone();

struct SseMessage {
  std::string event;  // empty when the event had no `event:` field
  std::string data;   // data lines joined with "\n"

  bool operator==(const SseMessage&) const = default;
};

// Splits a byte stream into events. Feed() takes any split of the stream (a chunk may end in the
// middle of a line or of a CRLF) and returns the events completed by it. Comments (":...") and
// unknown fields are skipped; "\r\n", "\n" and "\r" all end lines. Buffers at most one partial
// event; a caller reading an untrusted upstream bounds the size it feeds.
class SseParser {
 public:
  std::vector<SseMessage> Feed(std::string_view bytes);
  // Bytes held for an event not yet terminated by a blank line.
  size_t buffered_bytes() const { return line_.size() + pending_.data.size(); }

 private:
  void EndLine(std::vector<SseMessage>& out);

  std::string line_;
  SseMessage pending_;
  bool has_data_ = false;
  bool last_was_cr_ = false;
};

}  // namespace locai::api
