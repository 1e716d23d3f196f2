// connection: what client actors and rooms need from a network connection, and nothing more.
//
// net/websocket_session implements it; unit tests implement it with a fake. actors/ never
// includes net/ or Beast. Client actors and rooms (fanout, below) call it. Every member function
// is thread-safe: they are called from CAF worker threads, and the implementation only posts the
// work onto the connection's own executor (take_on_lane excepted: see there).
#pragma once

#include "actors/connection_ref.hpp"
#include "actors/credit.hpp"
#include "actors/types.hpp"

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>
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

  /// Connections with the same non-null lane() are served by one thread, which can take a
  /// batch for all of them in one hand-off (send_all). Null: this one takes its batches alone.
  virtual const void* lane() const noexcept { return nullptr; }

  /// As send(batch) on every connection of `group` (all with this one's lane(), this one among
  /// them or not), in one hand-off to their thread instead of one each.
  virtual void send_all(std::vector<std::shared_ptr<connection>> group, payload_batch batch) {
    for (auto& c : group)
      c->send(batch);
  }

  /// For send_all only, on the lane's thread: queues `batch` at once.
  virtual void take_on_lane(const payload_batch& batch) { send(batch); }
};

/// Hands one batch to many members (actors/room.cpp, actors/relay.cpp): straight to the
/// connections of those that have one (see send_credit::sink), grouped by lane, so that
/// a room's broadcast costs one hand-off per network thread instead of an actor message and a
/// post per member (docs/BENCHMARKS.md). Members without a connection (bots, test fakes) get
/// it from the caller as an actor message. Every delivery of a room to one member takes the
/// same path, so their order is kept.
class fanout {
public:
  explicit fanout(payload_batch batch) : batch_(std::move(batch)) {}
  fanout(const fanout&) = delete;
  fanout& operator=(const fanout&) = delete;
  ~fanout() { finish(); }

  /// Takes the member whose send credit is `credit`; false if it has no connection (then the
  /// caller sends the batch to its actor).
  bool add(const send_credit& credit) {
    const auto& ref = credit.sink();
    // One pass through the gate for the whole broadcast (connection_ref.hpp): every member
    // of a server shares its gate. A member behind another gate takes its batch alone.
    if (!entered_) {
      pass_ = connection_gate::pass{ref.gate()};
      entered_ = true;
    }
    auto c = ref.lock_within(pass_);
    if (!c) {
      if (pass_.gate() == ref.gate())
        return false;
      return direct(credit, batch_);
    }
    auto lane = c->lane();
    if (!lane) {
      c->send(batch_);
      return true;
    }
    for (auto& g : groups_)
      if (g.first == lane) {
        g.second.push_back(std::move(c));
        return true;
      }
    groups_.emplace_back(lane, std::vector<std::shared_ptr<connection>>{std::move(c)});
    return true;
  }

  /// Hands the batch to the groups (the destructor does it too), then leaves the gate.
  void finish() {
    for (auto& g : groups_) {
      auto first = g.second.front();
      first->send_all(std::move(g.second), batch_);
    }
    groups_.clear();
    pass_.release();
    entered_ = false;
  }

  /// One batch to one member: true if it went straight to its connection.
  static bool direct(const send_credit& credit, const payload_batch& batch) {
    auto c = credit.sink().lock();
    if (!c)
      return false;
    c->send(batch);
    return true;
  }

private:
  payload_batch batch_;
  connection_gate::pass pass_;
  bool entered_ = false;
  std::vector<std::pair<const void*, std::vector<std::shared_ptr<connection>>>> groups_;
};

} // namespace actorchat
