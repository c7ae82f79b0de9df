// NodeSelector: which of an organisation's nodes serves a request, in order of preference, so
// that a request whose node drops before the first token can be retried on the next one.
//
// A node is a candidate when it belongs to the caller's organisation, is healthy, has the model
// ready and is not cooling down. Candidates are ordered by:
//   1. session affinity: the node the same (organisation, session id) used last, while the
//      binding is fresh (its KV cache holds the conversation's prompt prefix);
//   2. how many of the caller's preferences it meets (its group, each preferred label);
//   3. load: the outstanding tokens the node reported plus the tokens of requests this selector
//      has handed to it and not yet released (Lease), so concurrent picks spread out before the
//      node's next report;
//   4. node id, so the order is deterministic.
// Affinity and cached prefixes never cross organisations: bindings are keyed by (organisation,
// session) and a node of another organisation is never a candidate.
//
// Failures: a node with `failure_threshold` failures within `failure_window` cools down for
// `cooldown` (not a candidate, whatever it reports), then comes back; a success clears its count.
// Time comes from the injected clock.
// Threading: every method is safe from many threads (one mutex). A Lease must not outlive its
// selector.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace locai::control::router {

// One node as the fleet reports it.
struct NodeCandidate {
  std::string id;
  std::string org_id;
  std::string group;                          // the node's group (site), may be empty
  std::map<std::string, std::string> labels;  // e.g. {"site": "london"}
  bool healthy = false;
  std::vector<std::string> models_ready;  // models loaded and ready to serve
  int64_t outstanding_tokens = 0;         // queued + running tokens, as last reported
};

// What the caller asks for.
struct SelectionRequest {
  std::string org_id;
  std::string model;
  std::string preferred_group;                          // empty: no preference
  std::map<std::string, std::string> preferred_labels;  // each match counts once
  std::string session_id;  // `user` or `x-locai-session`; empty: no affinity
};

struct NodeSelectorOptions {
  std::chrono::milliseconds session_ttl{30 * 60 * 1000};  // an unused binding expires
  size_t max_sessions = 100'000;  // past this, expired then oldest bindings are dropped
  int failure_threshold = 3;
  std::chrono::milliseconds failure_window{60'000};
  std::chrono::milliseconds cooldown{30'000};
  std::function<std::chrono::steady_clock::time_point()> now;  // empty: steady_clock::now
};

class NodeSelector {
 public:
  // Outstanding work handed to a node; released on destruction (or Release()).
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept { *this = std::move(other); }
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { Release(); }

    void Release();
    bool held() const { return selector_ != nullptr; }
    const std::string& node_id() const { return node_id_; }

   private:
    friend class NodeSelector;
    Lease(NodeSelector* selector, std::string node_id, int64_t tokens)
        : selector_(selector), node_id_(std::move(node_id)), tokens_(tokens) {}
    NodeSelector* selector_ = nullptr;
    std::string node_id_;
    int64_t tokens_ = 0;
  };

  struct Pick {
    std::vector<std::string> ordered;  // node ids, best first; empty when none can serve
    Lease lease;                       // on ordered.front(), when not empty
  };

  explicit NodeSelector(NodeSelectorOptions options = {});
  NodeSelector(const NodeSelector&) = delete;
  NodeSelector& operator=(const NodeSelector&) = delete;

  // The candidates for `request`, best first (see the top of this file). Does not change state.
  std::vector<std::string> Order(const std::vector<NodeCandidate>& nodes,
                                 const SelectionRequest& request) const;

  // Order() and a lease of `tokens` on the first node in one step, so that concurrent picks see
  // each other's work.
  Pick PickNode(const std::vector<NodeCandidate>& nodes, const SelectionRequest& request,
                int64_t tokens);

  // A lease of `tokens` on `node_id` (for a retry on the next node of Pick::ordered).
  Lease Acquire(std::string_view node_id, int64_t tokens);

  // Tokens of unreleased leases on the node.
  int64_t InFlightTokens(std::string_view node_id) const;

  // Binds (organisation, session) to the node that served it, refreshing its expiry. No-op for
  // an empty session id.
  void BindSession(std::string_view org_id, std::string_view session_id, std::string_view node_id);
  // The bound node, or "" when none or expired.
  std::string SessionNode(std::string_view org_id, std::string_view session_id) const;
  size_t session_count() const;

  // A failed attempt on the node (dropped, refused, timed out). True when it starts a cool-down.
  bool RecordFailure(std::string_view node_id);
  // A served request: the node's failure count starts over.
  void RecordSuccess(std::string_view node_id);
  bool InCooldown(std::string_view node_id) const;

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  using SessionKey = std::pair<std::string, std::string>;  // (organisation, session)

  struct Binding {
    std::string node_id;
    TimePoint expires;
    TimePoint last_used;
  };
  struct Health {
    std::deque<TimePoint> failures;  // within failure_window
    TimePoint cooldown_until{};
  };

  TimePoint Now() const;
  std::vector<std::string> OrderLocked(const std::vector<NodeCandidate>& nodes,
                                       const SelectionRequest& request, TimePoint now) const;
  bool InCooldownLocked(std::string_view node_id, TimePoint now) const;
  void ReleaseTokens(const std::string& node_id, int64_t tokens);
  void TrimSessionsLocked(TimePoint now);

  NodeSelectorOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, int64_t, std::less<>> in_flight_;  // GUARDED_BY(mu_)
  std::map<SessionKey, Binding> sessions_;                 // GUARDED_BY(mu_)
  std::map<std::string, Health, std::less<>> health_;      // GUARDED_BY(mu_)
};

}  // namespace locai::control::router
