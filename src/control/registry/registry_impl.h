// RegistryImpl: the state and handlers behind Registry (registry.h). Internal to the registry:
// upload_routes.cc (uploads), model_routes.cc (manifests, GC), blob_routes.cc (downloads).
// Thread-safety: as Registry.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "control/auth/authenticator.h"
#include "control/registry/registry.h"
#include "control/registry/task_threads.h"
#include "control/server/hooks.h"
#include "net/http/http_message.h"
#include "net/http/response_writer.h"
#include "net/http/router.h"
#include "store/blob/blob_store.h"
#include "store/store.h"

namespace locai::control::registry {

using WriterPtr = std::shared_ptr<net::ResponseWriter>;

class RegistryImpl {
 public:
  RegistryImpl(store::Store& store, store::blob::BlobStore& blobs,
               auth::Authenticator& authenticator, ControlHooks hooks, RegistryOptions options)
      : store_(store),
        blobs_(blobs),
        auth_(authenticator),
        hooks_(std::move(hooks)),
        options_(std::move(options)),
        tasks_(options_.max_tasks) {}

  Status RegisterRoutes(net::Router& router);
  // Deletes unreferenced blobs older than gc_grace_ms, and `released` (a digest a tag just let
  // go of) whatever its age when nothing references it.
  Result<size_t> CollectGarbage(const std::string& released = "");

  // upload_routes.cc
  void StartUpload(const net::HttpRequest& request, const WriterPtr& writer);
  void GetUpload(const net::HttpRequest& request, const WriterPtr& writer);
  void AppendUpload(const net::HttpRequest& request, const WriterPtr& writer);
  void FinishUpload(const net::HttpRequest& request, const WriterPtr& writer);
  // model_routes.cc
  void PutModel(const net::HttpRequest& request, const WriterPtr& writer);
  void ListModels(const net::HttpRequest& request, const WriterPtr& writer);
  void ShowModel(const net::HttpRequest& request, const WriterPtr& writer);
  void DeleteModel(const net::HttpRequest& request, const WriterPtr& writer);
  // blob_routes.cc
  void DownloadBlob(const net::HttpRequest& request, const WriterPtr& writer);

 private:
  // The caller's principal when its key holds `role`; the 401/403 otherwise.
  Result<auth::Principal> Authorize(const net::HttpRequest& request, auth::Role role);
  int64_t NowMs() const;
  void Audit(const auth::Principal& who, std::string action, std::string target);
  // The upload `id` of the caller's organisation; NotFound otherwise.
  Result<store::Upload> FindUpload(const auth::Principal& who, const std::string& id);
  // Hash check, GGUF check, publish, record; runs on a task thread.
  Result<store::BlobRecord> CompleteUpload(const auth::Principal& who, const store::Upload& upload,
                                           const std::string& digest);
  // Streams [first, first + length) of the file at `path` (a task thread).
  void StreamFile(const std::string& path, uint64_t first, uint64_t length,
                  const WriterPtr& writer, const std::atomic<bool>& stopping);
  // Tells the fleet and collects garbage (`released`: the digest a tag moved away from or that a
  // deleted tag pointed at).
  void AfterTagsChanged(const std::string& org_id, const std::string& released);

  store::Store& store_;
  store::blob::BlobStore& blobs_;
  auth::Authenticator& auth_;
  const ControlHooks hooks_;
  const RegistryOptions options_;
  TaskThreads tasks_;  // last: joined first, while the rest is still alive
};

// A 413 in the OpenAI error shape.
net::HttpResponse TooLargeResponse(std::string message);

}  // namespace locai::control::registry
