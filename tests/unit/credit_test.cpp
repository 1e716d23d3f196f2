#define CAF_SUITE credit
#include "actors/connection.hpp"
#include "actors/credit.hpp"
#include "actors/rate_limit.hpp"

#include <caf/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

using actorchat::rate_limit;
using actorchat::receive_window;
using actorchat::send_credit;

CAF_TEST(acquire up to the limit and no further) {
  send_credit c{4};
  CAF_CHECK(c.try_acquire(3));
  CAF_CHECK(c.try_acquire(1));
  CAF_CHECK_EQUAL(c.in_flight(), 4u);
  CAF_CHECK(!c.try_acquire(1));
  CAF_CHECK_EQUAL(c.in_flight(), 4u);
}

CAF_TEST(a batch that does not fit takes nothing) {
  send_credit c{4};
  CAF_CHECK(c.try_acquire(2));
  CAF_CHECK(!c.try_acquire(3));
  CAF_CHECK_EQUAL(c.in_flight(), 2u);
}

CAF_TEST(release makes room again) {
  send_credit c{2};
  CAF_CHECK(c.try_acquire(2));
  c.release(1);
  CAF_CHECK_EQUAL(c.in_flight(), 1u);
  CAF_CHECK(c.try_acquire(1));
  CAF_CHECK(!c.try_acquire(1));
}

CAF_TEST(huge requests do not wrap around) {
  send_credit c{10};
  CAF_CHECK(c.try_acquire(5));
  CAF_CHECK(!c.try_acquire(UINT32_MAX));
  CAF_CHECK_EQUAL(c.in_flight(), 5u);
}

CAF_TEST(replies may use a second limit worth of credit and no more) {
  send_credit c{4};
  CAF_CHECK(c.try_acquire(4));
  CAF_CHECK(!c.try_acquire(1));
  CAF_CHECK(c.try_acquire_reply(3));
  CAF_CHECK(c.try_acquire_reply(1));
  CAF_CHECK(!c.try_acquire_reply(1));
  CAF_CHECK_EQUAL(c.in_flight(), 8u);
}

CAF_TEST(progress counts every credit given back) {
  send_credit c{4};
  CAF_CHECK(c.try_acquire(3));
  CAF_CHECK_EQUAL(c.progress(), 0u);
  c.release(2);
  c.release(1);
  CAF_CHECK_EQUAL(c.progress(), 3u);
}

// -- receive_window: frames read but not handled ------------------------------------------------

CAF_TEST(the reader stops at the window and is resumed exactly once) {
  receive_window w{2};
  CAF_CHECK(w.take());  // 1 in flight: read on
  CAF_CHECK(!w.take()); // 2: full
  CAF_CHECK(w.pause()); // nothing handled meanwhile: paused
  CAF_CHECK(w.release(1));  // the reader must resume
  CAF_CHECK(!w.release(1)); // not twice
  CAF_CHECK_EQUAL(w.in_flight(), 0u);
}

CAF_TEST(a frame handled between take and pause keeps the reader going) {
  receive_window w{1};
  CAF_CHECK(!w.take());
  CAF_CHECK(!w.release(1)); // not paused yet: nobody to resume
  CAF_CHECK(!w.pause());    // so pause sees the room and reads on itself
  CAF_CHECK(!w.release(0)); // and no stale pause is left behind
}

CAF_TEST(releases below the window do not resume a reader that never paused) {
  receive_window w{4};
  CAF_CHECK(w.take());
  CAF_CHECK(w.take());
  CAF_CHECK(!w.release(2));
}

// -- rate_limit: the token bucket on inbound frames ----------------------------------------------

namespace {

using clock_type = std::chrono::steady_clock;

clock_type::time_point at_ms(int64_t ms) {
  return clock_type::time_point{std::chrono::milliseconds{ms}};
}

} // namespace

CAF_TEST(a burst passes and the next frame is refused) {
  rate_limit r{10, 3};
  for (int i = 0; i < 3; ++i)
    CAF_CHECK(r.take(at_ms(1000)) == rate_limit::verdict::allow);
  CAF_CHECK(r.take(at_ms(1000)) == rate_limit::verdict::refuse);
}

CAF_TEST(tokens come back at the rate) {
  rate_limit r{10, 1};
  CAF_CHECK(r.take(at_ms(1000)) == rate_limit::verdict::allow);
  CAF_CHECK(r.take(at_ms(1050)) == rate_limit::verdict::refuse); // half a token, minus one
  // 10 per second: after the debt of 0.5 is paid, one more token in 100 ms.
  CAF_CHECK(r.take(at_ms(1250)) == rate_limit::verdict::allow);
}

CAF_TEST(a sender that keeps going while refused is closed at a debt of burst) {
  rate_limit r{10, 3};
  std::vector<rate_limit::verdict> got;
  for (int i = 0; i < 6; ++i)
    got.push_back(r.take(at_ms(1000)));
  CAF_CHECK(got[2] == rate_limit::verdict::allow);
  CAF_CHECK(got[3] == rate_limit::verdict::refuse); // tokens 0 -> -1
  CAF_CHECK(got[4] == rate_limit::verdict::refuse); // -2
  CAF_CHECK(got[5] == rate_limit::verdict::close);  // -3 = -burst
}

CAF_TEST(sending at the rate forever is fine) {
  rate_limit r{20, 2};
  for (int64_t i = 0; i < 1000; ++i)
    CAF_CHECK(r.take(at_ms(1000 + i * 50)) == rate_limit::verdict::allow);
}

CAF_TEST(sending at twice the rate ends in a close) {
  rate_limit r{20, 5};
  bool closed = false;
  for (int64_t i = 0; i < 400 && !closed; ++i)
    closed = r.take(at_ms(1000 + i * 25)) == rate_limit::verdict::close;
  CAF_CHECK(closed);
}

CAF_TEST(rate zero means no limit) {
  rate_limit r{0, 0};
  for (int i = 0; i < 10000; ++i)
    CAF_CHECK(r.take(at_ms(1)) == rate_limit::verdict::allow);
}

// -- the connection gate (actors/connection_ref.hpp) -----------------------------------------

namespace {

/// Counts what reaches it; enough to see whether a lock through the gate got through.
class counting_connection : public actorchat::connection {
public:
  void send(actorchat::payload_batch) override { ++sends; }
  void close(actorchat::close_code, std::string) override {}
  void resume_reading() override {}
  int sends = 0;
};

actorchat::payload_batch one_payload() {
  return std::make_shared<const std::vector<actorchat::payload>>(1, actorchat::payload{});
}

} // namespace

CAF_TEST(a connection behind an open gate can be locked and not after the gate closed) {
  auto gate = std::make_shared<actorchat::connection_gate>();
  auto conn = std::make_shared<counting_connection>();
  actorchat::connection_ref ref{std::weak_ptr<actorchat::connection>{conn}, gate};
  if (auto c = ref.lock())
    c->send(one_payload());
  CAF_CHECK_EQUAL(conn->sends, 1);
  gate->close();
  CAF_CHECK(!ref.lock());
  send_credit credit{4};
  credit.set_sink(ref);
  CAF_CHECK(!actorchat::fanout::direct(credit, one_payload()));
  actorchat::fanout out{one_payload()};
  CAF_CHECK(!out.add(credit)); // the room then sends it to the actor, whose lock fails too
  out.finish();
  CAF_CHECK_EQUAL(conn->sends, 1);
}

CAF_TEST(closing the gate waits for the connection in use and keeps no reference) {
  auto gate = std::make_shared<actorchat::connection_gate>();
  auto conn = std::make_shared<counting_connection>();
  std::weak_ptr<actorchat::connection> watch{conn};
  actorchat::connection_ref ref{watch, gate};
  auto use = ref.lock();
  CAF_REQUIRE(static_cast<bool>(use));
  std::atomic<bool> closed{false};
  std::thread closer{[&] {
    gate->close();
    closed = true;
  }};
  while (!gate->closed()) // bounded: the closer sets it first thing
    std::this_thread::yield();
  // The closer cannot return while `use` holds the gate, whatever the scheduling.
  CAF_CHECK(!closed.load());
  conn.reset(); // the network side lets go; `use` now holds the last reference
  use = {};     // drops the connection, then leaves the gate
  closer.join();
  CAF_CHECK(closed.load());
  CAF_CHECK(watch.expired());
  CAF_CHECK(!ref.lock());
}

CAF_TEST(a fanout passes the gate once for all members and leaves it when done) {
  auto gate = std::make_shared<actorchat::connection_gate>();
  std::vector<std::shared_ptr<counting_connection>> conns;
  std::vector<std::unique_ptr<send_credit>> credits;
  for (int i = 0; i < 3; ++i) {
    conns.push_back(std::make_shared<counting_connection>());
    credits.push_back(std::make_unique<send_credit>(4));
    credits.back()->set_sink(
      actorchat::connection_ref{std::weak_ptr<actorchat::connection>{conns.back()}, gate});
  }
  {
    actorchat::fanout out{one_payload()};
    for (auto& c : credits)
      CAF_CHECK(out.add(*c));
  }
  for (auto& c : conns)
    CAF_CHECK_EQUAL(c->sends, 1);
  gate->close(); // returns at once: the fanout left the gate
  CAF_CHECK(gate->closed());
}
