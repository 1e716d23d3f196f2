// connection_ref: how actors reach a network connection, so that the network can be torn down
// safely while they still run.
//
// Client actors and rooms hold only weak references to connections and lock them from CAF
// threads to hand over a batch (actors/connection.hpp). A locked connection posts onto its Asio
// io_context and may be destroyed, with its sockets and timers, on the thread that drops the
// last reference. Neither may happen once the io_context is being destroyed: a post then lands
// in a queue that nobody destroys before the timer services are gone (found by ASan in
// scripts/loadgen-smoke). So every lock goes through the server's connection_gate: the server
// closes the gate after its io_context stopped and before it destroys it (net/server.cpp);
// close() waits for the locks in progress, and no new one succeeds. Then only the io_context's
// own queue holds connections, and it destroys them in order.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <type_traits>
#include <utility>

namespace actorchat {

class connection;

class connection_gate {
public:
  /// True if the network is up; the caller may then lock connections until leave().
  bool enter() noexcept {
    users_.fetch_add(1); // sequentially consistent with close(): one of the two sees the other
    if (closed_.load()) {
      leave();
      return false;
    }
    return true;
  }

  void leave() noexcept { users_.fetch_sub(1); }

  /// From now on enter() fails; returns once every caller that entered has left. Those hold
  /// a connection for one hand-off (microseconds), never across a wait.
  void close() noexcept {
    closed_.store(true);
    while (users_.load() != 0)
      std::this_thread::yield();
  }

  bool closed() const noexcept { return closed_.load(); }

  /// An entered gate, left on destruction; a pass without a gate (test fakes) always holds.
  class pass {
  public:
    pass() = default;
    explicit pass(connection_gate* g) noexcept : gate_(g), held_(!g || g->enter()) {}
    pass(pass&& other) noexcept
      : gate_(std::exchange(other.gate_, nullptr)), held_(std::exchange(other.held_, false)) {}
    pass& operator=(pass&& other) noexcept {
      if (this != &other) {
        release();
        gate_ = std::exchange(other.gate_, nullptr);
        held_ = std::exchange(other.held_, false);
      }
      return *this;
    }
    pass(const pass&) = delete;
    pass& operator=(const pass&) = delete;
    ~pass() { release(); }

    bool held() const noexcept { return held_; }
    const connection_gate* gate() const noexcept { return gate_; }

    void release() noexcept {
      if (held_ && gate_)
        gate_->leave();
      held_ = false;
    }

  private:
    connection_gate* gate_ = nullptr;
    bool held_ = false;
  };

private:
  std::atomic<bool> closed_{false};
  std::atomic<uint32_t> users_{0};
};

using gate_ptr = std::shared_ptr<connection_gate>;

/// A weak reference to a connection behind its server's gate.
class connection_ref {
public:
  /// A locked connection: usable (operator->) while this lives, which must stay within one
  /// message handler. Drops the connection before it leaves the gate.
  class use {
  public:
    use() = default;
    use(connection_gate::pass p, std::shared_ptr<connection> c) noexcept
      : pass_(std::move(p)), conn_(std::move(c)) {}
    use(use&&) noexcept = default;
    use& operator=(use&& other) noexcept {
      conn_.reset();
      pass_ = std::move(other.pass_);
      conn_ = std::move(other.conn_);
      return *this;
    }
    ~use() { conn_.reset(); } // before pass_ leaves the gate (members die in reverse order)

    explicit operator bool() const noexcept { return conn_ != nullptr; }
    connection* operator->() const noexcept { return conn_.get(); }
    connection& operator*() const noexcept { return *conn_; }

  private:
    connection_gate::pass pass_;
    std::shared_ptr<connection> conn_;
  };

  connection_ref() = default;
  /// Without a gate (unit tests' fakes, which outlive their actors), lock() is weak_ptr::lock.
  template <class Ptr, class = std::enable_if_t<
                         std::is_constructible_v<std::weak_ptr<connection>, Ptr&&>>>
  connection_ref(Ptr&& c, gate_ptr gate = nullptr) noexcept // NOLINT: converts like weak_ptr
    : conn_(std::forward<Ptr>(c)), gate_(std::move(gate)) {}

  use lock() const noexcept {
    connection_gate::pass p{gate_.get()};
    if (!p.held())
      return {};
    auto c = conn_.lock();
    if (!c)
      return {};
    return {std::move(p), std::move(c)};
  }

  /// For callers that entered the gate themselves (fanout): lock without entering again.
  std::shared_ptr<connection> lock_within(const connection_gate::pass& p) const noexcept {
    return p.held() && p.gate() == gate_.get() ? conn_.lock() : nullptr;
  }

  connection_gate* gate() const noexcept { return gate_.get(); }

private:
  std::weak_ptr<connection> conn_;
  gate_ptr gate_;
};

} // namespace actorchat
