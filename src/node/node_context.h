// NodeContext: what the request handlers share (the model manager, metrics, logger, worker pool,
// options and a source of random ids), owned by the NodeServer.
// Thread-safety: members are thread-safe; NextRandom() locks.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "node/metrics.h"
#include "node/model_manager.h"
#include "node/node_options.h"
#include "node/request_log.h"
#include "node/worker_pool.h"

namespace locai::node {

class RandomSource {
 public:
  RandomSource() : engine_(std::random_device{}()) {}
  uint64_t Next() {
    std::lock_guard<std::mutex> lock(mu_);
    return engine_();
  }

 private:
  std::mutex mu_;
  std::mt19937_64 engine_;  // guarded by mu_
};

struct NodeContext {
  NodeOptions options;
  Metrics metrics;
  Logger logger;
  RandomSource random;
  std::unique_ptr<ModelManager> models;
  std::unique_ptr<WorkerPool> workers;  // destroyed before `models`: see NodeServer::Stop

  explicit NodeContext(NodeOptions opts) : options(std::move(opts)), logger(options.log) {}
};

}  // namespace locai::node
