// Connector: the one gate for outbound network connections (egress control).
//
// Every outbound TCP connection of Locai is opened by Connector::Connect(), which first checks the
// destination against an ordered list of rules (first match wins; no match means deny) and records
// the attempt, allowed or not, in an in-memory log and, when ConnectorOptions::journal_path is set,
// as one JSON line appended to that file (the egress journal that `locai egress report` lists).
// An air-gapped device is configured with a single allow rule for its control plane. The
// HttpClient takes a Connector& and has no other way to open a socket.
//
// Journal lines (one object per line, docs/control-plane.md "Routing policy, providers and
// egress"):
//   {"time":"2026-11-24T21:00:00.123Z","host":"api.openai.com","port":443,"allowed":true,
//    "purpose":"cloud:openai","rule":"allow api.openai.com:443","error":""}
// An allowed attempt is written once its connect finished (error set when it failed). The file is
// opened with O_APPEND for each line and the line written with one write(), so several processes
// may share a journal; its directory is created when missing. A failed write never fails the
// connection: it is counted in journal_errors().
//
// Rules are written "[allow|deny] HOST:PORT": HOST is an exact name or IP literal (compared
// case-insensitively, IPv6 in brackets), "*.example.com" (any subdomain, not example.com itself)
// or "*"; PORT is a number or "*". Without a verb a rule allows. Names are checked as written by
// the caller, before DNS resolution.
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace locai::net::egress {

struct EgressRule {
  bool allow = true;
  std::string host;              // "api.example.com", "*.example.com", "10.0.0.5", "::1", "*"
  std::optional<uint16_t> port;  // nullopt: any port

  // "allow api.example.com:443", "deny *:*", "[::1]:8080".
  static Result<EgressRule> Parse(std::string_view text);
  // The canonical text, e.g. "allow *.example.com:443".
  std::string ToString() const;
  bool Matches(std::string_view host, uint16_t port) const;
};

struct EgressAttempt {
  std::chrono::system_clock::time_point time;
  std::string host;
  uint16_t port = 0;
  bool allowed = false;
  std::string purpose;  // what the caller said the connection is for, e.g. "control-plane"
  std::string rule;     // the rule that decided, or "default deny"
  std::string error;    // when allowed but the connection failed: why; else empty
};

struct ConnectorOptions {
  std::vector<EgressRule> rules;    // empty: everything is denied
  size_t max_log_entries = 10'000;  // older attempts are dropped (total_attempts() still counts)
  std::function<std::chrono::system_clock::time_point()> now;  // empty: system_clock::now
  std::string journal_path;  // the egress journal (JSON lines); empty: none
};

// The journal line of `attempt` (JSON, no trailing newline).
std::string EgressJournalLine(const EgressAttempt& attempt);

// An open, connected socket (a POSIX file descriptor), closed on destruction unless released.
class ConnectedSocket {
 public:
  ConnectedSocket() = default;
  explicit ConnectedSocket(int fd) : fd_(fd) {}
  ~ConnectedSocket();
  ConnectedSocket(ConnectedSocket&& other) noexcept : fd_(other.Release()) {}
  ConnectedSocket& operator=(ConnectedSocket&& other) noexcept;
  ConnectedSocket(const ConnectedSocket&) = delete;
  ConnectedSocket& operator=(const ConnectedSocket&) = delete;

  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Hands the descriptor to the caller, who must close it.
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

class Connector {
 public:
  explicit Connector(ConnectorOptions options);
  // Parses each rule with EgressRule::Parse.
  static Result<Connector> FromRules(const std::vector<std::string>& rules);

  Connector(Connector&& other) noexcept;
  Connector(const Connector&) = delete;
  Connector& operator=(const Connector&) = delete;

  // Checks `host:port` and records the attempt. PermissionDenied("egress to HOST:PORT denied by
  // rule 'RULE' (purpose: PURPOSE)") when not allowed; the rule that decided otherwise.
  Status Check(std::string_view host, uint16_t port, std::string_view purpose);

  // Check(), then resolves `host` and connects with a deadline. PermissionDenied as above;
  // NotFound when the name does not resolve; Unavailable when no address accepts;
  // DeadlineExceeded after `timeout`. The socket is blocking, with TCP_NODELAY set.
  Result<ConnectedSocket> Connect(std::string_view host, uint16_t port, std::string_view purpose,
                                  std::chrono::milliseconds timeout);

  // Replaces the rules; attempts from then on are decided by `rules` (empty: deny everything).
  // Connections already open stay open.
  void SetRules(std::vector<EgressRule> rules);
  std::vector<EgressRule> Rules() const;

  // The logged attempts, oldest first.
  std::vector<EgressAttempt> Attempts() const;
  // Every attempt since construction, including those dropped from the log.
  uint64_t total_attempts() const;
  // Journal lines that could not be written (the file could not be opened or written).
  uint64_t journal_errors() const;
  const std::string& journal_path() const { return options_.journal_path; }
  // A human-readable report: one line per attempt ("2026-11-24T21:00:00Z allow host:port ...").
  std::string Report() const;

 private:
  struct Decision {
    bool allow = false;
    std::string rule;  // the deciding rule's text, or "default deny"
  };
  Decision Decide(std::string_view host, uint16_t port) const;
  EgressAttempt NewAttempt(std::string_view host, uint16_t port, std::string_view purpose,
                           const Decision& decision) const;
  void Record(EgressAttempt attempt);
  void AppendToJournal(const EgressAttempt& attempt);
  Status Denied(std::string_view host, uint16_t port, std::string_view purpose,
                const Decision& decision);

  ConnectorOptions options_;        // rules guarded by mu_ (SetRules); the rest fixed
  mutable std::mutex mu_;
  std::vector<EgressAttempt> log_;  // ring of at most max_log_entries, guarded by mu_
  size_t log_start_ = 0;            // index of the oldest entry once the ring is full
  uint64_t total_ = 0;              // guarded by mu_
  uint64_t journal_errors_ = 0;     // guarded by mu_
};

}  // namespace locai::net::egress
