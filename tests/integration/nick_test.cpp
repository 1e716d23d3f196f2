// nick (protocol v1): guest-N names, renaming with presence to every room of the renamed
// client, case-insensitive uniqueness, the rules for valid nicknames, release on disconnect.
#define CAF_SUITE nick
#include "fixture.hpp"

#include <chrono>
#include <thread>

using namespace actorchat::itest;
namespace json = boost::json;

namespace {

/// Sends nick `name` with `id` and requires error `code`.
void expect_nick_error(chat_peer& peer, const std::string& name, const json_id& id,
                       const std::string& code) {
  peer.send(json::object{{"type", "nick"}, {"nick", name}, {"id", id}});
  peer.expect_error(code, id);
}

/// Requires that the next message `peer` says (as plain text, to its current room) carries
/// `from`.
void expect_from(chat_peer& speaker, const std::string& room, int64_t seq,
                 const std::string& from) {
  auto text = "from check " + std::to_string(seq);
  speaker.send_raw(text);
  auto msg = speaker.expect_message(room, seq, text);
  CAF_CHECK_EQUAL(get_string(msg, "from"), from);
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(nick_tests, server_fixture)

ITEST_CASE(guests are named guest-N with N counting from 1 per server process) {
  start_server();
  auto a = connect_peer(port(), "A");
  auto b = connect_peer(port(), "B");
  auto c = connect_peer(port(), "C", no_autojoin);
  CAF_CHECK_EQUAL(a.nick, "guest-1");
  CAF_CHECK_EQUAL(b.nick, "guest-2");
  CAF_CHECK_EQUAL(c.nick, "guest-3");
  a.expect("joined", "lobby");
  expect_from(a, "lobby", 1, "guest-1");
  // A new process counts from 1 again.
  start_server();
  auto d = connect_peer(port(), "D");
  CAF_CHECK_EQUAL(d.nick, "guest-1");
}

ITEST_CASE(nick answers with the id and every room of the client gets presence nick) {
  start_server();
  auto a = connect_peer(port(), "A"); // guest-1: lobby, dev
  auto b = connect_peer(port(), "B"); // guest-2: lobby, dev
  auto d = connect_peer(port(), "D"); // guest-3: lobby only
  a.join("dev", "ja");
  b.join("dev", "jb");
  auto reply = a.rename("ana", "n1");
  CAF_MESSAGE("nick reply: " << brief(reply));
  for (auto* p : {&a, &b}) {
    auto lobby = p->expect_presence("lobby", "nick", "ana", 3);
    CAF_CHECK_EQUAL(get_string(lobby, "old_nick"), "guest-1");
    auto dev = p->expect_presence("dev", "nick", "ana", 2);
    CAF_CHECK_EQUAL(get_string(dev, "old_nick"), "guest-1");
  }
  auto lobby = d.expect_presence("lobby", "nick", "ana", 3);
  CAF_CHECK_EQUAL(get_string(lobby, "old_nick"), "guest-1");
  d.sync();
  auto stray = d.take([](const json::object& obj) {
    return type_of(obj) == "presence" && get_string(obj, "room") == "dev";
  });
  CAF_CHECK_EQUAL(stray.size(), 0u);
  CAF_CHECK_EQUAL(show(b.who("lobby", "w1")), show(std::vector<std::string>{"ana", "guest-2",
                                                                          "guest-3"}));
  CAF_CHECK_EQUAL(show(b.who("dev", "w2")), show(std::vector<std::string>{"ana", "guest-2"}));
  // An integer id comes back as that integer.
  a.rename("ana2", 17);
}

ITEST_CASE(a nickname that differs only in case is taken and the name stays) {
  start_server();
  auto a = connect_peer(port(), "A");
  auto b = connect_peer(port(), "B");
  a.expect("joined", "lobby");
  b.expect("joined", "lobby");
  a.rename("Ana", "n1");
  expect_nick_error(b, "ana", "t1", "nick_taken");
  expect_nick_error(b, "ANA", "t2", "nick_taken");
  expect_nick_error(b, "Ana", 3, "nick_taken");
  // B is still guest-2 and nobody was told otherwise.
  expect_from(b, "lobby", 1, "guest-2");
  CAF_CHECK_EQUAL(show(a.who("lobby", "w")), show(std::vector<std::string>{"Ana", "guest-2"}));
  a.sync();
  auto renames = a.take([](const json::object& obj) {
    return type_of(obj) == "presence" && get_string(obj, "event") == "nick"
           && get_string(obj, "old_nick") == "guest-2";
  });
  CAF_CHECK_EQUAL(renames.size(), 0u);
}

ITEST_CASE(invalid nicknames are bad_nick and the name stays) {
  start_server();
  auto a = connect_peer(port(), "A");
  a.expect("joined", "lobby");
  const std::string ri = "\xe6\x97\xa5"; // U+65E5, 3 bytes
  std::string ri11;
  for (int i = 0; i < 11; ++i)
    ri11 += ri; // 11 characters, 33 bytes
  const std::vector<std::string> bad = {
    "guest-5",              // reserved prefix
    "GUEST-9",              // reserved in any case
    "Guest-",               // the prefix alone
    "guest-ana",            // reserved whatever follows
    " ana",                 // leading space
    "ana ",                 // trailing space
    "an\x01" "a",           // control character
    "a\tb",                 // U+0009 is a control character too
    "a\nb",                 // and U+000A
    "ana\x7f",              // U+007F
    "an\xc2\x85" "a",        // U+0085 (NEL), a C1 control character
    "ana\xc2\x9f",           // U+009F, the last C1 control character
    "an\xe2\x80\xa8" "a",    // U+2028 line separator
    "an\xe2\x80\xa9" "a",    // U+2029 paragraph separator
    std::string(33, 'n'),   // 33 bytes
    ri11,                   // 11 characters but 33 bytes
    "",                     // empty
  };
  int n = 0;
  for (const auto& name : bad) {
    CAF_MESSAGE("nick '" << name << "' (" << name.size() << " bytes)");
    expect_nick_error(a, name, json_id("b" + std::to_string(++n)), "bad_nick");
  }
  expect_from(a, "lobby", 1, "guest-1");
  // The edges that are valid.
  std::string e16;
  for (int i = 0; i < 16; ++i)
    e16 += "\xc3\xa9"; // U+00E9: 16 characters, 32 bytes
  const std::vector<std::string> good = {std::string(32, 'n'), e16,        "guest",
                                         "guest5",             "a b",      "zo\xc3\xab",
                                         "a\xc2\xa0" "b",       "\xc2\xa1!", "-guest-"};
  for (const auto& name : good) {
    CAF_MESSAGE("nick '" << name << "' (" << name.size() << " bytes)");
    a.rename(name, json_id("g-" + std::to_string(++n)));
  }
  expect_from(a, "lobby", 2, "-guest-");
}

ITEST_CASE(a nickname is free again once its holder disconnected) {
  start_server();
  auto a = connect_peer(port(), "A");
  auto b = connect_peer(port(), "B");
  auto c = connect_peer(port(), "C");
  a.rename("ana", "n1");
  c.rename("zed", "n2");
  expect_nick_error(b, "ana", "t1", "nick_taken");
  expect_nick_error(b, "ZED", "t2", "nick_taken");
  // A leaves with a close handshake, then C by dropping its TCP connection.
  CAF_CHECK(a.ws.close());
  b.expect_presence("lobby", "leave", "ana", 2);
  { auto gone = std::move(c.ws); }
  b.expect_presence("lobby", "leave", "zed", 1);
  // Once the room announced the leave, the name is free.
  int n = 0;
  for (auto name : {"ana", "ZED"}) {
    // The contract names no moment at which the name is released; allow a short delay after
    // the leave and report it.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{2};
    for (int attempt = 1;; ++attempt) {
      auto id = json_id("free-" + std::to_string(++n));
      b.send(json::object{{"type", "nick"}, {"nick", name}, {"id", id}});
      auto reply = b.reply(id);
      if (type_of(reply) == "nick") {
        CAF_CHECK_EQUAL(get_string(reply, "nick"), name);
        CAF_MESSAGE("'" << name << "' was free at attempt " << attempt);
        break;
      }
      if (get_string(reply, "code") != "nick_taken" || std::chrono::steady_clock::now() > deadline)
        ITEST_FAIL("nick '" << name << "' after its holder left: " << brief(reply));
      std::this_thread::sleep_for(milliseconds{100});
    }
    b.nick = name;
  }
  expect_from(b, "lobby", 1, "ZED");
}

ITEST_CASE(messages after a rename carry the new name and history keeps the old one) {
  start_server();
  auto a = connect_peer(port(), "A");
  auto b = connect_peer(port(), "B");
  a.expect("joined", "lobby");
  b.expect("joined", "lobby");
  a.say("lobby", "before", "s1");
  a.rename("bob", "n1");
  a.say("lobby", "after", "s2");
  a.send_raw("plain after");
  for (auto* p : {&a, &b}) {
    CAF_CHECK_EQUAL(get_string(p->expect_message("lobby", 1, "before"), "from"), "guest-1");
    CAF_CHECK_EQUAL(get_string(p->expect_message("lobby", 2, "after"), "from"), "bob");
    CAF_CHECK_EQUAL(get_string(p->expect_message("lobby", 3, "plain after"), "from"), "bob");
  }
  // A newcomer's replay shows each message with the name it was sent under.
  auto c = connect_peer(port(), "C");
  CAF_CHECK_EQUAL(get_int(c.expect("joined", "lobby"), "last_seq").value_or(-1), 3);
  CAF_CHECK_EQUAL(get_string(c.expect_message("lobby", 1, "before"), "from"), "guest-1");
  CAF_CHECK_EQUAL(get_string(c.expect_message("lobby", 2, "after"), "from"), "bob");
  CAF_CHECK_EQUAL(get_string(c.expect_message("lobby", 3, "plain after"), "from"), "bob");
}

CAF_TEST_FIXTURE_SCOPE_END()
