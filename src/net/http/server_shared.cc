#include "net/http/server_shared.h"

#include <cstdio>

namespace locai::net::internal {

std::string FormatEndpoint(const boost::asio::ip::tcp::endpoint& endpoint) {
  const boost::asio::ip::address address = endpoint.address();
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port());
}

void ServerShared::Log(std::string_view line) const {
  if (options.log) {
    options.log(line);
  } else {
    std::fprintf(stderr, "[net] %.*s\n", static_cast<int>(line.size()), line.data());
  }
}

RenderedError ServerShared::Render(int status, std::string_view message) const {
  if (options.error_renderer) return options.error_renderer(status, message);
  return DefaultErrorRenderer(status, message);
}

void ServerShared::Register(uint64_t id, std::weak_ptr<ServerEndpoint> endpoint) {
  std::lock_guard<std::mutex> lock(registry_mu);
  registry.emplace(id, std::move(endpoint));
}

void ServerShared::Unregister(uint64_t id) {
  {
    std::lock_guard<std::mutex> lock(registry_mu);
    registry.erase(id);
  }
  registry_cv.notify_all();
}

}  // namespace locai::net::internal
