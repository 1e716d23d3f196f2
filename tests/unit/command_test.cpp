#define CAF_SUITE command
#include "actors/command.hpp"

#include <caf/test/unit_test.hpp>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <variant>
#include <vector>

using namespace actorchat;

namespace {

const parse_limits limits; // 4096 bytes of text, history pages of 50 by default, at most 200

using strings = std::vector<std::string>;

std::string name(command_type type) {
  switch (type) {
    case command_type::say:
      return "say";
    case command_type::join:
      return "join";
    case command_type::leave:
      return "leave";
    case command_type::nick:
      return "nick";
    case command_type::who:
      return "who";
    case command_type::history:
      return "history";
    case command_type::resume:
      return "resume";
    case command_type::rooms:
      return "rooms";
  }
  return "?";
}

/// The command in a frame the parser must accept. If it refuses, the failure is reported and a
/// default command returned, so that the checks which follow fail too (without aborting).
command accepted(std::string_view frame) {
  auto result = parse_command(frame, limits);
  if (auto* err = std::get_if<command_error>(&result)) {
    CAF_ERROR("refused " << frame << ": " << err->code << ": " << err->message);
    return {};
  }
  return std::get<command>(result);
}

/// The error for a frame the parser must refuse (an empty error if it accepts it).
command_error refused(std::string_view frame) {
  auto result = parse_command(frame, limits);
  if (std::holds_alternative<command>(result)) {
    CAF_ERROR("accepted " << frame);
    return {};
  }
  return std::get<command_error>(result);
}

/// Every error code parse_command may produce (docs/PROTOCOL.md, "Error codes").
const std::set<std::string> parse_error_codes = {
  "bad_json", "unknown_type", "bad_field", "empty_text", "text_too_long", "bad_room", "bad_nick",
};

} // namespace

// -- plain text ----------------------------------------------------------------------------------

CAF_TEST(a frame not starting with a brace is a plain say taken verbatim) {
  for (std::string frame : {"hello", "  hi {there}", "[1]", "\"quoted\"", "42", "} {", "\f{}",
                            "\xEF\xBB\xBF{\"type\":\"rooms\"}", "line1\nline2", "é 🙂"}) {
    auto cmd = accepted(frame);
    CAF_CHECK_EQUAL(name(cmd.type), "say");
    CAF_CHECK(cmd.plain);
    CAF_CHECK_EQUAL(cmd.text, frame);
    CAF_CHECK_EQUAL(cmd.room, "");
    CAF_CHECK_EQUAL(cmd.id, "");
  }
}

CAF_TEST(plain text has no size limit of its own and may be blank) {
  std::string big(limits.max_message_size * 3, 'x');
  CAF_CHECK_EQUAL(accepted(big).text.size(), big.size());
  // An empty frame is a plain say with no text: the client ignores it (protocol: "an empty
  // frame is ignored"). Whitespace only is not empty.
  auto empty = accepted("");
  CAF_CHECK(empty.plain);
  CAF_CHECK_EQUAL(empty.text, "");
  CAF_CHECK_EQUAL(accepted(" \t ").text, " \t ");
}

CAF_TEST(json whitespace before the brace still makes a command) {
  auto cmd = accepted(" \r\n\t {\"type\":\"join\",\"room\":\"dev\"} \n");
  CAF_CHECK_EQUAL(name(cmd.type), "join");
  CAF_CHECK(!cmd.plain);
  CAF_CHECK_EQUAL(cmd.room, "dev");
}

// -- valid commands ------------------------------------------------------------------------------

CAF_TEST(say carries room and text verbatim) {
  auto cmd = accepted(R"({"type":"say","room":"dev","text":"hi \"you\"\n<b>\u2028 é"})");
  CAF_CHECK_EQUAL(name(cmd.type), "say");
  CAF_CHECK(!cmd.plain);
  CAF_CHECK_EQUAL(cmd.room, "dev");
  CAF_CHECK_EQUAL(cmd.text, "hi \"you\"\n<b>\xE2\x80\xA8 é");
  CAF_CHECK_EQUAL(cmd.id, "");
}

CAF_TEST(say text of exactly max_message_size bytes is accepted) {
  std::string text(limits.max_message_size - 2, 'a');
  text += "é"; // two bytes
  auto cmd = accepted(R"({"type":"say","room":"dev","text":")" + text + "\"}");
  CAF_CHECK_EQUAL(cmd.text.size(), limits.max_message_size);
}

CAF_TEST(say is an action only when action is true) {
  auto action = accepted(R"({"type":"say","room":"dev","text":"waves","action":true,"id":"a"})");
  CAF_CHECK_EQUAL(name(action.type), "say");
  CAF_CHECK(action.action);
  CAF_CHECK_EQUAL(action.text, "waves");
  CAF_CHECK_EQUAL(action.room, "dev");
  CAF_CHECK_EQUAL(action.id, R"("a")");
  CAF_CHECK(!accepted(R"({"type":"say","room":"dev","text":"hi","action":false})").action);
  CAF_CHECK(!accepted(R"({"type":"say","room":"dev","text":"hi"})").action);
  // The field may come anywhere in the object.
  CAF_CHECK(accepted(R"({"action":true,"type":"say","text":"waves","room":"dev"})").action);
}

CAF_TEST(plain text is never an action) {
  for (std::string frame : {"/me waves", "* waves", "x {\"action\":true}"}) {
    auto cmd = accepted(frame);
    CAF_CHECK(cmd.plain);
    CAF_CHECK(!cmd.action);
    CAF_CHECK_EQUAL(cmd.text, frame);
  }
}

CAF_TEST(an action text follows the rules of any say text) {
  std::string longest(limits.max_message_size, 'w');
  CAF_CHECK_EQUAL(
    accepted(R"({"type":"say","room":"dev","text":")" + longest + R"(","action":true})").text,
    longest);
  CAF_CHECK_EQUAL(refused(R"({"type":"say","room":"dev","text":"","action":true})").code,
                  "empty_text");
  CAF_CHECK_EQUAL(refused(R"({"type":"say","room":"dev","text":")" + longest
                          + R"(w","action":true})")
                    .code,
                  "text_too_long");
}

CAF_TEST(join leave and who name a room) {
  for (std::string type : {"join", "leave", "who"}) {
    auto cmd = accepted(R"({"type":")" + type + R"(","room":"a.b_c-9"})");
    CAF_CHECK_EQUAL(name(cmd.type), type);
    CAF_CHECK_EQUAL(cmd.room, "a.b_c-9");
  }
}

CAF_TEST(nick carries the nickname as sent) {
  auto cmd = accepted(R"({"type":"nick","nick":"Ana María 🙂"})");
  CAF_CHECK_EQUAL(name(cmd.type), "nick");
  CAF_CHECK_EQUAL(cmd.nick, "Ana María 🙂");
}

CAF_TEST(history defaults to the newest page of the default size) {
  auto cmd = accepted(R"({"type":"history","room":"dev"})");
  CAF_CHECK_EQUAL(name(cmd.type), "history");
  CAF_CHECK_EQUAL(cmd.room, "dev");
  CAF_CHECK_EQUAL(cmd.before, 0u);
  CAF_CHECK_EQUAL(cmd.limit, limits.history_page_default);
}

CAF_TEST(history takes before and limit and clamps limit to the page maximum) {
  auto cmd = accepted(R"({"type":"history","room":"dev","before":42,"limit":10})");
  CAF_CHECK_EQUAL(cmd.before, 42u);
  CAF_CHECK_EQUAL(cmd.limit, 10u);
  CAF_CHECK_EQUAL(accepted(R"({"type":"history","room":"dev","before":0})").before, 0u);
  CAF_CHECK_EQUAL(accepted(R"({"type":"history","room":"dev","limit":200})").limit, 200u);
  CAF_CHECK_EQUAL(accepted(R"({"type":"history","room":"dev","limit":201})").limit, 200u);
  CAF_CHECK_EQUAL(
    accepted(R"({"type":"history","room":"dev","limit":18446744073709551615})").limit, 200u);
}

CAF_TEST(resume takes after and accepts zero and the largest seq) {
  auto cmd = accepted(R"({"type":"resume","room":"dev","after":41})");
  CAF_CHECK_EQUAL(name(cmd.type), "resume");
  CAF_CHECK_EQUAL(cmd.room, "dev");
  CAF_CHECK_EQUAL(cmd.after, 41u);
  CAF_CHECK_EQUAL(accepted(R"({"type":"resume","room":"dev","after":0})").after, 0u);
  CAF_CHECK_EQUAL(
    accepted(R"({"type":"resume","room":"dev","after":18446744073709551615})").after,
    UINT64_MAX);
}

CAF_TEST(rooms needs no fields) {
  auto cmd = accepted(R"({"type":"rooms"})");
  CAF_CHECK_EQUAL(name(cmd.type), "rooms");
  CAF_CHECK_EQUAL(cmd.room, "");
}

CAF_TEST(unknown extra fields are ignored whatever they hold) {
  auto cmd = accepted(
    R"({"type":"join","room":"dev","x":null,"nick":5,"text":[1,{"a":[[[]]]}],"type2":"say"})");
  CAF_CHECK_EQUAL(name(cmd.type), "join");
  CAF_CHECK_EQUAL(cmd.room, "dev");
  CAF_CHECK_EQUAL(cmd.nick, "");
  CAF_CHECK_EQUAL(cmd.text, "");
  // rooms needs no room, and a bad one it does not need is not looked at
  CAF_CHECK_EQUAL(name(accepted(R"({"type":"rooms","room":"BAD!"})").type), "rooms");
}

// -- ids -----------------------------------------------------------------------------------------

CAF_TEST(a string id is kept as serialized json) {
  CAF_CHECK_EQUAL(accepted(R"({"type":"rooms","id":"j1"})").id, R"("j1")");
  CAF_CHECK_EQUAL(accepted(R"({"type":"rooms","id":""})").id, R"("")");
  CAF_CHECK_EQUAL(accepted(R"({"type":"rooms","id":"a\"b\n\u00e9"})").id, R"("a\"b\né")");
  std::string longest(64, 'i');
  CAF_CHECK_EQUAL(accepted(R"({"type":"rooms","id":")" + longest + "\"}").id,
                  "\"" + longest + "\"");
}

CAF_TEST(an integer id is kept as serialized json) {
  CAF_CHECK_EQUAL(accepted(R"({"type":"rooms","id":7})").id, "7");
  CAF_CHECK_EQUAL(accepted(R"({"type":"rooms","id":0})").id, "0");
  CAF_CHECK_EQUAL(accepted(R"({"type":"rooms","id":-3})").id, "-3");
  CAF_CHECK_EQUAL(accepted(R"({"type":"rooms","id":18446744073709551615})").id,
                  "18446744073709551615");
}

CAF_TEST(an id longer than 64 bytes is a bad field and is not echoed) {
  auto err = refused(R"({"type":"rooms","id":")" + std::string(65, 'i') + "\"}");
  CAF_CHECK_EQUAL(err.code, "bad_field");
  CAF_CHECK(err.message.find("'id'") != std::string::npos);
  CAF_CHECK_EQUAL(err.id, "");
}

CAF_TEST(an id that is neither a string nor an integer is a bad field) {
  for (std::string id : {"1.5", "1.0", "1e3", "true", "null", "[1]", "{\"a\":1}",
                         "18446744073709551616", "-9223372036854775809"}) {
    auto err = refused(R"({"type":"rooms","id":)" + id + "}");
    CAF_CHECK_EQUAL(err.code, "bad_field");
    CAF_CHECK(err.message.find("'id'") != std::string::npos);
    CAF_CHECK_EQUAL(err.id, "");
  }
}

// -- bad_json ------------------------------------------------------------------------------------

CAF_TEST(a frame starting with a brace that is not a json object is bad json) {
  for (std::string frame : {"{", "{hello}", "{\"type\":\"rooms\"", "{\"type\":\"rooms\",}",
                            "{'type':'rooms'}", "{\"type\":\"rooms\"} x", "{}{}", "{} [1]",
                            "{\"type\":\"rooms\" /* c */}", "{\"type\":\"rooms\",\"n\":01}",
                            "{\"t\":\"\xFF\"}", "{\"t\":\"\xC0\xAF\"}", "{\"t\":\"\\ud800\"}",
                            "{\"t\":\"\\udc00\"}", "{\"t\":\"a\nb\"}"}) {
    auto err = refused(frame);
    CAF_CHECK_EQUAL(err.code, "bad_json");
    CAF_CHECK_EQUAL(err.id, "");
  }
}

CAF_TEST(deep nesting is bad json and does not crash) {
  std::string braces;
  for (int i = 0; i < 100; ++i)
    braces += "{\"a\":";
  braces += "1" + std::string(100, '}');
  CAF_CHECK_EQUAL(refused(braces).code, "bad_json");
  // deep inside an otherwise valid command (also in an unknown field)
  auto nested = R"({"type":"rooms","id":"x","extra":)" + std::string(100, '[')
                + std::string(100, ']') + "}";
  CAF_CHECK_EQUAL(refused(nested).code, "bad_json");
  // and unterminated, a megabyte deep
  CAF_CHECK_EQUAL(refused("{\"a\":" + std::string(1 << 20, '[')).code, "bad_json");
}

// -- unknown_type --------------------------------------------------------------------------------

CAF_TEST(a missing or unknown type is unknown_type with the id echoed) {
  for (std::string frame : {R"({"id":"t1"})", R"({"id":"t1","type":5})",
                            R"({"id":"t1","type":null})", R"({"id":"t1","type":"Say"})",
                            R"({"id":"t1","type":"shout"})", R"({"id":"t1","type":""})",
                            R"({"id":"t1","type":["say"]})"}) {
    auto err = refused(frame);
    CAF_CHECK_EQUAL(err.code, "unknown_type");
    CAF_CHECK_EQUAL(err.id, R"("t1")");
  }
  CAF_CHECK_EQUAL(refused(R"({"type":"shout"})").message, "unknown command type 'shout'");
  CAF_CHECK_EQUAL(refused(R"({"type":"shout"})").id, "");
}

CAF_TEST(a long unknown type is not quoted back) {
  auto err = refused(R"({"type":")" + std::string(1000, 'x') + "\"}");
  CAF_CHECK_EQUAL(err.code, "unknown_type");
  CAF_CHECK_LESS(err.message.size(), 100u);
}

// -- bad_field -----------------------------------------------------------------------------------

CAF_TEST(a say without room is a bad field naming room) {
  auto err = refused(R"({"type":"say"})");
  CAF_CHECK_EQUAL(err.code, "bad_field");
  CAF_CHECK_EQUAL(err.message, "field 'room' is missing");
  CAF_CHECK_EQUAL(err.id, "");
}

CAF_TEST(missing required fields are bad fields naming the field with the id echoed) {
  struct expectation {
    std::string frame;
    std::string field;
  };
  for (auto& [frame, field] : std::vector<expectation>{
         {R"({"id":9,"type":"say","text":"hi"})", "'room'"},
         {R"({"id":9,"type":"say","room":"dev"})", "'text'"},
         {R"({"id":9,"type":"join"})", "'room'"},
         {R"({"id":9,"type":"leave"})", "'room'"},
         {R"({"id":9,"type":"who"})", "'room'"},
         {R"({"id":9,"type":"history"})", "'room'"},
         {R"({"id":9,"type":"resume"})", "'room'"},
         {R"({"id":9,"type":"resume","room":"dev"})", "'after'"},
         {R"({"id":9,"type":"nick"})", "'nick'"},
       }) {
    auto err = refused(frame);
    CAF_CHECK_EQUAL(err.code, "bad_field");
    CAF_CHECK(err.message.find(field) != std::string::npos);
    CAF_CHECK_EQUAL(err.id, "9");
  }
}

CAF_TEST(strings of the wrong json type are bad fields) {
  auto err = refused(R"({"id":"r","type":"join","room":5})");
  CAF_CHECK_EQUAL(err.code, "bad_field");
  CAF_CHECK_EQUAL(err.message, "field 'room' must be a string");
  CAF_CHECK_EQUAL(err.id, R"("r")");
  for (std::string frame : {R"({"type":"say","room":"dev","text":5})",
                            R"({"type":"say","room":"dev","text":null})",
                            R"({"type":"say","room":"dev","text":["hi"]})",
                            R"({"type":"say","room":["dev"],"text":"hi"})",
                            R"({"type":"nick","nick":{"n":"ana"}})",
                            R"({"type":"nick","nick":true})"})
    CAF_CHECK_EQUAL(refused(frame).code, "bad_field");
}

CAF_TEST(an action that is not a boolean is a bad field naming action with the id echoed) {
  for (std::string value : {"1", "0", "\"true\"", "\"false\"", "null", "[true]", "{}", "1.5"}) {
    auto err = refused(R"({"id":"a1","type":"say","room":"dev","text":"hi","action":)" + value
                       + "}");
    CAF_CHECK_EQUAL(err.code, "bad_field");
    CAF_CHECK_EQUAL(err.message, "field 'action' must be true or false");
    CAF_CHECK_EQUAL(err.id, R"("a1")");
  }
}

CAF_TEST(a bad action is found after the room and the text) {
  // docs/PROTOCOL.md: the first error in the order of the say fields: room, text, action.
  CAF_CHECK_EQUAL(refused(R"({"type":"say","text":"hi","action":1})").message,
                  "field 'room' is missing");
  CAF_CHECK_EQUAL(refused(R"({"type":"say","room":"Dev","text":"hi","action":1})").code,
                  "bad_room");
  CAF_CHECK_EQUAL(refused(R"({"type":"say","room":"dev","action":1})").message,
                  "field 'text' is missing");
  CAF_CHECK_EQUAL(refused(R"({"type":"say","room":"dev","text":5,"action":1})").message,
                  "field 'text' must be a string");
  CAF_CHECK_EQUAL(refused(R"({"type":"say","room":"dev","text":"","action":1})").code,
                  "empty_text");
  std::string too_long(limits.max_message_size + 1, 'x');
  CAF_CHECK_EQUAL(
    refused(R"({"type":"say","room":"dev","text":")" + too_long + R"(","action":1})").code,
    "text_too_long");
  // An id of the wrong type comes first of all.
  auto err = refused(R"({"id":1.5,"type":"say","room":"dev","text":"hi","action":1})");
  CAF_CHECK_EQUAL(err.message, "field 'id' must be a string or an integer");
}

CAF_TEST(commands other than say ignore an action field) {
  auto cmd = accepted(R"({"type":"join","room":"dev","action":5})");
  CAF_CHECK_EQUAL(name(cmd.type), "join");
  CAF_CHECK(!cmd.action);
  CAF_CHECK(!accepted(R"({"type":"rooms","action":true})").action);
}

CAF_TEST(numbers written as strings are bad fields) {
  auto err = refused(R"({"id":"h","type":"history","room":"dev","before":"5"})");
  CAF_CHECK_EQUAL(err.code, "bad_field");
  CAF_CHECK_EQUAL(err.message, "field 'before' must be an integer >= 0");
  CAF_CHECK_EQUAL(err.id, R"("h")");
  CAF_CHECK_EQUAL(refused(R"({"type":"history","room":"dev","limit":"5"})").code, "bad_field");
  CAF_CHECK_EQUAL(refused(R"({"type":"resume","room":"dev","after":"5"})").code, "bad_field");
}

CAF_TEST(numbers must be json integers from 0 to 2 to the 64 minus 1) {
  for (std::string number : {"1.5", "1.0", "1e2", "-1", "-0.0", "18446744073709551616",
                             "1e400", "-1e400", "99999999999999999999999999999999", "null",
                             "true", "[1]"}) {
    for (std::string frame : {R"({"id":1,"type":"history","room":"dev","before":)" + number + "}",
                              R"({"id":1,"type":"history","room":"dev","limit":)" + number + "}",
                              R"({"id":1,"type":"resume","room":"dev","after":)" + number + "}"}) {
      auto err = refused(frame);
      CAF_CHECK_EQUAL(err.code, "bad_field");
      CAF_CHECK_EQUAL(err.id, "1");
    }
  }
}

CAF_TEST(a history limit of zero is a bad field) {
  auto err = refused(R"({"id":"z","type":"history","room":"dev","limit":0})");
  CAF_CHECK_EQUAL(err.code, "bad_field");
  CAF_CHECK_EQUAL(err.message, "field 'limit' must be at least 1");
  CAF_CHECK_EQUAL(err.id, R"("z")");
}

// -- say text ------------------------------------------------------------------------------------

CAF_TEST(an empty say text is empty_text with the id echoed) {
  auto err = refused(R"({"id":"s1","type":"say","room":"dev","text":""})");
  CAF_CHECK_EQUAL(err.code, "empty_text");
  CAF_CHECK_EQUAL(err.id, R"("s1")");
}

CAF_TEST(a say text over max_message_size bytes is text_too_long with the id echoed) {
  std::string text(limits.max_message_size - 1, 'a');
  text += "é"; // one byte over
  auto err = refused(R"({"id":"s2","type":"say","room":"dev","text":")" + text + "\"}");
  CAF_CHECK_EQUAL(err.code, "text_too_long");
  CAF_CHECK_EQUAL(err.id, R"("s2")");
  parse_limits small;
  small.max_message_size = 3;
  auto result = parse_command(R"({"type":"say","room":"dev","text":"abcd"})", small);
  CAF_REQUIRE(std::holds_alternative<command_error>(result));
  CAF_CHECK_EQUAL(std::get<command_error>(result).code, "text_too_long");
  CAF_CHECK(std::holds_alternative<command>(
    parse_command(R"({"type":"say","room":"dev","text":"abc"})", small)));
}

CAF_TEST(an escaped text is measured after unescaping) {
  // 4096 × "\u0041" is 24576 bytes on the wire but 4096 bytes of text
  std::string text;
  for (size_t i = 0; i < limits.max_message_size; ++i)
    text += "\\u0041";
  CAF_CHECK_EQUAL(accepted(R"({"type":"say","room":"dev","text":")" + text + "\"}").text,
                  std::string(limits.max_message_size, 'A'));
}

// -- names ---------------------------------------------------------------------------------------

CAF_TEST(an invalid room name is bad_room with the id echoed) {
  for (std::string type : {"say", "join", "leave", "who", "history", "resume"}) {
    auto err = refused(R"({"id":"b","type":")" + type
                       + R"(","room":"Dev","text":"hi","after":0})");
    CAF_CHECK_EQUAL(err.code, "bad_room");
    CAF_CHECK_EQUAL(err.id, R"("b")");
    CAF_CHECK_EQUAL(err.message, check_room_name("Dev"));
  }
}

CAF_TEST(an invalid nickname is bad_nick with the id echoed) {
  // JSON escapes: the parser unescapes them before the nickname is checked
  for (std::string nick : strings{"", " ana", "ana ", "guest-1", "GUEST-1", "a\\nb", "a\\u0000b",
                                  "a\\u007fb", "a\\u0085b", "a\\u2028b", std::string(33, 'n')}) {
    auto err = refused(R"({"id":"n","type":"nick","nick":")" + nick + "\"}");
    CAF_CHECK_EQUAL(err.code, "bad_nick");
    CAF_CHECK_EQUAL(err.id, R"("n")");
    CAF_CHECK(!err.message.empty());
  }
}

CAF_TEST(room names are 1 to 32 of a-z 0-9 dash underscore dot starting with a letter or digit) {
  for (std::string good :
       strings{"a", "lobby", "dev", "0", "9lives", "a-b_c.d", "a..", "x-", std::string(32, 'z')})
    CAF_CHECK_EQUAL(check_room_name(good), "");
  CAF_CHECK_EQUAL(check_room_name(""), "room names are 1 to 32 characters");
  CAF_CHECK_EQUAL(check_room_name(std::string(33, 'z')), "room names are 1 to 32 characters");
  for (std::string bad :
       strings{"Dev", "LOBBY", "a b", "a/b", "a:b", "é", std::string("a\0b", 3), "dev!", "a+b"})
    CAF_CHECK_EQUAL(check_room_name(bad), "room names contain only a-z, 0-9, '-', '_' and '.'");
  for (std::string bad : {"-dev", "_dev", ".dev", ".", ".."})
    CAF_CHECK_EQUAL(check_room_name(bad), "room names start with a letter or a digit");
}

CAF_TEST(nicknames are 1 to 32 bytes) {
  CAF_CHECK_EQUAL(check_nick("a"), "");
  CAF_CHECK_EQUAL(check_nick(std::string(32, 'n')), "");
  CAF_CHECK_EQUAL(check_nick(""), "nicknames are 1 to 32 bytes");
  CAF_CHECK_EQUAL(check_nick(std::string(33, 'n')), "nicknames are 1 to 32 bytes");
  std::string sixteen_e;
  for (int i = 0; i < 16; ++i)
    sixteen_e += "é";
  CAF_CHECK_EQUAL(check_nick(sixteen_e), ""); // 16 characters, 32 bytes
  CAF_CHECK_EQUAL(check_nick(sixteen_e + "e"), "nicknames are 1 to 32 bytes");
}

CAF_TEST(nicknames must be valid utf8) {
  for (std::string good : {"José", "Ñandú", "李小龙", "🙂", "\xF4\x8F\xBF\xBF" /* U+10FFFF */})
    CAF_CHECK_EQUAL(check_nick(good), "");
  for (std::string bad : {
         "a\x80",             // stray continuation byte
         "a\xC3",             // truncated two-byte sequence
         "\xE2\x82",          // truncated three-byte sequence
         "\xC0\xAF",          // overlong '/'
         "\xE0\x80\xAF",      // overlong '/'
         "\xF0\x80\x80\xAF",  // overlong '/'
         "\xED\xA0\x80",      // surrogate U+D800
         "\xF4\x90\x80\x80",  // U+110000
         "\xF8\x88\x80\x80\x80", "\xFF", "ab\xFE"})
    CAF_CHECK_EQUAL(check_nick(bad), "nicknames must be valid UTF-8");
}

CAF_TEST(nicknames must not contain control characters or line breaks) {
  for (std::string bad : strings{std::string("a\0b", 3), "a\tb", "a\nb", "\x1F", "a\x7F",
                                 "a\xC2\x80", "a\xC2\x85" /* NEL */, "a\xC2\x9F",
                                 "a\xE2\x80\xA8" /* U+2028 */, "a\xE2\x80\xA9" /* U+2029 */})
    CAF_CHECK_EQUAL(check_nick(bad),
                    "nicknames must not contain control characters or line breaks");
  CAF_CHECK_EQUAL(check_nick("a\xC2\xA0" "b"), ""); // U+00A0, no-break space: not a control
}

CAF_TEST(nicknames must not start or end with a space) {
  for (std::string bad : {" ana", "ana ", " ", "  "})
    CAF_CHECK_EQUAL(check_nick(bad), "nicknames must not start or end with a space");
  CAF_CHECK_EQUAL(check_nick("ana maría"), "");
}

CAF_TEST(nicknames starting with guest dash are reserved in any case) {
  for (std::string bad : {"guest-1", "guest-", "Guest-x", "GUEST-7", "gUeSt-ana"})
    CAF_CHECK_EQUAL(check_nick(bad), "nicknames starting with 'guest-' are reserved");
  for (std::string good : {"guest", "guest_1", "guests-1", "a guest-1", "guest1", "gues-t"})
    CAF_CHECK_EQUAL(check_nick(good), "");
}

CAF_TEST(fold_nick lowercases ascii letters only) {
  CAF_CHECK_EQUAL(fold_nick("Ana"), "ana");
  CAF_CHECK_EQUAL(fold_nick("GUEST-7 [X]"), "guest-7 [x]");
  CAF_CHECK_EQUAL(fold_nick("ÉMILE"), "Émile");
  CAF_CHECK_EQUAL(fold_nick(""), "");
  CAF_CHECK_EQUAL(fold_nick("ana"), fold_nick("ANA"));
}

// -- robustness ----------------------------------------------------------------------------------

CAF_TEST(random bytes never crash the parser and get known error codes) {
  std::mt19937 gen{20240601}; // fixed seed: failures are reproducible
  std::uniform_int_distribution<int> byte{0, 255};
  std::uniform_int_distribution<size_t> size{0, 64};
  const std::string alphabet = "{}[]\":,0123456789-.eE tfnul\\ux\x80\xC3\xFF";
  std::uniform_int_distribution<size_t> pick{0, alphabet.size() - 1};
  size_t commands = 0;
  size_t errors = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string frame = "{";
    auto n = size(gen);
    for (size_t j = 0; j < n; ++j)
      frame += static_cast<char>(i % 2 == 0 ? byte(gen) : alphabet[pick(gen)]);
    auto result = parse_command(frame, limits);
    if (auto* err = std::get_if<command_error>(&result)) {
      ++errors;
      if (parse_error_codes.count(err->code) == 0)
        CAF_ERROR("unexpected error code " << err->code << " for " << frame);
    } else {
      ++commands;
    }
  }
  CAF_CHECK_EQUAL(errors + commands, 20000u);
  CAF_CHECK_GREATER(errors, 0u);
}

CAF_TEST(mutated valid commands never crash the parser and what passes is valid) {
  const std::vector<std::string> seeds = {
    R"({"type":"say","room":"dev","text":"hi","id":"s1"})",
    R"({"type":"say","room":"dev","text":"waves","action":true})",
    R"({"type":"history","room":"dev","before":42,"limit":10,"id":7})",
    R"({"type":"resume","room":"lobby","after":3})",
    R"({"type":"nick","nick":"ana","id":"n"})",
    R"({"type":"rooms"})",
  };
  std::mt19937 gen{7};
  std::uniform_int_distribution<int> byte{0, 255};
  std::uniform_int_distribution<int> edit{0, 2};
  size_t commands = 0;
  size_t errors = 0;
  for (int i = 0; i < 20000; ++i) {
    auto frame = seeds[static_cast<size_t>(i) % seeds.size()];
    for (int edits = 0; edits < 3; ++edits) {
      std::uniform_int_distribution<size_t> at{0, frame.size() - 1};
      auto pos = at(gen);
      switch (edit(gen)) {
        case 0:
          frame[pos] = static_cast<char>(byte(gen));
          break;
        case 1:
          frame.insert(pos, 1, static_cast<char>(byte(gen)));
          break;
        default:
          if (frame.size() > 1)
            frame.erase(pos, 1);
      }
    }
    auto result = parse_command(frame, limits);
    if (auto* err = std::get_if<command_error>(&result)) {
      ++errors;
      if (parse_error_codes.count(err->code) == 0)
        CAF_ERROR("unexpected error code " << err->code << " for " << frame);
      continue;
    }
    ++commands;
    auto& cmd = std::get<command>(result);
    if (cmd.plain) {
      if (cmd.action)
        CAF_ERROR("a plain say is an action: " << frame);
      continue;
    }
    bool valid = cmd.type == command_type::say || !cmd.action;
    switch (cmd.type) {
      case command_type::say:
        valid = valid && check_room_name(cmd.room).empty() && !cmd.text.empty()
                && cmd.text.size() <= limits.max_message_size;
        break;
      case command_type::nick:
        valid = valid && check_nick(cmd.nick).empty();
        break;
      case command_type::history:
        valid = valid && check_room_name(cmd.room).empty() && cmd.limit >= 1
                && cmd.limit <= limits.history_page_max;
        break;
      case command_type::rooms:
        break;
      default:
        valid = valid && check_room_name(cmd.room).empty();
    }
    if (!valid)
      CAF_ERROR("accepted an invalid command: " << frame);
  }
  // both paths were exercised
  CAF_CHECK_GREATER(commands, 0u);
  CAF_CHECK_GREATER(errors, 0u);
}
