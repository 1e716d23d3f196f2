// http_session: one HTTP connection before any upgrade. Serves web-root, answers errors with
// a status, and hands "/ws" upgrades to websocket_session.
#pragma once

#include "net/beast.hpp"
#include "net/server_context.hpp"

namespace actorchat::netio {

/// Serves HTTP on an accepted socket (plain), or performs the TLS handshake first (tls).
void run_http_session(tcp::socket socket, context_ptr ctx);
void run_https_session(tcp::socket socket, context_ptr ctx);

} // namespace actorchat::netio
