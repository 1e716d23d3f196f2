// relay: the stand-in on this node for a room whose home is another node (docs/CLUSTER.md).
//
// To the clients of this node it is the room: they register, say, leave and ask who and
// history exactly as they would of a room. To the home room it is a single member that stands
// for all of them: it attaches (through the cluster actor, which routes to the home node) with
// the last seq it has and its members' nicknames, gets every batch once and fans it out to its
// members, keeping the recent history for newcomers' replays; it forwards their says (each with
// a token; the home answers said_atom once the message is durable and out) and their joins,
// leaves and renames. Seqs, history and presence are the home room's: the relay adds nothing.
//
// Its members' flow control is the room's simple rule: a member without send credit gets the
// batch anyway while it is still reading (up to a second queue, for slow_client_timeout), and is
// dropped otherwise. The home room holds back for a relay that has not taken its batches (its
// send credit, settings.relay_queue), so a busy node slows its rooms' publishers down rather
// than losing messages.
//
// When the home node goes down (the home room's down message), every member gets an error
// room_unavailable, says are refused with it, and the relay tries again with backoff; once
// attached again each member gets "resumed" with what it missed (from the home room's history:
// complete false if that is not enough; history fills the gap) and live traffic goes on: no gap,
// no duplicate. A home that only dropped the relay (overflow: it fell behind) is attached to
// again at once, with the same "resumed" and no notice. Members stay members meanwhile; a join meanwhile is
// refused with room_unavailable. A join that arrives before the first attach succeeded waits
// for an attach (the first, or one it starts) and fails with room_unavailable if that fails.
#pragma once

#include "actors/room.hpp"
#include "actors/types.hpp"

#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace actorchat {

struct relay_settings {
  room_settings room; ///< history_size, idle_timeout, slow_client_timeout, presence_limit
  caf::timespan attach_timeout = std::chrono::seconds(5); ///< one attach attempt at most
  caf::timespan retry_min = std::chrono::milliseconds(250); ///< chat.cluster.reconnect-min
  caf::timespan retry_max = std::chrono::seconds(5);        ///< chat.cluster.reconnect-max
};

struct relay_member {
  member_actor handle;
  credit_ptr credit;
  std::string nick;
  uint64_t progress_seen = 0; ///< credit progress when last seen (as in room_member)
  std::optional<caf::actor_clock::time_point> progressed_at{};
  std::optional<caf::actor_clock::time_point> lacking_since{};
  size_t saying = 0;                 ///< forwarded says not answered yet
  std::optional<std::string> leaving{}; ///< a leave (its id) waiting for those answers
};

/// A forwarded say waiting for the home room's said_atom.
struct forwarded_say {
  member_actor sender;
  std::string id;
};

/// A join that arrived before the first attach completed.
struct waiting_join {
  caf::typed_response_promise<caf::actor> promise;
  member_actor member;
  credit_ptr credit;
  join_request req;
};

struct relay_state {
  static inline const char* name = "relay";

  std::string room;
  relay_settings settings;
  cluster_actor cluster;
  directory_actor directory;   ///< null in tests: the relay then never retires
  home_actor home;             ///< the home room while attached
  bool attaching = false;      ///< an attach request is out
  bool ever_attached = false;  ///< false until the first attach succeeded
  uint64_t last_seq = 0;       ///< the newest seq the relay has
  uint64_t population = 0;     ///< the room's members on every node, as the home last said
  caf::timespan backoff{0};    ///< the next wait before attaching again
  bool retry_armed = false;
  std::deque<history_entry> history; ///< the newest room_settings::history_size messages
  std::unordered_map<caf::actor_addr, relay_member> members;
  std::map<uint64_t, forwarded_say> says; ///< by token
  uint64_t next_token = 1;
  std::vector<waiting_join> joins;   ///< before the first attach
  uint64_t dropped = 0;        ///< members dropped for running out of send credit
  uint64_t registers_seen = 0; ///< for the retire handshake with the directory
  uint64_t idle_generation = 0;
};

using relay_pointer = relay_actor::stateful_pointer<relay_state>;

relay_actor::behavior_type relay(relay_pointer self, std::string name, relay_settings settings,
                                 cluster_actor cluster, directory_actor directory);

inline relay_actor spawn_relay(caf::actor_system& sys, std::string name, relay_settings settings,
                               cluster_actor cluster, directory_actor directory) {
  return sys.spawn(relay, std::move(name), settings, std::move(cluster), std::move(directory));
}

} // namespace actorchat
