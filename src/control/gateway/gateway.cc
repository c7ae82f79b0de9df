// The gateway's public face and intake: authentication, parsing, policy, then the dispatcher.
// Routing is in dispatcher.cc, the relay of node frames in relay.cc, cloud calls in cloud_call.cc.
#include "control/gateway/gateway.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "api/anthropic/messages_request.h"
#include "api/anthropic/models.h"
#include "api/anthropic/version.h"
#include "api/openai/chat_request.h"
#include "api/openai/completions.h"
#include "api/openai/models.h"
#include "control/auth/authenticator.h"
#include "control/gateway/gateway_core.h"
#include "control/router/route_info.h"

namespace locai::control::gateway {
namespace {

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

api::HeaderList HeaderListOf(const net::HttpHeaders& headers) {
  return api::HeaderList(headers.entries().begin(), headers.entries().end());
}

// The request headers a node needs to answer as it would answer the client directly.
constexpr std::string_view kForwardedHeaders[] = {"anthropic-version", "anthropic-beta",
                                                  "content-type", "x-locai-session"};

std::string PromptText(const api::GenerationRequest& request) {
  if (request.api == api::ApiKind::kOpenAiCompletion) return request.prompt;
  std::string text;
  for (const auto& message : request.messages) {
    text += std::string(api::RoleName(message.role)) + ": " + message.content + "\n";
  }
  return text;
}

// Rough token count of the request for the selector's load lease: prompt bytes / 4 plus the
// tokens it may generate.
int64_t LeaseTokens(const api::GenerationRequest& request, size_t body_bytes) {
  const int64_t generated = std::min<int64_t>(request.max_tokens.value_or(256), 4096);
  return static_cast<int64_t>(body_bytes / 4) + std::max<int64_t>(generated, 1);
}

}  // namespace

Authenticate AuthenticatorCallback(auth::Authenticator& authenticator,
                                   std::function<int64_t()> now_ms) {
  if (!now_ms) now_ms = SystemNowMs;
  return [&authenticator, now_ms](const net::HttpRequest& request) -> Result<Caller> {
    Caller caller;
    if (request.headers.Has("x-locai-node-id")) {
      LOCAI_ASSIGN_OR_RETURN(auth::NodePrincipal node,
                             authenticator.AuthenticateNode(request, now_ms() / 1000));
      caller.org_id = node.org_id;
      caller.node_id = node.node_id;
      caller.actor = "node:" + node.node_id;
      return caller;
    }
    LOCAI_ASSIGN_OR_RETURN(auth::Principal principal, authenticator.AuthenticateKey(request));
    caller.org_id = principal.org_id;
    caller.key_id = principal.key_id;
    caller.actor = "key:" + principal.key_id;
    return caller;
  };
}

Result<std::unique_ptr<Gateway>> Gateway::Create(GatewayDeps deps, GatewayOptions options) {
  if (deps.jobs == nullptr || deps.policies == nullptr || !deps.authenticate) {
    return Err(Status::InvalidArgument("the gateway needs node jobs, a policy store and auth"));
  }
  LOCAI_ASSIGN_OR_RETURN(policy::PiiDetector detector, policy::PiiDetector::Create());
  auto core =
      std::make_shared<GatewayCore>(std::move(deps), std::move(options), std::move(detector));
  core->Start();
  return std::unique_ptr<Gateway>(new Gateway(std::move(core)));
}

Gateway::Gateway(std::shared_ptr<GatewayCore> core) : core_(std::move(core)) {}
Gateway::~Gateway() { Stop(); }
void Gateway::Stop() { core_->Stop(); }
size_t Gateway::waiting() const { return core_->waiting(); }
size_t Gateway::running() const { return core_->running(); }

Status Gateway::RegisterRoutes(net::Router& router) {
  std::weak_ptr<GatewayCore> weak = core_;
  auto generation = [weak](net::HttpRequest request, std::shared_ptr<net::ResponseWriter> writer) {
    if (auto core = weak.lock()) core->HandleGeneration(std::move(request), std::move(writer));
  };
  auto models = [weak](net::HttpRequest request, std::shared_ptr<net::ResponseWriter> writer) {
    if (auto core = weak.lock()) core->HandleModels(std::move(request), std::move(writer));
  };
  LOCAI_RETURN_IF_ERROR(router.Add("POST", "/v1/chat/completions", generation));
  LOCAI_RETURN_IF_ERROR(router.Add("POST", "/v1/completions", generation));
  LOCAI_RETURN_IF_ERROR(router.Add("POST", "/v1/messages", generation));
  LOCAI_RETURN_IF_ERROR(router.Add("GET", "/v1/models", models));
  LOCAI_RETURN_IF_ERROR(router.Add("GET", "/v1/models/{id...}", models));
  return Status::Ok();
}

GatewayCore::GatewayCore(GatewayDeps deps, GatewayOptions options, policy::PiiDetector detector)
    : deps_(std::move(deps)),
      options_(std::move(options)),
      detector_(std::move(detector)),
      selector_(options_.selector) {
  if (options_.airgapped) deps_.connector = nullptr;  // no cloud, whatever a policy says
}

GatewayCore::~GatewayCore() { Stop(); }

int64_t GatewayCore::NowMs() const { return options_.now_ms ? options_.now_ms() : SystemNowMs(); }

void GatewayCore::Log(std::string_view line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::fprintf(stderr, "gateway: %.*s\n", static_cast<int>(line.size()), line.data());
  }
}

void GatewayCore::HandleGeneration(net::HttpRequest http,
                                   std::shared_ptr<net::ResponseWriter> writer) {
  auto request = std::make_shared<GatewayRequest>();
  GatewayRequest& r = *request;
  r.request_id = http.request_id;
  r.format = FormatOf(http);
  r.arrived = std::chrono::steady_clock::now();
  r.writer = writer;
  r.record.at_ms = NowMs();
  r.record.request_id = http.request_id;
  r.record.endpoint = http.path;

  auto caller = deps_.authenticate(http);
  if (!caller) {
    Fail(r, ErrorFor(r.format, caller.error()), 0, "", "");
    return;
  }
  r.caller = std::move(*caller);
  r.record.org_id = r.caller.org_id;
  r.record.actor = r.caller.actor;

  api::ApiResult<api::GenerationRequest> parsed;
  if (http.path == "/v1/messages") {
    auto version = api::anthropic::ParseAnthropicVersion(HeaderListOf(http.headers));
    if (!version) {
      Fail(r, ForFormat(r.format, version.error()), 0, "", "");
      return;
    }
    parsed = api::anthropic::ParseMessagesRequest(http.body, *version);
  } else if (http.path == "/v1/completions") {
    parsed = api::openai::ParseCompletionRequest(http.body);
  } else {
    parsed = api::openai::ParseChatRequest(http.body);
  }
  if (!parsed) {
    Fail(r, ForFormat(r.format, parsed.error()), 0, "", "");
    return;
  }
  r.parsed = std::move(*parsed);
  r.record.model = r.parsed.model;
  r.capture = deps_.hooks.CapturePrompts(r.caller.org_id);
  if (r.capture) r.record.prompt_text = PromptText(r.parsed);

  Result<router::OrgPolicy> policy =
      r.caller.key_id.empty() ? deps_.policies->GetOrgPolicy(r.caller.org_id)
                              : deps_.policies->ResolveForKey(r.caller.org_id, r.caller.key_id);
  if (!policy) {
    Fail(r, ErrorFor(r.format, policy.error()), 0, "", "");
    return;
  }
  r.policy = std::move(*policy);
  if (options_.airgapped || deps_.policies->airgapped()) {
    r.policy.airgapped = true;
    if (r.policy.policy == router::DataPolicy::kHybrid)
      r.policy.policy = router::DataPolicy::kOnprem;
  }
  if (r.policy.policy == router::DataPolicy::kLocal) {
    Fail(r,
         ErrorFor(r.format,
                  Status::PermissionDenied(
                      "the routing policy of this key is 'local': its requests may only run on "
                      "its own device (call the node on that device), never through the control "
                      "plane")),
         0, "", "");
    return;
  }
  if (deps_.connector != nullptr) {
    r.cloud_target = router::CloudTargetFor(r.policy, r.parsed.model);
  }

  const auto session_header = http.headers.Get(router::kSessionHeader);
  r.selection.org_id = r.caller.org_id;
  r.selection.model = r.parsed.model;
  r.selection.session_id = router::SessionIdFor(session_header, r.parsed.user);
  r.selection.preferred_group = http.headers.GetOr("x-locai-group", "");
  r.lease_tokens = LeaseTokens(r.parsed, http.body.size());

  r.job.method = "POST";
  r.job.path = http.path;
  for (std::string_view name : kForwardedHeaders) {
    if (auto value = http.headers.Get(name)) r.job.headers.emplace_back(name, std::string(*value));
  }
  r.job.headers.emplace_back("x-request-id", r.request_id);  // the node logs it under ours
  r.job.body = std::move(http.body);

  std::weak_ptr<GatewayRequest> weak = request;
  std::weak_ptr<GatewayCore> core = weak_from_this();
  writer->OnClose([weak, core] {
    auto closed = weak.lock();
    auto self = core.lock();
    if (!closed || !self) return;
    closed->closed.store(true);
    self->Post([self, closed] { self->ClientClosed(closed); });
  });
  if (!Post([this, request] { Dispatch(request); })) {
    Fail(r, ErrorFor(r.format, Status::Unavailable("the server is shutting down")), 1, "", "");
  }
}

void GatewayCore::HandleModels(net::HttpRequest http, std::shared_ptr<net::ResponseWriter> writer) {
  const ApiFormat format =
      http.headers.Has("anthropic-version") ? ApiFormat::kAnthropic : ApiFormat::kOpenAi;
  auto caller = deps_.authenticate(http);
  if (!caller) {
    writer->Send(ErrorResponse(format, ErrorFor(format, caller.error())));
    return;
  }
  std::set<std::string> ids;
  for (const fleet::RoutableNode& node : deps_.jobs->RoutableNodes(caller->org_id)) {
    if (!node.healthy || node.org_id != caller->org_id) continue;
    ids.insert(node.models_ready.begin(), node.models_ready.end());
  }
  Result<router::OrgPolicy> policy =
      caller->key_id.empty() ? deps_.policies->GetOrgPolicy(caller->org_id)
                             : deps_.policies->ResolveForKey(caller->org_id, caller->key_id);
  if (policy && deps_.connector != nullptr && !deps_.policies->airgapped()) {
    for (const auto& [local, target] : policy->cloud_models) {
      if (router::CloudTargetFor(*policy, local)) ids.insert(local);
    }
  }
  const std::string wanted = http.PathParam("id");
  if (http.path != "/v1/models" && !ids.contains(wanted)) {
    writer->Send(ErrorResponse(format, format == ApiFormat::kAnthropic
                                           ? api::AnthropicModelNotFound(wanted)
                                           : api::OpenAiModelNotFound(wanted)));
    return;
  }
  std::string body;
  if (format == ApiFormat::kAnthropic) {
    std::vector<api::anthropic::ModelInfo> models;
    for (const auto& id : ids) {
      if (http.path == "/v1/models" || id == wanted) models.push_back({id, id, 0});
    }
    body = http.path == "/v1/models" ? api::anthropic::SerializeModelList(models)
                                     : api::anthropic::SerializeModel(models.front());
  } else {
    std::vector<api::openai::ModelInfo> models;
    for (const auto& id : ids) {
      if (http.path == "/v1/models" || id == wanted) models.push_back({id, 0, "locai"});
    }
    body = http.path == "/v1/models" ? api::openai::SerializeModelList(models)
                                     : api::openai::SerializeModel(models.front());
  }
  writer->Send(net::HttpResponse::Json(200, std::move(body)));
}

void GatewayCore::Record(GatewayRequest& request, int status, std::string error) {
  InferenceRecord record;
  {
    std::lock_guard lock(request.mu);
    if (request.recorded) return;
    request.recorded = true;
    request.record.status = status;
    request.record.error = std::move(error);
    request.record.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now() - request.arrived)
                                     .count();
    if (!request.capture) request.record.completion_text.clear();
    record = request.record;
  }
  deps_.hooks.Inference(record);
}

void GatewayCore::Fail(GatewayRequest& request, const api::ApiError& error, int64_t retry_after_s,
                       std::string_view route, std::string_view target) {
  int status = error.http_status;
  bool answer = false;
  bool started = false;
  {
    std::lock_guard lock(request.mu);
    if (request.started) status = request.head_status;
    answer = !request.finished;
    started = request.started;
    request.finished = true;  // nobody else writes from here on
    request.record.route = std::string(route);
    request.record.target = std::string(target);
  }
  // The record goes first, so that it is there when the client has its answer.
  Record(request, status, error.message);
  if (!answer) return;
  if (started) {
    request.writer->Write(StreamErrorEvent(request.format, error.message));
    request.writer->End();
    return;
  }
  net::HttpResponse response = ErrorResponse(request.format, error, retry_after_s);
  if (!route.empty()) SetRoute(response.headers, route, target);
  request.writer->Send(std::move(response));
}

}  // namespace locai::control::gateway
