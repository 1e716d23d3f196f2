// send_credit: the bound on one client's undelivered messages (its bounded mailbox).
//
// CAF 0.17 mailboxes are unbounded, so the bound is ours. A room acquires credit for every
// message before it enqueues a batch for a member; the member's connection releases it once the
// bytes of those messages have been written to the socket. Mailbox plus write queue together
// therefore never hold more than limit() messages. When try_acquire fails the member is either
// too slow (dropped at once) or the whole server is behind (the room waits); see room.cpp.
//
// receive_window: the bound on the other direction, frames a connection has read but its client
// actor has not handled yet (chat.max-frames-in-flight). When it is full the connection stops
// reading its socket, so TCP slows the sender down (see websocket_session.cpp).
#pragma once

#include "actors/connection_ref.hpp"

#include <atomic>
#include <cstdint>
#include <memory>

namespace actorchat {

class send_credit {
public:
  explicit send_credit(uint32_t limit) noexcept : limit_(limit) {}

  /// Takes `n` credits if that keeps the messages in flight within the limit. Rooms call this
  /// from their own threads (a client in several rooms shares one credit), hence the CAS loop.
  bool try_acquire(uint32_t n) noexcept {
    auto cur = in_flight_.load(std::memory_order_relaxed);
    do {
      if (cur > limit_ || n > limit_ - cur)
        return false;
    } while (!in_flight_.compare_exchange_weak(cur, cur + n, std::memory_order_relaxed));
    return true;
  }

  /// Takes `n` credits if that keeps the messages in flight within twice the limit: for the
  /// replies to a client's own commands, which must not cost it its connection while a busy
  /// room fills its queue (see room.cpp on overload), yet stay bounded for a client that sends
  /// commands and never reads.
  bool try_acquire_reply(uint32_t n) noexcept {
    auto cur = in_flight_.load(std::memory_order_relaxed);
    do {
      if (cur > 2 * limit_ || n > 2 * limit_ - cur)
        return false;
    } while (!in_flight_.compare_exchange_weak(cur, cur + n, std::memory_order_relaxed));
    return true;
  }

  /// Takes `n` credits even past the limit: for a join's reply and replay, a bounded burst that
  /// must not cost the client its connection. Live traffic then waits until it is written.
  void force_acquire(uint32_t n) noexcept { in_flight_.fetch_add(n, std::memory_order_relaxed); }

  /// Returns `n` credits: called by the connection once those messages are written.
  void release(uint32_t n) noexcept {
    in_flight_.fetch_sub(n, std::memory_order_relaxed);
    released_.fetch_add(n, std::memory_order_relaxed);
  }

  /// Credits returned so far: a member whose count does not move is not taking anything.
  uint64_t progress() const noexcept { return released_.load(std::memory_order_relaxed); }

  uint32_t in_flight() const noexcept { return in_flight_.load(std::memory_order_relaxed); }
  uint32_t limit() const noexcept { return limit_; }

  /// The connection whose send queue this credit bounds: set once by the connection before the
  /// credit is handed to anyone (net/websocket_session.cpp); rooms deliver straight to it
  /// (actors/connection.hpp, fanout). Empty for members without one (bots, test fakes).
  void set_sink(connection_ref c) noexcept { sink_ = std::move(c); }
  const connection_ref& sink() const noexcept { return sink_; }

private:
  std::atomic<uint32_t> in_flight_{0};
  std::atomic<uint64_t> released_{0};
  const uint32_t limit_;
  connection_ref sink_;
};

using credit_ptr = std::shared_ptr<send_credit>;

class receive_window {
public:
  explicit receive_window(uint32_t limit) noexcept : limit_(limit == 0 ? 1 : limit) {}

  /// The reader took one frame; false if the window is now full (stop reading, then pause()).
  bool take() noexcept {
    return in_flight_.fetch_add(1, std::memory_order_acq_rel) + 1 < limit_;
  }

  /// The reader stops reading. False if frames were handled meanwhile and it must go on
  /// reading after all; true if it is paused now and release() will say when to resume.
  bool pause() noexcept {
    paused_.store(true, std::memory_order_seq_cst);
    if (in_flight_.load(std::memory_order_seq_cst) < limit_)
      return !paused_.exchange(false, std::memory_order_seq_cst);
    return true;
  }

  /// `n` frames were handled. True if the reader was paused and must now resume reading
  /// (exactly one of pause() and release() sees a given pause end).
  bool release(uint32_t n) noexcept {
    auto before = in_flight_.fetch_sub(n, std::memory_order_seq_cst);
    return before - n < limit_ && paused_.exchange(false, std::memory_order_seq_cst);
  }

  uint32_t in_flight() const noexcept { return in_flight_.load(std::memory_order_relaxed); }
  uint32_t limit() const noexcept { return limit_; }

private:
  std::atomic<uint32_t> in_flight_{0};
  std::atomic<bool> paused_{false};
  const uint32_t limit_;
};

using window_ptr = std::shared_ptr<receive_window>;

} // namespace actorchat
