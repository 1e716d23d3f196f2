// limits: an inbound message over max-message-size closes that client with 1009, a binary frame
// closes it with 1003; the server keeps serving everybody else.
#define CAF_SUITE limits
#include "fixture.hpp"

using namespace actorchat::itest;

namespace {

constexpr size_t max_size = 1024;

const std::string max_size_arg = "--chat.max-message-size=" + std::to_string(max_size);

/// Requires that `client` says `text` and gets it back as message `seq`.
void expect_round_trip(ws_client& client, const std::string& text, int64_t seq) {
  CAF_REQUIRE(client.send(text));
  auto msg = client.read_message(io_timeout);
  if (!msg)
    CAF_MESSAGE("no echo: " << client.last_error());
  CAF_REQUIRE(msg.has_value());
  CAF_CHECK_EQUAL(get_int(*msg, "seq").value_or(-1), seq);
  CAF_CHECK_EQUAL(get_string(*msg, "text").size(), text.size());
  CAF_CHECK(get_string(*msg, "text") == text);
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(limits_tests, server_fixture)

CAF_TEST(a message of exactly max-message-size bytes is accepted) {
  start({max_size_arg});
  auto client = connect_client();
  expect_round_trip(client, std::string(max_size, 'x'), 1);
}

CAF_TEST(a larger message closes its sender with 1009 and the others keep chatting) {
  start({max_size_arg});
  auto observer = connect_client();
  auto big = connect_client();
  CAF_REQUIRE(big.send(std::string(max_size + 1, 'y')));
  auto end = big.read_until_close(io_timeout);
  CAF_MESSAGE("oversized sender saw " << end.describe());
  CAF_CHECK(end.what == ws_frame::kind::closed);
  CAF_CHECK_EQUAL(end.close_code, 1009u);
  // The oversized message was never broadcast: the observer's own message is seq 1.
  expect_round_trip(observer, "still here", 1);
  // A client connecting now is served too (its replay holds only "still here").
  auto late = connect_client();
  auto replayed = late.read_message(io_timeout);
  CAF_REQUIRE(replayed.has_value());
  CAF_CHECK_EQUAL(get_string(*replayed, "text"), "still here");
  expect_round_trip(late, "and me", 2);
}

CAF_TEST(a binary frame closes its sender with 1003) {
  start();
  auto observer = connect_client();
  auto sender = connect_client();
  CAF_REQUIRE(sender.send_binary(std::string("\x01\x02\x03\xff", 4)));
  auto end = sender.read_until_close(io_timeout);
  CAF_MESSAGE("binary sender saw " << end.describe());
  CAF_CHECK(end.what == ws_frame::kind::closed);
  CAF_CHECK_EQUAL(end.close_code, 1003u);
  expect_round_trip(observer, "after the binary frame", 1);
}

CAF_TEST_FIXTURE_SCOPE_END()
