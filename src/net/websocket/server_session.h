// Internal to the HTTP server: the server side of an accepted WebSocket upgrade. The Connection
// that read the upgrade request hands its stream (plain TCP or TLS) to StartWebSocketSession(),
// which answers the handshake and runs the session on the same strand until it closes. The session
// registers with the server (ServerShared::registry) so that Stop() closes it.
// Thread-safety: the functions are called on the connection's strand; the session then follows
// the WebSocketSession contract.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <memory>
#include <string>

#include "net/http/server_shared.h"
#include "net/websocket/websocket_session.h"

namespace locai::net::internal {

using UpgradeRequest = boost::beast::http::request<boost::beast::http::string_body>;

void StartWebSocketSession(std::shared_ptr<ServerShared> shared,
                           std::shared_ptr<boost::asio::io_context> ioc,
                           boost::asio::ip::tcp::socket stream, std::string remote_address,
                           UpgradeRequest request, WebSocketCallbacks callbacks);

void StartWebSocketSession(
    std::shared_ptr<ServerShared> shared, std::shared_ptr<boost::asio::io_context> ioc,
    std::unique_ptr<boost::beast::ssl_stream<boost::asio::ip::tcp::socket>> stream,
    std::string remote_address, UpgradeRequest request, WebSocketCallbacks callbacks);

}  // namespace locai::net::internal
