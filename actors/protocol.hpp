// protocol: the JSON objects the server sends (docs/PROTOCOL.md is the reference).
#pragma once

#include "actors/behaviour_routes.hpp"
#include "actors/types.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace actorchat {

/// What a client is told about this server when it connects.
struct server_info {
  std::string version;            ///< actorchat version
  std::string boot;               ///< random per process start
  size_t max_message_size = 0;    ///< chat.max-message-size
  uint32_t send_queue = 0;        ///< chat.send-queue
  size_t history_size = 0;        ///< chat.history-size
  size_t max_rooms_per_client = 0; ///< chat.max-rooms-per-client
  uint64_t history_page_max = 200; ///< largest history page
};

// Every encoder returns one JSON object on one line (docs/PROTOCOL.md). `id` is a
// command id as serialized JSON (see command::id); empty = no "id" field.

/// `commands`: the slash-commands the server's behaviours answer (for the client's /help).
payload encode_welcome(const server_info& info, const std::string& nick,
                       const std::vector<std::string>& rooms,
                       const std::vector<command_help>& commands = {});
payload encode_joined(const std::string& room, uint64_t last_seq, size_t count,
                      const std::string& id);
payload encode_sent(const std::string& room, uint64_t seq, const std::string& id);
/// event: "join", "leave" or "nick" (old_nick only for "nick").
payload encode_presence(const std::string& room, const std::string& event,
                        const std::string& nick, const std::string& old_nick, size_t count);
payload encode_left(const std::string& room, const std::string& id);
payload encode_nick(const std::string& nick, const std::string& id);
payload encode_who(const std::string& room, const std::vector<std::string>& members,
                   const std::string& id);
payload encode_history(const std::string& room, const std::vector<chat_message>& messages,
                       bool complete, const std::string& id);
payload encode_resumed(const std::string& room, uint64_t after, uint64_t last_seq, bool complete,
                       const std::string& id);
payload encode_rooms(const std::vector<std::pair<std::string, size_t>>& rooms,
                     const std::string& id);
/// `room`: the room the error is about, if it is not a reply (empty: no "room" field).
payload encode_error(const std::string& code, const std::string& message, const std::string& id,
                     const std::string& room = {});
/// A behaviour's answer to a slash-command, for its sender only. `room`: where the command was
/// typed (empty: no "room" field); `from`: the behaviour's name.
payload encode_notice(const std::string& room, const std::string& from, const std::string& text,
                      const std::string& id);

/// {"type":"message","room":..,"seq":..,"from":..,"ts":..,"text":..} on one line, with
/// "action":true last for an action (and no "action" field otherwise).
payload encode(const chat_message& msg);

/// Milliseconds since the Unix epoch now.
int64_t now_ms();

} // namespace actorchat
