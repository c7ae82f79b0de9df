// locai up [--demo]: the embedded default in one process: a control plane (SQLite store, local
// blob store, self-generated CA) and a local node enrolled with it. With --demo it also
// synthesises a small model, pushes it to the registry and deploys it to every node, and prints
// the first requests to try.
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cli/admin_client.h"
#include "cli/commands.h"
#include "cli/model_push.h"
#include "cli/node_command.h"
#include "cli/server_command.h"
#include "control/server/control_server.h"
#include "engine/tools/model_synth.h"

namespace locai::cli {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kDemoRef = "demo:latest";
constexpr const char* kDemoDeployment = "demo";

struct UpFlags {
  std::string data_dir;
  std::string host = "127.0.0.1";
  int port = 8443;
  int node_port = 11435;
  bool insecure_http = false;
  bool airgapped = false;
  bool demo = false;
  NodeFlags node;  // the local node's model settings
};

AdminFlags AdminFlagsFor(const control::server::ControlServer& server, const std::string& data) {
  AdminFlags flags;
  flags.server = server.url();
  flags.data_dir = data;
  flags.ca_sha256 = server.ca_fingerprint();
  return flags;
}

// Synthesises the demo model (once), pushes and deploys it, waits until a node serves it.
Status RunDemo(const control::server::ControlServer& server, const std::string& data_dir,
               const std::string& node_url, const std::atomic<bool>& stopping) {
  const std::string model_path = data_dir + "/demo/demo.gguf";
  if (!fs::exists(model_path)) {
    std::error_code ec;
    fs::create_directories(data_dir + "/demo", ec);
    std::printf("demo: synthesising a small model with seeded random weights (%s)\n",
                model_path.c_str());
    std::fflush(stdout);
    engine::SynthOptions synth;
    synth.shape = *engine::FindSynthShape("tiny");
    synth.mix = "q8_0";
    synth.output_path = model_path;
    LOCAI_RETURN_IF_ERROR(engine::SynthesizeModel(synth));
  }
  LOCAI_ASSIGN_OR_RETURN(auto client, AdminClient::Create(AdminFlagsFor(server, data_dir)));
  LOCAI_ASSIGN_OR_RETURN(json manifest, PushModel(*client, model_path, kDemoRef, data_dir));
  std::printf("demo: pushed %s (%s)\n", kDemoRef, manifest.value("digest", "").c_str());
  LOCAI_ASSIGN_OR_RETURN(
      json deployment,
      client->Call("POST", "/v1/admin/deployments",
                   json{{"name", kDemoDeployment}, {"model", kDemoRef}, {"target", {{"all", true}}}}));
  std::printf("demo: deployed to every node; waiting for the local node to load it\n");
  std::fflush(stdout);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  std::string last_state;
  while (!stopping && std::chrono::steady_clock::now() < deadline) {
    LOCAI_ASSIGN_OR_RETURN(
        deployment,
        client->Call("GET", std::string("/v1/admin/deployments/") + kDemoDeployment));
    for (const auto& node : deployment.value("nodes", json::array())) {
      const std::string state = node.value("state", "");
      if (state == "ready") {
        std::printf(
            "\nLocai is up. Try:\n"
            "  curl %s/v1/models\n"
            "  curl %s/v1/chat/completions -H 'Content-Type: application/json' \\\n"
            "    -d '{\"model\": \"%s\", \"messages\": [{\"role\": \"user\", \"content\": "
            "\"Hello\"}], \"max_tokens\": 16}'\n"
            "The demo model has random weights: it exercises the whole stack but writes no "
            "sense.\nAdmin: locai nodes ls --data %s; locai deployments ls --data %s\n",
            node_url.c_str(), node_url.c_str(), kDemoRef, data_dir.c_str(), data_dir.c_str());
        std::fflush(stdout);
        return Status::Ok();
      }
      if (state == "failed" || state == "does_not_fit") {
        return Status::FailedPrecondition("the demo model is " + state + " on node " +
                                          node.value("node_id", "") + ": " +
                                          node.value("reason", ""));
      }
      last_state = state;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  if (stopping) return Status::Ok();
  return Status::DeadlineExceeded("the demo model is not ready after 3 minutes (last state: " +
                                  (last_state.empty() ? std::string("none") : last_state) + ")");
}

void Up(UpFlags f) {
  if (f.port < 0 || f.port > 65535 || f.node_port < 0 || f.node_port > 65535) {
    Fail(Status::InvalidArgument("--port and --node-port must be 0..65535"), 2);
  }
  const std::string data_dir = ResolveDataDir(f.data_dir);
  // Block the stop signals before any thread starts, so every thread inherits the mask and
  // ServeNode's sigwait receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  control::server::ControlServerOptions options;
  options.data_dir = data_dir;
  options.host = f.host;
  options.port = static_cast<uint16_t>(f.port);
  options.insecure_http = f.insecure_http;
  options.airgapped = f.airgapped;
  auto server = OrFail(control::server::ControlServer::Start(std::move(options)));
  PrintControlServerBanner(*server);

  NodeFlags node = f.node;
  node.data_dir = data_dir;
  node.port = f.node_port;
  if (node.name.empty()) node.name = "local";
  node.control_plane_url = server->url();
  struct stat st{};
  if (::stat((data_dir + "/node/credential.json").c_str(), &st) != 0) {
    // First start: enrol the local node with a one-use token.
    auto client = OrFail(AdminClient::Create(AdminFlagsFor(*server, data_dir)));
    json token = OrFail(client->Call(
        "POST", "/v1/admin/join-tokens",
        json{{"group", "local"}, {"ttl_seconds", 600}, {"uses", 1}}));
    node.join_url = server->url();
    node.token = token.value("token", "");
  }

  std::atomic<bool> stopping{false};
  std::thread demo;
  ServeNode(node, [&](const std::string& node_url) {
    if (!f.demo) {
      std::printf("Locai is up: API on %s, control plane on %s\n", node_url.c_str(),
                  server->url().c_str());
      std::fflush(stdout);
      return;
    }
    demo = std::thread([&, node_url] {
      Status status = RunDemo(*server, data_dir, node_url, stopping);
      if (!status.ok()) std::fprintf(stderr, "demo: %s\n", status.ToString().c_str());
    });
  });
  stopping = true;
  if (demo.joinable()) demo.join();
  server->Stop();
}

}  // namespace

void RegisterUpCommand(CLI::App& app) {
  auto f = std::make_shared<UpFlags>();
  auto* cmd = app.add_subcommand(
      "up", "Run the embedded default: a control plane and a local node in one process");
  cmd->add_option("--data", f->data_dir, "Data directory (default: LOCAI_HOME, else ~/.locai)");
  cmd->add_option("--host", f->host, "Address the control plane binds")->capture_default_str();
  cmd->add_option("--port", f->port, "Control plane port (HTTPS)")->capture_default_str();
  cmd->add_option("--node-port", f->node_port, "Local node's API port")->capture_default_str();
  cmd->add_flag("--insecure-http", f->insecure_http,
                "Serve the control plane over plain HTTP (local development only)");
  cmd->add_flag("--airgapped", f->airgapped,
                "Air-gapped: refuse cloud providers and hybrid policies; the node connects to "
                "this control plane only and the server to nothing");
  cmd->add_flag("--demo", f->demo,
                "Also synthesise a small model, push it and deploy it to the local node");
  cmd->add_option("--parallel", f->node.parallel, "Sequences generated at once per model")
      ->capture_default_str();
  cmd->add_option("--ctx", f->node.ctx, "Context length per sequence")->capture_default_str();
  cmd->add_option("--threads", f->node.threads, "Kernel threads per model (0: all)")
      ->capture_default_str();
  cmd->callback([f] { Up(*f); });
}

}  // namespace locai::cli
