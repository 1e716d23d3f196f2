#define CAF_SUITE credit
#include "actors/credit.hpp"
#include "actors/rate_limit.hpp"

#include <caf/test/unit_test.hpp>

#include <chrono>
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
