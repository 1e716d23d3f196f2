// room: the hub of one chat room. It alone owns the room's membership, sequence numbers and
// recent history; it handles register, unregister and broadcast, plus presence and queries.
//
// A said message gets the next seq and goes to the store; only once the store has made it
// durable is it added to history and broadcast, so no client ever sees a message that a crash
// could lose. One store request per room is in flight at a time, with at most max_batch messages
// (so a member never gets a burst larger than its free send credit); if it fails, its messages are
// refused (store_unavailable to each sender) and their seqs are given out again, so seqs stay
// gapless. Every broadcast is acknowledged to its sender (ack_atom) once it went out or was
// refused; clients bound what they have in flight on that.
//
// Flow control (docs/SECURITY.md, "Slow clients and overload"). Before each flush the room
// acquires send credit for every member. If only a few members lack credit, they individually
// fall behind: they are dropped (told with overflow_atom) and counted, unless they are still
// reading (their connection wrote something within settings.slow_client_timeout): then they get
// the batch anyway, up to a second queue's worth, until they have lacked credit for
// slow_client_timeout, since on a busy machine a reader's connection can lag the others' by a
// second or more (measured: 1000 readers, some taking nothing for 600 ms). The room never waits
// for them. A member that took nothing for that long, or never took anything, goes at once.
// If most members are behind, or a tenth of them lack credit and still read, the server as a
// whole cannot keep up: the room holds the batch and retries shortly (paused), stops asking the
// store for more and acknowledges nothing, so that publishers run out of frames in flight and
// their sockets stop being read; TCP pushes back.
// The room also holds instead of dropping when a member that lacks credit is a publisher (it
// said something within settings.slow_client_timeout): its queue is full of the echoes of its own
// flood, and once the room holds, its frames stop being acknowledged and it catches up.
// While paused, a member without credit that takes nothing for settings.slow_client_timeout is
// dropped. No membership change forces what is held out to the members: a newcomer's replay
// stops before it (it gets it with everyone), a leaver alone gets a copy (and the "sent" replies
// among it) before "left", a member gone needs nothing. Every member sees every message exactly
// once, and a stream of joins while the room holds costs nobody more than its bound.
// An empty room retires after settings.idle_timeout (history stays).
//
// In a cluster (docs/CLUSTER.md) this is the room on its home node, the only place that assigns
// its seqs and stores it. Each other node with members in the room has a relay (actors/relay.hpp)
// that attaches here as one member standing for all of them: it gets every batch once (as
// relay_events, answered with the count it took, which returns its send credit), forwards its
// members' says (acknowledged with said_atom) and their joins, leaves and renames. Relays count
// as publishers in the flow control above: the room waits for one rather than drop it, until it
// takes nothing for slow_client_timeout; a dropped relay attaches again from its last seq.
#pragma once

#include "actors/store.hpp"
#include "actors/types.hpp"

#include <caf/actor_clock.hpp>

#include <caf/actor_addr.hpp>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace actorchat {

struct room_settings {
  size_t history_size = 100; ///< messages kept and replayed to newcomers (chat.history-size)
  size_t max_batch = 64;     ///< messages per store request and per broadcast burst; at most
                             ///< half a send queue (main.cpp)
  caf::timespan idle_timeout = std::chrono::seconds(60); ///< chat.room-idle-timeout
  caf::timespan slow_client_timeout = std::chrono::seconds(2); ///< chat.slow-client-timeout
  caf::timespan retry_interval = std::chrono::milliseconds(1); ///< while paused
  /// chat.presence-limit: in a room with more members than this, joins and leaves are not
  /// announced to everyone (each joiner still gets its own); 0 = always announced.
  size_t presence_limit = 500;
  /// Send credit of a relay (events it has not confirmed yet): several batches, so that a relay
  /// on a busy node does not hold the room at every batch.
  uint32_t relay_queue = 1024;
};

struct room_member {
  member_actor handle;
  credit_ptr credit;
  std::string nick;
  // Seen by flush: the member's credit progress (what its connection has written), when that
  // last moved (empty: never), and since when it has lacked credit (empty: it has credit).
  uint64_t progress_seen = 0;
  std::optional<caf::actor_clock::time_point> progressed_at{};
  std::optional<caf::actor_clock::time_point> lacking_since{};
  // When it last said something (empty: never): for slow_client_timeout after that it counts as
  // a publisher, which the room waits for instead of dropping (room.cpp, flush).
  std::optional<caf::actor_clock::time_point> last_said{};
  // A relay (cluster): one member standing for the members of another node, whose nicknames
  // these are (handle is the relay; nick is empty).
  bool relay = false;
  std::vector<std::string> remote_nicks{};
};

/// A message with its seq, waiting for the store.
struct unpersisted_message {
  chat_message msg;
  member_actor sender;
  std::string id; ///< the say command's id, for the "sent" reply
  uint64_t token = 0; ///< a relay's own id for a forwarded say (0: a local member's say)
};

/// A leave that waits until the leaver's own messages are durable (so it gets them and their
/// "sent" replies before "left").
struct pending_leave {
  member_actor member;
  std::string id;
};

/// A durable message in the pending batch: its sender gets "sent" (if it gave an id) and an ack
/// once the batch went out.
struct ack_due {
  member_actor sender;
  uint64_t seq;
  std::string id;
  uint64_t token = 0; ///< see unpersisted_message
};

/// A payload waiting to go to every member: a message (acknowledged to its sender once out) or
/// a presence event.
struct outgoing {
  payload wire;
  bool is_message;
  uint64_t seq = 0; ///< a message's seq (0: a presence event)
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
  std::vector<outgoing> pending;     ///< durable, in history, not yet sent to the members
  std::deque<ack_due> acks;          ///< for the messages in pending, in the same order
  bool paused = false;               ///< holding pending until members catch up (overload)
  bool retry_armed = false;          ///< a retry_atom is on its way
  std::vector<unpersisted_message> waiting;   ///< said, not yet sent to the store
  std::vector<unpersisted_message> persisting; ///< in the store request in flight
  std::vector<pending_leave> leaving;         ///< leaves waiting for the store
  std::unordered_map<caf::actor_addr, room_member> members;
  size_t relays = 0;            ///< members that are relays
  size_t remote_population = 0; ///< members the relays stand for
  uint64_t dropped = 0;        ///< members dropped for running out of send credit
  uint64_t pauses = 0;         ///< times the room held a batch for members to catch up
  uint64_t registers_seen = 0; ///< for the retire handshake with the directory
  uint64_t idle_generation = 0;
};

using room_pointer = home_actor::stateful_pointer<room_state>;

/// The part of a room's history a newcomer is replayed: all of it, or what came after `after`
/// for a resume, in both cases without the newest `held` entries (they have not gone out yet:
/// the newcomer gets them with everyone). `complete`: nothing after `after` is missing.
struct replay_slice {
  std::deque<history_entry>::const_iterator first;
  std::deque<history_entry>::const_iterator last;
  bool complete;
};

replay_slice replay_after(const std::deque<history_entry>& history, size_t held, bool resume,
                          uint64_t after, uint64_t last_seq);

/// What a member that joins (or resumes) gets first, in one batch: "joined" (or "resumed"),
/// the replay, and in a `quiet` room its own presence join. `count`: members, itself included.
std::vector<payload> join_batch(const std::string& room, const replay_slice& slice,
                                uint64_t last_seq, const join_request& req,
                                const std::string& nick, size_t count, bool quiet);

home_actor::behavior_type room(room_pointer self, std::string name, room_settings settings,
                               store_actor store, directory_actor directory);

inline home_actor spawn_room(caf::actor_system& sys, std::string name, room_settings settings,
                             store_actor store, directory_actor directory) {
  return sys.spawn(room, std::move(name), settings, std::move(store), std::move(directory));
}

} // namespace actorchat
