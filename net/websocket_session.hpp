// websocket_session: one WebSocket connection, bridged to its client actor.
//
// The session owns the write queue; see websocket_session.cpp for the threading rules.
#pragma once

#include "net/beast.hpp"
#include "net/server_context.hpp"

namespace actorchat::netio {

/// Completes the WebSocket handshake for `req` on `stream` and serves the connection until it
/// closes; `autojoin`: the client starts in the lobby. The stream's executor must be one lane's
/// io_context (the listener accepts onto one): a single thread runs it. `ticket` holds the
/// connection's place under the caps.
void run_websocket_session(plain_stream stream, request req, bool autojoin, context_ptr ctx,
                           admission::ticket ticket);
void run_websocket_session(tls_stream stream, request req, bool autojoin, context_ptr ctx,
                           admission::ticket ticket);

} // namespace actorchat::netio
