#include "actors/command.hpp"
#include "actors/utf8.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <optional>
#include <utility>

namespace actorchat {

namespace {

namespace json = boost::json;

// -- limits (docs/PROTOCOL.md) ----------------------------------------------------------

/// Longest room name, in characters (all allowed characters are ASCII, so also in bytes).
constexpr size_t max_room_name_size = 32;

/// Longest nickname, in bytes of UTF-8.
constexpr size_t max_nick_size = 32;

/// Longest string "id", in bytes.
constexpr size_t max_id_size = 64;

/// Prefix of the server's guest-N nicknames; nobody may choose it (compared case-insensitively).
constexpr std::string_view reserved_nick_prefix = "guest-";

/// Deepest nesting the JSON parser accepts. A command is one flat object; the slack lets clients
/// send structured extra fields (which are ignored). Deeper frames are bad_json: the parser stops
/// at this depth, so a frame of 100 000 '[' costs nothing.
constexpr size_t max_json_depth = 16;

/// Unknown "type" values at most this long are quoted back in the error message.
constexpr size_t max_quoted_type_size = 32;

// -- characters ----------------------------------------------------------------------------------

/// JSON's whitespace (RFC 8259): what may come before the '{' of a command.
bool is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_room_char(char c) {
  return is_lower_alnum(c) || c == '-' || c == '_' || c == '.';
}

/// C0 and C1 controls, DEL, and the two code points JavaScript treats as line breaks.
bool is_control(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

// -- commands ------------------------------------------------------------------------------------

struct command_name {
  std::string_view name;
  command_type type;
};

constexpr command_name command_names[] = {
  {"say", command_type::say},         {"join", command_type::join},
  {"leave", command_type::leave},     {"nick", command_type::nick},
  {"who", command_type::who},         {"history", command_type::history},
  {"resume", command_type::resume},   {"rooms", command_type::rooms},
};

/// "field 'room'", for error messages.
std::string field_name(std::string_view key) {
  std::string out = "field '";
  out.append(key.data(), key.size());
  out += '\'';
  return out;
}

/// Reads and checks the fields of one command object. Each read returns false after recording
/// the first problem, which error() returns; it echoes the command's id once that was read.
class field_reader {
public:
  explicit field_reader(const json::object& obj) : obj_(obj) {
  }

  /// The problem found by the last read that returned false.
  command_error error() const {
    return *error_;
  }

  /// "id": absent, a string of at most max_id_size bytes, or an integer; `out` gets it as JSON.
  bool id(std::string& out) {
    auto* v = obj_.if_contains("id");
    if (!v)
      return true;
    if (auto* s = v->if_string(); s && s->size() > max_id_size)
      return fail("bad_field", "field 'id' is longer than 64 bytes");
    if (!v->is_string() && !v->is_int64() && !v->is_uint64())
      return fail("bad_field", "field 'id' must be a string or an integer");
    out = json::serialize(*v);
    id_ = out;
    return true;
  }

  bool type(command_type& out) {
    auto* v = obj_.if_contains("type");
    if (!v)
      return fail("unknown_type", "field 'type' is missing");
    auto* s = v->if_string();
    if (!s)
      return fail("unknown_type", "field 'type' must be a string");
    std::string_view name{s->data(), s->size()};
    for (auto& entry : command_names) {
      if (entry.name == name) {
        out = entry.type;
        return true;
      }
    }
    if (name.size() > max_quoted_type_size)
      return fail("unknown_type", "unknown command type");
    return fail("unknown_type", "unknown command type '" + std::string{name} + "'");
  }

  /// A required string.
  bool string(std::string_view key, std::string& out) {
    auto* v = obj_.if_contains(key);
    if (!v)
      return fail("bad_field", field_name(key) + " is missing");
    auto* s = v->if_string();
    if (!s)
      return fail("bad_field", field_name(key) + " must be a string");
    out.assign(s->data(), s->size());
    return true;
  }

  /// "room": a valid room name.
  bool room(std::string& out) {
    if (!string("room", out))
      return false;
    if (auto why = check_room_name(out); !why.empty())
      return fail("bad_room", std::move(why));
    return true;
  }

  /// "nick": a valid nickname the client may choose.
  bool nick(std::string& out) {
    if (!string("nick", out))
      return false;
    if (auto why = check_nick(out); !why.empty())
      return fail("bad_nick", std::move(why));
    return true;
  }

  /// "text" of a say: non-empty, at most `max_size` bytes.
  bool text(std::string& out, size_t max_size) {
    if (!string("text", out))
      return false;
    if (out.empty())
      return fail("empty_text", "field 'text' is empty");
    if (out.size() > max_size)
      return fail("text_too_long",
                  "field 'text' is longer than " + std::to_string(max_size) + " bytes");
    return true;
  }

  /// A JSON integer >= 0 that fits uint64; `out` stays as it is when the field is absent and
  /// not `required`. (Boost.JSON parses fractions, exponents and integers beyond 64 bits as
  /// double, so those are refused here too.)
  bool count(std::string_view key, uint64_t& out, bool required) {
    auto* v = obj_.if_contains(key);
    if (!v) {
      if (required)
        return fail("bad_field", field_name(key) + " is missing");
      return true;
    }
    if (auto* u = v->if_uint64()) {
      out = *u;
      return true;
    }
    if (auto* i = v->if_int64(); i && *i >= 0) {
      out = static_cast<uint64_t>(*i);
      return true;
    }
    return fail("bad_field", field_name(key) + " must be an integer >= 0");
  }

  /// An optional JSON boolean; `out` stays as it is when the field is absent.
  bool flag(std::string_view key, bool& out) {
    auto* v = obj_.if_contains(key);
    if (!v)
      return true;
    auto* b = v->if_bool();
    if (!b)
      return fail("bad_field", field_name(key) + " must be true or false");
    out = *b;
    return true;
  }

  /// "limit" of a history page: defaults to `limits.history_page_default`, at least 1, larger
  /// values are cut to `limits.history_page_max`.
  bool page_limit(uint64_t& out, const parse_limits& limits) {
    out = limits.history_page_default;
    if (!count("limit", out, false))
      return false;
    if (out == 0)
      return fail("bad_field", "field 'limit' must be at least 1");
    out = std::min(out, limits.history_page_max);
    return true;
  }

private:
  bool fail(const char* code, std::string message) {
    error_ = command_error{code, std::move(message), id_};
    return false;
  }

  const json::object& obj_;
  std::string id_; ///< echoed in errors once read
  std::optional<command_error> error_;
};

/// The fields of a command object, checked for its type.
std::variant<command, command_error> read_command(const json::object& obj,
                                                  const parse_limits& limits) {
  field_reader read{obj};
  command cmd;
  if (!read.id(cmd.id) || !read.type(cmd.type))
    return read.error();
  bool ok = true;
  switch (cmd.type) {
    case command_type::say:
      ok = read.room(cmd.room) && read.text(cmd.text, limits.max_message_size)
           && read.flag("action", cmd.action);
      break;
    case command_type::join:
    case command_type::leave:
    case command_type::who:
      ok = read.room(cmd.room);
      break;
    case command_type::nick:
      ok = read.nick(cmd.nick);
      break;
    case command_type::history:
      ok = read.room(cmd.room) && read.count("before", cmd.before, false)
           && read.page_limit(cmd.limit, limits);
      break;
    case command_type::resume:
      ok = read.room(cmd.room) && read.count("after", cmd.after, true);
      break;
    case command_type::rooms:
      break;
  }
  if (!ok)
    return read.error();
  return cmd;
}

} // namespace

// Throws nothing but std::bad_alloc: the parser reports errors through an error_code and the
// fields are read with if_contains / if_string, never at() / as_string().
std::variant<command, command_error> parse_command(std::string_view frame,
                                                   const parse_limits& limits) {
  auto first = std::find_if_not(frame.begin(), frame.end(), is_json_space);
  if (first == frame.end() || *first != '{') {
    command cmd;
    cmd.type = command_type::say;
    cmd.text.assign(frame.data(), frame.size());
    cmd.plain = true;
    return cmd;
  }
  // The parsed value lives only in this call: a monotonic resource on the stack serves a typical
  // command without heap allocations, and frees everything at once.
  unsigned char buffer[2048];
  json::monotonic_resource resource{buffer};
  json::parse_options options;
  options.max_depth = max_json_depth;
  json::error_code ec;
  auto value = json::parse(frame, ec, &resource, options);
  if (ec)
    return command_error{"bad_json", "the frame is not a JSON object: " + ec.message(), {}};
  // A frame starting with '{' that parsed is an object; checked anyway, never assumed.
  auto* obj = value.if_object();
  if (!obj)
    return command_error{"bad_json", "the frame is not a JSON object", {}};
  return read_command(*obj, limits);
}

std::string check_room_name(std::string_view name) {
  if (name.empty() || name.size() > max_room_name_size)
    return "room names are 1 to 32 characters";
  if (!std::all_of(name.begin(), name.end(), is_room_char))
    return "room names contain only a-z, 0-9, '-', '_' and '.'";
  if (!is_lower_alnum(name.front()))
    return "room names start with a letter or a digit";
  return {};
}

std::string check_nick(std::string_view nick) {
  if (nick.empty() || nick.size() > max_nick_size)
    return "nicknames are 1 to 32 bytes";
  for (size_t pos = 0; pos < nick.size();) {
    char32_t cp = 0;
    if (!decode_utf8(nick, pos, cp))
      return "nicknames must be valid UTF-8";
    if (is_control(cp))
      return "nicknames must not contain control characters or line breaks";
  }
  if (nick.front() == ' ' || nick.back() == ' ')
    return "nicknames must not start or end with a space";
  if (fold_nick(nick.substr(0, reserved_nick_prefix.size())) == reserved_nick_prefix)
    return "nicknames starting with 'guest-' are reserved";
  return {};
}

std::string fold_nick(std::string_view nick) {
  std::string out{nick};
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

} // namespace actorchat
