// protocol: the JSON objects the server sends (docs/PROTOCOL.md is the reference).
#pragma once

#include "actors/types.hpp"

#include <cstdint>
#include <string>

namespace actorchat {

/// A chat message as it travels through a room and into history.
struct chat_message {
  std::string room;
  uint64_t seq = 0;  ///< per room, from 1, no gaps
  std::string from;
  int64_t ts = 0;    ///< milliseconds since the Unix epoch, set by the room
  std::string text;  ///< verbatim (valid UTF-8; JSON escaping keeps it on one line)
};

/// What a client is told about this server when it connects.
struct server_info {
  std::string version;          ///< actorchat version
  std::string boot;             ///< random per process start: a changed value means a restart
  size_t max_message_size = 0;  ///< chat.max-message-size
  uint32_t send_queue = 0;      ///< chat.send-queue
  size_t history_size = 0;      ///< chat.history-size
};

/// {"type":"welcome","nick":..,"room":..,"version":..,"boot":..,"limits":{..}} on one line.
payload encode_welcome(const server_info& info, const std::string& nick, const std::string& room);

/// {"type":"message","room":..,"seq":..,"from":..,"ts":..,"text":..} on one line.
payload encode(const chat_message& msg);

/// Milliseconds since the Unix epoch now.
int64_t now_ms();

} // namespace actorchat
