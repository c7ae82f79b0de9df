// locai node [--models DIR ...]: the OpenAI- and Anthropic-compatible server of this device.
// locai node --join URL --token T [--name N]: enrol with a control plane once (the credential goes
// to <data>/node/credential.json), then serve the models it deploys; later starts find the
// credential and need neither flag (docs/control-plane.md).
// locai node models --models DIR: list the models of a directory (NAME<TAB>FILE<TAB>SIZE).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/admin_client.h"
#include "cli/commands.h"
#include "cli/node_command.h"
#include "net/egress/connector.h"
#include "net/http/url.h"
#include "node/agent/blob_puller.h"
#include "node/agent/capabilities.h"
#include "node/agent/credential.h"
#include "node/agent/fleet_agent.h"
#include "node/agent/fleet_link.h"
#include "node/agent/job_runner.h"
#include "node/agent/node_model_host.h"
#include "node/forward/forwarder.h"
#include "node/model_directory.h"
#include "node/node_server.h"

namespace locai::cli {
namespace {

namespace agent = locai::node::agent;


constexpr int kExitRevoked = 3;

// --data, else $LOCAI_HOME, else ~/.locai.
std::string HostName() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "node";
  return host;
}

// The only egress a fleet node needs: its control plane. Every attempt is journalled in
// DATA/node/egress.jsonl (`locai egress report`).
net::egress::Connector ControlPlaneConnector(const std::string& server_url,
                                             const std::string& data_dir) {
  auto url = OrFail(net::ParseUrl(server_url));
  net::egress::EgressRule rule;
  rule.allow = true;
  rule.host = url.host;
  rule.port = url.port;
  return net::egress::Connector(net::egress::ConnectorOptions{
      .rules = {rule}, .journal_path = data_dir + "/node/egress.jsonl"});
}

agent::CapabilityOptions CapabilityOptionsOf(const NodeFlags& f, const std::string& data_dir) {
  agent::CapabilityOptions options;
  options.data_dir = data_dir;
  if (f.memory_limit > 0) options.memory_limit = f.memory_limit;
  if (f.report_memory > 0) options.report_memory = f.report_memory;
  return options;
}

// Enrols with --join/--token when there is no credential yet; loads the stored one otherwise.
// nullopt: not a fleet node (no --join, no credential).
std::optional<agent::Credential> ObtainCredential(const NodeFlags& f, const std::string& data_dir) {
  const std::string path = agent::CredentialPath(data_dir);
  auto stored = agent::LoadCredential(path);
  if (stored && !f.control_plane_url.empty()) stored->server_url = f.control_plane_url;
  if (stored) {
    if (!f.join_url.empty() && stored->server_url != f.join_url) {
      std::fprintf(stderr,
                   "warning: already enrolled with %s as node %s; ignoring --join %s (delete %s to "
                   "enrol again)\n",
                   stored->server_url.c_str(), stored->node_id.c_str(), f.join_url.c_str(),
                   path.c_str());
    }
    std::printf("node %s: credential from %s\n", stored->node_id.c_str(), path.c_str());
    return *stored;
  }
  if (stored.error().code() != StatusCode::kNotFound) Fail(stored.error());
  if (f.join_url.empty()) {
    if (!f.token.empty()) Fail(Status::InvalidArgument("--token needs --join URL"), 2);
    return std::nullopt;
  }
  if (f.token.empty()) {
    Fail(Status::InvalidArgument("--join needs --token (a join token from 'locai nodes token')"),
         2);
  }
  net::egress::Connector connector = ControlPlaneConnector(f.join_url, data_dir);
  agent::EnrollOptions options;
  options.capabilities =
      agent::CapabilitiesToJson(agent::ProbeCapabilities(CapabilityOptionsOf(f, data_dir)));
  const std::string name = f.name.empty() ? HostName() : f.name;
  agent::Credential credential =
      OrFail(agent::Enroll(f.join_url, f.token, name, connector, options));
  OrFail(agent::SaveCredential(path, credential));
  std::printf("enrolled as node %s (org %s%s%s) with %s; credential stored in %s\n",
              credential.node_id.c_str(), credential.org.c_str(),
              credential.group.empty() ? "" : ", group ", credential.group.c_str(),
              credential.server_url.c_str(), path.c_str());
  std::fflush(stdout);
  return credential;
}

void ListModels(const std::string& dir) {
  auto directory = OrFail(node::ModelDirectory::Scan(dir));
  for (const auto& model : directory.models()) {
    std::printf("%s\t%s\t%llu\n", model.id.c_str(), model.file_name.c_str(),
                static_cast<unsigned long long>(model.size));
  }
  for (const auto& alias : directory.aliases()) {
    const node::ModelFile* model = directory.Find(alias.name);
    std::printf("%s\t%s\t%llu\n", alias.name.c_str(), model->file_name.c_str(),
                static_cast<unsigned long long>(model->size));
  }
  std::fflush(stdout);
}

}  // namespace

void ServeNode(const NodeFlags& f, const std::function<void(const std::string&)>& on_listening) {
  if (f.port < 0 || f.port > 65535) Fail(Status::InvalidArgument("--port must be 0..65535"), 2);
  const std::string data_dir = ResolveDataDir(f.data_dir);
  const std::optional<agent::Credential> credential = ObtainCredential(f, data_dir);
  if (f.models_dir.empty() && !credential) {
    Fail(Status::InvalidArgument("--models DIR is required (or --join URL --token T to serve the "
                                 "models a control plane deploys)"),
         2);
  }
  node::NodeOptions options;
  options.models_dir = f.models_dir;
  options.host = f.host;
  options.port = static_cast<uint16_t>(f.port);
  options.models.n_parallel = f.parallel;
  options.models.context_length = f.ctx;
  options.models.max_queue = f.queue;
  options.models.n_threads = f.threads;
  options.models.keep_alive_seconds = f.keep_alive;
  if (f.memory_limit > 0) options.models.memory_limit = f.memory_limit;
  options.preload = f.preload;
  options.api_keys = f.api_keys;
  options.log_prompts = f.log_prompts;
  options.max_body_bytes = static_cast<size_t>(f.max_body_bytes);
  options.header_timeout = std::chrono::milliseconds(f.header_timeout_ms);
  options.body_timeout = std::chrono::milliseconds(f.body_timeout_ms);
  options.idle_timeout = std::chrono::milliseconds(f.idle_timeout_ms);

  // Block the stop signals in every thread (the server's threads inherit the mask) and wait for
  // them here.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (!node::IsLoopbackHost(f.host)) {
    std::fprintf(stderr,
                 "warning: listening on %s: the node is reachable from the network%s\n",
                 f.host.c_str(), f.api_keys.empty() ? " and no --api-key is set" : "");
  }
  // A fleet node forwards what it cannot serve to its control plane (local-first, issue 5). The
  // connector and the forwarder outlive the server (declared before it).
  std::unique_ptr<net::egress::Connector> connector;
  std::unique_ptr<node::forward::Forwarder> forwarder;
  if (credential) {
    connector = std::make_unique<net::egress::Connector>(
        ControlPlaneConnector(credential->server_url, data_dir));
    node::forward::ForwarderOptions forward_options;
    forward_options.server_url = credential->server_url;
    forward_options.http = agent::ControlPlaneHttpOptions(credential->ca_sha256);
    forward_options.signer = [c = *credential](std::string_view method, std::string_view target,
                                               net::HttpHeaders* headers) {
      return agent::SignRequest(c, method, target, agent::UnixNow(), headers);
    };
    forward_options.retry_after_seconds = options.retry_after_seconds;
    forward_options.log = [](std::string_view level, std::string_view message) {
      std::fprintf(stderr, "forward %.*s: %.*s\n", static_cast<int>(level.size()), level.data(),
                   static_cast<int>(message.size()), message.data());
    };
    forwarder = std::make_unique<node::forward::Forwarder>(std::move(forward_options), *connector);
    options.forward = [fw = forwarder.get()](const net::HttpRequest& request,
                                             std::shared_ptr<net::ResponseWriter> writer) {
      return fw->Forward(request, std::move(writer));
    };
  }
  // Inference over the fleet link: jobs run through the server's own handlers (Dispatch) and are
  // never forwarded back to the control plane; each finished request goes to the agent (a job's
  // usage, or a request_log record of the node's own). These outlive the server.
  std::atomic<node::NodeServer*> dispatch_to{nullptr};
  std::atomic<agent::FleetAgent*> request_log_to{nullptr};
  std::unique_ptr<agent::JobRunner> jobs;
  if (credential) {
    jobs = std::make_unique<agent::JobRunner>(
        [&dispatch_to](net::HttpRequest request, std::shared_ptr<net::ResponseWriter> writer) {
          if (node::NodeServer* target = dispatch_to.load()) {
            target->Dispatch(std::move(request), std::move(writer));
          } else {
            writer->Send(net::HttpResponse::Json(
                503, R"({"error":{"message":"the node is starting","type":"server_error"}})"));
          }
        });
    options.on_request_done = [&request_log_to](const node::RequestLogEntry& entry) {
      if (agent::FleetAgent* fleet_agent = request_log_to.load()) fleet_agent->RequestDone(entry);
    };
    if (options.forward) {
      options.forward = [forward = std::move(options.forward)](
                            const net::HttpRequest& request,
                            std::shared_ptr<net::ResponseWriter> writer) {
        if (request.headers.Has(agent::kJobHeader)) return false;  // came from the control plane
        return forward(request, std::move(writer));
      };
    }
  }
  auto server = OrFail(node::NodeServer::Create(std::move(options)));
  dispatch_to = server.get();
  OrFail(server->Start());
  std::printf("locai node listening on %s\n", server->url().c_str());
  std::fflush(stdout);

  // The fleet: the parts below live until the agent has stopped.
  std::unique_ptr<agent::BlobPuller> puller;
  std::unique_ptr<agent::NodeModelHost> host;
  std::unique_ptr<agent::FleetAgent> fleet;
  std::atomic<bool> revoked{false};
  if (credential) {
    agent::BlobPullerOptions puller_options;
    puller_options.blobs_dir = data_dir + "/node/blobs";
    puller_options.server_url = credential->server_url;
    puller_options.http = agent::ControlPlaneHttpOptions(credential->ca_sha256);
    puller_options.signer = [c = *credential](std::string_view method, std::string_view target,
                                              net::HttpHeaders* headers) {
      return agent::SignRequest(c, method, target, agent::UnixNow(), headers);
    };
    puller = std::make_unique<agent::BlobPuller>(std::move(puller_options), *connector);
    node::ModelManager& models = server->models();
    host = std::make_unique<agent::NodeModelHost>(*puller, models);
    agent::FleetAgentOptions fleet_options;
    fleet_options.node_id = credential->node_id;
    fleet_options.server_name = credential->server_url;
    fleet_options.connect = agent::WebSocketLinkFactory(*credential, *connector);
    fleet_options.host = host.get();
    const agent::CapabilityOptions capability_options = CapabilityOptionsOf(f, data_dir);
    fleet_options.capabilities = [&models, capability_options] {
      agent::CapabilityOptions options = capability_options;
      options.committed_bytes = agent::SampleLoad(models).committed_bytes;
      return agent::CapabilitiesToJson(agent::ProbeCapabilities(options));
    };
    fleet_options.load = [&models] {
      const agent::NodeLoad load = agent::SampleLoad(models);
      return agent::AgentLoad{load.queue_depth, load.generated_tokens};
    };
    fleet_options.log = [](std::string_view level, std::string_view message) {
      std::fprintf(stderr, "fleet %.*s: %.*s\n", static_cast<int>(level.size()), level.data(),
                   static_cast<int>(message.size()), message.data());
    };
    fleet_options.on_revoked = [&revoked](std::string_view) {
      revoked = true;
      ::kill(::getpid(), SIGTERM);  // wakes the sigwait below
    };
    fleet_options.jobs = jobs.get();
    fleet = std::make_unique<agent::FleetAgent>(std::move(fleet_options));
    request_log_to = fleet.get();
    OrFail(fleet->Start());
    std::printf("node %s joining %s\n", credential->node_id.c_str(),
                credential->server_url.c_str());
    std::fflush(stdout);
  }

  if (on_listening) on_listening(server->url());

  int received = 0;
  sigwait(&signals, &received);
  request_log_to = nullptr;
  if (fleet) fleet->Stop();
  server->Stop();
  if (revoked) {
    Fail(Status::Unauthenticated("this node was revoked by the control plane; delete " +
                                 agent::CredentialPath(data_dir) +
                                 " and join again with a new token to serve its models"),
         kExitRevoked);
  }
}

void RegisterNodeCommand(CLI::App& app) {
  auto flags = std::make_shared<NodeFlags>();
  auto* cmd = app.add_subcommand("node", "Serve the models of a directory with an OpenAI- and "
                                         "Anthropic-compatible API");
  cmd->add_option("--models", flags->models_dir, "Model directory (*.gguf, optional aliases.txt)");
  cmd->add_option("--host", flags->host, "Address to bind (non-loopback serves the LAN)")
      ->capture_default_str();
  cmd->add_option("--port", flags->port, "Port (0 picks a free one)")->capture_default_str();
  cmd->add_option("--parallel", flags->parallel, "Sequences generated at once per model")
      ->capture_default_str();
  cmd->add_option("--ctx", flags->ctx, "Context length per sequence")->capture_default_str();
  cmd->add_option("--queue", flags->queue, "Requests waiting per model before 429")
      ->capture_default_str();
  cmd->add_option("--threads", flags->threads, "Kernel threads per model (0: all)")
      ->capture_default_str();
  cmd->add_option("--keep-alive", flags->keep_alive,
                  "Seconds an idle model stays loaded (negative: forever)")
      ->capture_default_str();
  cmd->add_option("--preload", flags->preload, "Load this model at start (repeatable)");
  cmd->add_option("--api-key", flags->api_keys, "Accepted API key (repeatable; none: open)");
  cmd->add_flag("--log-prompts", flags->log_prompts, "Include prompt and output text in the logs");
  cmd->add_option("--memory-limit", flags->memory_limit,
                  "Bytes available for models (default: MemAvailable)");
  cmd->add_option("--max-body-bytes", flags->max_body_bytes, "Largest request body")
      ->capture_default_str();
  cmd->add_option("--header-timeout-ms", flags->header_timeout_ms)->capture_default_str();
  cmd->add_option("--body-timeout-ms", flags->body_timeout_ms)->capture_default_str();
  cmd->add_option("--idle-timeout-ms", flags->idle_timeout_ms)->capture_default_str();
  cmd->add_option("--data", flags->data_dir,
                  "Data directory for the credential and pulled models (default: LOCAI_HOME, "
                  "else ~/.locai)");
  cmd->add_option("--join", flags->join_url,
                  "Control plane URL to enrol with (once; later starts use the stored credential)");
  cmd->add_option("--token", flags->token, "Join token for --join");
  cmd->add_option("--name", flags->name, "Node name reported at enrolment (default: host name)");
  cmd->add_option("--report-memory", flags->report_memory,
                  "Report this many bytes of memory to the control plane (testing)");

  auto list_dir = std::make_shared<std::string>();
  auto* models = cmd->add_subcommand("models", "List the models of a directory: NAME\\tFILE\\tSIZE");
  models->add_option("--models", *list_dir, "Model directory")->required();
  models->callback([list_dir] { ListModels(*list_dir); });
  cmd->require_subcommand(0, 1);
  cmd->callback([models, flags] {
    if (models->parsed()) return;
    ServeNode(*flags);
  });
}

}  // namespace locai::cli
