// presence (protocol v1): join and leave events with member counts, a disconnect as a leave in
// every room of the client, who with sorted members.
#define CAF_SUITE presence
#include "fixture.hpp"

using namespace actorchat::itest;
namespace json = boost::json;

namespace {

/// Removes the presence events of `room` from `peer`'s backlog and returns them.
std::vector<json::object> take_presence(chat_peer& peer, const std::string& room) {
  return peer.take([&](const json::object& obj) {
    return type_of(obj) == "presence" && get_string(obj, "room") == room;
  });
}

void report(const std::vector<json::object>& objs, const std::string& what) {
  for (auto& obj : objs)
    CAF_MESSAGE(what << ": " << brief(obj));
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(presence_tests, server_fixture)

ITEST_CASE(join events with the new count reach every member and the joiner too) {
  start_server();
  auto a = connect_peer(port(), "A", no_autojoin);
  auto b = connect_peer(port(), "B", no_autojoin);
  auto c = connect_peer(port(), "C", no_autojoin);
  auto d = connect_peer(port(), "D", no_autojoin);
  d.join("elsewhere", "jd");
  a.join("r", "ja");
  a.expect_presence("r", "join", a.nick, 1);
  b.join("r", "jb");
  a.expect_presence("r", "join", b.nick, 2);
  b.expect_presence("r", "join", b.nick, 2);
  c.join("r", "jc");
  for (auto* p : {&a, &b, &c})
    p->expect_presence("r", "join", c.nick, 3);
  // Exactly one event per join, and nothing for a room one is not in.
  for (auto* p : {&a, &b, &c, &d})
    p->sync();
  for (auto* p : {&a, &b, &c}) {
    auto extra = take_presence(*p, "r");
    report(extra, p->label + " extra presence");
    CAF_CHECK_EQUAL(extra.size(), 0u);
  }
  auto stray = take_presence(d, "r");
  report(stray, "D presence of a room it is not in");
  CAF_CHECK_EQUAL(stray.size(), 0u);
}

ITEST_CASE(leave events with the new count reach the others) {
  start_server();
  auto a = connect_peer(port(), "A", no_autojoin);
  auto b = connect_peer(port(), "B", no_autojoin);
  auto c = connect_peer(port(), "C", no_autojoin);
  for (auto* p : {&a, &b, &c})
    p->join("r", json_id("j" + p->label));
  c.leave("r", "l1");
  a.expect_presence("r", "leave", c.nick, 2);
  b.expect_presence("r", "leave", c.nick, 2);
  b.leave("r", "l2");
  a.expect_presence("r", "leave", b.nick, 1);
  // "The others get presence leave": the leaver gets its left, and no event for itself after it.
  for (auto* p : {&b, &c}) {
    p->sync();
    auto own = p->take([&](const json::object& obj) {
      return type_of(obj) == "presence" && get_string(obj, "room") == "r"
             && get_string(obj, "event") == "leave";
    });
    report(own, p->label + " got a leave event although it left");
    CAF_CHECK_EQUAL(own.size(), 0u);
  }
}

ITEST_CASE(a disconnect is a leave in every room the client was in) {
  start_server();
  auto a = connect_peer(port(), "A");               // lobby, r, s
  auto b = connect_peer(port(), "B");               // lobby, r, s
  auto c = connect_peer(port(), "C");               // lobby
  auto d = connect_peer(port(), "D", no_autojoin);  // r, s
  for (auto* p : {&a, &b, &d}) {
    p->join("r", "jr");
    p->join("s", "js");
  }
  c.expect_presence("lobby", "join", c.nick, 3);
  d.expect_presence("s", "join", d.nick, 3);
  CAF_CHECK(a.ws.close());
  b.expect_presence("lobby", "leave", a.nick, 2);
  b.expect_presence("r", "leave", a.nick, 2);
  b.expect_presence("s", "leave", a.nick, 2);
  c.expect_presence("lobby", "leave", a.nick, 2);
  d.expect_presence("r", "leave", a.nick, 2);
  d.expect_presence("s", "leave", a.nick, 2);
  c.sync();
  auto stray = c.take([](const json::object& obj) {
    return type_of(obj) == "presence" && get_string(obj, "room") != "lobby";
  });
  report(stray, "C presence of a room it is not in");
  CAF_CHECK_EQUAL(stray.size(), 0u);
  // Without a close handshake (the TCP connection just goes) it is the same.
  { auto gone = std::move(b.ws); }
  c.expect_presence("lobby", "leave", b.nick, 1);
  d.expect_presence("r", "leave", b.nick, 1);
  d.expect_presence("s", "leave", b.nick, 1);
  CAF_CHECK_EQUAL(show(d.who("r", "w")), show(std::vector<std::string>{d.nick}));
}

ITEST_CASE(who lists the members of a room sorted) {
  start_server();
  auto a = connect_peer(port(), "A", no_autojoin);
  auto b = connect_peer(port(), "B", no_autojoin);
  auto c = connect_peer(port(), "C", no_autojoin); // guest-3
  auto d = connect_peer(port(), "D", no_autojoin);
  a.rename("zed", "n1");
  b.rename("amy", "n2");
  d.rename("mia", "n4");
  for (auto* p : {&a, &b, &c})
    p->join("r", "jr");
  d.join("s", "js");
  const std::vector<std::string> expected{"amy", "guest-3", "zed"};
  CAF_CHECK_EQUAL(show(a.who("r", "w1")), show(expected));
  CAF_CHECK_EQUAL(show(c.who("r", 42)), show(expected));
  CAF_CHECK_EQUAL(show(d.who("s", "w2")), show(std::vector<std::string>{"mia"}));
  b.leave("r", "l");
  CAF_CHECK_EQUAL(show(a.who("r", "w3")), show(std::vector<std::string>{"guest-3", "zed"}));
  // Without an id the reply has none.
  a.send(json::object{{"type", "who"}, {"room", "r"}});
  CAF_CHECK(!a.expect("who", "r").contains("id"));
}

ITEST_CASE(who for a room the client is not in is not_in_room) {
  start_server();
  auto a = connect_peer(port(), "A", no_autojoin);
  auto b = connect_peer(port(), "B", no_autojoin);
  a.join("r", "j");
  b.send(json::object{{"type", "who"}, {"room", "r"}, {"id", "w1"}});
  b.expect_error("not_in_room", "w1");
  b.send(json::object{{"type", "who"}, {"room", "nowhere"}, {"id", 2}});
  b.expect_error("not_in_room", 2);
  a.leave("r", "l");
  a.send(json::object{{"type", "who"}, {"room", "r"}, {"id", "w3"}});
  a.expect_error("not_in_room", "w3");
}

CAF_TEST_FIXTURE_SCOPE_END()
