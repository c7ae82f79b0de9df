#include "control/router/fake_upstream.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "net/http/response_writer.h"
#include "net/http/router.h"

namespace locai::control::router::testing {
namespace {

using nlohmann::json;

std::string Sse(const json& data) { return "data: " + data.dump() + "\n\n"; }
std::string SseNamed(const std::string& name, const json& data) {
  return "event: " + name + "\ndata: " + data.dump() + "\n\n";
}

// The text of the last message in either API's request body.
std::string LastMessageText(const std::string& body) {
  json parsed = json::parse(body, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("messages") || parsed["messages"].empty()) return "";
  const json& content = parsed["messages"].back()["content"];
  if (content.is_string()) return content.get<std::string>();
  std::string text;
  if (content.is_array()) {
    for (const json& block : content) {
      if (block.is_object() && block.value("type", "") == "text") text += block.value("text", "");
    }
  }
  return text;
}

}  // namespace

FakeUpstream::FakeUpstream(UpstreamScript script) : script_(std::move(script)) {
  net::Router router;
  auto route = [this](bool anthropic) {
    return
        [this, anthropic](net::HttpRequest request, std::shared_ptr<net::ResponseWriter> writer) {
          Serve(request, *writer, anthropic);
        };
  };
  (void)router.Add("POST", "/v1/chat/completions", route(false));
  (void)router.Add("POST", "/v1/messages", route(true));
  net::HttpServerOptions options;
  options.shutdown_grace = std::chrono::milliseconds(200);
  server_ = std::make_unique<net::HttpServer>(std::move(options), std::move(router));
  Status started = server_->Start();
  if (!started.ok()) server_.reset();
}

FakeUpstream::~FakeUpstream() {
  if (server_) server_->Stop();
}

uint16_t FakeUpstream::port() const { return server_ ? server_->port() : 0; }

std::string FakeUpstream::base_url() const { return "http://127.0.0.1:" + std::to_string(port()); }

std::vector<ReceivedRequest> FakeUpstream::Received() const {
  std::lock_guard lock(mu_);
  return received_;
}

void FakeUpstream::Serve(const net::HttpRequest& request, net::ResponseWriter& writer,
                         bool anthropic) {
  {
    std::lock_guard lock(mu_);
    received_.push_back({request.path, request.headers, request.body});
  }
  if (script_.error_status != 0) {
    writer.Send(net::HttpResponse::Json(script_.error_status, script_.error_body));
    return;
  }
  std::vector<std::string> deltas = script_.deltas;
  if (script_.echo_piece_bytes > 0) {
    deltas.clear();
    std::string text = LastMessageText(request.body);
    for (size_t at = 0; at < text.size(); at += script_.echo_piece_bytes) {
      deltas.push_back(text.substr(at, script_.echo_piece_bytes));
    }
  }
  if (script_.whole_json) {
    std::string text;
    for (const std::string& delta : deltas) text += delta;
    json body;
    if (anthropic) {
      body = {{"id", "msg_fake"},
              {"type", "message"},
              {"role", "assistant"},
              {"model", "fake"},
              {"content", json::array({{{"type", "text"}, {"text", text}}})},
              {"stop_reason", script_.finish == "length" ? "max_tokens" : "end_turn"},
              {"stop_sequence", nullptr},
              {"usage",
               {{"input_tokens", script_.prompt_tokens},
                {"output_tokens", script_.completion_tokens}}}};
    } else {
      body = {{"id", "chatcmpl-fake"},
              {"object", "chat.completion"},
              {"created", 1},
              {"model", "fake"},
              {"choices", json::array({{{"index", 0},
                                        {"message", {{"role", "assistant"}, {"content", text}}},
                                        {"finish_reason", script_.finish}}})},
              {"usage",
               {{"prompt_tokens", script_.prompt_tokens},
                {"completion_tokens", script_.completion_tokens}}}};
    }
    writer.Send(net::HttpResponse::Json(200, body.dump()));
    return;
  }
  net::HttpHeaders headers;
  headers.Set("Content-Type", "text/event-stream");
  writer.StartStream(200, headers);
  if (anthropic) {
    writer.Write(
        SseNamed("message_start",
                 {{"type", "message_start"},
                  {"message",
                   {{"id", "msg_fake"},
                    {"type", "message"},
                    {"role", "assistant"},
                    {"model", "fake"},
                    {"content", json::array()},
                    {"usage", {{"input_tokens", script_.prompt_tokens}, {"output_tokens", 1}}}}}}));
    writer.Write(
        SseNamed("content_block_start", {{"type", "content_block_start"},
                                         {"index", 0},
                                         {"content_block", {{"type", "text"}, {"text", ""}}}}));
    writer.Write(SseNamed("ping", {{"type", "ping"}}));
    for (const std::string& delta : deltas) {
      writer.Write(
          SseNamed("content_block_delta", {{"type", "content_block_delta"},
                                           {"index", 0},
                                           {"delta", {{"type", "text_delta"}, {"text", delta}}}}));
    }
    if (!script_.stream_error_type.empty()) {
      writer.Write(SseNamed(
          "error",
          {{"type", "error"},
           {"error", {{"type", script_.stream_error_type}, {"message", "upstream trouble"}}}}));
    } else if (!script_.cut_before_end) {
      std::string reason = script_.finish == "length" ? "max_tokens" : "end_turn";
      writer.Write(SseNamed("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}}));
      writer.Write(SseNamed("message_delta",
                            {{"type", "message_delta"},
                             {"delta", {{"stop_reason", reason}, {"stop_sequence", nullptr}}},
                             {"usage", {{"output_tokens", script_.completion_tokens}}}}));
      writer.Write(SseNamed("message_stop", {{"type", "message_stop"}}));
    }
  } else {
    json base = {{"id", "chatcmpl-fake"},
                 {"object", "chat.completion.chunk"},
                 {"created", 1},
                 {"model", "fake"}};
    json first = base;
    first["choices"] = json::array({{{"index", 0},
                                     {"delta", {{"role", "assistant"}, {"content", ""}}},
                                     {"finish_reason", nullptr}}});
    writer.Write(Sse(first));
    for (const std::string& delta : deltas) {
      json chunk = base;
      chunk["choices"] = json::array(
          {{{"index", 0}, {"delta", {{"content", delta}}}, {"finish_reason", nullptr}}});
      writer.Write(Sse(chunk));
    }
    if (!script_.stream_error_type.empty()) {
      writer.Write(
          Sse({{"error", {{"type", script_.stream_error_type}, {"message", "upstream trouble"}}}}));
    } else if (!script_.cut_before_end) {
      json last = base;
      last["choices"] = json::array(
          {{{"index", 0}, {"delta", json::object()}, {"finish_reason", script_.finish}}});
      writer.Write(Sse(last));
      json usage = base;
      usage["choices"] = json::array();
      usage["usage"] = {{"prompt_tokens", script_.prompt_tokens},
                        {"completion_tokens", script_.completion_tokens},
                        {"total_tokens", script_.prompt_tokens + script_.completion_tokens}};
      writer.Write(Sse(usage));
      writer.Write("data: [DONE]\n\n");
    }
  }
  writer.End();
}

}  // namespace locai::control::router::testing
