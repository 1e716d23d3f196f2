// send_credit: the bound on one client's undelivered messages (its bounded mailbox).
//
// CAF 0.17 mailboxes are unbounded, so the bound is ours. A room acquires credit for every
// message before it enqueues a batch for a member; the member's connection releases it once the
// bytes of those messages have been written to the socket. Mailbox plus write queue together
// therefore never hold more than limit() messages. When try_acquire fails the member is too slow
// and the room drops it instead of waiting (see room.cpp).
#pragma once

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

  /// Takes `n` credits even past the limit: for a join's reply and replay, a bounded burst that
  /// must not cost the client its connection. Live traffic then waits until it is written.
  void force_acquire(uint32_t n) noexcept { in_flight_.fetch_add(n, std::memory_order_relaxed); }

  /// Returns `n` credits: called by the connection once those messages are written.
  void release(uint32_t n) noexcept { in_flight_.fetch_sub(n, std::memory_order_relaxed); }

  uint32_t in_flight() const noexcept { return in_flight_.load(std::memory_order_relaxed); }
  uint32_t limit() const noexcept { return limit_; }

private:
  std::atomic<uint32_t> in_flight_{0};
  const uint32_t limit_;
};

using credit_ptr = std::shared_ptr<send_credit>;

} // namespace actorchat
