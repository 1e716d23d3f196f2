// keepalive: the server pings every ping-interval; a client that answers stays, a client that
// leaves pings unanswered for pong-timeout is dropped (its TCP connection closed).
#define CAF_SUITE keepalive
#include "fixture.hpp"

#include <chrono>

using namespace actorchat::itest;

namespace {

const std::vector<std::string> fast_pings = {"--chat.ping-interval=300ms",
                                             "--chat.pong-timeout=300ms"};

} // namespace

CAF_TEST_FIXTURE_SCOPE(keepalive_tests, server_fixture)

CAF_TEST(a client that answers pings stays connected and can chat) {
  start(fast_pings);
  auto client = connect_client();
  // Beast answers each ping while a read is pending: keep one pending for two seconds.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds{2};
  while (std::chrono::steady_clock::now() < until) {
    auto left = std::chrono::duration_cast<milliseconds>(until - std::chrono::steady_clock::now());
    if (client.read_object(left))
      continue; // any object is fine here
    if (client.last_error() != "timeout")
      CAF_MESSAGE("connection ended: " << client.last_error());
    CAF_REQUIRE_EQUAL(client.last_error(), "timeout");
  }
  CAF_MESSAGE("pings received in 2 s: " << client.pings_received());
  CAF_CHECK_GREATER_OR_EQUAL(client.pings_received(), 3u);
  CAF_REQUIRE(client.is_open());
  CAF_REQUIRE(client.send("still here"));
  auto msg = client.read_message(io_timeout);
  if (!msg)
    CAF_MESSAGE("no echo: " << client.last_error());
  CAF_REQUIRE(msg.has_value());
  CAF_CHECK_EQUAL(get_string(*msg, "text"), "still here");
}

CAF_TEST(a client that never answers pings is disconnected) {
  start(fast_pings);
  raw_tcp conn;
  CAF_REQUIRE(conn.connect(port(), io_timeout));
  std::string head;
  bool upgraded = raw_ws_upgrade(conn, port(), io_timeout, &head);
  if (!upgraded)
    CAF_MESSAGE("upgrade response: " << head);
  CAF_REQUIRE(upgraded);
  // From here on the client neither reads nor answers.
  auto t0 = std::chrono::steady_clock::now();
  bool closed = conn.wait_peer_closed(milliseconds{2000});
  auto elapsed = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0);
  CAF_MESSAGE("peer closed: " << closed << " after " << elapsed.count() << " ms");
  CAF_CHECK(closed);
}

CAF_TEST_FIXTURE_SCOPE_END()
