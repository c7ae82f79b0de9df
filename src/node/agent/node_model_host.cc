#include "node/agent/node_model_host.h"

#include <sys/stat.h>

#include <chrono>

namespace locai::node::agent {

NodeModelHost::NodeModelHost(BlobPuller& puller, ModelManager& models)
    : puller_(puller), models_(models) {}

Result<std::string> NodeModelHost::Fetch(const DesiredModel& model, const PullProgress& progress,
                                         const std::atomic<bool>* cancel) {
  return puller_.Pull(model.digest, model.size, progress, cancel);
}

Status NodeModelHost::Load(const DesiredModel& model, const std::string& path) {
  ModelFile file;
  file.id = model.digest;
  file.file_name = model.digest.substr(model.digest.find(':') + 1);
  file.path = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) file.size = static_cast<uint64_t>(st.st_size);
  file.modified = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  file.list_id = false;
  file.context_length = model.context_length;
  file.n_parallel = model.parallel;
  if (models_.directory()->FindById(model.digest) != nullptr) {
    LOCAI_RETURN_IF_ERROR(models_.RemoveModel(model.digest));
  }
  LOCAI_RETURN_IF_ERROR(models_.AddModel(std::move(file), model.names));
  auto lease = models_.Acquire(model.digest);
  if (!lease) {
    (void)models_.RemoveModel(model.digest);
    return lease.error();
  }
  return Status::Ok();  // the lease ends here; the model stays loaded for the keep-alive
}

Status NodeModelHost::Remove(const std::string& digest) {
  const Status removed = models_.RemoveModel(digest);
  if (!removed.ok() && removed.code() != StatusCode::kNotFound) return removed;
  return puller_.Remove(digest);
}

std::vector<std::string> NodeModelHost::StoredDigests() { return puller_.List(); }

NodeLoad SampleLoad(const ModelManager& models) {
  NodeLoad load;
  for (const ModelStatus& status : models.Snapshot()) {
    if (status.loading) continue;
    load.queue_depth += status.stats.queued;
    load.generated_tokens += status.stats.generated_tokens;
    load.committed_bytes += status.memory_bytes;
  }
  return load;
}

}  // namespace locai::node::agent
