// history: a newcomer gets the room's latest messages (at most history-size, oldest first) right
// after its welcome, then live messages, with no gap and no duplicate between the two. Actions
// ("/me") keep their mark live, in the replay, in history pages and across a restart.
#define CAF_SUITE history
#include "fixture.hpp"

#include <csignal>

using namespace actorchat::itest;
namespace json = boost::json;

namespace {

/// Sends `count` messages "<prefix>N" (N from `first`) from `client` and requires their echoes.
void say_many(ws_client& client, const std::string& prefix, int64_t first, int64_t count) {
  for (int64_t i = 0; i < count; ++i)
    CAF_REQUIRE(client.send(prefix + std::to_string(first + i)));
  for (int64_t i = 0; i < count; ++i) {
    auto msg = client.read_message(io_timeout);
    if (!msg)
      CAF_MESSAGE("echo " << i << ": " << client.last_error());
    CAF_REQUIRE(msg.has_value());
    CAF_REQUIRE_EQUAL(get_int(*msg, "seq").value_or(-1), first + i);
  }
}

/// Requires that the next messages of `client` are seq `first`..`last` with texts "<prefix>N".
void expect_seqs(ws_client& client, const std::string& prefix, int64_t first, int64_t last,
                 const std::string& from) {
  for (auto seq = first; seq <= last; ++seq) {
    auto msg = client.read_message(io_timeout);
    if (!msg)
      CAF_MESSAGE("waiting for seq " << seq << ": " << client.last_error());
    CAF_REQUIRE(msg.has_value());
    CAF_CHECK_EQUAL(get_int(*msg, "seq").value_or(-1), seq);
    CAF_CHECK_EQUAL(get_string(*msg, "text"), prefix + std::to_string(seq));
    CAF_CHECK_EQUAL(get_string(*msg, "from"), from);
    CAF_CHECK_EQUAL(get_string(*msg, "room"), "lobby");
  }
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(history_tests, server_fixture)

CAF_TEST(a newcomer gets the history in order and then live messages without a gap) {
  start();
  std::string nick_a;
  auto a = connect_client(nick_a);
  say_many(a, "m", 1, 5);
  std::string nick_b;
  auto b = connect_client(nick_b); // requires the welcome first
  expect_seqs(b, "m", 1, 5, nick_a);
  CAF_REQUIRE(a.send("m6"));
  expect_seqs(b, "m", 6, 6, nick_a);
  expect_seqs(a, "m", 6, 6, nick_a);
}

CAF_TEST(a newcomer gets exactly the last history-size messages) {
  start({"--chat.history-size=10"});
  std::string nick_a;
  auto a = connect_client(nick_a);
  say_many(a, "m", 1, 25);
  std::string nick_c;
  auto c = connect_client(nick_c);
  expect_seqs(c, "m", 16, 25, nick_a);
  // Nothing else was replayed: the next message c sees is the live one.
  CAF_REQUIRE(a.send("m26"));
  expect_seqs(c, "m", 26, 26, nick_a);
}

ITEST_CASE(an action reaches the others and comes back from history and after a restart) {
  auto& first = start_server({"--chat.store-path=chat.db"});
  auto a = connect_peer(port(), "A", no_autojoin);
  auto b = connect_peer(port(), "B", no_autojoin);
  a.join("r", "ja");
  b.join("r", "jb");
  a.send(json::object{{"type", "say"}, {"room", "r"}, {"text", "waves"}, {"action", true},
                      {"id", "s1"}});
  CAF_CHECK_EQUAL(get_int(a.expect_reply("sent", "s1"), "seq").value_or(-1), 1);
  a.say("r", "hi", "s2");
  // A plain frame is never an action, even one that reads like the client's command.
  b.send_raw("/me waves too");
  for (auto* peer : {&a, &b}) {
    auto action = peer->expect_message("r", 1, "waves");
    CAF_CHECK_EQUAL(get_string(action, "from"), a.nick);
    CAF_CHECK(get_bool(action, "action").value_or(false));
    CAF_CHECK(!peer->expect_message("r", 2, "hi").contains("action"));
    CAF_CHECK(!peer->expect_message("r", 3, "/me waves too").contains("action"));
  }
  // History reads the store.
  auto page = history_messages(b.history("r", -1, -1, "h1"));
  ITEST_REQUIRE_EQUAL(show(seqs_of(page)), show(seq_range(1, 3)));
  CAF_CHECK(get_bool(page[0], "action").value_or(false));
  CAF_CHECK(!page[1].contains("action"));
  CAF_CHECK(!page[2].contains("action"));
  // After a restart the room's replay comes from the store too.
  first.signal(SIGTERM);
  CAF_CHECK_EQUAL(first.wait_exit(milliseconds{10000}).value_or(-1), 0);
  start_server({"--chat.store-path=chat.db"});
  auto c = connect_peer(port(), "C", no_autojoin);
  c.join("r", "jc");
  CAF_CHECK(get_bool(c.expect_message("r", 1, "waves"), "action").value_or(false));
  CAF_CHECK(!c.expect_message("r", 2, "hi").contains("action"));
  page = history_messages(c.history("r", -1, -1, "h2"));
  ITEST_REQUIRE_EQUAL(page.size(), 3u);
  CAF_CHECK(get_bool(page[0], "action").value_or(false));
  CAF_CHECK(!page[1].contains("action"));
}

CAF_TEST_FIXTURE_SCOPE_END()
