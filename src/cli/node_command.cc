// locai node [--models DIR ...]: the OpenAI- and Anthropic-compatible server of this device.
// locai node models --models DIR: list the models of a directory (NAME<TAB>FILE<TAB>SIZE).
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "node/model_directory.h"
#include "node/node_server.h"

namespace locai::cli {
namespace {

struct NodeFlags {
  std::string models_dir;
  std::string host = "127.0.0.1";
  int port = 11435;
  int parallel = 4;
  int64_t ctx = 4096;
  int queue = 64;
  int threads = 0;
  int64_t keep_alive = 300;
  std::vector<std::string> preload;
  std::vector<std::string> api_keys;
  bool log_prompts = false;
  uint64_t memory_limit = 0;
  uint64_t max_body_bytes = 10 << 20;
  int64_t header_timeout_ms = 10'000;
  int64_t body_timeout_ms = 30'000;
  int64_t idle_timeout_ms = 60'000;
};

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

void Serve(const NodeFlags& f) {
  if (f.models_dir.empty()) Fail(Status::InvalidArgument("--models DIR is required"), 2);
  if (f.port < 0 || f.port > 65535) Fail(Status::InvalidArgument("--port must be 0..65535"), 2);
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
  auto server = OrFail(node::NodeServer::Create(std::move(options)));
  OrFail(server->Start());
  std::printf("locai node listening on %s\n", server->url().c_str());
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  server->Stop();
}

}  // namespace

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

  auto list_dir = std::make_shared<std::string>();
  auto* models = cmd->add_subcommand("models", "List the models of a directory: NAME\\tFILE\\tSIZE");
  models->add_option("--models", *list_dir, "Model directory")->required();
  models->callback([list_dir] { ListModels(*list_dir); });
  cmd->require_subcommand(0, 1);
  cmd->callback([models, flags] {
    if (models->parsed()) return;
    Serve(*flags);
  });
}

}  // namespace locai::cli
