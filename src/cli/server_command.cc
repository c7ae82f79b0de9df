// locai server [--data DIR] [--host H] [--port P] [--tls-cert F --tls-key F] [--tls-san NAME]
//              [--insecure-http]: the control plane (docs/control-plane.md).
// Prints the URL, the CA fingerprint that join tokens embed and, on first start only, the
// bootstrap admin key; serves until SIGINT or SIGTERM.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "cli/admin_client.h"
#include "cli/commands.h"
#include "cli/server_command.h"
#include "control/server/control_server.h"

namespace locai::cli {
namespace {

struct ServerFlags {
  std::string data_dir;
  std::string host = "127.0.0.1";
  int port = 8443;
  std::string tls_cert;
  std::string tls_key;
  std::vector<std::string> tls_sans;
  bool insecure_http = false;
  bool airgapped = false;
};

// --data, else $LOCAI_HOME, else ~/.locai.
void Serve(const ServerFlags& f) {
  if (f.port < 0 || f.port > 65535) Fail(Status::InvalidArgument("--port must be 0..65535"), 2);
  control::server::ControlServerOptions options;
  options.data_dir = ResolveDataDir(f.data_dir);
  options.host = f.host;
  options.port = static_cast<uint16_t>(f.port);
  options.tls_cert_file = f.tls_cert;
  options.tls_key_file = f.tls_key;
  options.tls_sans = f.tls_sans;
  options.insecure_http = f.insecure_http;
  options.airgapped = f.airgapped;

  // Block the stop signals in every thread (the server's threads inherit the mask) and wait for
  // them here.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (f.insecure_http) {
    std::fprintf(stderr, "warning: --insecure-http serves plain HTTP: keys and models travel in "
                         "clear; use it for local development only\n");
  }
  auto server = OrFail(control::server::ControlServer::Start(std::move(options)));
  PrintControlServerBanner(*server);

  int received = 0;
  sigwait(&signals, &received);
  server->Stop();
}

}  // namespace

void PrintControlServerBanner(const control::server::ControlServer& server) {
  std::printf("locai server listening on %s\n", server.url().c_str());
  if (!server.ca_fingerprint().empty()) {
    std::printf("CA fingerprint (sha256): %s\n", server.ca_fingerprint().c_str());
  }
  if (server.bootstrap_admin_key()) {
    std::printf("admin key (shown once; also in %s): %s\n", server.admin_key_path().c_str(),
                server.bootstrap_admin_key()->c_str());
  }
  std::fflush(stdout);
}

void RegisterServerCommand(CLI::App& app) {
  auto flags = std::make_shared<ServerFlags>();
  auto* cmd = app.add_subcommand("server", "Run the control plane: registry, fleet, deployments");
  cmd->add_option("--data", flags->data_dir, "Data directory (default: $LOCAI_HOME or ~/.locai)");
  cmd->add_option("--host", flags->host, "Address to bind")->capture_default_str();
  cmd->add_option("--port", flags->port, "Port (0 picks a free one)")->capture_default_str();
  cmd->add_option("--tls-cert", flags->tls_cert, "Server certificate (PEM, leaf first)");
  cmd->add_option("--tls-key", flags->tls_key, "Private key of --tls-cert (PEM)");
  cmd->add_option("--tls-san", flags->tls_sans,
                  "Extra name or address for the generated certificate (repeatable)");
  cmd->add_flag("--insecure-http", flags->insecure_http,
                "Serve plain HTTP (local development only)");
  cmd->add_flag("--airgapped", flags->airgapped,
                "Air-gapped: refuse cloud providers and hybrid policies; the server opens no "
                "outbound connection (see `locai egress report`)");
  cmd->callback([flags] { Serve(*flags); });
}

}  // namespace locai::cli
