#define CAF_SUITE log
#include "config/log.hpp"

#include <caf/test/unit_test.hpp>

#include <string>

using actorchat::log::quote;

CAF_TEST(plain values stay as they are) {
  CAF_CHECK_EQUAL(quote("guest-7"), "guest-7");
  CAF_CHECK_EQUAL(quote("127.0.0.1:5000"), "127.0.0.1:5000");
  CAF_CHECK_EQUAL(quote("ünïcødé"), "ünïcødé");
}

CAF_TEST(spaces quotes and equals signs are quoted) {
  CAF_CHECK_EQUAL(quote(""), "\"\"");
  CAF_CHECK_EQUAL(quote("two words"), "\"two words\"");
  CAF_CHECK_EQUAL(quote("a=b"), "\"a=b\"");
  CAF_CHECK_EQUAL(quote("say \"hi\""), "\"say \\\"hi\\\"\"");
  CAF_CHECK_EQUAL(quote("back\\slash"), "\"back\\\\slash\"");
}

// A peer chooses its close reason and nickname: no byte of it may end the log line or reach the
// operator's terminal as a control sequence.
CAF_TEST(control bytes are escaped and never written raw) {
  CAF_CHECK_EQUAL(quote("a\nINFO forged=1"), "\"a\\x0aINFO forged=1\"");
  CAF_CHECK_EQUAL(quote("cr\r"), "\"cr\\x0d\"");
  CAF_CHECK_EQUAL(quote("\x1b[2J"), "\"\\x1b[2J\"");
  CAF_CHECK_EQUAL(quote("tab\there"), "\"tab\\x09here\"");
  CAF_CHECK_EQUAL(quote(std::string{"nul\0", 4}), "\"nul\\x00\"");
  CAF_CHECK_EQUAL(quote("del\x7f"), "\"del\\x7f\"");
  for (int c = 0; c < 0x20; ++c) {
    auto out = quote(std::string(1, static_cast<char>(c)));
    CAF_CHECK_EQUAL(out.find_first_of(std::string("\n\r\x1b", 3)), std::string::npos);
  }
}
