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
  auto inbox = std::make_shared<lane_inbox>(ioc.get_executor());
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
  auto inbox = std::make_shared<lane_inbox>(ioc.get_executor());
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
  auto inbox = std::make_shared<lane_inbox>(ioc.get_executor());
  std::string log;
  inbox->push([&] {
    log += "a";
    inbox->push([&] { log += "c"; });
  });
  inbox->push([&] { log += "b"; });
  CAF_CHECK_EQUAL(ioc.poll(), 2u);
  CAF_CHECK_EQUAL(log, "abc");
}

CAF_TEST(discard drops what never ran) {
  asio::io_context ioc;
  auto inbox = std::make_shared<lane_inbox>(ioc.get_executor());
  auto held = std::make_shared<int>(7);
  inbox->push([held] {});
  CAF_CHECK_EQUAL(held.use_count(), 2);
  inbox->discard();
  CAF_CHECK_EQUAL(held.use_count(), 1);
  ioc.poll(); // the queued hand-off finds nothing
}
