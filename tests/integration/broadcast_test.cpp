// broadcast: every client in the lobby receives every message, the sender included, with the
// same seq and the text exactly as it was sent.
#define CAF_SUITE broadcast
#include "fixture.hpp"

#include <cctype>
#include <cstdlib>
#include <chrono>

using namespace actorchat::itest;

namespace {

bool is_guest_nick(const std::string& nick) {
  static constexpr std::string_view prefix = "guest-";
  if (nick.size() <= prefix.size() || nick.compare(0, prefix.size(), prefix) != 0)
    return false;
  for (size_t i = prefix.size(); i < nick.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(nick[i])))
      return false;
  return true;
}

bool is_hex(const std::string& str) {
  if (str.empty())
    return false;
  for (char c : str)
    if (!std::isxdigit(static_cast<unsigned char>(c)))
      return false;
  return true;
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

/// A connected client and its nick.
struct peer {
  ws_client client;
  std::string nick;
};

/// Requires that every peer's next message is `text` from `from` with sequence number `seq`.
void expect_everywhere(std::vector<peer>& peers, const std::string& from, const std::string& text,
                       int64_t seq) {
  for (auto& p : peers) {
    auto msg = p.client.read_message(io_timeout);
    if (!msg)
      CAF_MESSAGE(p.nick << " got no message: " << p.client.last_error());
    CAF_REQUIRE(msg.has_value());
    CAF_CHECK_EQUAL(get_string(*msg, "room"), "lobby");
    CAF_CHECK_EQUAL(get_int(*msg, "seq").value_or(-1), seq);
    CAF_CHECK_EQUAL(get_string(*msg, "from"), from);
    CAF_CHECK_EQUAL(get_string(*msg, "text"), text);
    auto ts = get_int(*msg, "ts").value_or(0);
    CAF_CHECK_LESS(std::abs(ts - now_ms()), 60000);
  }
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(broadcast_tests, server_fixture)

CAF_TEST(a new client is welcomed first and joined to the lobby) {
  start();
  boost::json::object welcome;
  auto client = connect_client({}, &welcome);
  CAF_MESSAGE("welcome: " << boost::json::serialize(welcome));
  CAF_CHECK(is_guest_nick(get_string(welcome, "nick")));
  CAF_CHECK(is_hex(get_string(welcome, "boot")));
  CAF_CHECK(!get_string(welcome, "version").empty());
  auto rooms = welcome.find("rooms");
  CAF_CHECK(rooms != welcome.end() && rooms->value().is_array());
  auto limits = welcome.find("limits");
  CAF_CHECK(limits != welcome.end() && limits->value().is_object());
  auto joined = client.read_object(io_timeout);
  CAF_REQUIRE(joined.has_value());
  CAF_CHECK_EQUAL(get_string(*joined, "type"), "joined");
  CAF_CHECK_EQUAL(get_string(*joined, "room"), "lobby");
}

CAF_TEST(all three clients receive a message with the same seq and text) {
  start();
  std::vector<peer> peers(3);
  for (auto& p : peers)
    p.client = connect_client(p.nick);
  CAF_CHECK_NOT_EQUAL(peers[0].nick, peers[1].nick);
  CAF_CHECK_NOT_EQUAL(peers[1].nick, peers[2].nick);
  CAF_CHECK_NOT_EQUAL(peers[0].nick, peers[2].nick);
  CAF_REQUIRE(peers[0].client.send("hello"));
  expect_everywhere(peers, peers[0].nick, "hello", 1);
}

CAF_TEST(texts come back verbatim) {
  start();
  std::vector<peer> peers(3);
  for (auto& p : peers)
    p.client = connect_client(p.nick);
  const std::vector<std::string> texts = {
    R"(she said "hi" and \"left\" \n not a newline)",
    "unicode: gr\u00fc\u00dfe, \u65e5\u672c\u8a9e, \u2211, emoji \U0001F389",
    "line one\nline two\n\nline four",
    "<script>alert('x & y')</script> &amp; &lt;b&gt;",
    "\ttab, trailing space ",
    "not json }{",  // a frame starting with '{' would be a command (PROTOCOL.md)
  };
  int64_t seq = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto& sender = peers[i % peers.size()];
    CAF_REQUIRE(sender.client.send(texts[i]));
    expect_everywhere(peers, sender.nick, texts[i], ++seq);
  }
}

CAF_TEST(empty frames are ignored) {
  start();
  std::vector<peer> peers(2);
  for (auto& p : peers)
    p.client = connect_client(p.nick);
  CAF_REQUIRE(peers[0].client.send(""));
  CAF_REQUIRE(peers[0].client.send("after the empty frame"));
  // The empty frame took no sequence number: the next message is still seq 1.
  expect_everywhere(peers, peers[0].nick, "after the empty frame", 1);
}

CAF_TEST(with two network threads every client gets every message in order) {
  // Connections alternate between the threads (net/listener.cpp): these four are on both, and
  // a room's batch goes to each thread's inbox.
  start({"--chat.io-threads=2"});
  std::vector<peer> peers(4);
  for (auto& p : peers)
    p.client = connect_client(p.nick);
  int64_t seq = 0;
  for (int round = 0; round < 3; ++round)
    for (auto& sender : peers) {
      auto text = "round " + std::to_string(round) + " from " + sender.nick;
      CAF_REQUIRE(sender.client.send(text));
      expect_everywhere(peers, sender.nick, text, ++seq);
    }
}

CAF_TEST_FIXTURE_SCOPE_END()
