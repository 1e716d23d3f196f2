// directory: maps room names to room hubs. It creates a room on its first join (recovering it
// from the store), hands the join to it (delegation: the room answers the client), keeps each
// room's member count for "rooms", and lets an empty room retire.
//
// Retiring without a race: every join passes through here and is counted per room. An idle
// room asks to retire with the number of joins it has seen; only if that equals the number
// handed to it is it unmapped (and told to quit). A join already on its way keeps it alive.
//
// In a cluster (docs/CLUSTER.md) a room whose home is another node is a relay here
// (actors/relay.hpp): the directory spawns one instead of a room, and clients cannot tell them
// apart. Relays of other nodes attach to the rooms whose home is this node through here.
#pragma once

#include "actors/metrics.hpp"
#include "actors/relay.hpp"
#include "actors/room.hpp"
#include "config/cluster_map.hpp"
#include "actors/store.hpp"
#include "actors/types.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>

#include <map>
#include <memory>
#include <string>

namespace actorchat {

struct directory_settings {
  room_settings room;     ///< for every room it creates
  size_t max_rooms = 1000; ///< chat.max-rooms: live rooms at most
  metrics_ptr metrics;     ///< the live-rooms gauge; null: not counted
  /// The cluster; null or empty: a single node, home to every room.
  std::shared_ptr<const cluster_map> cluster;
  cluster_actor cluster_handle; ///< relays attach through it (with a cluster)
  relay_settings relay;         ///< for every relay it creates (its room part is `room`)
};

struct directory_entry {
  room_actor handle;
  uint64_t joins_sent = 0; ///< registers handed to the room
  size_t members = 0;      ///< as last reported by the room
};

struct directory_state {
  static inline const char* name = "directory";

  directory_settings settings;
  store_actor store;
  std::map<std::string, directory_entry> rooms; ///< sorted: "rooms" lists them in order
};

using directory_pointer = directory_actor::stateful_pointer<directory_state>;

directory_actor::behavior_type directory(directory_pointer self, directory_settings settings,
                                         store_actor store);

inline directory_actor spawn_directory(caf::actor_system& sys, directory_settings settings,
                                       store_actor store) {
  return sys.spawn(directory, settings, std::move(store));
}

} // namespace actorchat
