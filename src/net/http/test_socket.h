// Test-only: a raw TCP client on POSIX sockets, for talking to the server byte by byte (slow
// clients, malformed requests, abrupt disconnects) where HttpClient would be too well-behaved.
// Thread-safety: one thread per RawSocket.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace locai::net::testing {

class RawSocket {
 public:
  explicit RawSocket(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
    int one = 1;
    if (fd_ >= 0) ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~RawSocket() { Close(); }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool ok() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Closes with a reset instead of a FIN.
  void Reset() {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    Close();
  }

  // Sends all of `data`; false when the peer closed.
  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads what arrives within `timeout`; returns it. Sets *eof when the peer closed.
  std::string ReadFor(std::chrono::milliseconds timeout, bool* eof = nullptr) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    if (eof != nullptr) *eof = false;
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return out;
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return out;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        if (eof != nullptr) *eof = true;
        return out;
      }
      out.append(buf, static_cast<size_t>(n));
    }
  }

  // Reads until `needle` appears in the input, the peer closes or `timeout` passes.
  std::string ReadUntil(std::string_view needle, std::chrono::milliseconds timeout,
                        bool* eof = nullptr) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    if (eof != nullptr) *eof = false;
    while (out.find(needle) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        if (eof != nullptr) *eof = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  // Waits until the peer closes; returns false if it has not within `timeout`.
  bool WaitForClose(std::chrono::milliseconds timeout) {
    bool eof = false;
    ReadFor(timeout, &eof);
    return eof;
  }

 private:
  int fd_ = -1;
};

}  // namespace locai::net::testing

#include "net/egress/connector.h"
#include "net/http/http_client.h"
#include "net/http/http_server.h"

namespace locai::net::testing {

// A Connector that allows loopback only.
inline egress::Connector LoopbackConnector() {
  egress::ConnectorOptions options;
  options.rules.push_back(*egress::EgressRule::Parse("allow 127.0.0.1:*"));
  return egress::Connector(std::move(options));
}

inline std::string UrlFor(const HttpServer& server, std::string_view target) {
  return "http://127.0.0.1:" + std::to_string(server.port()) + std::string(target);
}

// Options with short timeouts, logging into nowhere.
inline HttpServerOptions TestServerOptions() {
  HttpServerOptions options;
  options.io_threads = 2;
  options.header_timeout = std::chrono::milliseconds(2000);
  options.body_timeout = std::chrono::milliseconds(2000);
  options.idle_timeout = std::chrono::milliseconds(5000);
  options.write_timeout = std::chrono::milliseconds(2000);
  options.shutdown_grace = std::chrono::milliseconds(500);
  options.log = [](std::string_view) {};
  return options;
}

}  // namespace locai::net::testing
