#include "control/registry/registry.h"

#include <string>
#include <utility>

#include "api/common/api_error.h"
#include "control/auth/http_reply.h"
#include "control/registry/registry_impl.h"

namespace locai::control::registry {

net::HttpResponse TooLargeResponse(std::string message) {
  const api::ApiError error = api::OpenAiRequestTooLarge(std::move(message));
  return net::HttpResponse::Json(error.http_status, api::SerializeOpenAiError(error));
}

Status RegistryImpl::RegisterRoutes(net::Router& router) {
  using Method = void (RegistryImpl::*)(const net::HttpRequest&, const WriterPtr&);
  auto add = [&](const char* method, const char* pattern, Method handler) {
    return router.Add(method, pattern,
                      [this, handler](net::HttpRequest request, WriterPtr writer) {
                        (this->*handler)(request, writer);
                      });
  };
  LOCAI_RETURN_IF_ERROR(add("POST", "/v1/registry/uploads", &RegistryImpl::StartUpload));
  LOCAI_RETURN_IF_ERROR(add("GET", "/v1/registry/uploads/{id}", &RegistryImpl::GetUpload));
  LOCAI_RETURN_IF_ERROR(add("PATCH", "/v1/registry/uploads/{id}", &RegistryImpl::AppendUpload));
  LOCAI_RETURN_IF_ERROR(add("PUT", "/v1/registry/uploads/{id}", &RegistryImpl::FinishUpload));
  LOCAI_RETURN_IF_ERROR(add("POST", "/v1/registry/models", &RegistryImpl::PutModel));
  LOCAI_RETURN_IF_ERROR(add("GET", "/v1/registry/models", &RegistryImpl::ListModels));
  LOCAI_RETURN_IF_ERROR(add("GET", "/v1/registry/models/{ref...}", &RegistryImpl::ShowModel));
  LOCAI_RETURN_IF_ERROR(add("DELETE", "/v1/registry/models/{ref...}", &RegistryImpl::DeleteModel));
  LOCAI_RETURN_IF_ERROR(add("GET", "/v1/registry/blobs/{digest}", &RegistryImpl::DownloadBlob));
  return Status::Ok();
}

Result<auth::Principal> RegistryImpl::Authorize(const net::HttpRequest& request, auth::Role role) {
  LOCAI_ASSIGN_OR_RETURN(auth::Principal principal, auth_.AuthenticateKey(request));
  LOCAI_RETURN_IF_ERROR(auth::Require(principal, role));
  return principal;
}

int64_t RegistryImpl::NowMs() const { return NowMsOr(options_.now_ms); }

void RegistryImpl::Audit(const auth::Principal& who, std::string action, std::string target) {
  hooks_.Audit(KeyAuditEvent(NowMs(), who.org_id, who.key_id, std::move(action), std::move(target)));
}

void RegistryImpl::AfterTagsChanged(const std::string& org_id, const std::string& released) {
  hooks_.ModelTagsChanged(org_id);
  // A tag that moved or went away may have left a blob nothing references. A failed collection
  // is retried by the next one; it never fails the request that triggered it.
  (void)CollectGarbage(released);
  hooks_.StorageChanged(org_id);
}

Result<size_t> RegistryImpl::CollectGarbage(const std::string& released) {
  // The grace spares a blob pushed but not tagged yet; a blob a tag just released had its tag, so
  // it goes at once.
  LOCAI_ASSIGN_OR_RETURN(std::vector<store::BlobRecord> unreferenced, store_.UnreferencedBlobs());
  const int64_t cutoff = NowMs() - options_.gc_grace_ms;
  size_t removed = 0;
  for (const store::BlobRecord& blob : unreferenced) {
    if (blob.created_at >= cutoff && blob.digest != released) continue;
    // The record goes first, so that no reader finds a record whose bytes are gone.
    Status deleted = store_.DeleteBlobRecord(blob.digest);
    if (!deleted.ok()) continue;  // a tag took it meanwhile
    (void)blobs_.Remove(blob.digest);
    ++removed;
  }
  return removed;
}

Registry::Registry(store::Store& store, store::blob::BlobStore& blobs,
                   auth::Authenticator& authenticator, ControlHooks hooks, RegistryOptions options)
    : impl_(std::make_unique<RegistryImpl>(store, blobs, authenticator, std::move(hooks),
                                           std::move(options))) {}

Registry::~Registry() = default;

Status Registry::RegisterRoutes(net::Router& router) { return impl_->RegisterRoutes(router); }

Result<size_t> Registry::CollectGarbage() { return impl_->CollectGarbage(); }

}  // namespace locai::control::registry
