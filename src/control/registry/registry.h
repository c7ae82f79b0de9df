// Registry: the model registry's HTTP routes (docs/control-plane.md, "HTTP API"): resumable blob
// uploads, manifests (`name:tag` -> digest + what the engine reads from the GGUF), listing,
// deletion with garbage collection, and blob downloads with Range.
//
// A push: POST /v1/registry/uploads {size} -> PATCH chunks (Upload-Offset, <= max_chunk_bytes)
// -> PUT ?digest= (hash check, GGUF check, blob published, org quota) -> POST /v1/registry/models
// {name, digest}. A pull: GET /v1/registry/models/{ref} -> GET /v1/registry/blobs/{digest}.
// Every failure is a 4xx/5xx in the OpenAI error shape; nothing reaches the blob store's published
// area unless its bytes match its digest and it loads as a model.
// Everything is per organisation: another organisation's uploads, tags and blobs are 404.
// Long work (hashing + validating a finished upload, reading the GGUF for a manifest, streaming a
// download) runs on the registry's own threads, never on an io thread.
// The Store, BlobStore and Authenticator are borrowed and must outlive the Registry.
// Thread-safety: handlers run concurrently on io threads; RegisterRoutes() before the server
// starts; destroy after the HttpServer stopped (it joins its threads).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "common/status.h"
#include "control/auth/authenticator.h"
#include "control/server/hooks.h"
#include "net/http/router.h"
#include "store/blob/blob_store.h"
#include "store/store.h"

namespace locai::control::registry {

struct RegistryOptions {
  size_t max_chunk_bytes = 16 << 20;           // a larger PATCH body is 413
  uint64_t max_upload_bytes = 1ull << 40;      // a larger declared size is 400
  std::optional<uint64_t> max_org_bytes;       // per-organisation quota; nullopt: none
  size_t max_tasks = 64;                       // concurrent finishes + downloads; more get 503
  size_t download_chunk_bytes = 1 << 20;       // file read size when streaming a blob
  size_t max_queued_download_bytes = 4 << 20;  // a download waits while more is queued
  // Garbage collection spares blobs younger than this (a push between PUT and POST /models).
  int64_t gc_grace_ms = 10 * 60 * 1000;  // a blob a tag lets go of is collected at once
  // Unix ms; empty: the system clock.
  std::function<int64_t()> now_ms;
};

class RegistryImpl;

class Registry {
 public:
  Registry(store::Store& store, store::blob::BlobStore& blobs, auth::Authenticator& authenticator,
           ControlHooks hooks, RegistryOptions options);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Adds the /v1/registry routes. InvalidArgument if the router refuses one.
  Status RegisterRoutes(net::Router& router);

  // Deletes the blobs nothing references (older than gc_grace_ms) from the store and the blob
  // store. Returns how many were removed. Called after a tag is deleted or moved.
  Result<size_t> CollectGarbage();

 private:
  std::unique_ptr<RegistryImpl> impl_;
};

}  // namespace locai::control::registry
