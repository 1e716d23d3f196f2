// room: the hub of one chat room. It alone owns the room's membership, sequence numbers and
// recent history; it handles register, unregister and broadcast, plus presence and queries.
//
// A said message gets the next seq and goes to the store; only once the store has made it
// durable is it added to history and broadcast, so no client ever sees a message that a crash
// could lose. One store request per room is in flight at a time, with at most max_batch messages
// (so a member never gets a burst larger than its free send credit); if it fails, its messages are
// refused (store_unavailable to each sender) and their seqs are given out again, so seqs stay
// gapless. Broadcasts are serialized once and batched: flushed to every member when the room's
// mailbox is empty or the batch is full. Before each flush the room acquires send credit for
// every member; a member without credit is dropped (told with overflow_atom) and counted, and
// the room never waits. An empty room retires after settings.idle_timeout (history stays).
#pragma once

#include "actors/store.hpp"
#include "actors/types.hpp"

#include <caf/actor_addr.hpp>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

namespace actorchat {

struct room_settings {
  size_t history_size = 100; ///< messages kept and replayed to newcomers (chat.history-size)
  size_t max_batch = 64;     ///< messages per store request (and so per broadcast burst)
  caf::timespan idle_timeout = std::chrono::seconds(60); ///< chat.room-idle-timeout
};

struct room_member {
  member_actor handle;
  credit_ptr credit;
  std::string nick;
};

/// A message with its seq, waiting for the store.
struct unpersisted_message {
  chat_message msg;
  member_actor sender;
  std::string id; ///< the say command's id, for the "sent" reply
};

/// A leave that waits until the leaver's own messages are durable (so it gets them and their
/// "sent" replies before "left").
struct pending_leave {
  member_actor member;
  std::string id;
};

struct history_entry {
  uint64_t seq;
  payload wire;
};

struct room_state {
  static inline const char* name = "room";

  std::string room;
  room_settings settings;
  store_actor store;
  directory_actor directory;   ///< null in tests: the room then never retires
  bool available = false;      ///< false until recovered from the store (or if that failed)
  uint64_t next_seq = 1;       ///< seq of the next message said
  uint64_t last_seq = 0;       ///< seq of the newest durable message
  std::deque<history_entry> history; ///< the newest settings.history_size messages
  std::vector<payload> pending;      ///< durable, in history, not yet sent to the members
  std::vector<unpersisted_message> waiting;   ///< said, not yet sent to the store
  std::vector<unpersisted_message> persisting; ///< in the store request in flight
  std::vector<pending_leave> leaving;         ///< leaves waiting for the store
  std::unordered_map<caf::actor_addr, room_member> members;
  uint64_t dropped = 0;        ///< members dropped for running out of send credit
  uint64_t registers_seen = 0; ///< for the retire handshake with the directory
  uint64_t idle_generation = 0;
};

using room_pointer = room_actor::stateful_pointer<room_state>;

room_actor::behavior_type room(room_pointer self, std::string name, room_settings settings,
                               store_actor store, directory_actor directory);

inline room_actor spawn_room(caf::actor_system& sys, std::string name, room_settings settings,
                             store_actor store, directory_actor directory) {
  return sys.spawn(room, std::move(name), settings, std::move(store), std::move(directory));
}

} // namespace actorchat
