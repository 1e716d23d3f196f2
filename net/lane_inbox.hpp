// lane_inbox: the hand-off from actors (CAF threads) to the one Asio thread, when there is one
// (chat.io-threads = 1, the default; see websocket_session::lane()).
//
// Everything an actor asks of a session on that thread (a room's batch for many connections, a
// reply, a close, resume reading) waits here in order, behind at most one post. While that post
// waits its turn (the thread is busy writing the previous batches), what arrives joins it; when
// it runs, the sessions first queue every batch it holds and only then write, once each
// (defer_write/flush): batches that met in the inbox leave in one frame per connection instead
// of one each (docs/BENCHMARKS.md).
#pragma once

#include "net/beast.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace actorchat::netio {

class lane_inbox : public std::enable_shared_from_this<lane_inbox> {
public:
  /// Something that writes what it queued while the inbox ran (a session).
  class writer {
  public:
    virtual ~writer() = default;
    virtual void write_deferred() = 0;
  };

  explicit lane_inbox(asio::any_io_executor ex) : ex_(std::move(ex)) {}

  /// From any thread: runs `f` on the lane's thread, after everything pushed before it.
  void push(std::function<void()> f) {
    bool post = false;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      pending_.push_back(std::move(f));
      post = !posted_;
      posted_ = true;
    }
    if (post)
      asio::post(ex_, [self = shared_from_this()] { self->run(); });
  }

  /// On the lane's thread: true while the inbox runs; a writer then calls defer_write instead
  /// of writing.
  bool running() const noexcept { return running_; }

  /// On the lane's thread, while running(): `w` writes once the inbox has run everything.
  void defer_write(std::shared_ptr<writer> w) { deferred_.push_back(std::move(w)); }

  /// Drops what was pushed and never ran; once no thread pushes any more (the server closed
  /// its connection_gate), before the io_context goes.
  void discard() {
    std::vector<std::function<void()>> dropped;
    std::lock_guard<std::mutex> guard{mutex_};
    dropped.swap(pending_);
  }

private:
  void run() {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      taken_.swap(pending_);
      posted_ = false;
    }
    running_ = true;
    for (auto& f : taken_)
      f();
    running_ = false;
    taken_.clear();
    for (auto& w : deferred_)
      w->write_deferred();
    deferred_.clear();
  }

  asio::any_io_executor ex_;
  std::mutex mutex_;
  std::vector<std::function<void()>> pending_; ///< guarded by mutex_
  bool posted_ = false;                        ///< guarded by mutex_: a run() is queued
  // The lane's thread only:
  std::vector<std::function<void()>> taken_;
  std::vector<std::shared_ptr<writer>> deferred_;
  bool running_ = false;
};

} // namespace actorchat::netio
