// libFuzzer target: the client command parser, actorchat::parse_command (actors/command.cpp).
//
// Every input is one inbound text frame, parsed twice: with the server's default limits and with
// tight ones (8-byte texts, history pages of 3..5) so that the size and clamping paths are
// reachable with short inputs. Besides "no crash, no sanitizer report, nothing thrown", it checks
// what command.hpp and docs/PROTOCOL.md promise: a frame whose first non-whitespace character is
// not '{' is a plain say holding the frame verbatim (and never an action); a JSON say has a
// non-empty text of at most max_message_size bytes, and only a say is an action; every command
// that names a room names a valid one (check_room_name); a nick command's nick passes
// check_nick; a history limit is in [1, history_page_max]; an id, when present, is a JSON string
// or integer; an error has one of the parse-time codes of PROTOCOL.md and a non-empty message. A violation aborts (__builtin_trap), which libFuzzer
// reports as a crash with the input saved.

#include "actors/command.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using namespace actorchat;

void check(bool ok) {
  if (!ok)
    __builtin_trap();
}

bool is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/// An id as the parser keeps it: serialized JSON of a string or an integer.
bool valid_id(const std::string& id) {
  if (id.empty())
    return true;
  boost::json::error_code ec;
  auto v = boost::json::parse(id, ec);
  return !ec && (v.is_string() || v.is_int64() || v.is_uint64());
}

bool names_room(command_type t) {
  switch (t) {
    case command_type::say:
    case command_type::join:
    case command_type::leave:
    case command_type::who:
    case command_type::history:
    case command_type::resume:
      return true;
    case command_type::nick:
    case command_type::rooms:
      return false;
  }
  return false;
}

void check_command(std::string_view frame, const parse_limits& limits, const command& cmd) {
  auto first = std::find_if_not(frame.begin(), frame.end(), is_json_space);
  bool json = first != frame.end() && *first == '{';
  check(cmd.plain == !json);
  if (cmd.plain) {
    check(cmd.type == command_type::say);
    check(cmd.text == frame);
    check(cmd.room.empty() && cmd.id.empty());
    check(!cmd.action);
    return;
  }
  check(valid_id(cmd.id));
  check(cmd.type == command_type::say || !cmd.action);
  if (names_room(cmd.type))
    check(check_room_name(cmd.room).empty());
  switch (cmd.type) {
    case command_type::say:
      check(!cmd.text.empty());
      check(cmd.text.size() <= limits.max_message_size);
      break;
    case command_type::nick:
      check(check_nick(cmd.nick).empty());
      break;
    case command_type::history:
      check(cmd.limit >= 1 && cmd.limit <= limits.history_page_max);
      break;
    default:
      break;
  }
}

void check_error(const command_error& err) {
  static constexpr std::string_view parse_codes[] = {
    "bad_json", "unknown_type", "bad_field", "empty_text", "text_too_long", "bad_room", "bad_nick",
  };
  check(!err.code.empty());
  check(std::find(std::begin(parse_codes), std::end(parse_codes), err.code)
        != std::end(parse_codes));
  check(!err.message.empty());
  check(valid_id(err.id));
}

void run(std::string_view frame, const parse_limits& limits) {
  auto result = parse_command(frame, limits);
  if (auto* cmd = std::get_if<command>(&result))
    check_command(frame, limits, *cmd);
  else
    check_error(std::get<command_error>(result));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view frame{reinterpret_cast<const char*>(data), size};
  run(frame, parse_limits{});
  parse_limits tight;
  tight.max_message_size = 8;
  tight.history_page_default = 3;
  tight.history_page_max = 5;
  run(frame, tight);
  return 0;
}
