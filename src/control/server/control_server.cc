#include "control/server/control_server.h"

#include <chrono>
#include <cstdio>
#include <string>
#include <utility>

#include "api/common/api_error.h"
#include "control/admin/admin_routes.h"
#include "control/auth/authenticator.h"
#include "control/auth/http_reply.h"
#include "control/compliance/compliance.h"
#include "control/router/policy_store.h"
#include "control/router/routing_policy.h"
#include "control/server/bootstrap.h"
#include "control/server/files.h"
#include "control/server/tls_setup.h"
#include "net/egress/connector.h"
#include "net/http/http_server.h"
#include "net/http/router.h"
#include "store/blob/blob_store.h"
#include "store/sqlite/sqlite_store.h"
#ifdef LOCAI_CONTROL_HAS_FLEET
#include "control/fleet/fleet.h"
#include "control/gateway/gateway.h"
#endif
#ifdef LOCAI_CONTROL_HAS_ROUTING_ADMIN
#include "control/routing_admin/routing_admin.h"
#endif

namespace locai::control::server {
namespace {

constexpr auto kStaleUploadAge = std::chrono::hours(7 * 24);

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Errors the HTTP server writes itself (404, 405, 413, ...) in the same OpenAI shape as ours.
net::RenderedError RenderError(int status, std::string_view message) {
  api::ApiError error;
  error.http_status = status;
  error.type = std::string(net::DefaultErrorType(status));
  error.message = std::string(message);
  return {"application/json", api::SerializeOpenAiError(error)};
}

// The cloud providers' egress allowlist: every provider of every organisation, no control plane
// (the server has none); nothing at all when air-gapped (ProvidersForEgress is empty then).
std::vector<net::egress::EgressRule> CloudEgressRules(router::PolicyStore& policies) {
  auto providers = policies.ProvidersForEgress();
  return router::EgressRulesFor(providers ? *providers : std::vector<router::ProviderConfig>{}, "");
}

// Parts that other engineers add in the same release: wired when their interface is there
// (templates, so that a missing member is no error).
template <typename C>
void WireComplianceInference(C& compliance, ControlHooks& hooks, const ControlHooks& user) {
  if constexpr (requires(const InferenceRecord& record) { compliance.RecordInference(record); }) {
    hooks.inference = [&compliance, user = user.inference](const InferenceRecord& record) {
      compliance.RecordInference(record);
      if (user) user(record);
    };
  }
  if constexpr (requires(const std::string& org) { compliance.CapturePrompts(org); }) {
    if (!user.capture_prompts) {
      hooks.capture_prompts = [&compliance](const std::string& org_id) {
        return compliance.CapturePrompts(org_id);
      };
    }
  }
}

template <typename O>
void WireFleetInference(O& fleet_options, const ControlHooks& hooks) {
  if constexpr (requires { fleet_options.inference = hooks.inference; }) {
    fleet_options.inference = hooks.inference;
  }
}

#ifdef LOCAI_CONTROL_HAS_FLEET
// The gateway on the fleet's jobs (none until the fleet has them).
template <typename F>
Result<std::unique_ptr<gateway::Gateway>> MakeGateway(F& fleet, gateway::GatewayDeps deps,
                                                      gateway::GatewayOptions options) {
  if constexpr (requires { fleet.jobs(); }) {
    deps.jobs = &fleet.jobs();
    return gateway::Gateway::Create(std::move(deps), std::move(options));
  } else {
    return std::unique_ptr<gateway::Gateway>();
  }
}
#endif

}  // namespace

// Members in construction order; destroyed in reverse, so the HTTP server goes first.
struct ControlServerState {
  ControlServerOptions options;
  std::string server_dir;
  TlsIdentity tls;
  std::optional<std::string> bootstrap_key;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<store::blob::BlobStore> blobs;
  std::unique_ptr<auth::Authenticator> authenticator;
  std::unique_ptr<compliance::Compliance> compliance;    // plans, usage, audit log
  std::unique_ptr<router::PolicyStore> policies;         // routing policies and cloud providers
  std::unique_ptr<net::egress::Connector> cloud_egress;  // the gateway's cloud connections
  ControlHooks hooks;
#ifdef LOCAI_CONTROL_HAS_FLEET
  std::unique_ptr<fleet::Fleet> fleet;
  std::unique_ptr<gateway::Gateway> gateway;  // uses the fleet's jobs: goes first
#endif
  std::unique_ptr<registry::Registry> registry;
  std::unique_ptr<admin::AdminRoutes> admin;
  std::unique_ptr<net::HttpServer> http;
  bool stopped = false;
};

Result<std::unique_ptr<ControlServer>> ControlServer::Start(ControlServerOptions options) {
  if (options.data_dir.empty()) return Err(Status::InvalidArgument("a data directory is required"));
  if (!options.now_ms) options.now_ms = SystemNowMs;
  auto state = std::make_unique<ControlServerState>();
  state->server_dir = options.data_dir + "/server";
  LOCAI_RETURN_IF_ERROR(MakeDirectories(state->server_dir));

  LOCAI_ASSIGN_OR_RETURN(auto sqlite, store::SqliteStore::Open(state->server_dir + "/locai.db"));
  store::SqliteStore& sqlite_store = *sqlite;
  state->store = std::move(sqlite);
  LOCAI_ASSIGN_OR_RETURN(state->blobs, store::blob::BlobStore::Open(state->server_dir));
  (void)state->blobs->CleanStaleUploads(kStaleUploadAge, options.now_ms());

  LOCAI_ASSIGN_OR_RETURN(
      BootstrapResult bootstrap,
      Bootstrap(*state->store, state->server_dir + "/admin.key", options.now_ms()));
  state->bootstrap_key = std::move(bootstrap.admin_key);

  if (!options.insecure_http) {
    TlsSetupOptions tls_options;
    tls_options.tls_dir = state->server_dir + "/tls";
    tls_options.cert_file = options.tls_cert_file;
    tls_options.key_file = options.tls_key_file;
    tls_options.sans = options.tls_sans;
    LOCAI_ASSIGN_OR_RETURN(state->tls, LoadOrCreateTlsIdentity(tls_options));
  }

  auth::AuthenticatorOptions auth_options;
  auth_options.now_ms = options.now_ms;
  state->authenticator = std::make_unique<auth::Authenticator>(*state->store, auth_options);

  compliance::ComplianceOptions compliance_options;
  compliance_options.data_dir = options.data_dir;
  compliance_options.now_ms = options.now_ms;
  compliance_options.log = options.log;
  LOCAI_ASSIGN_OR_RETURN(state->compliance,
                         compliance::Compliance::Open(*state->store, sqlite_store.database(),
                                                      std::move(compliance_options)));
  compliance::Compliance* compliance = state->compliance.get();

  router::PolicyStoreOptions policy_options;
  policy_options.airgapped = options.airgapped;
  LOCAI_ASSIGN_OR_RETURN(state->policies,
                         router::PolicyStore::Open(sqlite_store.database(), policy_options));
  net::egress::ConnectorOptions egress_options;
  egress_options.rules = CloudEgressRules(*state->policies);
  egress_options.journal_path = state->server_dir + "/egress.jsonl";
  state->cloud_egress = std::make_unique<net::egress::Connector>(std::move(egress_options));

  ControlHooks hooks = options.hooks;
  hooks.audit = [compliance, user = options.hooks.audit](const AuditEvent& event) {
    compliance->Audit(event);
    if (user) user(event);
  };
  hooks.registry_limit = [compliance](const std::string& org_id) {
    return compliance->RegistryLimit(org_id);
  };
  hooks.registry_limit_error = [compliance](const std::string& org_id, const Status& refused,
                                            uint64_t bytes) {
    return compliance->RegistryLimitError(org_id, refused, bytes);
  };
  hooks.charge_egress = [compliance](const std::string& org_id, uint64_t bytes) {
    return compliance->ChargeEgress(org_id, bytes);
  };
  hooks.storage_changed = [compliance](const std::string& org_id) {
    if (Status recorded = compliance->RecordStorage(org_id); !recorded.ok()) {
      compliance->Log("metering: storage of " + org_id + " not recorded: " + recorded.ToString());
    }
  };
  WireComplianceInference(*compliance, hooks, options.hooks);
#ifdef LOCAI_CONTROL_HAS_FLEET
  fleet::FleetOptions fleet_options;
  WireFleetInference(fleet_options, hooks);
  fleet_options.now_ms = options.now_ms;
  fleet_options.max_nodes = [compliance](const std::string& org_id) {
    return compliance->NodeLimit(org_id);
  };
  fleet_options.node_limit_error = [compliance](const std::string& org_id, const Status& refused) {
    return compliance->NodeLimitError(org_id, refused);
  };
  fleet_options.node_seen = [compliance](const std::string& org_id, const std::string& node_id) {
    if (Status recorded = compliance->RecordNodeSeen(org_id, node_id); !recorded.ok()) {
      compliance->Log("metering: node " + node_id + " not recorded: " + recorded.ToString());
    }
  };
  fleet_options.audit = hooks.audit;
  state->fleet =
      std::make_unique<fleet::Fleet>(*state->store, *state->authenticator, fleet_options);
  hooks.model_tags_changed = [fleet = state->fleet.get(),
                              user = options.hooks.model_tags_changed](std::string_view org_id) {
    fleet->ModelTagsChanged(org_id);
    if (user) user(org_id);
  };
  {
    gateway::GatewayDeps gateway_deps;
    gateway_deps.policies = state->policies.get();
    gateway_deps.authenticate =
        gateway::AuthenticatorCallback(*state->authenticator, options.now_ms);
    gateway_deps.connector = options.airgapped ? nullptr : state->cloud_egress.get();
    gateway_deps.hooks = hooks;
    gateway::GatewayOptions gateway_options;
    gateway_options.airgapped = options.airgapped;
    gateway_options.now_ms = options.now_ms;
    gateway_options.log = options.log;
    LOCAI_ASSIGN_OR_RETURN(state->gateway, MakeGateway(*state->fleet, std::move(gateway_deps),
                                                       std::move(gateway_options)));
  }
#endif

  registry::RegistryOptions registry_options = options.registry;
  registry_options.now_ms = options.now_ms;
  state->hooks = hooks;
  state->registry = std::make_unique<registry::Registry>(
      *state->store, *state->blobs, *state->authenticator, hooks, registry_options);
  admin::AdminOptions admin_options;
  admin_options.ca_fingerprint = state->tls.ca_fingerprint;
  admin_options.now_ms = options.now_ms;
  state->admin = std::make_unique<admin::AdminRoutes>(*state->store, *state->authenticator, hooks,
                                                      admin_options);

  net::Router router;
  LOCAI_RETURN_IF_ERROR(router.Add("GET", "/health", [](net::HttpRequest, auto writer) {
    writer->Send(JsonResponse(200, {{"status", "ok"}}));
  }));
  LOCAI_RETURN_IF_ERROR(state->admin->RegisterRoutes(router));
  LOCAI_RETURN_IF_ERROR(state->registry->RegisterRoutes(router));
  LOCAI_RETURN_IF_ERROR(state->compliance->RegisterRoutes(router, *state->authenticator));
#ifdef LOCAI_CONTROL_HAS_FLEET
  LOCAI_RETURN_IF_ERROR(state->fleet->RegisterRoutes(router));
  if (state->gateway) LOCAI_RETURN_IF_ERROR(state->gateway->RegisterRoutes(router));
#endif
#ifdef LOCAI_CONTROL_HAS_ROUTING_ADMIN
  LOCAI_RETURN_IF_ERROR(routing_admin::RegisterRoutingAdminRoutes(
      router, routing_admin::RoutingAdminContext{
                  *state->policies, *state->authenticator, state->hooks, *state->store,
                  [policies = state->policies.get(), egress = state->cloud_egress.get()] {
                    egress->SetRules(CloudEgressRules(*policies));
                  },
                  options.now_ms, state->server_dir + "/egress.jsonl"}));
#endif

  net::HttpServerOptions http_options;
  http_options.host = options.host;
  http_options.port = options.port;
  http_options.io_threads = options.io_threads;
  // A registry chunk is the largest body; the registry answers an oversized one itself.
  http_options.max_body_bytes = options.registry.max_chunk_bytes + (64 << 10);
  http_options.max_write_queue_bytes = options.max_write_queue_bytes;
  http_options.error_renderer = RenderError;
  http_options.log = options.log;
  http_options.server_name = "locai-control";
  if (!options.insecure_http) {
    http_options.tls = net::HttpServerOptions::TlsOptions{state->tls.cert_pem, state->tls.key_pem,
                                                          state->tls.chain_pem};
  }
  state->options = std::move(options);
  state->http = std::make_unique<net::HttpServer>(std::move(http_options), std::move(router));
  LOCAI_RETURN_IF_ERROR(state->http->Start());
#ifdef LOCAI_CONTROL_HAS_FLEET
  if (Status started = state->fleet->Start(); !started.ok()) {
    state->http->Stop();
    return Err(started);
  }
#endif
  return std::unique_ptr<ControlServer>(new ControlServer(std::move(state)));
}

ControlServer::ControlServer(std::unique_ptr<ControlServerState> state)
    : state_(std::move(state)) {}

ControlServer::~ControlServer() { Stop(); }

void ControlServer::Stop() {
  if (state_->stopped) return;
  state_->stopped = true;
#ifdef LOCAI_CONTROL_HAS_FLEET
  if (state_->gateway) state_->gateway->Stop();  // open requests get an error, jobs cancelled
  state_->fleet->Stop();  // closes the links, so the server's shutdown does not wait on them
#endif
  state_->http->Stop();
}

std::string ControlServer::url() const {
  const std::string& host = state_->options.host;
  const bool ipv6 = host.find(':') != std::string::npos;
  return std::string(state_->options.insecure_http ? "http://" : "https://") +
         (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port());
}

uint16_t ControlServer::port() const { return state_->http->port(); }
const std::string& ControlServer::ca_fingerprint() const { return state_->tls.ca_fingerprint; }
const std::string& ControlServer::ca_pem() const { return state_->tls.ca_pem; }
const std::optional<std::string>& ControlServer::bootstrap_admin_key() const {
  return state_->bootstrap_key;
}
std::string ControlServer::admin_key_path() const { return state_->server_dir + "/admin.key"; }
store::Store& ControlServer::store() { return *state_->store; }
registry::Registry& ControlServer::registry() { return *state_->registry; }

}  // namespace locai::control::server
