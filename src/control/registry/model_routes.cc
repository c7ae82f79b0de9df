// Manifests: POST /v1/registry/models creates a tag (or moves it), GET lists and shows, DELETE
// removes a tag and garbage-collects what nothing references any more.
#include <string>
#include <utility>

#include "control/auth/http_reply.h"
#include "control/registry/manifest.h"
#include "control/registry/model_ref.h"
#include "control/registry/registry_impl.h"

namespace locai::control::registry {
namespace {

// The stored manifest, or the tag's own fields when the stored JSON does not parse.
nlohmann::json TagJson(const store::ModelTag& tag) {
  nlohmann::json manifest = nlohmann::json::parse(tag.manifest_json, nullptr, false);
  if (manifest.is_discarded() || !manifest.is_object()) {
    manifest = {{"name", tag.name}, {"tag", tag.tag}, {"digest", tag.digest}};
  }
  manifest["ref"] = tag.name + ":" + tag.tag;
  manifest["updated_at"] = tag.updated_at;
  return manifest;
}

}  // namespace

void RegistryImpl::PutModel(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Authorize(request, auth::Role::kDeployer);
  if (!who) return SendError(*writer, who.error());
  auto body = ParseJsonObject(request.body);
  if (!body) return SendError(*writer, body.error());
  auto name = RequiredString(*body, "name");
  if (!name) return SendError(*writer, name.error());
  auto digest_text = RequiredString(*body, "digest");
  if (!digest_text) return SendError(*writer, digest_text.error());
  auto ref = ParseModelRef(*name);
  if (!ref) return SendError(*writer, ref.error());
  auto path = blobs_.Path(*digest_text);
  if (!path) {
    return SendError(*writer, Status::InvalidArgument(
                                  "'digest' must be sha256: followed by 64 lowercase hex digits"));
  }
  auto held = store_.OrgHasBlob(who->org_id, *digest_text);
  if (!held) return SendError(*writer, held.error());
  if (!*held) {
    return SendError(*writer, Status::NotFound("no blob " + *digest_text +
                                               " in this organisation; push it first"));
  }
  Status started = tasks_.Run([this, who = *who, ref = *ref, digest_text = *digest_text,
                               path = *path, writer](const std::atomic<bool>&) {
    auto facts = InspectModel(path);
    if (!facts) return SendError(*writer, facts.error());
    auto blob = store_.GetBlobRecord(digest_text);
    if (!blob) return SendError(*writer, blob.error());
    Manifest manifest;
    manifest.name = ref.name;
    manifest.tag = ref.tag;
    manifest.digest = digest_text;
    manifest.size = blob->size;
    manifest.facts = std::move(*facts);
    manifest.created_at = NowMs();
    const nlohmann::json json = ManifestToJson(manifest);
    store::ModelTag tag;
    tag.org_id = who.org_id;
    tag.name = ref.name;
    tag.tag = ref.tag;
    tag.digest = digest_text;
    tag.manifest_json = json.dump();
    tag.created_at = manifest.created_at;
    tag.updated_at = manifest.created_at;
    auto previous = store_.PutModelTag(tag);
    if (!previous) return SendError(*writer, previous.error());
    Audit(who, "registry.tag.put", ref.ToString() + " -> " + digest_text);
    AfterTagsChanged(who.org_id, previous->value_or(""));
    writer->Send(JsonResponse(201, TagJson(tag)));
  });
  if (!started.ok()) SendError(*writer, started);
}

void RegistryImpl::ListModels(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Authorize(request, auth::Role::kInference);
  if (!who) return SendError(*writer, who.error());
  auto tags = store_.ListModelTags(who->org_id);
  if (!tags) return SendError(*writer, tags.error());
  nlohmann::json data = nlohmann::json::array();
  for (const store::ModelTag& tag : *tags) data.push_back(TagJson(tag));
  writer->Send(JsonResponse(200, {{"object", "list"}, {"data", std::move(data)}}));
}

void RegistryImpl::ShowModel(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Authorize(request, auth::Role::kInference);
  if (!who) return SendError(*writer, who.error());
  auto ref = ParseModelRef(request.PathParam("ref"));
  if (!ref) return SendError(*writer, ref.error());
  auto tag = store_.GetModelTag(who->org_id, ref->name, ref->tag);
  if (!tag) {
    if (tag.error().code() == StatusCode::kNotFound) {
      return SendError(*writer, Status::NotFound("no model '" + ref->ToString() + "'"));
    }
    return SendError(*writer, tag.error());
  }
  writer->Send(JsonResponse(200, TagJson(*tag)));
}

void RegistryImpl::DeleteModel(const net::HttpRequest& request, const WriterPtr& writer) {
  auto who = Authorize(request, auth::Role::kDeployer);
  if (!who) return SendError(*writer, who.error());
  auto ref = ParseModelRef(request.PathParam("ref"));
  if (!ref) return SendError(*writer, ref.error());
  auto tag = store_.GetModelTag(who->org_id, ref->name, ref->tag);
  Status deleted = tag ? store_.DeleteModelTag(who->org_id, ref->name, ref->tag) : tag.error();
  if (!deleted.ok()) {
    if (deleted.code() == StatusCode::kNotFound) {
      return SendError(*writer, Status::NotFound("no model '" + ref->ToString() + "'"));
    }
    return SendError(*writer, deleted);
  }
  Audit(*who, "registry.tag.delete", ref->ToString());
  AfterTagsChanged(who->org_id, tag->digest);
  writer->Send(JsonResponse(200, {{"ref", ref->ToString()}, {"deleted", true}}));
}

}  // namespace locai::control::registry
