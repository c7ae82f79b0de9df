// locai: one binary, with a subcommand for each job (see `locai --help`).
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/commands.h"

namespace locai::cli {

void Fail(const Status& status, int exit_code) {
  std::fprintf(stderr, "error: %s\n", status.message().empty() ? status.ToString().c_str()
                                                                 : status.message().c_str());
  throw CLI::RuntimeError(exit_code);
}

}  // namespace locai::cli

int main(int argc, char** argv) {
  CLI::App app{"Locai: private AI inference on your own devices.\n"
               "Runs GGUF models on the CPU with an OpenAI- and Anthropic-compatible API."};
  app.set_version_flag("--version", "locai 0.1.0");
  app.require_subcommand(1);
  locai::cli::RegisterRunCommand(app);
  locai::cli::RegisterModelCommand(app);
  locai::cli::RegisterBenchCommand(app);
  locai::cli::RegisterNodeCommand(app);
  locai::cli::RegisterUpCommand(app);
  locai::cli::RegisterServerCommand(app);
  locai::cli::RegisterNodesCommand(app);
  locai::cli::RegisterModelsCommand(app);
  locai::cli::RegisterDeployCommand(app);
  locai::cli::RegisterKeysCommand(app);
  locai::cli::RegisterUsageCommand(app);
  locai::cli::RegisterAuditCommand(app);
  locai::cli::RegisterPlanCommand(app);
  locai::cli::RegisterPolicyCommand(app);
  locai::cli::RegisterProvidersCommand(app);
  locai::cli::RegisterEgressCommand(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
