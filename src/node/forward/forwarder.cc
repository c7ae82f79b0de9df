#include "node/forward/forwarder.h"

#include <nlohmann/json.hpp>

#include "node/api_style.h"
#include "node/forward/upstream_call.h"

namespace locai::node::forward {
namespace {

constexpr std::string_view kPolicyTarget = "/v1/fleet/policy";
// A non-streamed answer larger than this is cut off (a completion is a few KiB).
constexpr size_t kMaxBufferedBody = 64 << 20;

// The request headers that travel with a forwarded request (besides the signature).
constexpr std::string_view kForwardedRequestHeaders[] = {"Content-Type", "anthropic-version",
                                                         "anthropic-beta", kSessionHeader};
// The answer's headers that reach the client.
constexpr std::string_view kForwardedResponseHeaders[] = {"Content-Type", kRouteHeader,
                                                          kRouteTargetHeader, "Retry-After"};

bool IsEventStream(const net::HttpHeaders& headers) {
  const std::string type = headers.GetOr("Content-Type", "");
  return type.rfind("text/event-stream", 0) == 0;
}

std::string ModelOf(const std::string& body) {
  const nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  if (!parsed.is_object()) return "";
  const auto it = parsed.find("model");
  return it != parsed.end() && it->is_string() ? it->get<std::string>() : "";
}

// The 503 the forwarder answers itself, in the request's API format.
net::HttpResponse Unavailable(const net::HttpRequest& request, const std::string& message,
                              int retry_after_seconds) {
  const ApiStyle style = StyleOf(request);
  const api::ApiError error{503, style == ApiStyle::kAnthropic ? "api_error" : "server_error",
                            message, "", ""};
  return ErrorResponse(style, error, request.request_id, retry_after_seconds);
}

}  // namespace

Forwarder::Forwarder(ForwarderOptions options, net::egress::Connector& connector)
    : options_(std::move(options)), connector_(connector) {}

Forwarder::~Forwarder() {
  {
    std::lock_guard<std::mutex> lock(jobs_mu_);
    stopping_ = true;
    for (Job& job : jobs_) job.call->Abort();
  }
  // No Forward() runs now, so jobs_ only changes in its `done` flags.
  for (Job& job : jobs_) {
    if (job.thread.joinable()) job.thread.join();
  }
}

std::chrono::steady_clock::time_point Forwarder::Now() const {
  return options_.now ? options_.now() : std::chrono::steady_clock::now();
}

void Forwarder::Log(std::string_view level, std::string_view message) const {
  if (options_.log) options_.log(level, message);
}

Result<std::string> Forwarder::FetchPolicy() {
  net::HttpClientOptions http = options_.http;
  http.connect_timeout = options_.policy_timeout;
  http.read_timeout = options_.policy_timeout;
  http.write_timeout = options_.policy_timeout;
  http.keep_alive = false;
  net::ClientRequest request;
  request.method = "GET";
  request.url = options_.server_url + std::string(kPolicyTarget);
  request.purpose = "control-plane";
  if (options_.signer) {
    LOCAI_RETURN_IF_ERROR(options_.signer("GET", kPolicyTarget, &request.headers));
  }
  net::HttpClient client(connector_, http);
  LOCAI_ASSIGN_OR_RETURN(net::ClientResponse response, client.Fetch(request));
  if (response.status != 200) {
    return Err(Status::Unavailable("GET " + std::string(kPolicyTarget) + " answered HTTP " +
                                   std::to_string(response.status)));
  }
  const nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  const auto it = body.is_object() ? body.find("policy") : body.end();
  if (it == body.end() || !it->is_string()) {
    return Err(Status::DataLoss("GET " + std::string(kPolicyTarget) + " sent no policy"));
  }
  const std::string policy = it->get<std::string>();
  if (policy != "local" && policy != "onprem" && policy != "hybrid") {
    return Err(Status::DataLoss("unknown policy '" + policy.substr(0, 40) + "'"));
  }
  return policy;
}

std::string Forwarder::Policy() {
  std::lock_guard<std::mutex> lock(policy_mu_);
  const auto now = Now();
  if (policy_known_ && now < policy_until_) return policy_;
  Result<std::string> fetched = FetchPolicy();
  policy_known_ = true;
  if (fetched) {
    if (*fetched != policy_) Log("info", "routing policy of the organisation: " + *fetched);
    policy_ = *fetched;
    policy_until_ = now + options_.policy_ttl;
  } else {
    Log("warn", "cannot read the routing policy from the control plane (requests are not "
                "forwarded): " + fetched.error().ToString());
    policy_.clear();
    policy_until_ = now + options_.policy_retry;
  }
  return policy_;
}

size_t Forwarder::in_flight() {
  std::lock_guard<std::mutex> lock(jobs_mu_);
  ReapLocked();
  return jobs_.size();
}

void Forwarder::ReapLocked() {
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (!it->done) {
      ++it;
      continue;
    }
    // `done` is set as the thread's last step, so this join waits for its return only.
    if (it->thread.joinable()) it->thread.join();
    it = jobs_.erase(it);
  }
}

bool Forwarder::Forward(const net::HttpRequest& request,
                        std::shared_ptr<net::ResponseWriter> writer) {
  const std::string policy = Policy();
  if (policy != "onprem" && policy != "hybrid") return false;  // local, or unknown

  std::lock_guard<std::mutex> lock(jobs_mu_);
  ReapLocked();
  if (stopping_ || jobs_.size() >= options_.max_in_flight) {
    writer->Send(Unavailable(request,
                             "The model is not on this device and the node already forwards " +
                                 std::to_string(jobs_.size()) +
                                 " requests to the control plane. Retry later.",
                             options_.retry_after_seconds));
    return true;
  }
  net::HttpClientOptions http = options_.http;
  http.read_timeout = options_.response_timeout;
  auto call = std::make_shared<UpstreamCall>(connector_, std::move(http));
  // The client going away aborts the upstream request; the weak reference lets a late close
  // find the call gone.
  std::weak_ptr<UpstreamCall> weak = call;
  writer->OnClose([weak] {
    if (auto c = weak.lock()) c->Abort();
  });
  Job& job = jobs_.emplace_back();
  job.call = call;
  job.thread = std::thread([this, &job, request, writer = std::move(writer), call] {
    Run(request, writer, *call);
    std::lock_guard<std::mutex> done_lock(jobs_mu_);
    job.done = true;
  });
  return true;
}

void Forwarder::Run(const net::HttpRequest& request,
                    const std::shared_ptr<net::ResponseWriter>& writer, UpstreamCall& call) {
  net::ClientRequest upstream;
  upstream.method = "POST";
  upstream.url = options_.server_url + request.target;
  upstream.purpose = "control-plane";
  upstream.body = request.body;
  for (std::string_view name : kForwardedRequestHeaders) {
    if (auto value = request.headers.Get(name)) {
      upstream.headers.Set(std::string(name), std::string(*value));
    }
  }
  if (!upstream.headers.Has("Content-Type")) {
    upstream.headers.Set("Content-Type", "application/json");
  }
  upstream.headers.Set("x-request-id", request.request_id);
  if (options_.signer) {
    Status signed_status = options_.signer("POST", request.target, &upstream.headers);
    if (!signed_status.ok()) {
      Log("warn", "cannot sign a forwarded request: " + signed_status.ToString());
      writer->Send(Unavailable(request, "The node cannot sign requests to the control plane.",
                               options_.retry_after_seconds));
      return;
    }
  }

  bool head_seen = false;
  bool streaming = false;
  int status = 0;
  net::HttpHeaders headers;
  std::string buffered;
  bool too_large = false;
  const Status result = call.Run(
      upstream,
      [&](const UpstreamHead& head) {
        head_seen = true;
        status = head.status;
        for (std::string_view name : kForwardedResponseHeaders) {
          if (auto value = head.headers.Get(name)) {
            headers.Set(std::string(name), std::string(*value));
          }
        }
        headers.Set("x-request-id", head.headers.GetOr("x-request-id", request.request_id));
        streaming = IsEventStream(head.headers);
        if (!streaming) return !writer->closed();
        headers.Set("Cache-Control", "no-cache");
        return writer->StartStream(status, headers);
      },
      [&](std::string_view chunk) {
        if (streaming) return writer->Write(std::string(chunk));
        if (buffered.size() + chunk.size() > kMaxBufferedBody) {
          too_large = true;
          return false;
        }
        buffered.append(chunk);
        return !writer->closed();
      });

  if (result.ok()) {
    if (streaming) {
      writer->End();
    } else {
      net::HttpResponse response;
      response.status = status;
      response.headers = std::move(headers);
      response.body = std::move(buffered);
      writer->Send(std::move(response));
    }
    return;
  }
  if (writer->closed() || result.code() == StatusCode::kCancelled) {
    if (too_large) {
      writer->Send(Unavailable(request, "The control plane's answer is too large.",
                               options_.retry_after_seconds));
    }
    return;  // the client went away: nothing to answer
  }
  if (streaming) {
    // Cut mid-stream: leave the stream unended, so the client sees it truncated.
    Log("warn", "the control plane's stream for request " + request.request_id +
                    " broke off: " + result.ToString());
    return;
  }
  Log("warn", "cannot forward request " + request.request_id +
                  " to the control plane: " + result.ToString());
  const std::string model = ModelOf(request.body);
  const std::string what = model.empty() ? "The model" : "The model '" + model + "'";
  writer->Send(Unavailable(request,
                           what + " is not available on this device and the control plane (" +
                               options_.server_url + ") could not be reached" +
                               (head_seen ? " (its answer broke off)" : "") + ": " +
                               result.message(),
                           options_.retry_after_seconds));
}

}  // namespace locai::node::forward
