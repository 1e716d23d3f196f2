// resume (protocol v1): a client that reconnects with /ws?autojoin=false and resumes a room
// after the last seq it has gets exactly what it missed, then live messages, with no gap and no
// duplicate; with more missed than history-size it learns so (complete: false) and fills the gap
// with history. Also history paging: oldest first, complete at the beginning.
#define CAF_SUITE resume
#include "fixture.hpp"

using namespace actorchat::itest;
namespace json = boost::json;

namespace {

/// Requires that `peer` got no further message of `room` (syncs first).
void expect_no_more_messages(chat_peer& peer, const std::string& room) {
  peer.sync();
  auto extra = peer.take([&](const json::object& obj) {
    return type_of(obj) == "message" && get_string(obj, "room") == room;
  });
  for (auto& msg : extra)
    CAF_MESSAGE(peer.label << " got an extra message: " << brief(msg));
  CAF_CHECK_EQUAL(extra.size(), 0u);
}

/// Requires that the next messages of `room` at `peer` are seq first..last with texts
/// "<prefix>seq", in this order.
void expect_messages(chat_peer& peer, const std::string& room, const std::string& prefix,
                     int64_t first, int64_t last) {
  for (auto seq = first; seq <= last; ++seq)
    peer.expect_message(room, seq, prefix + std::to_string(seq));
}

/// Requires that a history page holds seq first..last (texts "<prefix>seq") and `complete`.
void check_page(const json::object& page, const std::string& room, const std::string& prefix,
                int64_t first, int64_t last, bool complete) {
  auto msgs = history_messages(page);
  CAF_CHECK_EQUAL(show(seqs_of(msgs)), show(seq_range(first, last)));
  CAF_CHECK_EQUAL(get_bool(page, "complete").value_or(!complete), complete);
  for (auto& msg : msgs) {
    auto seq = get_int(msg, "seq").value_or(-1);
    CAF_CHECK_EQUAL(type_of(msg), "message");
    CAF_CHECK_EQUAL(get_string(msg, "room"), room);
    CAF_CHECK_EQUAL(get_string(msg, "text"), prefix + std::to_string(seq));
    CAF_CHECK(!get_string(msg, "from").empty());
    CAF_CHECK_GREATER(get_int(msg, "ts").value_or(0), 0);
  }
}

void check_resumed(const json::object& resumed, int64_t after, int64_t last_seq, bool complete) {
  CAF_MESSAGE("resumed: " << brief(resumed));
  CAF_CHECK_EQUAL(get_int(resumed, "after").value_or(-1), after);
  CAF_CHECK_EQUAL(get_int(resumed, "last_seq").value_or(-1), last_seq);
  CAF_CHECK_EQUAL(get_bool(resumed, "complete").value_or(!complete), complete);
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(resume_tests, server_fixture)

ITEST_CASE(a reconnecting client gets exactly the messages it missed and then live ones) {
  start_server();
  auto a = connect_peer(port(), "A", no_autojoin);
  auto b = connect_peer(port(), "B", no_autojoin);
  a.join("r", "ja");
  b.join("r", "jb");
  b.say_many("r", "m", 1, 3);
  expect_messages(a, "r", "m", 1, 3);
  int64_t last = 3;
  CAF_CHECK(a.ws.close());
  b.expect_presence("r", "leave", a.nick, 1);
  // K = 7 messages while A is away.
  CAF_CHECK_EQUAL(show(b.say_many("r", "m", 4, 7)), show(seq_range(4, 10)));
  auto a2 = connect_peer(port(), "A again", no_autojoin);
  a2.settle(milliseconds{200});
  CAF_CHECK(a2.backlog().empty()); // no autojoin: nothing before the resume
  check_resumed(a2.resume("r", last, "r1"), last, 10, true);
  expect_messages(a2, "r", "m", 4, 10);
  // Resuming joined the room: everybody, A too, sees the join.
  a2.expect_presence("r", "join", a2.nick, 2);
  b.expect_presence("r", "join", a2.nick, 2);
  // Live traffic follows without a gap.
  b.say("r", "m11", "s11");
  a2.expect_message("r", 11, "m11");
  expect_no_more_messages(a2, "r");
  // The resumed room is the current room: plain text goes there.
  a2.send_raw("m12");
  auto m12 = a2.expect_message("r", 12, "m12");
  CAF_CHECK_EQUAL(get_string(m12, "from"), a2.nick);
}

ITEST_CASE(resume with nothing missed sends no message) {
  start_server();
  auto a = connect_peer(port(), "A", no_autojoin);
  a.join("r", "ja");
  a.say_many("r", "m", 1, 4);
  expect_messages(a, "r", "m", 1, 4);
  CAF_CHECK(a.ws.close());
  auto a2 = connect_peer(port(), "A again", no_autojoin);
  check_resumed(a2.resume("r", 4, 9), 4, 4, true);
  expect_no_more_messages(a2, "r");
  a2.say("r", "m5", "s5");
  a2.expect_message("r", 5, "m5");
}

ITEST_CASE(resume after 0 replays the whole room when it fits) {
  start_server();
  auto a = connect_peer(port(), "A", no_autojoin);
  a.join("r", "ja");
  a.say_many("r", "m", 1, 5);
  auto b = connect_peer(port(), "B", no_autojoin);
  check_resumed(b.resume("r", 0, "r0"), 0, 5, true);
  expect_messages(b, "r", "m", 1, 5);
  expect_no_more_messages(b, "r");
}

ITEST_CASE(resume of a room that does not exist yet creates and joins it) {
  start_server();
  auto a = connect_peer(port(), "A", no_autojoin);
  check_resumed(a.resume("fresh", 0, "r"), 0, 0, true);
  a.expect_presence("fresh", "join", a.nick, 1);
  a.send_raw("first");
  a.expect_message("fresh", 1, "first");
}

ITEST_CASE(more missed than history-size gives complete false and history fills the gap) {
  start_server({"--chat.history-size=10"});
  auto a = connect_peer(port(), "A", no_autojoin);
  auto b = connect_peer(port(), "B", no_autojoin);
  a.join("r", "ja");
  b.join("r", "jb");
  b.say_many("r", "m", 1, 2);
  expect_messages(a, "r", "m", 1, 2);
  CAF_CHECK(a.ws.close());
  b.expect_presence("r", "leave", a.nick, 1);
  CAF_CHECK_EQUAL(show(b.say_many("r", "m", 3, 25)), show(seq_range(3, 27)));
  auto a2 = connect_peer(port(), "A again", no_autojoin);
  check_resumed(a2.resume("r", 2, "r1"), 2, 27, false);
  // The newest history-size messages follow, oldest first.
  expect_messages(a2, "r", "m", 18, 27);
  expect_no_more_messages(a2, "r");
  // history before the first replayed seq fills the gap: 3..17 (15 messages), 1 and 2 are
  // older, so it is not complete.
  check_page(a2.history("r", 18, 15, "h1"), "r", "m", 3, 17, false);
  check_page(a2.history("r", 3, 15, "h2"), "r", "m", 1, 2, true);
  // Live traffic continues.
  b.say("r", "m28", "s28");
  a2.expect_message("r", 28, "m28");
}

ITEST_CASE(resume or join of a room already joined is already_joined and changes nothing) {
  start_server();
  auto a = connect_peer(port(), "A");
  a.expect("joined", "lobby");
  a.send(json::object{{"type", "resume"}, {"room", "lobby"}, {"after", 0}, {"id", "r1"}});
  a.expect_error("already_joined", "r1");
  a.join("r", "j");
  auto b = connect_peer(port(), "B", no_autojoin);
  b.join("r", "jb");
  b.say_many("r", "m", 1, 2);
  expect_messages(a, "r", "m", 1, 2);
  a.send(json::object{{"type", "resume"}, {"room", "r"}, {"after", 0}, {"id", 2}});
  a.expect_error("already_joined", 2);
  a.send(json::object{{"type", "join"}, {"room", "r"}, {"id", 3}});
  a.expect_error("already_joined", 3);
  // No replay was sent and A is in r once: the next message arrives once.
  b.say("r", "m3", "s3");
  a.expect_message("r", 3, "m3");
  expect_no_more_messages(a, "r");
  CAF_CHECK_EQUAL(show(b.who("r", "w")), show(std::vector<std::string>{a.nick, b.nick}));
}

ITEST_CASE(history pages are oldest first and complete at the beginning) {
  start_server();
  auto a = connect_peer(port(), "A", no_autojoin);
  a.join("r", "j");
  CAF_CHECK_EQUAL(show(a.say_many("r", "m", 1, 12)), show(seq_range(1, 12)));
  auto page = a.history("r", 0, 5, "h1");
  CAF_MESSAGE("history: " << brief(page, 400));
  check_page(page, "r", "m", 8, 12, false);
  check_page(a.history("r", 8, 5, "h2"), "r", "m", 3, 7, false);
  check_page(a.history("r", 3, 5, "h3"), "r", "m", 1, 2, true);
  check_page(a.history("r", 1, 5, "h4"), "r", "m", 1, 0, true); // nothing before seq 1
  check_page(a.history("r", 6, 5, 5), "r", "m", 1, 5, true);    // ends exactly at the start
  check_page(a.history("r", 100, 5, "h6"), "r", "m", 8, 12, false);
  check_page(a.history("r", 13, 12, "h7"), "r", "m", 1, 12, true);
  // history sends no message objects of its own: only the reply.
  expect_messages(a, "r", "m", 1, 12); // the echoes of the says
  expect_no_more_messages(a, "r");
}

ITEST_CASE(history defaults to 50 messages and reaches beyond history-size) {
  start_server({"--chat.history-size=10", "--chat.rate-limit=0"});
  auto a = connect_peer(port(), "A", no_autojoin);
  a.join("r", "j");
  for (int64_t first = 1; first <= 60; first += 20)
    CAF_CHECK_EQUAL(show(a.say_many("r", "m", first, 20)), show(seq_range(first, first + 19)));
  check_page(a.history("r", -1, -1, "h1"), "r", "m", 11, 60, false);
  check_page(a.history("r", 0, 200, "h2"), "r", "m", 1, 60, true);
  // A newcomer's join replays only history-size messages, history has them all.
  auto b = connect_peer(port(), "B", no_autojoin);
  auto joined = b.join("r", "jb");
  CAF_CHECK_EQUAL(get_int(joined, "last_seq").value_or(-1), 60);
  expect_messages(b, "r", "m", 51, 60);
  expect_no_more_messages(b, "r");
  check_page(b.history("r", 51, 50, "h3"), "r", "m", 1, 50, true);
}

ITEST_CASE(history of a room the client is not in is not_in_room) {
  start_server();
  auto a = connect_peer(port(), "A", no_autojoin);
  auto b = connect_peer(port(), "B", no_autojoin);
  a.join("r", "j");
  a.say("r", "secret", "s");
  b.send(json::object{{"type", "history"}, {"room", "r"}, {"id", "h"}});
  b.expect_error("not_in_room", "h");
  b.send(json::object{{"type", "history"}, {"room", "nowhere"}, {"before", 0}, {"id", 2}});
  b.expect_error("not_in_room", 2);
}

CAF_TEST_FIXTURE_SCOPE_END()
