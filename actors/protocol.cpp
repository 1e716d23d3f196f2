#include "actors/protocol.hpp"

#include <boost/json.hpp>

#include <chrono>

namespace actorchat {

namespace {

namespace json = boost::json;

/// The object as one line: Boost.JSON escapes control characters inside strings (a '\n' in a
/// text becomes "\n"), and adds no whitespace between tokens.
payload to_payload(const json::object& obj) {
  return std::make_shared<const std::string>(json::serialize(obj));
}

/// Adds "id" last, as the JSON value `id` holds (command::id: a serialized string or integer).
/// Anything else would be a caller's bug; the reply then goes out without an id rather than with
/// one the client never sent.
payload with_id(json::object obj, const std::string& id) {
  if (!id.empty()) {
    json::error_code ec;
    auto value = json::parse(id, ec);
    if (!ec && (value.is_string() || value.is_int64() || value.is_uint64()))
      obj["id"] = std::move(value);
  }
  return to_payload(obj);
}

/// {"type":"message","room":..,"seq":..,"from":..,"ts":..,"text":..}, then "action":true for an
/// action only (absent otherwise, so that a plain message looks as it did before actions).
json::object message_object(const chat_message& msg) {
  json::object obj;
  obj["type"] = "message";
  obj["room"] = msg.room;
  obj["seq"] = msg.seq;
  obj["from"] = msg.from;
  obj["ts"] = msg.ts;
  obj["text"] = msg.text;
  if (msg.action)
    obj["action"] = true;
  return obj;
}

} // namespace

payload encode(const chat_message& msg) {
  return to_payload(message_object(msg));
}

payload encode_welcome(const server_info& info, const std::string& nick,
                       const std::vector<std::string>& rooms,
                       const std::vector<command_help>& commands) {
  json::object limits;
  limits["max_message_size"] = info.max_message_size;
  limits["send_queue"] = info.send_queue;
  limits["history_size"] = info.history_size;
  limits["max_rooms_per_client"] = info.max_rooms_per_client;
  limits["history_page_max"] = info.history_page_max;
  json::object obj;
  obj["type"] = "welcome";
  obj["nick"] = nick;
  obj["rooms"] = json::value_from(rooms);
  obj["version"] = info.version;
  obj["boot"] = info.boot;
  obj["limits"] = std::move(limits);
  json::array cmds;
  for (auto& c : commands)
    cmds.push_back(json::object{{"name", c.name}, {"usage", c.usage}, {"help", c.help}});
  obj["commands"] = std::move(cmds);
  return to_payload(obj);
}

payload encode_joined(const std::string& room, uint64_t last_seq, size_t count,
                      const std::string& id) {
  json::object obj;
  obj["type"] = "joined";
  obj["room"] = room;
  obj["last_seq"] = last_seq;
  obj["count"] = count;
  return with_id(std::move(obj), id);
}

payload encode_sent(const std::string& room, uint64_t seq, const std::string& id) {
  json::object obj;
  obj["type"] = "sent";
  obj["room"] = room;
  obj["seq"] = seq;
  return with_id(std::move(obj), id);
}

payload encode_presence(const std::string& room, const std::string& event,
                        const std::string& nick, const std::string& old_nick, size_t count) {
  json::object obj;
  obj["type"] = "presence";
  obj["room"] = room;
  obj["event"] = event;
  obj["nick"] = nick;
  if (event == "nick")
    obj["old_nick"] = old_nick;
  obj["count"] = count;
  return to_payload(obj);
}

payload encode_left(const std::string& room, const std::string& id) {
  json::object obj;
  obj["type"] = "left";
  obj["room"] = room;
  return with_id(std::move(obj), id);
}

payload encode_nick(const std::string& nick, const std::string& id) {
  json::object obj;
  obj["type"] = "nick";
  obj["nick"] = nick;
  return with_id(std::move(obj), id);
}

// The caller sorts the members (docs/PROTOCOL.md: "who.members: nicknames, sorted");
// the encoder keeps the order it is given.
payload encode_who(const std::string& room, const std::vector<std::string>& members,
                   const std::string& id) {
  json::object obj;
  obj["type"] = "who";
  obj["room"] = room;
  obj["members"] = json::value_from(members);
  return with_id(std::move(obj), id);
}

payload encode_history(const std::string& room, const std::vector<chat_message>& messages,
                       bool complete, const std::string& id) {
  json::array list;
  list.reserve(messages.size());
  for (auto& msg : messages)
    list.emplace_back(message_object(msg));
  json::object obj;
  obj["type"] = "history";
  obj["room"] = room;
  obj["messages"] = std::move(list);
  obj["complete"] = complete;
  return with_id(std::move(obj), id);
}

payload encode_resumed(const std::string& room, uint64_t after, uint64_t last_seq, bool complete,
                       const std::string& id) {
  json::object obj;
  obj["type"] = "resumed";
  obj["room"] = room;
  obj["after"] = after;
  obj["last_seq"] = last_seq;
  obj["complete"] = complete;
  return with_id(std::move(obj), id);
}

// As with who, the caller sorts the rooms by name.
payload encode_rooms(const std::vector<std::pair<std::string, size_t>>& rooms,
                     const std::string& id) {
  json::array list;
  list.reserve(rooms.size());
  for (auto& [name, members] : rooms) {
    json::object entry;
    entry["room"] = name;
    entry["members"] = members;
    list.emplace_back(std::move(entry));
  }
  json::object obj;
  obj["type"] = "rooms";
  obj["rooms"] = std::move(list);
  return with_id(std::move(obj), id);
}

payload encode_error(const std::string& code, const std::string& message, const std::string& id,
                     const std::string& room) {
  json::object obj;
  obj["type"] = "error";
  obj["code"] = code;
  obj["message"] = message;
  if (!room.empty())
    obj["room"] = room;
  return with_id(std::move(obj), id);
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

payload encode_notice(const std::string& room, const std::string& from, const std::string& text,
                      const std::string& id) {
  json::object obj;
  obj["type"] = "notice";
  if (!room.empty())
    obj["room"] = room;
  obj["from"] = from;
  obj["text"] = text;
  return with_id(std::move(obj), id);
}

} // namespace actorchat
