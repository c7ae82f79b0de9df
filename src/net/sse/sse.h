// Server-Sent Events (the WHATWG "text/event-stream" format): formatting events on the server
// side and parsing a stream of them on the client side.
//
// Format: optional "event: NAME", optional "id: ID", one "data: LINE" per line of the data, then a
// blank line. The parser follows the WHATWG processing model: lines end in CRLF, LF or CR (also
// when CR and LF arrive in different chunks); "field: value" drops one space after the colon; lines
// starting with ':' are comments; a blank line dispatches the event if any data field was seen;
// "retry" is parsed as digits; unknown fields are ignored. Input may be split at any byte.
// Thread-safety: FormatEvent is a pure function; an SseParser is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace locai::net::sse {

struct SseEvent {
  std::string event;  // empty means the default type "message"
  std::string data;   // data lines joined with '\n'
  std::string id;
  std::optional<uint64_t> retry_ms;

  bool operator==(const SseEvent&) const = default;
};

// "event: NAME\n" (if non-empty) + "data: LINE\n" per line of `data` (split on \n, \r\n or \r;
// empty data gives one "data: " line) + "\n".
std::string FormatEvent(std::string_view data, std::string_view event = {});
// As above, with "id:" and "retry:" when set. Newlines in event or id are replaced by spaces.
std::string FormatEvent(const SseEvent& event);
// ": TEXT\n\n", a comment line (keep-alive pings); newlines in `text` become spaces.
std::string FormatComment(std::string_view text);

class SseParser {
 public:
  // Feeds the next bytes of the stream; calls `on_event` for each event completed by them.
  void Feed(std::string_view chunk, const std::function<void(SseEvent)>& on_event);
  // Convenience: the events completed by `chunk`.
  std::vector<SseEvent> Feed(std::string_view chunk);
  // The last "id" seen (the reconnection "Last-Event-ID").
  const std::string& last_event_id() const { return last_event_id_; }

 private:
  void ProcessLine(std::string_view line, const std::function<void(SseEvent)>& on_event);

  std::string line_;        // the incomplete current line
  bool skip_lf_ = false;    // the previous chunk ended in CR: a leading LF belongs to it
  bool first_line_ = true;  // strip a UTF-8 BOM from the very start
  std::string data_;        // accumulated data lines, each followed by '\n'
  bool has_data_ = false;
  std::string event_type_;
  std::string last_event_id_;
  std::optional<uint64_t> retry_ms_;
};

}  // namespace locai::net::sse
