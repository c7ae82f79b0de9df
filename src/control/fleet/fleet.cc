#include "control/fleet/fleet.h"

#include <chrono>
#include <cstdio>

#include "control/auth/http_reply.h"
#include "control/compliance/plan_limit_reply.h"
#include "control/fleet/fleet_impl.h"
#include "net/http/router.h"

namespace locai::control::fleet {

void ReplyJson(net::ResponseWriter& writer, int status, const nlohmann::json& body) {
  writer.Send(JsonResponse(status, body));
}

// A plan-limit refusal is 402 plan_limit_exceeded; anything else as control::SendError.
void ReplyError(net::ResponseWriter& writer, const Status& status) {
  compliance::SendComplianceError(writer, status);
}

FleetImpl::FleetImpl(store::Store& store, auth::Authenticator& authenticator, FleetOptions options)
    : store_(store),
      auth_(authenticator),
      options_(std::move(options)),
      guard_(std::make_shared<Guard>()),
      job_random_(std::random_device{}()) {
  guard_->impl = this;
}

FleetImpl::~FleetImpl() {
  StopSweeper();
  CloseAllLinks();
  {
    // Waits for callbacks running now; later ones see null and do nothing.
    std::unique_lock<std::shared_mutex> lock(guard_->mu);
    guard_->impl = nullptr;
  }
  // Jobs whose link's on_close will no longer reach us.
  std::vector<std::pair<std::string, std::vector<std::shared_ptr<LinkJob>>>> open_jobs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, session] : sessions_) {
      open_jobs.emplace_back(session.node_id, TakeJobsLocked(id));
    }
    jobs_.clear();
  }
  for (const auto& [node_id, jobs] : open_jobs) FailJobs(jobs, node_id, "server stopping");
}

int64_t FleetImpl::NowMs() const {
  if (options_.now_ms) return options_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void FleetImpl::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::fprintf(stderr, "fleet: %s\n", line.c_str());
  }
}

void FleetImpl::Audit(const auth::Principal& who, std::string action, std::string target,
                      std::string detail) {
  AuditEvent event;
  event.org_id = who.org_id;
  event.actor = "key:" + who.key_id;
  event.action = std::move(action);
  event.target = std::move(target);
  event.detail = std::move(detail);
  Audit(std::move(event));
}

void FleetImpl::Audit(AuditEvent event) {
  if (!options_.audit) return;
  event.at_ms = NowMs();
  options_.audit(event);
}

void FleetImpl::ReconcileOrLog(const std::string& org_id, const std::string& force_node_id) {
  Status status = Reconcile(org_id, force_node_id);
  if (!status.ok()) Log("reconcile of org " + org_id + " failed: " + status.ToString());
}

Status FleetImpl::StartSweeper() {
  std::lock_guard<std::mutex> lock(sweeper_mu_);
  if (sweeper_.joinable()) return Status::FailedPrecondition("the fleet is already started");
  sweeper_stop_ = false;
  sweeper_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(sweeper_mu_);
    while (!sweeper_stop_) {
      sweeper_cv_.wait_for(lock, std::chrono::milliseconds(options_.sweep_interval_ms),
                           [this] { return sweeper_stop_; });
      if (sweeper_stop_) break;
      lock.unlock();
      SweepHealth();
      lock.lock();
    }
  });
  return Status::Ok();
}

void FleetImpl::StopSweeper() {
  std::thread sweeper;
  {
    std::lock_guard<std::mutex> lock(sweeper_mu_);
    sweeper_stop_ = true;
    sweeper = std::move(sweeper_);
  }
  sweeper_cv_.notify_all();
  if (sweeper.joinable()) sweeper.join();
}

Fleet::Fleet(store::Store& store, auth::Authenticator& authenticator, FleetOptions options)
    : impl_(std::make_unique<FleetImpl>(store, authenticator, std::move(options))) {}

Fleet::~Fleet() { Stop(); }

Status Fleet::RegisterRoutes(net::Router& router) {
  LOCAI_RETURN_IF_ERROR(impl_->RegisterEnrollRoutes(router));
  LOCAI_RETURN_IF_ERROR(impl_->RegisterLinkRoute(router));
  LOCAI_RETURN_IF_ERROR(impl_->RegisterNodeRoutes(router));
  return impl_->RegisterDeploymentRoutes(router);
}

Status Fleet::Start() {
  LOCAI_RETURN_IF_ERROR(impl_->StartSweeper());
  impl_->MarkUnconnectedOffline();
  return Status::Ok();
}

void Fleet::Stop() {
  impl_->StopSweeper();
  impl_->CloseAllLinks();
}

void Fleet::SweepHealth() { impl_->SweepHealth(); }

void Fleet::DeploymentsChanged(std::string_view org_id) {
  impl_->ReconcileOrLog(std::string(org_id));
}

void Fleet::ModelTagsChanged(std::string_view org_id) {
  const std::string org(org_id);
  Status status = impl_->FollowModelTags(org);
  if (!status.ok())
    impl_->Log("following the model tags of org " + org + " failed: " + status.ToString());
  impl_->ReconcileOrLog(org);
}

size_t Fleet::connected_nodes() const { return impl_->ConnectedNodes(); }

NodeJobs& Fleet::jobs() { return *impl_; }

}  // namespace locai::control::fleet
