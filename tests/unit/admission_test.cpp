#define CAF_SUITE admission
#include "net/admission.hpp"

#include <caf/test/unit_test.hpp>

#include <chrono>
#include <vector>

using namespace actorchat::netio;
using verdict = admission::verdict;

namespace {

asio::ip::address addr(const char* text) {
  return asio::ip::make_address(text);
}

admission::clock::time_point at_ms(int64_t ms) {
  return admission::clock::time_point{std::chrono::milliseconds{ms}};
}

} // namespace

CAF_TEST(the global cap counts admitted connections until their tickets go) {
  admission a{admission_limits{2, 0, 0, 0}};
  admission::ticket t1, t2, t3;
  CAF_CHECK(a.admit(addr("10.0.0.1"), at_ms(0), t1) == verdict::admitted);
  CAF_CHECK(a.admit(addr("10.0.0.2"), at_ms(0), t2) == verdict::admitted);
  CAF_CHECK(a.admit(addr("10.0.0.3"), at_ms(0), t3) == verdict::server_full);
  CAF_CHECK(!t3);
  CAF_CHECK_EQUAL(a.active(), 2u);
  t1.reset();
  CAF_CHECK_EQUAL(a.active(), 1u);
  CAF_CHECK(a.admit(addr("10.0.0.3"), at_ms(0), t3) == verdict::admitted);
}

CAF_TEST(the per address cap leaves other addresses alone) {
  admission a{admission_limits{0, 2, 0, 0}};
  std::vector<admission::ticket> held(3);
  CAF_CHECK(a.admit(addr("10.0.0.1"), at_ms(0), held[0]) == verdict::admitted);
  CAF_CHECK(a.admit(addr("10.0.0.1"), at_ms(0), held[1]) == verdict::admitted);
  CAF_CHECK(a.admit(addr("10.0.0.1"), at_ms(0), held[2]) == verdict::address_full);
  admission::ticket other;
  CAF_CHECK(a.admit(addr("::1"), at_ms(0), other) == verdict::admitted);
  held[0] = admission::ticket{}; // moving an empty ticket in releases the old one
  CAF_CHECK(a.admit(addr("10.0.0.1"), at_ms(0), held[2]) == verdict::admitted);
}

CAF_TEST(the connect rate refills over time) {
  admission a{admission_limits{0, 0, 2, 3}};
  std::vector<admission::ticket> ts(6);
  for (int i = 0; i < 3; ++i)
    CAF_CHECK(a.admit(addr("10.0.0.1"), at_ms(1000), ts[i]) == verdict::admitted);
  CAF_CHECK(a.admit(addr("10.0.0.1"), at_ms(1000), ts[3]) == verdict::address_rate);
  // 2 per second: one more after 500 ms.
  CAF_CHECK(a.admit(addr("10.0.0.1"), at_ms(1500), ts[3]) == verdict::admitted);
  CAF_CHECK(a.admit(addr("10.0.0.1"), at_ms(1500), ts[4]) == verdict::address_rate);
  CAF_CHECK(a.admit(addr("10.0.0.2"), at_ms(1500), ts[5]) == verdict::admitted);
}

CAF_TEST(addresses without connections are forgotten once their bucket is full again) {
  admission a{admission_limits{0, 4, 10, 10}};
  for (int i = 0; i < 2000; ++i) {
    admission::ticket t;
    auto ip = asio::ip::address_v4{static_cast<uint32_t>(0x0a000000 + i)};
    CAF_CHECK(a.admit(ip, at_ms(i * 1000), t) == verdict::admitted);
  }
  // Swept every 1024 admissions: what is left is what came after the last sweep.
  CAF_CHECK_LESS_OR_EQUAL(a.tracked(), 1024u);
  CAF_CHECK_EQUAL(a.active(), 0u);
}
