// http_session: one HTTP connection before any upgrade. Serves web-root, /healthz and /metrics,
// answers errors with a status, and hands "/ws" upgrades to websocket_session. On the metrics
// listener (chat.metrics-port) it serves /metrics and /healthz only.
#pragma once

#include "net/beast.hpp"
#include "net/server_context.hpp"

namespace actorchat::netio {

/// Serves HTTP on an accepted socket (plain), or performs the TLS handshake first (tls).
/// `admitted`: the listener's admission verdict; a connection that was not admitted gets 503
/// for its first request and is closed. `ticket` holds an admitted connection's place (it moves
/// on into the WebSocket session).
void run_http_session(tcp::socket socket, context_ptr ctx, admission::verdict admitted,
                      admission::ticket ticket, listener_role role = listener_role::chat);
void run_https_session(tcp::socket socket, context_ptr ctx, admission::verdict admitted,
                       admission::ticket ticket);

} // namespace actorchat::netio
