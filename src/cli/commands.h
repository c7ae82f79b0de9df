// The `locai` subcommands. Each Register* adds one subcommand (and its own subcommands) to the
// app; the callbacks call the libraries and report failures by throwing CLI::RuntimeError with an
// exit code after printing the error, which main() turns into the process's exit status.
#pragma once

#include <CLI/CLI.hpp>

#include "common/status.h"

namespace locai::cli {

void RegisterModelCommand(CLI::App& app);  // locai model inspect|tokenize|eval|synth|quantize
void RegisterRunCommand(CLI::App& app);    // locai run MODEL [-p PROMPT]
void RegisterBenchCommand(CLI::App& app);  // locai bench MODEL
void RegisterNodeCommand(CLI::App& app);   // locai node [--models DIR ...] | node models
void RegisterServerCommand(CLI::App& app);  // locai server [--data DIR ...] (the control plane)
void RegisterNodesCommand(CLI::App& app);   // locai nodes ls|show|label|revoke|token ...
void RegisterModelsCommand(CLI::App& app);  // locai models push|ls|show|rm|tag (the registry)
void RegisterDeployCommand(CLI::App& app);  // locai deploy [rollback] | deployments ls|rm
void RegisterKeysCommand(CLI::App& app);    // locai keys create|ls|revoke
void RegisterUsageCommand(CLI::App& app);   // locai usage [--org ORG] [--month YYYY-MM]
void RegisterAuditCommand(CLI::App& app);   // locai audit verify|export
void RegisterPlanCommand(CLI::App& app);    // locai plan show|set
void RegisterUpCommand(CLI::App& app);      // locai up [--demo]: server + local node
void RegisterPolicyCommand(CLI::App& app);     // locai policy show|set|clear [--key ID]
void RegisterProvidersCommand(CLI::App& app);  // locai providers add|ls|show|rm
void RegisterEgressCommand(CLI::App& app);     // locai egress report [--data DIR] [--json]

// Prints "error: <message>" to stderr and throws CLI::RuntimeError(exit_code).
[[noreturn]] void Fail(const Status& status, int exit_code = 1);

// `text` percent-encoded for a URL query value (usage_command.cc).
std::string QueryEscape(std::string_view text);

// Unwraps a Result or fails with its error.
template <typename T>
T OrFail(Result<T> result) {
  if (!result) Fail(result.error());
  return std::move(*result);
}
inline void OrFail(const Status& status) {
  if (!status.ok()) Fail(status);
}

}  // namespace locai::cli
