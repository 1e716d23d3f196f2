#define CAF_SUITE protocol
#include "actors/protocol.hpp"

#include "actors/command.hpp"

#include "fakes.hpp"

#include <caf/test/unit_test.hpp>

#include <string>
#include <variant>
#include <vector>

using namespace actorchat;

namespace {

/// The keys of the JSON object in a payload, in order.
std::vector<std::string> keys(const payload& p) {
  std::vector<std::string> out;
  for (auto& kv : test::parse(p))
    out.emplace_back(kv.key());
  return out;
}

/// The "id" of the JSON object in a payload, serialized ("" when it has none).
std::string id_of(const payload& p) {
  auto obj = test::parse(p);
  auto* id = obj.if_contains("id");
  return id ? boost::json::serialize(*id) : std::string{};
}

/// The text of a payload, as a copy (CAF_CHECK_EQUAL must not be handed a reference into a
/// temporary payload).
std::string line(const payload& p) {
  return *p;
}

/// A field of any type, serialized.
std::string json_of(const payload& p, const char* key) {
  return boost::json::serialize(test::parse(p).at(key));
}

/// Whether a payload is exactly one JSON object on one line.
bool one_line_object(const payload& p) {
  boost::json::error_code ec;
  auto value = boost::json::parse(*p, ec);
  return !ec && value.is_object() && p->find('\n') == std::string::npos;
}

} // namespace

// -- message -------------------------------------------------------------------------------------

CAF_TEST(a message carries every field and the text verbatim) {
  chat_message m{"lobby", 7, "guest-1", 1700000000123, "hi \"you\" <b>&amp;</b> é 🙂"};
  auto p = encode(m);
  auto obj = test::parse(p);
  CAF_CHECK_EQUAL(std::string{obj.at("type").as_string()}, "message");
  CAF_CHECK_EQUAL(std::string{obj.at("room").as_string()}, "lobby");
  CAF_CHECK_EQUAL(obj.at("seq").to_number<uint64_t>(), 7u);
  CAF_CHECK_EQUAL(std::string{obj.at("from").as_string()}, "guest-1");
  CAF_CHECK_EQUAL(obj.at("ts").to_number<int64_t>(), 1700000000123);
  CAF_CHECK_EQUAL(std::string{obj.at("text").as_string()}, m.text);
  CAF_CHECK_EQUAL(keys(p), (std::vector<std::string>{"type", "room", "seq", "from", "ts", "text"}));
}

CAF_TEST(an action carries action true as its last field) {
  chat_message m{"dev", 43, "guest-3", 1763776201456, "waves", true};
  CAF_CHECK_EQUAL(line(encode(m)), R"({"type":"message","room":"dev","seq":43,"from":"guest-3",)"
                                   R"("ts":1763776201456,"text":"waves","action":true})");
  CAF_CHECK_EQUAL(json_of(encode(m), "action"), "true");
}

CAF_TEST(a message that is no action has no action field) {
  chat_message m{"dev", 42, "guest-3", 1763776200123, "hi"};
  CAF_CHECK(!m.action); // the default
  CAF_CHECK_EQUAL(line(encode(m)), R"({"type":"message","room":"dev","seq":42,"from":"guest-3",)"
                                   R"("ts":1763776200123,"text":"hi"})");
  m.action = false;
  CAF_CHECK(!test::parse(encode(m)).contains("action"));
}

CAF_TEST(newlines in text never break the one object per line rule) {
  auto p = encode(chat_message{"lobby", 1, "a", 1, "line1\nline2\r\n\tend"});
  CAF_CHECK_EQUAL(p->find('\n'), std::string::npos);
  CAF_CHECK_EQUAL(test::field(p, "text"), "line1\nline2\r\n\tend");
}

CAF_TEST(quotes controls and line separators in text round trip on one line) {
  std::string text = "a\nb \"q\" \\ \xE2\x80\xA8 \xE2\x80\xA9 ";
  text += std::string("\0\x01\x1F\x7F", 4);
  auto p = encode(chat_message{"lobby", 1, "a", 1, text});
  CAF_CHECK(one_line_object(p));
  CAF_CHECK_EQUAL(test::field(p, "text"), text);
}

// -- welcome -------------------------------------------------------------------------------------

CAF_TEST(welcome lists the slash-commands and a notice goes to one client) {
  server_info info{"1.2.3", "abc", 4096, 256, 100, 16, 200};
  auto p = encode_welcome(info, "guest-9", {}, {command_help{"roll", "/roll 2d6", "dice", "dice"}});
  CAF_CHECK_EQUAL(json_of(p, "commands"), R"([{"name":"roll","usage":"/roll 2d6","help":"dice"}])");
  auto notice = encode_notice("dev", "commands", "line 1\nline 2", R"("t1")");
  CAF_CHECK_EQUAL(*notice, R"({"type":"notice","room":"dev","from":"commands",)"
                           R"("text":"line 1\nline 2","id":"t1"})");
  auto roomless = encode_notice("", "dice", "x", "");
  CAF_CHECK_EQUAL(*roomless, R"({"type":"notice","from":"dice","text":"x"})");
}

CAF_TEST(welcome tells the nick the rooms and the limits) {
  server_info info{"1.2.3", "abc", 4096, 256, 100, 16, 200};
  auto p = encode_welcome(info, "guest-9", {});
  CAF_CHECK(one_line_object(p));
  CAF_CHECK_EQUAL(keys(p), (std::vector<std::string>{"type", "nick", "rooms", "version", "boot",
                                                     "limits", "commands"}));
  CAF_CHECK_EQUAL(json_of(p, "commands"), "[]");
  auto obj = test::parse(p);
  CAF_CHECK_EQUAL(std::string{obj.at("type").as_string()}, "welcome");
  CAF_CHECK_EQUAL(std::string{obj.at("nick").as_string()}, "guest-9");
  CAF_CHECK_EQUAL(json_of(p, "rooms"), "[]");
  CAF_CHECK_EQUAL(std::string{obj.at("version").as_string()}, "1.2.3");
  CAF_CHECK_EQUAL(std::string{obj.at("boot").as_string()}, "abc");
  auto& limits = obj.at("limits").as_object();
  CAF_CHECK_EQUAL(limits.at("max_message_size").to_number<size_t>(), 4096u);
  CAF_CHECK_EQUAL(limits.at("send_queue").to_number<size_t>(), 256u);
  CAF_CHECK_EQUAL(limits.at("history_size").to_number<size_t>(), 100u);
  CAF_CHECK_EQUAL(limits.at("max_rooms_per_client").to_number<size_t>(), 16u);
  CAF_CHECK_EQUAL(limits.at("history_page_max").to_number<uint64_t>(), 200u);
  CAF_CHECK_EQUAL(boost::json::serialize(limits),
                  R"({"max_message_size":4096,"send_queue":256,"history_size":100,)"
                  R"("max_rooms_per_client":16,"history_page_max":200})");
  CAF_CHECK_EQUAL(id_of(p), "");
}

CAF_TEST(welcome lists the rooms the client is in) {
  server_info info{"1.2.3", "abc", 4096, 256, 100, 16, 200};
  auto p = encode_welcome(info, "ana", {"dev", "lobby"});
  CAF_CHECK_EQUAL(json_of(p, "rooms"), R"(["dev","lobby"])");
}

// -- replies -------------------------------------------------------------------------------------

CAF_TEST(joined has room last_seq count and id) {
  auto p = encode_joined("dev", 41, 3, R"("j1")");
  CAF_CHECK_EQUAL(*p, R"({"type":"joined","room":"dev","last_seq":41,"count":3,"id":"j1"})");
  CAF_CHECK_EQUAL(line(encode_joined("dev", 0, 1, "")),
                  R"({"type":"joined","room":"dev","last_seq":0,"count":1})");
}

CAF_TEST(sent has room seq and id) {
  CAF_CHECK_EQUAL(line(encode_sent("dev", 42, R"("s7")")),
                  R"({"type":"sent","room":"dev","seq":42,"id":"s7"})");
  CAF_CHECK_EQUAL(line(encode_sent("dev", 42, "7")),
                  R"({"type":"sent","room":"dev","seq":42,"id":7})");
}

CAF_TEST(presence join and leave have no old_nick and never an id) {
  CAF_CHECK_EQUAL(line(encode_presence("dev", "join", "guest-9", "", 4)),
                  R"({"type":"presence","room":"dev","event":"join","nick":"guest-9","count":4})");
  CAF_CHECK_EQUAL(line(encode_presence("dev", "leave", "guest-9", "ignored", 3)),
                  R"({"type":"presence","room":"dev","event":"leave","nick":"guest-9","count":3})");
}

CAF_TEST(presence nick has the old nick before the count) {
  auto p = encode_presence("dev", "nick", "ana", "guest-3", 3);
  CAF_CHECK_EQUAL(*p, R"({"type":"presence","room":"dev","event":"nick","nick":"ana",)"
                      R"("old_nick":"guest-3","count":3})");
}

CAF_TEST(left has room and id) {
  CAF_CHECK_EQUAL(line(encode_left("dev", R"("l1")")), R"({"type":"left","room":"dev","id":"l1"})");
  CAF_CHECK_EQUAL(line(encode_left("dev", "")), R"({"type":"left","room":"dev"})");
}

CAF_TEST(nick has the new nick and id) {
  CAF_CHECK_EQUAL(line(encode_nick("ana", R"("n1")")), R"({"type":"nick","nick":"ana","id":"n1"})");
  CAF_CHECK_EQUAL(line(encode_nick("ana", "")), R"({"type":"nick","nick":"ana"})");
}

CAF_TEST(who lists the members in the order given) {
  CAF_CHECK_EQUAL(line(encode_who("dev", {"ana", "guest-5", "guest-9"}, R"("w1")")),
                  R"({"type":"who","room":"dev","members":["ana","guest-5","guest-9"],"id":"w1"})");
  CAF_CHECK_EQUAL(line(encode_who("dev", {}, "")), R"({"type":"who","room":"dev","members":[]})");
}

CAF_TEST(history embeds full message objects oldest first) {
  std::vector<chat_message> msgs{{"dev", 40, "ana", 1763776200000, "first\nline"},
                                 {"dev", 41, "guest-3", 1763776200123, "\"second\" \xE2\x80\xA8"}};
  auto p = encode_history("dev", msgs, false, R"("h1")");
  CAF_CHECK(one_line_object(p));
  CAF_CHECK_EQUAL(keys(p),
                  (std::vector<std::string>{"type", "room", "messages", "complete", "id"}));
  auto obj = test::parse(p);
  CAF_CHECK_EQUAL(std::string{obj.at("type").as_string()}, "history");
  CAF_CHECK_EQUAL(std::string{obj.at("room").as_string()}, "dev");
  CAF_CHECK_EQUAL(obj.at("complete").as_bool(), false);
  CAF_CHECK_EQUAL(id_of(p), R"("h1")");
  auto& list = obj.at("messages").as_array();
  CAF_REQUIRE_EQUAL(list.size(), 2u);
  for (size_t i = 0; i < list.size(); ++i) {
    // each element is exactly what a live message looks like
    CAF_CHECK_EQUAL(boost::json::serialize(list[i]), line(encode(msgs[i])));
    CAF_CHECK_EQUAL(std::string{list[i].at("text").as_string()}, msgs[i].text);
  }
}

CAF_TEST(history marks actions as live messages do) {
  std::vector<chat_message> msgs{{"dev", 1, "ana", 1763776200000, "waves", true},
                                 {"dev", 2, "bob", 1763776200001, "hi"}};
  auto obj = test::parse(encode_history("dev", msgs, true, ""));
  auto& list = obj.at("messages").as_array();
  CAF_REQUIRE_EQUAL(list.size(), 2u);
  CAF_CHECK_EQUAL(boost::json::serialize(list[0]), line(encode(msgs[0])));
  CAF_CHECK_EQUAL(boost::json::serialize(list[0].at("action")), "true");
  CAF_CHECK_EQUAL(boost::json::serialize(list[1]), line(encode(msgs[1])));
  CAF_CHECK(!list[1].as_object().contains("action"));
}

CAF_TEST(an empty complete history) {
  CAF_CHECK_EQUAL(line(encode_history("dev", {}, true, "")),
                  R"({"type":"history","room":"dev","messages":[],"complete":true})");
}

CAF_TEST(resumed has room after last_seq complete and id) {
  CAF_CHECK_EQUAL(line(encode_resumed("dev", 40, 45, true, R"("r1")")),
                  R"({"type":"resumed","room":"dev","after":40,"last_seq":45,"complete":true,)"
                  R"("id":"r1"})");
  CAF_CHECK_EQUAL(line(encode_resumed("dev", 0, 0, false, "")),
                  R"({"type":"resumed","room":"dev","after":0,"last_seq":0,"complete":false})");
}

CAF_TEST(rooms lists rooms with their member counts) {
  CAF_CHECK_EQUAL(line(encode_rooms({{"dev", 3}, {"lobby", 12}}, R"("x")")),
                  R"({"type":"rooms","rooms":[{"room":"dev","members":3},)"
                  R"({"room":"lobby","members":12}],"id":"x"})");
  CAF_CHECK_EQUAL(line(encode_rooms({}, "")), R"({"type":"rooms","rooms":[]})");
}

CAF_TEST(error has code message and id) {
  CAF_CHECK_EQUAL(line(encode_error("nick_taken", "the nickname 'ana' is taken", R"("n2")")),
                  R"({"type":"error","code":"nick_taken","message":"the nickname 'ana' is taken",)"
                  R"("id":"n2"})");
  CAF_CHECK_EQUAL(line(encode_error("bad_json", "nope", "")),
                  R"({"type":"error","code":"bad_json","message":"nope"})");
}

// -- ids and escaping ----------------------------------------------------------------------------

CAF_TEST(an id read by parse_command comes back exactly as the client sent it) {
  for (std::string id : {R"("j1")", R"("")", R"("a\"b\\c")", R"("\u2028\n")", "7", "0", "-3",
                         "18446744073709551615"}) {
    auto result = parse_command(R"({"type":"rooms","id":)" + id + "}", parse_limits{});
    CAF_REQUIRE(std::holds_alternative<command>(result));
    auto& cmd = std::get<command>(result);
    auto p = encode_rooms({}, cmd.id);
    CAF_CHECK(one_line_object(p));
    // the same JSON value: parse both and compare
    CAF_CHECK_EQUAL(boost::json::serialize(test::parse(p).at("id")),
                    boost::json::serialize(boost::json::parse(id)));
  }
}

CAF_TEST(an id that is not a json string or integer is left out) {
  for (std::string id : {"j1", "{", "1.5", "null", "[1]", "{\"a\":1}"})
    CAF_CHECK_EQUAL(keys(encode_left("dev", id)), (std::vector<std::string>{"type", "room"}));
}

CAF_TEST(every string field is escaped onto one line) {
  const std::string evil = "x\n\"y\"\r\\\xE2\x80\xA8\t\x01";
  server_info info{evil, evil, 1, 1, 1, 1, 1};
  std::vector<payload> all = {
    encode_welcome(info, evil, {evil}),
    encode_joined(evil, 1, 1, R"("\n")"),
    encode_sent(evil, 1, R"("\n")"),
    encode_presence(evil, "nick", evil, evil, 1),
    encode_left(evil, R"("\n")"),
    encode_nick(evil, R"("\n")"),
    encode_who(evil, {evil, evil}, R"("\n")"),
    encode_history(evil, {{evil, 1, evil, 1, evil}}, true, R"("\n")"),
    encode_resumed(evil, 1, 2, true, R"("\n")"),
    encode_rooms({{evil, 1}}, R"("\n")"),
    encode_error(evil, evil, R"("\n")"),
  };
  for (auto& p : all) {
    CAF_CHECK(one_line_object(p));
    CAF_CHECK_EQUAL(p->find('\n'), std::string::npos);
  }
  CAF_CHECK_EQUAL(test::field(all[0], "nick"), evil);
  CAF_CHECK_EQUAL(test::field(all[3], "old_nick"), evil);
  CAF_CHECK_EQUAL(test::field(all[10], "message"), evil);
  CAF_CHECK_EQUAL(test::field(all[10], "id"), "\n");
}
