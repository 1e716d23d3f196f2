// connection: what a client actor needs from its network connection, and nothing more.
//
// net/websocket_session implements it; unit tests implement it with a fake. actors/ never
// includes net/ or Beast. Every member function is thread-safe: client actors call them from CAF
// worker threads, and the implementation only posts the work onto the connection's own strand.
#pragma once

#include "actors/types.hpp"

#include <cstdint>
#include <string>

namespace actorchat {

/// WebSocket close codes actorchat sends (RFC 6455, section 7.4.1).
enum class close_code : uint16_t {
  normal = 1000,
  going_away = 1001,     ///< the server shuts down
  unsupported = 1003,    ///< a binary frame (chat is text only)
  bad_payload = 1007,    ///< invalid UTF-8 in a text frame
  policy = 1008,         ///< too slow (chat.send-queue overflowed) or over chat.rate-limit
  too_big = 1009,        ///< an inbound message over chat.max-message-size
  internal_error = 1011, ///< the server failed
};

class connection {
public:
  virtual ~connection() = default;

  /// Queues every payload of `batch` for writing, in order, after what is already queued. For
  /// each payload written the connection releases one credit of its send_credit.
  virtual void send(payload_batch batch) = 0;

  /// Sends a close frame with `code` and `reason` once the frame being written now (if any) is
  /// out; payloads still queued behind it are discarded.
  virtual void close(close_code code, std::string reason) = 0;

  /// Reads from the socket again after the connection stopped because its receive_window was
  /// full; called once per pause, by whoever's receive_window::release() returned true.
  virtual void resume_reading() = 0;
};

} // namespace actorchat
