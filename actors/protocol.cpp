#include "actors/protocol.hpp"

#include <boost/json.hpp>

#include <chrono>

namespace actorchat {

payload encode(const chat_message& msg) {
  boost::json::object obj;
  obj["type"] = "message";
  obj["room"] = msg.room;
  obj["seq"] = msg.seq;
  obj["from"] = msg.from;
  obj["ts"] = msg.ts;
  obj["text"] = msg.text;
  return std::make_shared<const std::string>(boost::json::serialize(obj));
}

payload encode_welcome(const server_info& info, const std::string& nick, const std::string& room) {
  boost::json::object limits;
  limits["max_message_size"] = info.max_message_size;
  limits["send_queue"] = info.send_queue;
  limits["history_size"] = info.history_size;
  boost::json::object obj;
  obj["type"] = "welcome";
  obj["nick"] = nick;
  obj["room"] = room;
  obj["version"] = info.version;
  obj["boot"] = info.boot;
  obj["limits"] = std::move(limits);
  return std::make_shared<const std::string>(boost::json::serialize(obj));
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace actorchat
