// Resumable uploads: POST starts one, GET says where to resume, PATCH appends a chunk at the
// offset the client names, PUT ?digest= finishes it (docs/control-plane.md, "HTTP API").
#include <charconv>
#include <string>
#include <utility>

#include "control/auth/http_reply.h"
#include "control/compliance/plan_limit_reply.h"
#include "control/registry/manifest.h"
#include "control/registry/registry_impl.h"

namespace locai::control::registry {
namespace {

nlohmann::json UploadJson(const store::Upload& upload, uint64_t offset) {
  return {{"upload_id", upload.id}, {"offset", offset}, {"size", upload.size_declared}};
}

std::optional<uint64_t> ParseOffset(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// 409 with the offset the server has, in the body and in `Upload-Offset`.
net::HttpResponse OffsetConflict(const store::Upload& upload, uint64_t current, uint64_t sent) {
  nlohmann::json body = UploadJson(upload, current);
  body["error"] = {{"message", "Upload-Offset " + std::to_string(sent) +
                                   " does not match the upload's offset " +
                                   std::to_string(current) + "; resume from there"},
                   {"type", "invalid_request_error"},
                   {"param", nullptr},
                   {"code", "upload_offset_mismatch"}};
  net::HttpResponse response = JsonResponse(409, body);
  response.headers.Set("Upload-Offset", std::to_string(current));
  return response;
}

}  // namespace

Result<store::Upload> RegistryImpl::FindUpload(const auth::Principal& who, const std::string& id) {
  auto upload = store_.GetUpload(id);
  if (!upload || upload->org_id != who.org_id) {
    if (upload || upload.error().code() == StatusCode::kNotFound) {
      return Err(Status::NotFound("no upload '" + id + "'"));
    }
    return Err(upload.error());
  }
  return *upload;
}

void RegistryImpl::StartUpload(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Authorize(request, auth::Role::kDeployer);
  if (!who) return SendError(*writer, who.error());
  auto body = ParseJsonObject(request.body);
  if (!body) return SendError(*writer, body.error());
  auto size_field = body->find("size");
  if (size_field == body->end() || !size_field->is_number_integer() ||
      (!size_field->is_number_unsigned() && size_field->get<int64_t>() < 0)) {
    return SendError(*writer, Status::InvalidArgument("'size' must be a non-negative integer"));
  }
  const uint64_t size = size_field->get<uint64_t>();
  if (size == 0 || size > options_.max_upload_bytes) {
    return SendError(*writer, Status::InvalidArgument(
                                  "'size' must be between 1 and " +
                                  std::to_string(options_.max_upload_bytes) + " bytes"));
  }
  if (const std::optional<uint64_t> plan_limit = hooks_.RegistryLimit(who->org_id)) {
    // Refused before any byte is sent when the declared size cannot fit the plan.
    auto used = store_.OrgBlobBytes(who->org_id);
    if (!used) return SendError(*writer, used.error());
    if (*used + size > *plan_limit) {
      return compliance::SendComplianceError(
          *writer, hooks_.RegistryLimitError(
                       who->org_id, Status::ResourceExhausted("storage limit reached"), size));
    }
  }
  if (options_.max_org_bytes) {
    auto used = store_.OrgBlobBytes(who->org_id);
    if (!used) return SendError(*writer, used.error());
    if (*used + size > *options_.max_org_bytes) {
      return SendError(*writer, Status::ResourceExhausted(
                                    "storage limit reached: " + std::to_string(*used) + " of " +
                                    std::to_string(*options_.max_org_bytes) + " bytes used"));
    }
  }
  auto id = blobs_.BeginUpload();
  if (!id) return SendError(*writer, id.error());
  store::Upload upload;
  upload.id = *id;
  upload.org_id = who->org_id;
  upload.size_declared = size;
  upload.created_at = NowMs();
  if (Status created = store_.CreateUpload(upload); !created.ok()) {
    (void)blobs_.AbortUpload(upload.id);
    return SendError(*writer, created);
  }
  Audit(*who, "registry.upload.start", upload.id);
  net::HttpResponse response = JsonResponse(201, UploadJson(upload, 0));
  response.headers.Set("Upload-Offset", "0");
  response.headers.Set("Location", "/v1/registry/uploads/" + upload.id);
  writer->Send(std::move(response));
}

void RegistryImpl::GetUpload(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Authorize(request, auth::Role::kDeployer);
  if (!who) return SendError(*writer, who.error());
  auto upload = FindUpload(*who, request.PathParam("id"));
  if (!upload) return SendError(*writer, upload.error());
  auto offset = blobs_.UploadOffset(upload->id);
  if (!offset) return SendError(*writer, offset.error());
  net::HttpResponse response = JsonResponse(200, UploadJson(*upload, *offset));
  response.headers.Set("Upload-Offset", std::to_string(*offset));
  writer->Send(std::move(response));
}

void RegistryImpl::AppendUpload(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Authorize(request, auth::Role::kDeployer);
  if (!who) return SendError(*writer, who.error());
  auto upload = FindUpload(*who, request.PathParam("id"));
  if (!upload) return SendError(*writer, upload.error());
  if (request.body.size() > options_.max_chunk_bytes) {
    return (void)writer->Send(TooLargeResponse(
        "a chunk may hold at most " + std::to_string(options_.max_chunk_bytes) + " bytes"));
  }
  auto header = request.headers.Get("Upload-Offset");
  std::optional<uint64_t> sent = header ? ParseOffset(*header) : std::nullopt;
  if (!sent) {
    return SendError(*writer, Status::InvalidArgument(
                                  "the Upload-Offset header (a byte count) is required"));
  }
  auto current = blobs_.UploadOffset(upload->id);
  if (!current) return SendError(*writer, current.error());
  if (*sent != *current) return (void)writer->Send(OffsetConflict(*upload, *current, *sent));
  if (*current + request.body.size() > upload->size_declared) {
    return SendError(*writer, Status::InvalidArgument(
                                  "the chunk goes past the upload's declared size of " +
                                  std::to_string(upload->size_declared) + " bytes"));
  }
  auto appended = blobs_.AppendUpload(upload->id, *sent, request.body);
  if (!appended) {
    // Another PATCH got there first: report where the upload now is.
    auto now_at = blobs_.UploadOffset(upload->id);
    if (now_at && *now_at != *sent) return (void)writer->Send(OffsetConflict(*upload, *now_at, *sent));
    return SendError(*writer, appended.error());
  }
  net::HttpResponse response = JsonResponse(200, UploadJson(*upload, *appended));
  response.headers.Set("Upload-Offset", std::to_string(*appended));
  writer->Send(std::move(response));
}

void RegistryImpl::FinishUpload(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Authorize(request, auth::Role::kDeployer);
  if (!who) return SendError(*writer, who.error());
  auto upload = FindUpload(*who, request.PathParam("id"));
  if (!upload) return SendError(*writer, upload.error());
  auto digest_param = request.QueryParam("digest");
  if (!digest_param) {
    return SendError(*writer, Status::InvalidArgument("the 'digest' query parameter is required"));
  }
  if (!store::blob::ParseDigest(*digest_param)) {
    return SendError(*writer, Status::InvalidArgument(
                                  "'digest' must be sha256: followed by 64 lowercase hex digits"));
  }
  auto offset = blobs_.UploadOffset(upload->id);
  if (!offset) return SendError(*writer, offset.error());
  if (*offset != upload->size_declared) {
    return SendError(*writer, Status::FailedPrecondition(
                                  "the upload is incomplete: " + std::to_string(*offset) + " of " +
                                  std::to_string(upload->size_declared) + " bytes received"));
  }
  Status started = tasks_.Run([this, who = *who, upload = *upload, digest = *digest_param,
                               writer](const std::atomic<bool>&) {
    auto blob = CompleteUpload(who, upload, digest);
    if (!blob) return compliance::SendComplianceError(*writer, blob.error());
    writer->Send(JsonResponse(201, {{"digest", blob->digest}, {"size", blob->size}}));
  });
  if (!started.ok()) SendError(*writer, started);
}

Result<store::BlobRecord> RegistryImpl::CompleteUpload(const auth::Principal& who,
                                                       const store::Upload& upload,
                                                       const std::string& digest_text) {
  // Whatever happens from here, the upload is used up: a mismatch or a bad file keeps nothing.
  auto discard = [&](Status status) {
    (void)blobs_.AbortUpload(upload.id);
    (void)store_.DeleteUpload(upload.id);
    return Err(std::move(status));
  };
  // Validate the bytes as a model before they are published under their digest.
  // The partial file is at uploads/<id> under the blob store's root (store/blob/blob_store.h).
  auto facts = InspectModel(blobs_.root() + "/uploads/" + upload.id);
  if (!facts) return discard(facts.error());
  const bool existed = blobs_.Has(digest_text);
  auto finished = blobs_.FinishUpload(upload.id, digest_text);
  if (!finished) {
    if (finished.error().code() == StatusCode::kInvalidArgument) {
      return discard(Status::InvalidArgument("the uploaded bytes do not match " + digest_text +
                                             "; the upload is discarded"));
    }
    if (finished.error().code() == StatusCode::kFailedPrecondition) {
      return Err(finished.error());  // busy: another request is working on this upload
    }
    return discard(finished.error());
  }
  store::BlobRecord record;
  record.digest = digest_text;
  record.size = finished->size;
  record.created_at = NowMs();
  // The tighter of the server's quota and the organisation's plan.
  std::optional<uint64_t> limit = options_.max_org_bytes;
  const std::optional<uint64_t> plan_limit = hooks_.RegistryLimit(who.org_id);
  const bool plan_is_tighter = plan_limit && (!limit || *plan_limit < *limit);
  if (plan_is_tighter) limit = plan_limit;
  Status recorded = store_.PutBlobRecord(record, who.org_id, limit);
  (void)store_.DeleteUpload(upload.id);
  if (!recorded.ok()) {
    // Keep bytes another organisation (or an earlier push) already relies on.
    if (!existed && !store_.GetBlobRecord(digest_text)) (void)blobs_.Remove(digest_text);
    if (plan_is_tighter) return Err(hooks_.RegistryLimitError(who.org_id, recorded, record.size));
    return Err(recorded);
  }
  hooks_.StorageChanged(who.org_id);
  Audit(who, "registry.upload.finish", digest_text);
  return record;
}

}  // namespace locai::control::registry
