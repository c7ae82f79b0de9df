// NodeModelHost: the Reconciler's ModelHost on a real node: blobs through the BlobPuller, models
// registered with and loaded by the node's ModelManager under their digest (the model's id, not
// listed) and their registry names ("llama3.2:1b", listed by /v1/models).
// Thread-safety: as its parts (BlobPuller, ModelManager); used by the reconcile thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "node/agent/blob_puller.h"
#include "node/agent/reconciler.h"
#include "node/model_manager.h"

namespace locai::node::agent {

class NodeModelHost : public ModelHost {
 public:
  // Both must outlive this object.
  NodeModelHost(BlobPuller& puller, ModelManager& models);

  // Pull (which re-hashes a stored blob and pulls a corrupted one again).
  Result<std::string> Fetch(const DesiredModel& model, const PullProgress& progress,
                            const std::atomic<bool>* cancel) override;
  // ModelManager::RemoveModel (if registered), AddModel(file, names), then Acquire: the load's
  // error (ResourceExhausted when it does not fit) unregisters the model again.
  Status Load(const DesiredModel& model, const std::string& path) override;
  Status Remove(const std::string& digest) override;
  std::vector<std::string> StoredDigests() override;

 private:
  BlobPuller& puller_;
  ModelManager& models_;
};

// Load figures for heartbeats, from the model manager.
struct NodeLoad {
  int64_t queue_depth = 0;        // requests waiting, all models
  uint64_t generated_tokens = 0;  // since the loaded models were loaded
  uint64_t committed_bytes = 0;   // memory estimates of the loaded models
};
NodeLoad SampleLoad(const ModelManager& models);

}  // namespace locai::node::agent
