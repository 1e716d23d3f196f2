#define CAF_SUITE lane_inbox
#include "net/lane_inbox.hpp"

#include <caf/test/unit_test.hpp>

#include <string>
#include <thread>

using namespace actorchat::netio;

namespace {

/// Records what ran, in order, and when it was asked to write.
struct recorder : lane_inbox::writer {
  std::string* log;
  explicit recorder(std::string* l) : log(l) {}
  void write_deferred() override { *log += "W"; }
};

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

/// Makes `inbox`'s next run follow a run that wrote to gather_min_writes connections.
void busy_run(asio::io_context& ioc, const std::shared_ptr<lane_inbox>& inbox, std::string& log) {
  std::vector<std::shared_ptr<recorder>> writers;
  for (size_t i = 0; i < lane_inbox::gather_min_writes; ++i)
    writers.push_back(std::make_shared<recorder>(&log));
  inbox->push([&] {
    for (auto& w : writers)
      inbox->defer_write(w);
  });
  // The first run does not wait (no run before it wrote anything); bounded as below.
  while (log.empty() && ioc.run_one_for(std::chrono::seconds{5}) > 0) {
  }
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

CAF_TEST(with a gather time pushes after a busy run wait for the timer and then run together) {
  asio::io_context ioc;
  auto inbox = std::make_shared<lane_inbox>(ioc.get_executor(), std::chrono::milliseconds{1});
  std::string log;
  busy_run(ioc, inbox, log);
  inbox->push([&] { log += "a"; });
  ioc.poll(); // arms the timer: nothing runs yet
  CAF_CHECK_EQUAL(log, "");
  inbox->push([&] { log += "b"; }); // joins the waiting hand-off
  ioc.poll();
  CAF_CHECK_EQUAL(log, "");
  // Bounded: the timer is due in 1 ms; run_one_for returns after at most 5 s.
  while (log.empty() && ioc.run_one_for(std::chrono::seconds{5}) > 0) {
  }
  CAF_CHECK_EQUAL(log, "ab");
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
