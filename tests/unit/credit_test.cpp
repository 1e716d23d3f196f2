#define CAF_SUITE credit
#include "actors/credit.hpp"

#include <caf/test/unit_test.hpp>

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
