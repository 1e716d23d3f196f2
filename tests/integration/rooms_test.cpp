// rooms (protocol v1): membership decides which messages reach a client; join, leave, say,
// rooms and plain text to the current room; room names; the per-client and server-wide room
// limits; autojoin on and off.
#define CAF_SUITE rooms
#include "fixture.hpp"

#include <chrono>
#include <thread>

using namespace actorchat::itest;
namespace json = boost::json;

namespace {

using room_list = std::vector<std::pair<std::string, int64_t>>;

std::string show_rooms(const room_list& rooms) {
  std::string out = "[";
  for (size_t i = 0; i < rooms.size(); ++i)
    out += (i > 0 ? ", " : "") + rooms[i].first + ":" + std::to_string(rooms[i].second);
  return out + "]";
}

/// Removes the messages of `room` from `peer`'s backlog and requires that there were none (call
/// after peer.sync()).
void expect_no_message_in(chat_peer& peer, const std::string& room) {
  auto stray = peer.take([&](const json::object& obj) {
    return type_of(obj) == "message" && get_string(obj, "room") == room;
  });
  for (auto& msg : stray)
    CAF_MESSAGE(peer.label << " got a message of '" << room << "' it must not see: "
                           << brief(msg));
  CAF_CHECK_EQUAL(stray.size(), 0u);
}

/// Requires that a joined reply reports `last_seq` and `count`.
void check_joined(const json::object& joined, int64_t last_seq, int64_t count) {
  CAF_CHECK_EQUAL(get_int(joined, "last_seq").value_or(-1), last_seq);
  CAF_CHECK_EQUAL(get_int(joined, "count").value_or(-1), count);
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(rooms_tests, server_fixture)

ITEST_CASE(the v1 welcome names no room and announces the v1 limits) {
  start_server({"--chat.max-rooms-per-client=5", "--chat.history-size=20"});
  auto a = connect_peer(port(), "A", no_autojoin);
  CAF_MESSAGE("welcome: " << brief(a.welcome, 1000));
  auto rooms = a.welcome.find("rooms");
  ITEST_REQUIRE(rooms != a.welcome.end() && rooms->value().is_array());
  CAF_CHECK(rooms->value().get_array().empty());
  auto limits = a.welcome.find("limits");
  ITEST_REQUIRE(limits != a.welcome.end() && limits->value().is_object());
  const auto& lim = limits->value().get_object();
  CAF_CHECK_EQUAL(get_int(lim, "max_rooms_per_client").value_or(-1), 5);
  CAF_CHECK_EQUAL(get_int(lim, "history_size").value_or(-1), 20);
  CAF_CHECK_EQUAL(get_int(lim, "history_page_max").value_or(-1), 200);
  CAF_CHECK_EQUAL(get_int(lim, "max_message_size").value_or(-1), 4096);
  CAF_CHECK_EQUAL(get_int(lim, "send_queue").value_or(-1), 256);
}

ITEST_CASE(autojoin off starts in no room and a plain frame gets not_in_room) {
  start_server();
  auto a = connect_peer(port(), "A", no_autojoin);
  // Nothing follows the welcome: no joined, no presence, no history.
  a.settle(milliseconds{500});
  for (auto& obj : a.backlog())
    CAF_MESSAGE("unexpected after the welcome: " << brief(obj));
  CAF_CHECK(a.backlog().empty());
  a.send_raw("hello, anybody?");
  a.expect_error_without_id("not_in_room");
  // The lobby exists for others, but A is not in it.
  auto b = connect_peer(port(), "B");
  b.expect("joined", "lobby");
  a.send(json::object{{"type", "who"}, {"room", "lobby"}, {"id", "w"}});
  a.expect_error("not_in_room", "w");
  // B's lobby message does not reach A.
  b.say("lobby", "lobby only", "s1");
  b.expect_message("lobby", 1, "lobby only");
  a.sync();
  expect_no_message_in(a, "lobby");
  // And A can still join and chat.
  check_joined(a.join("lobby", "j"), 1, 2);
  a.send_raw("now I am here");
  a.expect_message("lobby", 1, "lobby only");
  auto msg = a.expect_message("lobby", 2, "now I am here");
  CAF_CHECK_EQUAL(get_string(msg, "from"), a.nick);
}

ITEST_CASE(with autojoin the welcome is followed by joined for the lobby then its history) {
  start_server();
  auto a = connect_peer(port(), "A");
  auto rooms = a.welcome.find("rooms");
  CAF_CHECK(rooms != a.welcome.end() && rooms->value().is_array()
            && rooms->value().get_array().empty());
  // The very next object is the lobby's joined (no id: nobody asked).
  auto first = a.ws.read_object(io_timeout);
  if (!first)
    ITEST_FAIL("A: nothing after the welcome: " << a.ws.last_error());
  CAF_MESSAGE("A's first object after the welcome: " << brief(*first));
  ITEST_REQUIRE_EQUAL(type_of(*first), "joined");
  CAF_CHECK_EQUAL(get_string(*first, "room"), "lobby");
  CAF_CHECK(!first->contains("id"));
  check_joined(*first, 0, 1);
  for (int i = 1; i <= 3; ++i)
    a.send_raw("m" + std::to_string(i));
  for (int i = 1; i <= 3; ++i)
    a.expect_message("lobby", i, "m" + std::to_string(i));
  // /ws?autojoin=true is the same as /ws: joined(last_seq 3, count 2), then messages 1..3.
  auto b = connect_peer(port(), "B", "/ws?autojoin=true");
  auto joined = b.ws.read_object(io_timeout);
  if (!joined)
    ITEST_FAIL("B: nothing after the welcome: " << b.ws.last_error());
  CAF_MESSAGE("B's first object after the welcome: " << brief(*joined));
  ITEST_REQUIRE_EQUAL(type_of(*joined), "joined");
  CAF_CHECK_EQUAL(get_string(*joined, "room"), "lobby");
  check_joined(*joined, 3, 2);
  // Then, in this order: the replay, B's own presence join, live traffic.
  for (int i = 1; i <= 3; ++i) {
    auto obj = b.ws.read_object(io_timeout);
    if (!obj)
      ITEST_FAIL("B: replay message " << i << " missing: " << b.ws.last_error());
    CAF_CHECK_EQUAL(type_of(*obj), "message");
    CAF_CHECK_EQUAL(get_int(*obj, "seq").value_or(-1), i);
  }
  auto own = b.ws.read_object(io_timeout);
  if (!own)
    ITEST_FAIL("B: no presence after the replay: " << b.ws.last_error());
  CAF_MESSAGE("B's object after the replay: " << brief(*own));
  CAF_CHECK_EQUAL(type_of(*own), "presence");
  CAF_CHECK_EQUAL(get_string(*own, "event"), "join");
  CAF_CHECK_EQUAL(get_string(*own, "nick"), b.nick);
  CAF_CHECK_EQUAL(get_int(*own, "count").value_or(-1), 2);
  a.send_raw("m4");
  auto live = b.ws.read_object(io_timeout);
  if (!live)
    ITEST_FAIL("B: no live message: " << b.ws.last_error());
  CAF_CHECK_EQUAL(type_of(*live), "message");
  CAF_CHECK_EQUAL(get_int(*live, "seq").value_or(-1), 4);
  // Unknown query parameters are ignored.
  auto c = connect_peer(port(), "C", "/ws?color=blue");
  check_joined(c.expect("joined", "lobby"), 4, 3);
}

ITEST_CASE(with autojoin plain text sent right after connecting goes to the lobby) {
  // "/ws puts the client into lobby right after welcome": whatever a client sends on a /ws
  // connection is handled after that, so a plain frame must never get not_in_room, whether the
  // client waited for the welcome (even rounds) or typed right after the upgrade (odd rounds).
  // Many fresh connections, to catch a race between the autojoin and the first frames.
  start_server();
  int64_t seq = 0;
  for (int round = 1; round <= 40; ++round) {
    chat_peer p;
    p.label = "P" + std::to_string(round);
    ITEST_REQUIRE(p.ws.connect(port()));
    bool wait_for_welcome = round % 2 == 0;
    if (wait_for_welcome)
      p.welcome = p.expect("welcome");
    for (int i = 1; i <= 5; ++i)
      p.send_raw(p.label + "-" + std::to_string(i));
    if (!wait_for_welcome)
      p.welcome = p.expect("welcome");
    p.nick = get_string(p.welcome, "nick");
    for (int i = 1; i <= 5; ++i) {
      auto text = p.label + "-" + std::to_string(i);
      auto msg = p.await(
        [&](const json::object& obj) {
          return type_of(obj) == "error"
                 || (type_of(obj) == "message" && get_string(obj, "text") == text);
        },
        "the echo of '" + text + "' (or an error)");
      if (type_of(msg) == "error")
        ITEST_FAIL(p.label << ": frame " << i << " sent right after "
                           << (wait_for_welcome ? "the welcome" : "the upgrade") << " got "
                           << brief(msg));
      CAF_CHECK_EQUAL(get_string(msg, "room"), "lobby");
      CAF_CHECK_EQUAL(get_string(msg, "from"), p.nick);
      CAF_CHECK_EQUAL(get_int(msg, "seq").value_or(-1), ++seq);
    }
  }
}

ITEST_CASE(a bad autojoin value is refused with HTTP 400) {
  start_server();
  for (auto target : {"/ws?autojoin=maybe", "/ws?autojoin=", "/ws?x=1&autojoin=no"}) {
    raw_tcp conn;
    ITEST_REQUIRE(conn.connect(port(), io_timeout));
    std::string head;
    bool upgraded = raw_ws_upgrade_at(conn, port(), target, io_timeout, &head);
    auto status_line = head.substr(0, head.find('\r'));
    CAF_MESSAGE("upgrade at " << target << ": " << status_line);
    CAF_CHECK(!upgraded);
    CAF_CHECK_EQUAL(status_line.rfind("HTTP/1.1 400", 0), 0u);
  }
  // The server still serves.
  auto a = connect_peer(port(), "A", "/ws?autojoin=false");
}

ITEST_CASE(autojoin accepts exactly the values true and false) {
  // The contract names `/ws?autojoin=true` and `/ws?autojoin=false` and says that "a bad
  // autojoin value gets HTTP 400"; it names no other spelling.
  start_server();
  for (auto target :
       {"/ws?autojoin=1", "/ws?autojoin=0", "/ws?autojoin=TRUE", "/ws?autojoin=yes"}) {
    raw_tcp conn;
    ITEST_REQUIRE(conn.connect(port(), io_timeout));
    std::string head;
    raw_ws_upgrade_at(conn, port(), target, io_timeout, &head);
    auto status_line = head.substr(0, head.find('\r'));
    CAF_MESSAGE("upgrade at " << target << ": " << status_line);
    CAF_CHECK_EQUAL(status_line.rfind("HTTP/1.1 400", 0), 0u);
  }
}

ITEST_CASE(clients in different rooms see only their own room and a client in both sees both) {
  start_server();
  auto a = connect_peer(port(), "A", no_autojoin);
  auto b = connect_peer(port(), "B", no_autojoin);
  auto c = connect_peer(port(), "C", no_autojoin);
  check_joined(a.join("red", "j1"), 0, 1);
  check_joined(b.join("blue", 7), 0, 1); // an integer id comes back as that integer
  check_joined(c.join("red", "c1"), 0, 2);
  check_joined(c.join("blue", "c2"), 0, 2);
  auto sent_a = a.say("red", "to red", "s1");
  CAF_CHECK_EQUAL(get_int(sent_a, "seq").value_or(-1), 1);
  auto sent_b = b.say("blue", "to blue", "s2");
  CAF_CHECK_EQUAL(get_int(sent_b, "seq").value_or(-1), 1);
  auto sent_a2 = a.say("red", "red again", "s3");
  CAF_CHECK_EQUAL(get_int(sent_a2, "seq").value_or(-1), 2);
  CAF_CHECK_EQUAL(get_string(a.expect_message("red", 1, "to red"), "from"), a.nick);
  a.expect_message("red", 2, "red again");
  CAF_CHECK_EQUAL(get_string(b.expect_message("blue", 1, "to blue"), "from"), b.nick);
  CAF_CHECK_EQUAL(get_string(c.expect_message("red", 1, "to red"), "from"), a.nick);
  c.expect_message("red", 2, "red again");
  CAF_CHECK_EQUAL(get_string(c.expect_message("blue", 1, "to blue"), "from"), b.nick);
  for (auto* p : {&a, &b, &c})
    p->sync();
  expect_no_message_in(a, "blue");
  expect_no_message_in(b, "red");
  expect_no_message_in(c, "red"); // no duplicates either
  expect_no_message_in(c, "blue");
}

ITEST_CASE(commands without an id get replies without one and say without id gets no sent) {
  start_server();
  auto a = connect_peer(port(), "A", no_autojoin);
  a.send(json::object{{"type", "join"}, {"room", "r"}});
  auto joined = a.expect("joined", "r");
  CAF_CHECK(!joined.contains("id"));
  a.send(json::object{{"type", "say"}, {"room", "r"}, {"text", "no id"}});
  a.expect_message("r", 1, "no id");
  a.send(json::object{{"type", "leave"}, {"room", "r"}});
  CAF_CHECK(!a.expect("left", "r").contains("id"));
  a.sync();
  auto sent = a.take([](const json::object& obj) { return type_of(obj) == "sent"; });
  for (auto& obj : sent)
    CAF_MESSAGE("unexpected: " << brief(obj));
  CAF_CHECK_EQUAL(sent.size(), 0u);
}

ITEST_CASE(a join replies joined then the replay then the own presence join then live traffic) {
  start_server();
  auto a = connect_peer(port(), "A", no_autojoin);
  a.join("r", "ja");
  a.say_many("r", "m", 1, 4);
  auto b = connect_peer(port(), "B", no_autojoin);
  b.settle(milliseconds{200});
  ITEST_REQUIRE(b.backlog().empty());
  b.send(json::object{{"type", "join"}, {"room", "r"}, {"id", "jb"}});
  std::vector<std::string> order;
  auto any = [](const json::object&) { return true; };
  for (int i = 0; i < 6; ++i) {
    auto obj = b.await(any, "object " + std::to_string(i) + " after the join");
    auto type = type_of(obj);
    if (type == "message")
      type += "#" + std::to_string(get_int(obj, "seq").value_or(-1));
    else if (type == "presence")
      type += ":" + get_string(obj, "event") + ":" + get_string(obj, "nick");
    order.push_back(type);
    if (i == 0)
      check_joined(obj, 4, 2);
    if (i == 5)
      CAF_CHECK_EQUAL(get_int(obj, "count").value_or(-1), 2);
  }
  CAF_MESSAGE("order: " << show(order));
  CAF_CHECK_EQUAL(show(order), show(std::vector<std::string>{"joined", "message#1", "message#2",
                                                             "message#3", "message#4",
                                                             "presence:join:" + b.nick}));
}

ITEST_CASE(commands sent right after a join are handled after it in order) {
  // "Commands of one connection are handled in the order they were sent, also across a
  // pending join": nothing waits for the replies here.
  start_server();
  auto a = connect_peer(port(), "A", no_autojoin);
  a.send(json::object{{"type", "join"}, {"room", "r"}, {"id", "j1"}});
  a.send(json::object{{"type", "say"}, {"room", "r"}, {"text", "say after join"}, {"id", "s1"}});
  a.send_raw("plain after join");
  a.send(json::object{{"type", "join"}, {"room", "s"}, {"id", "j2"}});
  a.send_raw("plain after the second join");
  a.send(json::object{{"type", "who"}, {"room", "s"}, {"id", "w"}});
  a.expect_reply("joined", "j1");
  CAF_CHECK_EQUAL(get_int(a.expect_reply("sent", "s1"), "seq").value_or(-1), 1);
  a.expect_message("r", 1, "say after join");
  a.expect_message("r", 2, "plain after join");
  a.expect_reply("joined", "j2");
  a.expect_message("s", 1, "plain after the second join");
  CAF_CHECK_EQUAL(show(string_list(a.expect_reply("who", "w").if_contains("members"))),
                  show(std::vector<std::string>{a.nick}));
  a.sync();
  auto errors = a.take([](const json::object& obj) { return type_of(obj) == "error"; });
  for (auto& err : errors)
    CAF_MESSAGE("unexpected: " << brief(err));
  CAF_CHECK_EQUAL(errors.size(), 0u);
}

ITEST_CASE(a say right before a leave still gets its message and its sent) {
  // The say is handled while the client is in the room, the leave after it: the sender gets
  // its message (like everybody in the room) and the reply to its command, then left.
  start_server();
  auto a = connect_peer(port(), "A", no_autojoin);
  auto b = connect_peer(port(), "B", no_autojoin);
  a.join("s", "ja");
  b.join("s", "jb");
  a.send(json::object{{"type", "say"}, {"room", "s"}, {"text", "last words"}, {"id", "s1"}});
  a.send(json::object{{"type", "leave"}, {"room", "s"}, {"id", "l1"}});
  a.expect_reply("left", "l1");
  b.expect_message("s", 1, "last words");
  b.expect_presence("s", "leave", a.nick, 1);
  auto sent = a.try_await([](const json::object& obj) { return has_id(obj, json_id("s1")); },
                          milliseconds{2000});
  CAF_MESSAGE("reply to the say: " << (sent ? brief(*sent) : std::string{"none"}));
  CAF_CHECK(sent && type_of(*sent) == "sent" && get_int(*sent, "seq") == int64_t{1});
  auto own = a.try_await(
    [](const json::object& obj) {
      return type_of(obj) == "message" && get_string(obj, "room") == "s";
    },
    milliseconds{500});
  CAF_MESSAGE("own message: " << (own ? brief(*own) : std::string{"none"}));
  CAF_CHECK(own && get_string(*own, "text") == "last words");
  // The same with a plain frame (no id, so no sent).
  a.join("s", "ja2");
  a.expect_message("s", 1, "last words"); // the replay
  a.send_raw("plain last words");
  a.send(json::object{{"type", "leave"}, {"room", "s"}, {"id", "l2"}});
  a.expect_reply("left", "l2");
  b.expect_message("s", 2, "plain last words");
  auto own2 = a.try_await(
    [](const json::object& obj) {
      return type_of(obj) == "message" && get_string(obj, "room") == "s";
    },
    milliseconds{500});
  CAF_MESSAGE("own plain message: " << (own2 ? brief(*own2) : std::string{"none"}));
  CAF_CHECK(own2 && get_string(*own2, "text") == "plain last words");
  // And with the join, the says and the leave all sent at once (handled in this order).
  a.send(json::object{{"type", "join"}, {"room", "s"}, {"id", "ja3"}});
  a.send_raw("plain after the join");
  a.send(json::object{{"type", "say"}, {"room", "s"}, {"text", "say after the join"},
                      {"id", "s3"}});
  a.send(json::object{{"type", "leave"}, {"room", "s"}, {"id", "l3"}});
  a.expect_reply("joined", "ja3");
  a.expect_message("s", 1, "last words");
  a.expect_message("s", 2, "plain last words");
  a.expect_reply("left", "l3");
  b.expect_message("s", 3, "plain after the join");
  b.expect_message("s", 4, "say after the join");
  auto sent3 = a.try_await([](const json::object& obj) { return has_id(obj, json_id("s3")); },
                           milliseconds{2000});
  CAF_MESSAGE("reply to the say after the join: "
              << (sent3 ? brief(*sent3) : std::string{"none"}));
  CAF_CHECK(sent3 && type_of(*sent3) == "sent" && get_int(*sent3, "seq") == int64_t{4});
  auto own3 = a.take([](const json::object& obj) {
    return type_of(obj) == "message" && get_string(obj, "room") == "s";
  });
  CAF_MESSAGE("A got " << own3.size() << " of its 2 messages said after the join");
  CAF_CHECK_EQUAL(own3.size(), 2u);
}

ITEST_CASE(say needs membership of the room) {
  start_server();
  auto a = connect_peer(port(), "A", no_autojoin);
  auto b = connect_peer(port(), "B", no_autojoin);
  a.join("red", "j1");
  b.join("blue", "j2");
  a.send(json::object{{"type", "say"}, {"room", "blue"}, {"text", "intruder"}, {"id", "x1"}});
  a.expect_error("not_in_room", "x1");
  a.send(json::object{{"type", "say"}, {"room", "nowhere"}, {"text", "void"}, {"id", 12}});
  a.expect_error("not_in_room", 12);
  // Nothing reached blue: B's own message there is seq 1.
  CAF_CHECK_EQUAL(get_int(b.say("blue", "mine", "s"), "seq").value_or(-1), 1);
  b.expect_message("blue", 1, "mine");
  b.sync();
  expect_no_message_in(b, "blue");
}

ITEST_CASE(plain text goes to the room joined most recently among those still joined) {
  start_server();
  auto a = connect_peer(port(), "A");
  a.expect("joined", "lobby");
  a.send_raw("p1");
  a.expect_message("lobby", 1, "p1");
  a.join("dev", "j-dev");
  a.send_raw("p2");
  a.expect_message("dev", 1, "p2");
  a.join("ops", "j-ops");
  a.send_raw("p3");
  a.expect_message("ops", 1, "p3");
  a.leave("ops", "l-ops");
  a.send_raw("p4");
  a.expect_message("dev", 2, "p4");
  a.leave("dev", "l-dev");
  a.send_raw("p5");
  a.expect_message("lobby", 2, "p5");
  // Joining dev again makes it current again (its replay comes first).
  check_joined(a.join("dev", "j-dev2"), 2, 1);
  a.expect_message("dev", 1, "p2");
  a.expect_message("dev", 2, "p4");
  a.send_raw("p6");
  a.expect_message("dev", 3, "p6");
  a.leave("dev", "l-dev2");
  a.leave("lobby", "l-lobby");
  a.send_raw("p7");
  a.expect_error_without_id("not_in_room");
  a.sync();
  for (auto room : {"lobby", "dev", "ops"})
    expect_no_message_in(a, room);
}

ITEST_CASE(leave answers left and the traffic of the room stops reaching the client) {
  start_server();
  auto a = connect_peer(port(), "A");
  a.expect("joined", "lobby");
  auto b = connect_peer(port(), "B", no_autojoin);
  a.join("r", "ja");
  b.join("r", "jb");
  b.say("r", "before", "s1");
  a.expect_message("r", 1, "before");
  auto left = a.leave("r", "l1");
  CAF_MESSAGE("left: " << brief(left));
  b.say("r", "after", "s2");
  b.expect_message("r", 1, "before");
  b.expect_message("r", 2, "after");
  a.sync();
  expect_no_message_in(a, "r");
  a.send(json::object{{"type", "say"}, {"room", "r"}, {"text", "ghost"}, {"id", "s3"}});
  a.expect_error("not_in_room", "s3");
  a.send(json::object{{"type", "leave"}, {"room", "r"}, {"id", "l2"}});
  a.expect_error("not_in_room", "l2");
  a.send(json::object{{"type", "leave"}, {"room", "never"}, {"id", 3}});
  a.expect_error("not_in_room", 3);
  // A is still in the lobby and chats there.
  a.send_raw("still in the lobby");
  a.expect_message("lobby", 1, "still in the lobby");
}

ITEST_CASE(join of a room the client is in is already_joined) {
  start_server();
  auto a = connect_peer(port(), "A");
  a.expect("joined", "lobby");
  a.send(json::object{{"type", "join"}, {"room", "lobby"}, {"id", "again"}});
  a.expect_error("already_joined", "again");
  a.join("r", "j");
  a.send(json::object{{"type", "join"}, {"room", "r"}, {"id", 5}});
  a.expect_error("already_joined", 5);
  // Still exactly one membership: one copy of each message.
  a.say("r", "once", "s");
  a.expect_message("r", 1, "once");
  a.sync();
  expect_no_message_in(a, "r");
}

ITEST_CASE(rooms lists the live rooms with member counts sorted by name) {
  start_server();
  auto a = connect_peer(port(), "A");
  a.expect("joined", "lobby");
  a.join("zeta", "j1");
  a.join("alpha", "j2");
  auto b = connect_peer(port(), "B", no_autojoin);
  b.join("alpha", "j3");
  b.join("mid", "j4");
  // rooms needs no membership: C is in no room.
  auto c = connect_peer(port(), "C", no_autojoin);
  room_list expected{{"alpha", 2}, {"lobby", 1}, {"mid", 1}, {"zeta", 1}};
  auto got = c.rooms("x");
  CAF_MESSAGE("rooms: " << show_rooms(got));
  CAF_CHECK_EQUAL(show_rooms(got), show_rooms(expected));
  auto got_int = a.rooms(99);
  CAF_CHECK_EQUAL(show_rooms(got_int), show_rooms(expected));
  // Without an id the reply has none.
  c.send(json::object{{"type", "rooms"}});
  auto reply = c.expect("rooms");
  CAF_CHECK(!reply.contains("id"));
}

ITEST_CASE(room names are validated) {
  start_server();
  auto a = connect_peer(port(), "A", no_autojoin);
  const std::vector<std::string> bad = {
    "Dev", "a b", std::string(33, 'a'), "", "-dev", ".dev", "_dev", "dev!", "d\xc3\xa9v", "dev/x",
    "DEV", " dev", "dev ",
  };
  int n = 0;
  for (const auto& name : bad) {
    auto id = "b" + std::to_string(++n);
    a.send(json::object{{"type", "join"}, {"room", name}, {"id", id}});
    CAF_MESSAGE("join '" << name << "'");
    a.expect_error("bad_room", json_id(id));
  }
  for (const auto& name : {std::string(32, 'a'), std::string("0-9_a.b"), std::string("9lives"),
                           std::string("z")}) {
    CAF_MESSAGE("join '" << name << "'");
    check_joined(a.join(name, json_id("ok-" + name)), 0, 1);
  }
  // The bad names created nothing and the connection still chats.
  auto listed = a.rooms("r");
  CAF_CHECK_EQUAL(show_rooms(listed), show_rooms(room_list{{"0-9_a.b", 1},
                                                           {"9lives", 1},
                                                           {std::string(32, 'a'), 1},
                                                           {"z", 1}}));
  a.say("9lives", "fine", "s");
  a.expect_message("9lives", 1, "fine");
}

ITEST_CASE(max rooms per client is enforced with too_many_rooms) {
  start_server({"--chat.max-rooms-per-client=2"});
  auto a = connect_peer(port(), "A", no_autojoin);
  CAF_CHECK_EQUAL(get_int(a.welcome.at("limits").as_object(), "max_rooms_per_client").value_or(-1),
                  2);
  a.join("a", "j1");
  a.join("b", "j2");
  a.send(json::object{{"type", "join"}, {"room", "c"}, {"id", "j3"}});
  a.expect_error("too_many_rooms", "j3");
  a.send(json::object{{"type", "resume"}, {"room", "c"}, {"after", 0}, {"id", "r3"}});
  a.expect_error("too_many_rooms", "r3");
  // A is still in exactly a and b.
  a.send(json::object{{"type", "say"}, {"room", "c"}, {"text", "x"}, {"id", "s"}});
  a.expect_error("not_in_room", "s");
  a.leave("a", "l1");
  a.join("c", "j4");
  // With autojoin the lobby is one of the two.
  auto b = connect_peer(port(), "B");
  b.expect("joined", "lobby");
  b.join("x", "j5");
  b.send(json::object{{"type", "join"}, {"room", "y"}, {"id", "j6"}});
  b.expect_error("too_many_rooms", "j6");
}

ITEST_CASE(max rooms refuses a new room beyond the limit with room_limit) {
  start_server({"--chat.max-rooms=2"});
  auto a = connect_peer(port(), "A");
  a.expect("joined", "lobby"); // the lobby is live now: one of the two
  a.join("a", "j1");
  a.send(json::object{{"type", "join"}, {"room", "b"}, {"id", "j2"}});
  a.expect_error("room_limit", "j2");
  auto b = connect_peer(port(), "B", no_autojoin);
  b.send(json::object{{"type", "join"}, {"room", "b"}, {"id", "j3"}});
  b.expect_error("room_limit", "j3");
  b.send(json::object{{"type", "resume"}, {"room", "c"}, {"after", 0}, {"id", "r1"}});
  b.expect_error("room_limit", "r1");
  // Rooms that exist can still be joined.
  check_joined(b.join("a", "j4"), 0, 2);
  check_joined(b.join("lobby", "j5"), 0, 2);
  CAF_CHECK_EQUAL(show_rooms(b.rooms("x")), show_rooms(room_list{{"a", 2}, {"lobby", 2}}));
}

ITEST_CASE(an empty room is retired after room-idle-timeout and frees its slot) {
  start_server({"--chat.max-rooms=2", "--chat.room-idle-timeout=1s"});
  auto a = connect_peer(port(), "A");
  a.expect("joined", "lobby");
  a.join("a", "j1");
  a.say("a", "kept", "s1");
  a.leave("a", "l1");
  // Within a few seconds "a" is gone from the live rooms.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{6};
  room_list live;
  int n = 0;
  for (;;) {
    live = a.rooms(json_id("poll-" + std::to_string(++n)));
    bool gone = true;
    for (auto& entry : live)
      gone = gone && entry.first != "a";
    if (gone || std::chrono::steady_clock::now() > deadline)
      break;
    std::this_thread::sleep_for(milliseconds{200});
  }
  CAF_MESSAGE("live rooms after " << n << " polls: " << show_rooms(live));
  CAF_CHECK_EQUAL(show_rooms(live), show_rooms(room_list{{"lobby", 1}}));
  check_joined(a.join("b", "j2"), 0, 1);
}

ITEST_CASE(joined reports last_seq and count and the replay ends at last_seq) {
  start_server();
  auto a = connect_peer(port(), "A", no_autojoin);
  check_joined(a.join("r", "ja"), 0, 1);
  for (int i = 1; i <= 3; ++i)
    CAF_CHECK_EQUAL(
      get_int(a.say("r", "m" + std::to_string(i), json_id(i)), "seq").value_or(-1), i);
  auto b = connect_peer(port(), "B", no_autojoin);
  check_joined(b.join("r", "jb"), 3, 2);
  for (int i = 1; i <= 3; ++i)
    b.expect_message("r", i, "m" + std::to_string(i));
  a.say("r", "m4", "s4");
  b.expect_message("r", 4, "m4");
  auto c = connect_peer(port(), "C", no_autojoin);
  check_joined(c.join("r", "jc"), 4, 3);
  for (int i = 1; i <= 4; ++i)
    c.expect_message("r", i, "m" + std::to_string(i));
  b.sync();
  c.sync();
  expect_no_message_in(b, "r");
  expect_no_message_in(c, "r");
}

CAF_TEST_FIXTURE_SCOPE_END()
