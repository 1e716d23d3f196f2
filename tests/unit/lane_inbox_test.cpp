#define CAF_SUITE lane_inbox
#include "net/lane_inbox.hpp"

#include <caf/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace actorchat::netio;

namespace {

/// Records what ran, in order, and when it was asked to write; takes `takes` to write.
struct recorder : lane_inbox::writer {
  std::string* log;
  std::chrono::milliseconds takes;
  explicit recorder(std::string* l, std::chrono::milliseconds t = {}) : log(l), takes(t) {}
  void write_deferred() override {
    if (takes.count() > 0)
      std::this_thread::sleep_for(takes);
    *log += "W";
  }
};

/// gather_min_writes writers; the last takes `takes` to write (the sweep takes at least that).
std::vector<std::shared_ptr<recorder>> busy_writers(std::string& log,
                                                    std::chrono::milliseconds takes = {}) {
  std::vector<std::shared_ptr<recorder>> writers;
  for (size_t i = 0; i + 1 < lane_inbox::gather_min_writes; ++i)
    writers.push_back(std::make_shared<recorder>(&log));
  writers.push_back(std::make_shared<recorder>(&log, takes));
  return writers;
}

/// Pushes what appends `c` to `log` and then has all of `writers` write.
void push_busy(lane_inbox& inbox, std::string& log,
               const std::vector<std::shared_ptr<recorder>>& writers, char c) {
  inbox.push([&inbox, &log, &writers, c] {
    log += c;
    for (auto& w : writers)
      inbox.defer_write(w);
  });
}

/// Runs `ioc` until `log` has `n` characters; bounded: each step returns within 5 s.
void run_until(asio::io_context& ioc, const std::string& log, size_t n) {
  while (log.size() < n && ioc.run_one_for(std::chrono::seconds{5}) > 0) {
  }
}

} // namespace

CAF_TEST(what is pushed before its turn runs in order in one hand-off) {
  asio::io_context ioc;
  auto inbox = std::make_shared<lane_inbox>(ioc.get_executor(), std::chrono::nanoseconds{0});
  std::string log;
  std::thread pusher{[&] {
    for (char c : std::string{"abc"})
      inbox->push([&log, c] { log += c; });
  }};
  pusher.join();
  CAF_CHECK_EQUAL(ioc.poll(), 1u); // three pushes, one post
  CAF_CHECK_EQUAL(log, "abc");
}

CAF_TEST(a writer deferred during a run writes once after everything in it) {
  asio::io_context ioc;
  auto inbox = std::make_shared<lane_inbox>(ioc.get_executor(), std::chrono::nanoseconds{0});
  std::string log;
  auto w = std::make_shared<recorder>(&log);
  CAF_CHECK(!inbox->running());
  inbox->push([&] {
    CAF_CHECK(inbox->running());
    log += "1";
    inbox->defer_write(w);
  });
  inbox->push([&] { log += "2"; });
  ioc.poll();
  CAF_CHECK_EQUAL(log, "12W");
  CAF_CHECK(!inbox->running());
}

CAF_TEST(a push during a run goes after it in a new hand-off) {
  asio::io_context ioc;
  auto inbox = std::make_shared<lane_inbox>(ioc.get_executor(), std::chrono::nanoseconds{0});
  std::string log;
  inbox->push([&] {
    log += "a";
    inbox->push([&] { log += "c"; });
  });
  inbox->push([&] { log += "b"; });
  CAF_CHECK_EQUAL(ioc.poll(), 2u);
  CAF_CHECK_EQUAL(log, "abc");
}

CAF_TEST(shutdown drops what never ran) {
  asio::io_context ioc;
  auto inbox = std::make_shared<lane_inbox>(ioc.get_executor(), std::chrono::nanoseconds{0});
  auto held = std::make_shared<int>(7);
  inbox->push([held] {});
  CAF_CHECK_EQUAL(held.use_count(), 2);
  inbox->shutdown();
  CAF_CHECK_EQUAL(held.use_count(), 1);
  ioc.poll(); // the queued hand-off finds nothing
}

/// Makes `inbox`'s next run follow a run that wrote to gather_min_writes connections, which
/// took at least `takes`.
void busy_run(asio::io_context& ioc, const std::shared_ptr<lane_inbox>& inbox, std::string& log,
              std::chrono::milliseconds takes = std::chrono::milliseconds{200}) {
  auto writers = busy_writers(log, takes);
  inbox->push([&] {
    for (auto& w : writers)
      inbox->defer_write(w);
  });
  // The first run does not wait (no run before it wrote anything).
  run_until(ioc, log, lane_inbox::gather_min_writes);
  CAF_REQUIRE_EQUAL(log.size(), lane_inbox::gather_min_writes);
  log.clear();
  ioc.restart(); // it ran out of work
}

CAF_TEST(a run after a small one does not wait for the gather time) {
  asio::io_context ioc;
  auto inbox = std::make_shared<lane_inbox>(ioc.get_executor(), std::chrono::seconds{60});
  std::string log;
  inbox->push([&] { log += "a"; });
  ioc.poll();
  CAF_CHECK_EQUAL(log, "a");
}

CAF_TEST(pushes after a busy run wait as long as its writes took and then run together) {
  asio::io_context ioc;
  // The cap is far away: the wait is the busy run's writes' 200 ms.
  auto inbox = std::make_shared<lane_inbox>(ioc.get_executor(), std::chrono::seconds{60});
  std::string log;
  busy_run(ioc, inbox, log);
  inbox->push([&] { log += "a"; });
  ioc.poll(); // arms the timer: nothing runs yet
  CAF_CHECK_EQUAL(log, "");
  inbox->push([&] { log += "b"; }); // joins the waiting hand-off
  ioc.poll();
  CAF_CHECK_EQUAL(log, "");
  run_until(ioc, log, 2);
  CAF_CHECK_EQUAL(log, "ab");
}

CAF_TEST(the wait is as long as the writes of the last busy run took capped at the gather time) {
  asio::io_context ioc;
  std::string log;
  auto capped = std::make_shared<lane_inbox>(ioc.get_executor(), std::chrono::milliseconds{1});
  CAF_CHECK_EQUAL(capped->next_wait().count(), 0); // nothing written yet
  busy_run(ioc, capped, log, std::chrono::milliseconds{100});
  CAF_CHECK_EQUAL(capped->next_wait(), std::chrono::milliseconds{1});
  auto uncapped = std::make_shared<lane_inbox>(ioc.get_executor(), std::chrono::seconds{60});
  busy_run(ioc, uncapped, log, std::chrono::milliseconds{100});
  CAF_CHECK_GREATER_OR_EQUAL(uncapped->next_wait(), std::chrono::milliseconds{100});
  CAF_CHECK_LESS(uncapped->next_wait(), std::chrono::seconds{60});
  auto never = std::make_shared<lane_inbox>(ioc.get_executor(), std::chrono::nanoseconds{0});
  busy_run(ioc, never, log, std::chrono::milliseconds{1});
  CAF_CHECK_EQUAL(never->next_wait().count(), 0);
}

namespace {

/// An inbox with a far cap (60 s) after a busy run whose writes took 50 ms, and writers for
/// more busy runs like it.
struct after_busy_run {
  asio::io_context ioc;
  std::shared_ptr<lane_inbox> inbox = std::make_shared<lane_inbox>(ioc.get_executor(),
                                                                    std::chrono::seconds{60});
  std::string log;
  std::vector<std::shared_ptr<recorder>> writers;

  after_busy_run() {
    busy_run(ioc, inbox, log, std::chrono::milliseconds{50});
    writers = busy_writers(log, std::chrono::milliseconds{50});
  }

  /// Starts over with an empty log and an io_context that may run again.
  void next() {
    log.clear();
    ioc.restart();
  }

  /// Checks that a push now waits (nothing runs at once), then runs it.
  void check_next_waits() {
    next();
    inbox->push([this] { log += "c"; });
    ioc.poll();
    CAF_CHECK_EQUAL(log, "");
    run_until(ioc, log, 1);
    CAF_CHECK_EQUAL(log, "c");
  }
};

} // namespace

CAF_TEST(after a wait that gathered nothing the next runs go at once) {
  after_busy_run f;
  // One push alone, which writes to many connections again: the wait was wasted.
  push_busy(*f.inbox, f.log, f.writers, 'a');
  run_until(f.ioc, f.log, 1 + lane_inbox::gather_min_writes);
  CAF_REQUIRE_EQUAL(f.log.size(), 1 + lane_inbox::gather_min_writes);
  // The next skip_after_wasted runs, each after a busy run, do not wait.
  for (int i = 0; i < lane_inbox::skip_after_wasted; ++i) {
    f.next();
    push_busy(*f.inbox, f.log, f.writers, 'b');
    f.ioc.poll();
    CAF_CHECK_EQUAL(f.log.substr(0, 1), "b");
  }
  // Then they wait again.
  f.check_next_waits();
}

CAF_TEST(a wait that gathered more than one push keeps the next waiting) {
  after_busy_run f;
  push_busy(*f.inbox, f.log, f.writers, 'a');
  f.ioc.poll(); // waits
  f.inbox->push([&f] { f.log += "b"; });
  run_until(f.ioc, f.log, 2 + lane_inbox::gather_min_writes);
  CAF_REQUIRE_EQUAL(f.log.substr(0, 2), "ab");
  f.check_next_waits();
}

CAF_TEST(shutdown with a gather timer pending leaves nothing to run) {
  asio::io_context ioc;
  auto inbox = std::make_shared<lane_inbox>(ioc.get_executor(), std::chrono::seconds{1});
  std::string log;
  busy_run(ioc, inbox, log);
  inbox->push([&] { log += "a"; });
  ioc.poll(); // the timer waits
  inbox->shutdown();
  ioc.poll(); // the canceled wait completes without running anything
  CAF_CHECK_EQUAL(log, "");
}
