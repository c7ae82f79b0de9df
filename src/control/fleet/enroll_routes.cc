// POST /v1/fleet/enroll (docs/control-plane.md, "Authentication": join tokens and the node
// credential). The token's secret is checked against its stored hash before the store takes a use
// of it; EnrollNode takes the use and inserts the node in one transaction, so a one-use token
// presented by two nodes at once lets exactly one in.

#include "control/auth/http_reply.h"
#include "control/auth/join_token.h"
#include "control/fleet/fleet_impl.h"
#include "crypto/base64.h"
#include "crypto/ed25519.h"
#include "crypto/random.h"
#include "net/http/router.h"

namespace locai::control::fleet {
namespace {

constexpr size_t kMaxNodeNameBytes = 128;

// A refused token is 401 whatever the store's reason (expired, revoked, used up), with the
// reason in the message.
Status AsUnauthenticated(const Status& status) {
  if (status.code() == StatusCode::kFailedPrecondition) {
    return Status::Unauthenticated(status.message());
  }
  if (status.code() == StatusCode::kNotFound) {
    return Status::Unauthenticated("unknown join token");
  }
  return status;
}

Status CheckNodeName(const std::string& name) {
  if (name.empty() || name.size() > kMaxNodeNameBytes) {
    return Status::InvalidArgument("name must be 1 to 128 bytes");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return Status::InvalidArgument("name holds a control character");
  }
  return Status::Ok();
}

}  // namespace

Status FleetImpl::RegisterEnrollRoutes(net::Router& router) {
  return router.Add("POST", "/v1/fleet/enroll",
                    [this](net::HttpRequest request, std::shared_ptr<net::ResponseWriter> writer) {
                      auto enrolled = Enroll(request);
                      if (!enrolled) {
                        ReplyError(*writer, enrolled.error());
                        return;
                      }
                      ReplyJson(*writer, 200, *enrolled);
                    });
}

Result<nlohmann::json> FleetImpl::Enroll(const net::HttpRequest& request) {
  LOCAI_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(request.body));
  LOCAI_ASSIGN_OR_RETURN(std::string token, RequiredString(body, "token"));
  LOCAI_ASSIGN_OR_RETURN(std::string public_key, RequiredString(body, "public_key"));
  LOCAI_ASSIGN_OR_RETURN(std::string name, OptionalString(body, "name", ""));
  nlohmann::json capabilities = nlohmann::json::object();
  if (auto it = body.find("capabilities"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return Err(Status::InvalidArgument("'capabilities' must be an object"));
    capabilities = *it;
  }

  LOCAI_ASSIGN_OR_RETURN(auth::ParsedJoinToken parsed, auth::ParseJoinToken(token));
  auto record = store_.GetJoinToken(parsed.token_id);
  if (!record) return Err(AsUnauthenticated(record.error()));
  LOCAI_RETURN_IF_ERROR(auth::VerifyJoinTokenSecret(parsed, *record));

  auto raw_key = crypto::Base64Decode(public_key);
  if (!raw_key || raw_key->size() != crypto::kEd25519KeySize) {
    return Err(Status::InvalidArgument(
        "'public_key' must be the standard base64 of a raw 32-byte Ed25519 public key"));
  }
  if (name.empty()) {
    auto hostname = capabilities.find("hostname");
    if (hostname != capabilities.end() && hostname->is_string())
      name = hostname->get<std::string>();
  }

  LOCAI_ASSIGN_OR_RETURN(std::string suffix, crypto::RandomHex(8));
  store::Node node;
  node.id = "n_" + suffix;
  node.name = name.empty() ? node.id : name;
  LOCAI_RETURN_IF_ERROR(CheckNodeName(node.name));
  node.public_key = public_key;
  node.capabilities_json =
      capabilities.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  node.status = "offline";
  std::optional<int64_t> max_nodes;
  if (options_.max_nodes) max_nodes = options_.max_nodes(record->org_id);

  auto enrolled = store_.EnrollNode(parsed.token_id, NowMs(), std::move(node), max_nodes);
  if (!enrolled) {
    if (max_nodes && enrolled.error().code() == StatusCode::kResourceExhausted &&
        options_.node_limit_error) {
      return Err(options_.node_limit_error(record->org_id, enrolled.error()));
    }
    return Err(AsUnauthenticated(enrolled.error()));
  }
  AuditEvent event;
  event.org_id = enrolled->org_id;
  event.actor = "node:" + enrolled->id;
  event.action = "node.enroll";
  event.target = enrolled->id;
  event.detail = "join token " + parsed.token_id + ", name " + enrolled->name;
  Audit(std::move(event));

  std::string org_name;
  if (auto org = store_.GetOrg(enrolled->org_id)) org_name = org->name;
  return nlohmann::json{{"node_id", enrolled->id},
                        {"org", enrolled->org_id},
                        {"org_name", org_name},
                        {"group", enrolled->group},
                        {"name", enrolled->name}};
}

}  // namespace locai::control::fleet
