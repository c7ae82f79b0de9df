#include "control/router/node_selector.h"

#include <algorithm>
#include <tuple>

namespace locai::control::router {

NodeSelector::Lease& NodeSelector::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Release();
    selector_ = std::exchange(other.selector_, nullptr);
    node_id_ = std::move(other.node_id_);
    tokens_ = std::exchange(other.tokens_, 0);
  }
  return *this;
}

void NodeSelector::Lease::Release() {
  if (selector_ == nullptr) return;
  selector_->ReleaseTokens(node_id_, tokens_);
  selector_ = nullptr;
  tokens_ = 0;
}

NodeSelector::NodeSelector(NodeSelectorOptions options) : options_(std::move(options)) {}

NodeSelector::TimePoint NodeSelector::Now() const {
  return options_.now ? options_.now() : std::chrono::steady_clock::now();
}

std::vector<std::string> NodeSelector::Order(const std::vector<NodeCandidate>& nodes,
                                             const SelectionRequest& request) const {
  std::lock_guard lock(mu_);
  return OrderLocked(nodes, request, Now());
}

std::vector<std::string> NodeSelector::OrderLocked(const std::vector<NodeCandidate>& nodes,
                                                   const SelectionRequest& request,
                                                   TimePoint now) const {
  std::string affine;
  if (!request.session_id.empty()) {
    auto it = sessions_.find(SessionKey(request.org_id, request.session_id));
    if (it != sessions_.end() && it->second.expires > now) affine = it->second.node_id;
  }
  // (not affine, -preferences met, load, id): smaller is better.
  using Rank = std::tuple<bool, int, int64_t, std::string>;
  std::vector<Rank> ranked;
  for (const NodeCandidate& node : nodes) {
    if (node.org_id != request.org_id || !node.healthy) continue;
    if (std::find(node.models_ready.begin(), node.models_ready.end(), request.model) ==
        node.models_ready.end()) {
      continue;
    }
    if (InCooldownLocked(node.id, now)) continue;
    int met = 0;
    if (!request.preferred_group.empty() && node.group == request.preferred_group) ++met;
    for (const auto& [name, value] : request.preferred_labels) {
      auto label = node.labels.find(name);
      if (label != node.labels.end() && label->second == value) ++met;
    }
    int64_t load = std::max<int64_t>(node.outstanding_tokens, 0);
    if (auto flight = in_flight_.find(node.id); flight != in_flight_.end()) load += flight->second;
    ranked.emplace_back(affine.empty() || node.id != affine, -met, load, node.id);
  }
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> ordered;
  ordered.reserve(ranked.size());
  for (auto& rank : ranked) {
    std::string& id = std::get<3>(rank);
    // The fleet may list a node twice (a stale and a fresh report): keep its best place.
    if (std::find(ordered.begin(), ordered.end(), id) == ordered.end()) {
      ordered.push_back(std::move(id));
    }
  }
  return ordered;
}

NodeSelector::Pick NodeSelector::PickNode(const std::vector<NodeCandidate>& nodes,
                                          const SelectionRequest& request, int64_t tokens) {
  std::lock_guard lock(mu_);
  Pick pick;
  pick.ordered = OrderLocked(nodes, request, Now());
  if (!pick.ordered.empty()) {
    in_flight_[pick.ordered.front()] += tokens;
    pick.lease = Lease(this, pick.ordered.front(), tokens);
  }
  return pick;
}

NodeSelector::Lease NodeSelector::Acquire(std::string_view node_id, int64_t tokens) {
  std::lock_guard lock(mu_);
  in_flight_[std::string(node_id)] += tokens;
  return Lease(this, std::string(node_id), tokens);
}

void NodeSelector::ReleaseTokens(const std::string& node_id, int64_t tokens) {
  std::lock_guard lock(mu_);
  auto it = in_flight_.find(node_id);
  if (it == in_flight_.end()) return;
  it->second -= tokens;
  if (it->second <= 0) in_flight_.erase(it);
}

int64_t NodeSelector::InFlightTokens(std::string_view node_id) const {
  std::lock_guard lock(mu_);
  auto it = in_flight_.find(node_id);
  return it == in_flight_.end() ? 0 : it->second;
}

void NodeSelector::BindSession(std::string_view org_id, std::string_view session_id,
                               std::string_view node_id) {
  if (session_id.empty()) return;
  std::lock_guard lock(mu_);
  TimePoint now = Now();
  Binding& binding = sessions_[SessionKey(std::string(org_id), std::string(session_id))];
  binding.node_id = std::string(node_id);
  binding.expires = now + options_.session_ttl;
  binding.last_used = now;
  if (sessions_.size() > options_.max_sessions) TrimSessionsLocked(now);
}

void NodeSelector::TrimSessionsLocked(TimePoint now) {
  std::erase_if(sessions_, [now](const auto& entry) { return entry.second.expires <= now; });
  while (sessions_.size() > options_.max_sessions) {
    auto oldest = std::min_element(
        sessions_.begin(), sessions_.end(),
        [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; });
    sessions_.erase(oldest);
  }
}

std::string NodeSelector::SessionNode(std::string_view org_id, std::string_view session_id) const {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(SessionKey(std::string(org_id), std::string(session_id)));
  if (it == sessions_.end() || it->second.expires <= Now()) return "";
  return it->second.node_id;
}

size_t NodeSelector::session_count() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

bool NodeSelector::RecordFailure(std::string_view node_id) {
  std::lock_guard lock(mu_);
  TimePoint now = Now();
  auto it = health_.find(node_id);
  if (it == health_.end()) it = health_.emplace(std::string(node_id), Health{}).first;
  Health& health = it->second;
  while (!health.failures.empty() && health.failures.front() <= now - options_.failure_window) {
    health.failures.pop_front();
  }
  health.failures.push_back(now);
  if (static_cast<int>(health.failures.size()) < options_.failure_threshold) return false;
  health.failures.clear();
  health.cooldown_until = now + options_.cooldown;
  return true;
}

void NodeSelector::RecordSuccess(std::string_view node_id) {
  std::lock_guard lock(mu_);
  auto it = health_.find(node_id);
  if (it != health_.end()) it->second.failures.clear();
}

bool NodeSelector::InCooldown(std::string_view node_id) const {
  std::lock_guard lock(mu_);
  return InCooldownLocked(node_id, Now());
}

bool NodeSelector::InCooldownLocked(std::string_view node_id, TimePoint now) const {
  auto it = health_.find(node_id);
  return it != health_.end() && now < it->second.cooldown_until;
}

}  // namespace locai::control::router
