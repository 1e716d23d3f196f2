// errors (protocol v1): every malformed or invalid command gets its error code (with the
// command's id when it had one) and the connection goes on chatting normally.
#define CAF_SUITE errors
#include "fixture.hpp"

using namespace actorchat::itest;
namespace json = boost::json;

namespace {

/// A client in the lobby that checks, after each error, that it still chats: its say comes
/// back as the next seq of the lobby.
struct chatter {
  chat_peer peer;
  int64_t seq = 0;

  void still_chats() {
    auto text = "still chatting " + std::to_string(seq + 1);
    auto id = json_id("ok-" + std::to_string(seq + 1));
    auto sent = peer.say("lobby", text, id);
    ++seq;
    CAF_CHECK_EQUAL(get_int(sent, "seq").value_or(-1), seq);
    peer.expect_message("lobby", seq, text);
  }

  /// Sends `frame` and requires error `code` with `id` (none if null), whose message mentions
  /// `field` unless it is empty; then still_chats().
  void expect(const std::string& frame, const std::string& code, const json_id& id,
              const std::string& field = {}) {
    CAF_MESSAGE("sending " << frame);
    peer.send_raw(frame);
    auto err = id.is_null() ? peer.expect_error_without_id(code) : peer.expect_error(code, id);
    auto message = get_string(err, "message");
    CAF_CHECK(!message.empty());
    if (!field.empty() && message.find(field) == std::string::npos) {
      CAF_MESSAGE("the message of " << brief(err) << " does not name '" << field << "'");
      CAF_CHECK(message.find(field) != std::string::npos);
    }
    still_chats();
  }
};

chatter lobby_chatter(uint16_t port) {
  chatter c{connect_peer(port, "A"), 0};
  c.peer.expect("joined", "lobby");
  return c;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(errors_tests, server_fixture)

ITEST_CASE(a frame starting with a brace that is not a JSON object is bad_json) {
  start_server();
  auto c = lobby_chatter(port());
  c.expect("{oops", "bad_json", nullptr);
  c.expect("{", "bad_json", nullptr);
  c.expect(R"({"type":"say","room":"lobby","text":"x"} trailing)", "bad_json", nullptr);
  c.expect(R"(  {"type":"say","room":"lobby")", "bad_json", nullptr);
  // Exactly one object: two in one frame are bad_json too.
  c.expect(R"({"type":"rooms","id":"a"}{"type":"rooms","id":"b"})", "bad_json", nullptr);
  c.expect(R"({"type":"rooms","id":"a"} {"type":"rooms","id":"b"})", "bad_json", nullptr);
  CAF_CHECK(c.peer.ws.is_open());
}

ITEST_CASE(a frame not starting with a brace is chat text even if it looks like JSON) {
  start_server();
  auto c = lobby_chatter(port());
  for (std::string text : {"[1,2]", "\"quoted\"", "42", "x {\"type\":\"rooms\"}"}) {
    c.peer.send_raw(text);
    c.peer.expect_message("lobby", ++c.seq, text);
  }
  // Leading whitespace before the brace still makes a command.
  c.peer.send_raw(" \t\n{\"type\":\"rooms\",\"id\":\"ws\"}");
  c.peer.expect_reply("rooms", "ws");
  c.still_chats();
}

ITEST_CASE(a missing or unknown type is unknown_type) {
  start_server();
  auto c = lobby_chatter(port());
  c.expect("{}", "unknown_type", nullptr);
  c.expect(R"({"room":"lobby","text":"no type"})", "unknown_type", nullptr);
  c.expect(R"({"type":5,"id":"t1"})", "unknown_type", "t1");
  c.expect(R"({"type":null,"id":"t2"})", "unknown_type", "t2");
  c.expect(R"({"type":"dance","id":"t3"})", "unknown_type", "t3");
  c.expect(R"({"type":"SAY","room":"lobby","text":"x","id":4})", "unknown_type", 4);
  c.expect(R"({"type":"message","room":"lobby","text":"x","id":"t5"})", "unknown_type", "t5");
}

ITEST_CASE(a field of the wrong type or missing is bad_field naming the field) {
  start_server();
  auto c = lobby_chatter(port());
  c.expect(R"({"type":"say","room":5,"text":"x","id":"f1"})", "bad_field", "f1", "room");
  c.expect(R"({"type":"say","text":"x","id":"f2"})", "bad_field", "f2", "room");
  c.expect(R"({"type":"say","room":"lobby","id":"f3"})", "bad_field", "f3", "text");
  c.expect(R"({"type":"say","room":"lobby","text":7,"id":"f4"})", "bad_field", "f4", "text");
  c.expect(R"({"type":"say","room":"lobby","text":null,"id":"f5"})", "bad_field", "f5", "text");
  c.expect(R"({"type":"join","id":"f6"})", "bad_field", "f6", "room");
  c.expect(R"({"type":"join","room":["lobby"],"id":"f7"})", "bad_field", "f7", "room");
  c.expect(R"({"type":"leave","id":"f8"})", "bad_field", "f8", "room");
  c.expect(R"({"type":"who","id":"f9"})", "bad_field", "f9", "room");
  c.expect(R"({"type":"nick","id":"f10"})", "bad_field", "f10", "nick");
  c.expect(R"({"type":"nick","nick":5,"id":11})", "bad_field", 11, "nick");
  c.expect(R"({"type":"history","id":"f12"})", "bad_field", "f12", "room");
  c.expect(R"({"type":"resume","room":"r","id":"f13"})", "bad_field", "f13", "after");
}

ITEST_CASE(numbers that are negative or not integers are bad_field) {
  start_server();
  auto c = lobby_chatter(port());
  c.expect(R"({"type":"history","room":"lobby","limit":-1,"id":"n1"})", "bad_field", "n1",
           "limit");
  c.expect(R"({"type":"history","room":"lobby","limit":1.5,"id":"n2"})", "bad_field", "n2",
           "limit");
  c.expect(R"({"type":"history","room":"lobby","limit":"10","id":"n3"})", "bad_field", "n3",
           "limit");
  c.expect(R"({"type":"history","room":"lobby","before":-3,"id":"n4"})", "bad_field", "n4",
           "before");
  c.expect(R"({"type":"history","room":"lobby","before":2.5,"id":"n5"})", "bad_field", "n5",
           "before");
  c.expect(R"({"type":"resume","room":"r","after":-1,"id":"n6"})", "bad_field", "n6", "after");
  c.expect(R"({"type":"resume","room":"r","after":0.5,"id":"n7"})", "bad_field", "n7", "after");
  // A valid history request in between works (and has nothing older than the first message).
  auto page = c.peer.history("lobby", 0, 10, "h");
  CAF_CHECK_EQUAL(show(seqs_of(history_messages(page))), show(seq_range(1, c.seq)));
  CAF_CHECK_EQUAL(get_bool(page, "complete").value_or(false), true);
}

ITEST_CASE(empty text is empty_text and empty frames are ignored) {
  start_server();
  auto c = lobby_chatter(port());
  c.expect(R"({"type":"say","room":"lobby","text":"","id":"e1"})", "empty_text", "e1");
  c.expect(R"({"type":"say","room":"lobby","text":""})", "empty_text", nullptr);
  // An empty frame is no command and no message: nothing comes back, no seq is taken.
  c.peer.send_raw("");
  c.still_chats();
  c.peer.sync();
  auto extra = c.peer.take([](const json::object& obj) {
    return type_of(obj) == "error" || type_of(obj) == "message";
  });
  for (auto& obj : extra)
    CAF_MESSAGE("unexpected: " << brief(obj));
  CAF_CHECK_EQUAL(extra.size(), 0u);
}

ITEST_CASE(ids are echoed on replies and errors as strings or integers) {
  start_server();
  auto c = lobby_chatter(port());
  std::vector<json_id> ids{json_id("e-1"), json_id(0), json_id(123456789012),
                           json_id(std::string(64, 'i')), json_id("\xc3\xa9t\xc3\xa9")};
  for (auto& id : ids) {
    CAF_MESSAGE("id " << json::serialize(id));
    // An error ...
    c.peer.send(json::object{{"type", "join"}, {"room", "Bad"}, {"id", id}});
    auto err = c.peer.expect_error("bad_room", id);
    CAF_CHECK_EQUAL(json::serialize(err.at("id")), json::serialize(id)); // same JSON type too
    // ... and a reply.
    c.peer.send(json::object{{"type", "rooms"}, {"id", id}});
    auto reply = c.peer.expect_reply("rooms", id);
    CAF_CHECK_EQUAL(json::serialize(reply.at("id")), json::serialize(id));
    c.still_chats();
  }
  // Without an id, neither has one.
  c.expect(R"({"type":"join","room":"Bad"})", "bad_room", nullptr);
}

ITEST_CASE(a string id over 64 bytes is bad_field) {
  start_server();
  auto c = lobby_chatter(port());
  auto long_id = std::string(65, 'i');
  c.peer.send(json::object{{"type", "rooms"}, {"id", long_id}});
  auto err = c.peer.await(
    [](const json::object& obj) { return type_of(obj) == "error" || type_of(obj) == "rooms"; },
    "a reply or an error to a command with a 65-byte id");
  CAF_MESSAGE("reply: " << brief(err));
  CAF_CHECK_EQUAL(type_of(err), "error");
  CAF_CHECK_EQUAL(get_string(err, "code"), "bad_field");
  CAF_CHECK(get_string(err, "message").find("id") != std::string::npos);
  c.still_chats();
}

ITEST_CASE(a say text of exactly max-message-size bytes is accepted in a JSON command) {
  // The limit is on the text: the frame carrying it is larger (JSON around it).
  start_server({"--chat.max-message-size=1024"});
  auto c = lobby_chatter(port());
  auto max_text = std::string(1024, 'x');
  auto sent = c.peer.say("lobby", max_text, "max");
  CAF_CHECK_EQUAL(get_int(sent, "seq").value_or(-1), ++c.seq);
  auto msg = c.peer.expect_message("lobby", c.seq);
  CAF_CHECK_EQUAL(get_string(msg, "text").size(), 1024u);
  // Bytes, not characters: 512 two-byte characters are exactly 1024 bytes.
  std::string e512;
  for (int i = 0; i < 512; ++i)
    e512 += "\xc3\xa9";
  c.peer.say("lobby", e512, "e512");
  c.peer.expect_message("lobby", ++c.seq, e512);
  c.still_chats();
}

ITEST_CASE(a say text over max-message-size bytes is text_too_long and the connection stays) {
  start_server({"--chat.max-message-size=1024"});
  auto c = lobby_chatter(port());
  c.peer.send(json::object{{"type", "say"}, {"room", "lobby"}, {"text", std::string(1025, 'y')},
                           {"id", "big"}});
  c.peer.expect_error("text_too_long", "big");
  c.still_chats();
  // 513 two-byte characters: 1026 bytes.
  std::string e513;
  for (int i = 0; i < 513; ++i)
    e513 += "\xc3\xa9";
  c.peer.send(json::object{{"type", "say"}, {"room", "lobby"}, {"text", e513}, {"id", "e513"}});
  c.peer.expect_error("text_too_long", "e513");
  CAF_CHECK(c.peer.ws.is_open());
  c.still_chats();
}

ITEST_CASE(the text limit applies after unescaping and a frame may be 6 times as large) {
  // "A frame (command with its JSON) may have at most 6 × max_message_size + 1024 bytes".
  start_server({"--chat.max-message-size=1024"});
  auto c = lobby_chatter(port());
  // 1024 control characters are 1024 bytes of text but 6144 bytes of JSON (\u0001 each).
  auto ctrl = std::string(1024, '\x01');
  c.peer.say("lobby", ctrl, "ctrl");
  CAF_CHECK(get_string(c.peer.expect_message("lobby", ++c.seq), "text") == ctrl);
  // 1024 quotes: 2048 bytes of JSON.
  auto quotes = std::string(1024, '"');
  c.peer.say("lobby", quotes, "quotes");
  CAF_CHECK(get_string(c.peer.expect_message("lobby", ++c.seq), "text") == quotes);
  // A frame of exactly 6 * 1024 + 1024 bytes (padded with an unknown field) is handled.
  const size_t frame_max = 6 * 1024 + 1024;
  auto padded = [](size_t size, const std::string& id) {
    std::string head = R"({"type":"say","room":"lobby","text":"padded","id":")" + id
                       + R"(","pad":")";
    std::string tail = R"("})";
    return head + std::string(size - head.size() - tail.size(), 'p') + tail;
  };
  auto fits = padded(frame_max, "fits");
  ITEST_REQUIRE_EQUAL(fits.size(), frame_max);
  c.peer.send_raw(fits);
  c.peer.expect_reply("sent", "fits");
  c.peer.expect_message("lobby", ++c.seq, "padded");
  c.still_chats();
  // One byte more closes the connection with 1009. The server may drop the connection right
  // after its close frame, before it read the rest of ours: a raw socket sees the close frame
  // where Beast's client would report only the reset.
  auto too_big = padded(frame_max + 1, "too-big");
  raw_tcp conn;
  ITEST_REQUIRE(conn.connect(port(), io_timeout));
  ITEST_REQUIRE(raw_ws_upgrade_at(conn, port(), "/ws", io_timeout));
  if (!raw_ws_send_text(conn, too_big, io_timeout))
    CAF_MESSAGE("sending the large frame failed (the server may have closed already)");
  auto code = raw_ws_read_close(conn, io_timeout);
  CAF_MESSAGE("after a frame of " << too_big.size() << " bytes: close code "
                                  << (code ? std::to_string(*code) : std::string{"none"}));
  CAF_CHECK_EQUAL(code.value_or(0), 1009u);
  // The server goes on.
  c.still_chats();
}

ITEST_CASE(a plain frame longer than max-message-size closes with 1009) {
  start_server({"--chat.max-message-size=1024"});
  auto c = lobby_chatter(port());
  c.peer.send_raw(std::string(1024, 'x'));
  c.peer.expect_message("lobby", ++c.seq, std::string(1024, 'x'));
  c.peer.send_raw(std::string(1025, 'x'));
  auto end = c.peer.ws.read_until_close(io_timeout);
  CAF_MESSAGE("after a plain frame of 1025 bytes: " << end.describe());
  CAF_CHECK(end.what == ws_frame::kind::closed);
  CAF_CHECK_EQUAL(end.close_code, 1009u);
}

ITEST_CASE(unknown fields are ignored) {
  start_server();
  auto c = lobby_chatter(port());
  c.peer.send_raw(
    R"({"type":"say","room":"lobby","text":"extra","id":"x1","color":"red","n":[1,{}]})");
  c.peer.expect_reply("sent", "x1");
  c.peer.expect_message("lobby", ++c.seq, "extra");
  c.peer.send_raw(R"({"type":"rooms","verbose":true,"id":"x2"})");
  c.peer.expect_reply("rooms", "x2");
  c.still_chats();
}

CAF_TEST_FIXTURE_SCOPE_END()
