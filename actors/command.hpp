// command: parses what a client sends (docs/PROTOCOL.md, "Client → server commands")
// and validates room names and nicknames.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace actorchat {

enum class command_type { say, join, leave, nick, who, history, resume, rooms };

/// One parsed client command. Fields a command does not use stay empty / zero.
struct command {
  command_type type = command_type::say;
  std::string id;      ///< the command's "id" as serialized JSON ("\"j1\"", "7"); empty: none
  std::string room;    ///< say, join, leave, who, history, resume (empty for a plain-text say)
  std::string text;    ///< say
  std::string nick;    ///< nick
  uint64_t before = 0; ///< history: 0 = newest
  uint64_t after = 0;  ///< resume
  uint64_t limit = 0;  ///< history: defaulted and clamped by the parser
  bool action = false; ///< say: an action ("/me waves"); never set for a plain say
  bool plain = false;  ///< say from a plain (non-JSON) text frame: goes to the current room
};

/// A command that could not be parsed or is invalid; becomes an "error" object.
struct command_error {
  std::string code;    ///< bad_json, unknown_type, bad_field, empty_text, text_too_long, ...
  std::string message; ///< for people
  std::string id;      ///< as in command::id, when the frame had a readable id
};

struct parse_limits {
  size_t max_message_size = 4096;    ///< say text, bytes
  uint64_t history_page_default = 50;
  uint64_t history_page_max = 200;
};

/// Parses one inbound text frame: a frame whose first non-whitespace character is '{' is a JSON
/// command; anything else is a plain say (plain = true, room empty, text verbatim). Room names
/// and nicknames are validated here (bad_room, bad_nick); membership is not.
std::variant<command, command_error> parse_command(std::string_view frame,
                                                   const parse_limits& limits);

/// Empty if `name` is a valid room name, else why not.
std::string check_room_name(std::string_view name);

/// Empty if `nick` is a valid chosen nickname (not reserved), else why not.
std::string check_nick(std::string_view nick);

/// The form in which nicknames are compared for uniqueness (ASCII letters lowercased).
std::string fold_nick(std::string_view nick);

} // namespace actorchat
