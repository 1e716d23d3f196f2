// lane_inbox: the hand-off from actors (CAF threads) to one network thread, a lane (each of the
// chat.io-threads has one; see server_context::lanes and websocket_session::lane()).
//
// Everything an actor asks of a session on that thread (a room's batch for many connections, a
// reply, a close, resume reading) waits here in order, behind at most one post. When it runs,
// the sessions first queue every batch it holds and only then write, once each
// (defer_write/write_deferred): batches that met in the inbox leave in one frame per connection
// instead of one each.
//
// Write gathering (chat.write-gather, docs/BENCHMARKS.md): a run that wrote to at least
// gather_min_writes connections (a busy room) makes the next one wait before it runs, so that
// more batches join it; until then, and while it waits its turn behind other handlers, what
// arrives joins it. The wait is as long as that run's writes took (a sweep over 1000 sockets
// takes milliseconds, one over 100 a tenth of that), capped at chat.write-gather: a big room's
// long sweeps wait long enough for the messages its publishers send meanwhile, a small room's
// short ones add little latency. A wait that gathered no more than the one push that started it
// was wasted (one talker in a big room): the next skip_after_wasted runs go at once.
#pragma once

#include "net/beast.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace actorchat::netio {

class lane_inbox : public std::enable_shared_from_this<lane_inbox> {
public:
  /// A run that wrote to fewer connections than this does not make the next one wait.
  static constexpr size_t gather_min_writes = 64;
  /// Runs that go at once after a wait that gathered nothing.
  static constexpr int skip_after_wasted = 4;

  /// Something that writes what it queued while the inbox ran (a session).
  class writer {
  public:
    virtual ~writer() = default;
    virtual void write_deferred() = 0;
  };

  /// `gather`: the longest wait (0: never wait).
  lane_inbox(asio::any_io_executor ex, std::chrono::nanoseconds gather)
    : ex_(std::move(ex)), gather_(gather) {
    if (gather_.count() > 0)
      timer_.emplace(ex_);
  }

  /// From any thread: runs `f` on the lane's thread, after everything pushed before it.
  void push(std::function<void()> f) {
    bool post = false;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      pending_.push_back(std::move(f));
      post = !posted_;
      posted_ = true;
    }
    if (!post)
      return;
    if (!timer_) {
      asio::post(ex_, [self = shared_from_this()] { self->run(); });
      return;
    }
    asio::post(ex_, [self = shared_from_this()] {
      if (!self->timer_)
        return; // shut down
      auto wait = self->next_wait();
      if (self->skip_ > 0)
        --self->skip_;
      if (wait.count() <= 0) {
        self->run();
        return;
      }
      self->timer_->expires_after(wait);
      self->timer_->async_wait([self](const boost::system::error_code& ec) {
        if (!ec) {
          self->waited_ = true;
          self->run();
        }
      });
    });
  }

  /// On the lane's thread: true while the inbox runs; a writer then calls defer_write instead
  /// of writing.
  bool running() const noexcept { return running_; }

  /// On the lane's thread, while running(): `w` writes once the inbox has run everything.
  void defer_write(std::shared_ptr<writer> w) { deferred_.push_back(std::move(w)); }

  /// Drops what was pushed and never ran, and the timer; once the lane's thread has stopped and
  /// no other pushes any more (the server closed its connection_gate), before the io_context
  /// goes: what the inbox holds belongs to that io_context.
  void shutdown() {
    std::vector<std::function<void()>> dropped;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      dropped.swap(pending_);
    }
    timer_.reset();
  }

  /// On the lane's thread: how long a run posted now would wait (see the top of this file).
  std::chrono::nanoseconds next_wait() const noexcept {
    if (!timer_ || skip_ > 0 || last_writes_ < gather_min_writes)
      return {}; // few connections to write: gathering would only add latency
    return std::min(gather_, last_sweep_);
  }

private:
  void run() {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      taken_.swap(pending_);
      posted_ = false;
    }
    if (waited_ && taken_.size() <= 1)
      skip_ = skip_after_wasted;
    waited_ = false;
    running_ = true;
    for (auto& f : taken_)
      f();
    running_ = false;
    taken_.clear();
    last_writes_ = deferred_.size();
    auto start = std::chrono::steady_clock::now();
    for (auto& w : deferred_)
      w->write_deferred();
    last_sweep_ = std::chrono::steady_clock::now() - start;
    deferred_.clear();
  }

  asio::any_io_executor ex_;
  std::chrono::nanoseconds gather_;
  std::optional<asio::steady_timer> timer_; ///< the lane's thread only (and shutdown)
  std::mutex mutex_;
  std::vector<std::function<void()>> pending_; ///< guarded by mutex_
  bool posted_ = false;                        ///< guarded by mutex_: a run() is queued
  // The lane's thread only:
  std::vector<std::function<void()>> taken_;
  std::vector<std::shared_ptr<writer>> deferred_;
  bool running_ = false;
  size_t last_writes_ = 0;                ///< connections the last run wrote to
  std::chrono::nanoseconds last_sweep_{}; ///< how long those writes took
  bool waited_ = false;                   ///< this run was gathered
  int skip_ = 0;                          ///< runs still to go at once
};

} // namespace actorchat::netio
