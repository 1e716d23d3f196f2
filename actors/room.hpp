// room: the hub of one chat room. It alone owns the room's membership, sequence numbers and
// recent history, and handles exactly register, unregister and broadcast (plus a size query).
//
// Broadcasts are serialized once and batched: a message is appended to a pending batch that is
// flushed to every member when the room's mailbox is empty (so a lone message is never delayed)
// or the batch is full. Before each flush the room acquires send credit for every member; a member
// without credit is dropped (told with overflow_atom) and counted, and the room never waits.
#pragma once

#include "actors/types.hpp"

#include <caf/actor_addr.hpp>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

namespace actorchat {

struct room_settings {
  size_t history_size = 100; ///< messages kept and replayed to newcomers (chat.history-size)
  size_t max_batch = 64;     ///< a pending batch is flushed once it holds this many messages
};

struct room_member {
  member_actor handle;
  credit_ptr credit;
};

struct room_state {
  static inline const char* name = "room";

  std::string room;
  room_settings settings;
  uint64_t next_seq = 1;
  std::deque<payload> history;        ///< the last settings.history_size messages, oldest first
  std::vector<payload> pending;       ///< said, in history, not yet sent to the members
  std::unordered_map<caf::actor_addr, room_member> members;
  uint64_t dropped = 0;               ///< members dropped for running out of send credit
};

using room_pointer = room_actor::stateful_pointer<room_state>;

room_actor::behavior_type room(room_pointer self, std::string name, room_settings settings);

inline room_actor spawn_room(caf::actor_system& sys, std::string name, room_settings settings) {
  return sys.spawn(room, std::move(name), settings);
}

} // namespace actorchat
