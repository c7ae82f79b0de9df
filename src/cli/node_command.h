// `locai node`: the flags of a node and the function that runs one, shared with `locai up`
// (which runs a node beside the control plane in one process).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace locai::cli {

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
  // The fleet.
  std::string data_dir;
  std::string join_url;
  std::string token;
  std::string name;
  uint64_t report_memory = 0;
  // `locai up` only: the in-process control plane's URL, used instead of the stored credential's
  // (its port may change between runs; the CA pin stays).
  std::string control_plane_url;
};

// Runs a node until SIGINT or SIGTERM: enrols with --join/--token once (or uses the stored
// credential), serves the API, and runs the fleet agent when enrolled. Blocks SIGINT and SIGTERM
// in the calling thread (threads started earlier must have them blocked too). `on_listening` runs
// on the calling thread once the node serves, with its URL. Fails (CLI::RuntimeError) on bad
// flags, and with exit code 3 when the control plane revokes the node.
void ServeNode(const NodeFlags& flags,
               const std::function<void(const std::string& node_url)>& on_listening = {});

}  // namespace locai::cli
