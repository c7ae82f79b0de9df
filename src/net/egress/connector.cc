#include "net/egress/connector.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <system_error>

namespace locai::net::egress {
namespace {

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string FormatTime(std::chrono::system_clock::time_point time) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

// "2026-11-24T21:00:00.123Z".
std::string FormatTimeMs(std::chrono::system_clock::time_point time) {
  std::string out = FormatTime(time);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  char frac[8];
  std::snprintf(frac, sizeof(frac), ".%03d", static_cast<int>(((ms % 1000) + 1000) % 1000));
  out.insert(out.size() - 1, frac);
  return out;
}

// `text` as a JSON string literal (the journal has no JSON library beneath it).
std::string JsonQuote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

// Appends `line` to `path` with one write() on an O_APPEND descriptor. False on any failure.
bool AppendLine(const std::string& path, const std::string& line) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 && errno == ENOENT) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  }
  if (fd < 0) return false;
  size_t done = 0;
  bool ok = true;
  while (done < line.size()) {
    ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) ok = false;
  return ok;
}

std::string HostPort(std::string_view host, uint16_t port) {
  std::string h(host);
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return h + ":" + std::to_string(port);
}

// Connects `fd` to `addr` within `deadline`. Returns 0 or an errno value (ETIMEDOUT on timeout).
int ConnectWithDeadline(int fd, const sockaddr* addr, socklen_t len,
                        std::chrono::steady_clock::time_point deadline) {
  int flags = fcntl(fd, F_GETFL, 0);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return errno;
  int rc = ::connect(fd, addr, len);
  if (rc != 0 && errno != EINPROGRESS) return errno;
  if (rc != 0) {
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return ETIMEDOUT;
      pollfd pfd{fd, POLLOUT, 0};
      int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) return errno;
      if (ready == 0) return ETIMEDOUT;
      int error = 0;
      socklen_t error_len = sizeof(error);
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_len) != 0) return errno;
      if (error != 0) return error;
      break;
    }
  }
  if (fcntl(fd, F_SETFL, flags) < 0) return errno;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return 0;
}

}  // namespace

Result<EgressRule> EgressRule::Parse(std::string_view text) {
  EgressRule rule;
  std::string_view rest = Trim(text);
  if (rest.substr(0, 6) == "allow ") {
    rest = Trim(rest.substr(6));
  } else if (rest.substr(0, 5) == "deny ") {
    rule.allow = false;
    rest = Trim(rest.substr(5));
  }
  std::string_view host;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      return Err(Status::InvalidArgument("bad egress rule '" + std::string(text) +
                                         "': expected [IPV6]:PORT"));
    }
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos || rest.substr(0, colon).find(':') != std::string::npos) {
      return Err(Status::InvalidArgument("bad egress rule '" + std::string(text) +
                                         "': expected HOST:PORT"));
    }
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty() || host.find_first_of(" \t/") != std::string_view::npos ||
      (host.find('*') != std::string_view::npos && host != "*" &&
       (host.substr(0, 2) != "*." || host.substr(2).find('*') != std::string_view::npos ||
        host.size() < 3))) {
    return Err(Status::InvalidArgument("bad egress rule '" + std::string(text) +
                                       "': host must be a name, an IP, '*.domain' or '*'"));
  }
  rule.host = ToLower(host);
  if (port != "*") {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return Err(Status::InvalidArgument("bad egress rule '" + std::string(text) +
                                         "': port must be 1-65535 or '*'"));
    }
    rule.port = static_cast<uint16_t>(value);
  }
  return rule;
}

std::string EgressRule::ToString() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return std::string(allow ? "allow " : "deny ") + h + ":" +
         (port ? std::to_string(*port) : std::string("*"));
}

bool EgressRule::Matches(std::string_view target_host, uint16_t target_port) const {
  if (port && *port != target_port) return false;
  if (host == "*") return true;
  std::string lower = ToLower(target_host);
  if (host.size() > 2 && host[0] == '*' && host[1] == '.') {
    std::string_view suffix = std::string_view(host).substr(1);  // ".example.com"
    return lower.size() > suffix.size() &&
           std::string_view(lower).substr(lower.size() - suffix.size()) == suffix;
  }
  return lower == host;
}

ConnectedSocket::~ConnectedSocket() {
  if (fd_ >= 0) ::close(fd_);
}

ConnectedSocket& ConnectedSocket::operator=(ConnectedSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.Release();
  }
  return *this;
}

std::string EgressJournalLine(const EgressAttempt& attempt) {
  return "{\"time\":" + JsonQuote(FormatTimeMs(attempt.time)) +
         ",\"host\":" + JsonQuote(attempt.host) + ",\"port\":" + std::to_string(attempt.port) +
         ",\"allowed\":" + (attempt.allowed ? "true" : "false") +
         ",\"purpose\":" + JsonQuote(attempt.purpose) + ",\"rule\":" + JsonQuote(attempt.rule) +
         ",\"error\":" + JsonQuote(attempt.error) + "}";
}

Connector::Connector(ConnectorOptions options) : options_(std::move(options)) {
  if (options_.max_log_entries == 0) options_.max_log_entries = 1;
}

Connector::Connector(Connector&& other) noexcept {
  std::lock_guard<std::mutex> lock(other.mu_);
  options_ = std::move(other.options_);
  log_ = std::move(other.log_);
  log_start_ = other.log_start_;
  total_ = other.total_;
  journal_errors_ = other.journal_errors_;
}

Result<Connector> Connector::FromRules(const std::vector<std::string>& rules) {
  ConnectorOptions options;
  for (const std::string& text : rules) {
    LOCAI_ASSIGN_OR_RETURN(EgressRule rule, EgressRule::Parse(text));
    options.rules.push_back(std::move(rule));
  }
  return Connector(std::move(options));
}

void Connector::SetRules(std::vector<EgressRule> rules) {
  std::lock_guard<std::mutex> lock(mu_);
  options_.rules = std::move(rules);
}

std::vector<EgressRule> Connector::Rules() const {
  std::lock_guard<std::mutex> lock(mu_);
  return options_.rules;
}

Connector::Decision Connector::Decide(std::string_view host, uint16_t port) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const EgressRule& rule : options_.rules) {
    if (rule.Matches(host, port)) return {rule.allow, rule.ToString()};
  }
  return {false, "default deny"};
}

EgressAttempt Connector::NewAttempt(std::string_view host, uint16_t port,
                                    std::string_view purpose, const Decision& decision) const {
  EgressAttempt attempt;
  attempt.time = options_.now ? options_.now() : std::chrono::system_clock::now();
  attempt.host = std::string(host);
  attempt.port = port;
  attempt.allowed = decision.allow;
  attempt.purpose = std::string(purpose);
  attempt.rule = decision.rule;
  return attempt;
}

void Connector::Record(EgressAttempt attempt) {
  std::lock_guard<std::mutex> lock(mu_);
  // Written under the lock so that the journal's order is the order of the log.
  AppendToJournal(attempt);
  ++total_;
  if (log_.size() < options_.max_log_entries) {
    log_.push_back(std::move(attempt));
  } else {
    log_[log_start_] = std::move(attempt);
    log_start_ = (log_start_ + 1) % log_.size();
  }
}

void Connector::AppendToJournal(const EgressAttempt& attempt) {
  if (options_.journal_path.empty()) return;
  if (!AppendLine(options_.journal_path, EgressJournalLine(attempt) + "\n")) ++journal_errors_;
}

uint64_t Connector::journal_errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return journal_errors_;
}

Status Connector::Denied(std::string_view host, uint16_t port, std::string_view purpose,
                         const Decision& decision) {
  Record(NewAttempt(host, port, purpose, decision));
  return Status::PermissionDenied("egress to " + HostPort(host, port) + " denied by rule '" +
                                  decision.rule + "' (purpose: " + std::string(purpose) + ")");
}

Status Connector::Check(std::string_view host, uint16_t port, std::string_view purpose) {
  Decision decision = Decide(host, port);
  if (!decision.allow) return Denied(host, port, purpose, decision);
  Record(NewAttempt(host, port, purpose, decision));
  return Status::Ok();
}

Result<ConnectedSocket> Connector::Connect(std::string_view host, uint16_t port,
                                           std::string_view purpose,
                                           std::chrono::milliseconds timeout) {
  Decision decision = Decide(host, port);
  if (!decision.allow) return Err(Denied(host, port, purpose, decision));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  EgressAttempt attempt = NewAttempt(host, port, purpose, decision);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* resolved = nullptr;
  std::string host_str(host);
  std::string port_str = std::to_string(port);
  int gai = ::getaddrinfo(host_str.c_str(), port_str.c_str(), &hints, &resolved);
  if (gai != 0) {
    attempt.error = std::string("resolve failed: ") + gai_strerror(gai);
    Record(attempt);
    return Err(
        Status::NotFound("cannot resolve " + HostPort(host, port) + ": " + gai_strerror(gai)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> holder(resolved, &::freeaddrinfo);
  int last_error = ECONNREFUSED;
  for (addrinfo* ai = resolved; ai != nullptr; ai = ai->ai_next) {
    ConnectedSocket socket(
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!socket.valid()) {
      last_error = errno;
      continue;
    }
    last_error = ConnectWithDeadline(socket.fd(), ai->ai_addr, ai->ai_addrlen, deadline);
    if (last_error == 0) {
      Record(std::move(attempt));
      return socket;
    }
    if (last_error == ETIMEDOUT) break;
  }
  attempt.error = std::strerror(last_error);
  Record(attempt);
  if (last_error == ETIMEDOUT) {
    return Err(Status::DeadlineExceeded("connect to " + HostPort(host, port) + " timed out"));
  }
  return Err(Status::Unavailable("connect to " + HostPort(host, port) +
                                 " failed: " + std::strerror(last_error)));
}

std::vector<EgressAttempt> Connector::Attempts() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<EgressAttempt> out;
  out.reserve(log_.size());
  for (size_t i = 0; i < log_.size(); ++i) out.push_back(log_[(log_start_ + i) % log_.size()]);
  return out;
}

uint64_t Connector::total_attempts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

std::string Connector::Report() const {
  std::string out;
  for (const EgressAttempt& a : Attempts()) {
    out += FormatTime(a.time) + " " + (a.allowed ? "allow " : "deny  ") + HostPort(a.host, a.port) +
           " purpose=" + a.purpose + " rule='" + a.rule + "'";
    if (!a.error.empty()) out += " error='" + a.error + "'";
    out += "\n";
  }
  return out;
}

}  // namespace locai::net::egress
