// cluster: this node's place in a static cluster (docs/CLUSTER.md). One per node, published
// through CAF's middleman on the node's cluster port, so every peer reaches it.
//
// It keeps a link to every other node: at start it connects to each through the middleman
// (asynchronously: connect_atom to the middleman actor), monitors the peer's cluster actor, and
// when a link drops (the peer's process died or its network did) connects again with backoff
// (chat.cluster.reconnect-min doubling up to reconnect-max); each change is logged and shown in
// /metrics and /healthz (metrics::peer_up).
//
// It routes by home (cluster_map: rendezvous hashing): a relay's attach goes to the directory
// of the room's home, here or on the peer; a nickname claim or release to the nickname
// registry of the nickname's home. Either way the home answers the requester directly
// (delegation). When the home is a peer whose link is down, the answer is room_unavailable or
// nick_unavailable at once. So nicknames are unique across the cluster: each has exactly one
// registry that can give it out. That registry is in memory, so this node remembers the names
// its own clients hold at a peer, and claims them again when the link to that peer comes back
// (the peer may have restarted and forgotten them); a name someone else took meanwhile is
// logged (nick_conflict).
#pragma once

#include "config/cluster_map.hpp"
#include "actors/metrics.hpp"
#include "actors/types.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/stateful_actor.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace actorchat {

struct cluster_settings {
  std::shared_ptr<const cluster_map> map;
  caf::timespan reconnect_min = std::chrono::milliseconds(250); ///< first wait after a failure
  caf::timespan reconnect_max = std::chrono::seconds(5);        ///< longest wait
  metrics_ptr metrics; ///< peer_up gauges (in the order of map->nodes() less this one)
};

struct peer_link {
  node_address address;
  size_t index = 0;          ///< in metrics::peer_up
  cluster_actor handle;      ///< the peer's cluster actor while the link is up
  bool connecting = false;   ///< a connect request is out
  bool ever_up = false;
  bool reported_down = false; ///< "peer_unreachable" logged since the last change
  caf::timespan backoff{0};
};

/// A nickname one of this node's clients holds at a peer's registry.
struct remote_claim {
  std::string nick;
  member_actor owner;
};

struct cluster_state {
  static inline const char* name = "cluster";

  cluster_settings settings;
  nick_actor nicks;            ///< this node's nickname registry
  directory_actor directory;   ///< this node's rooms (set at start: register_atom)
  std::map<std::string, peer_link> peers; ///< by node id, every node but this one
  std::map<std::string, remote_claim> claims; ///< by folded nickname (owners monitored)
};

using cluster_pointer = cluster_actor::stateful_pointer<cluster_state>;

/// Registers every type that crosses the wire between nodes, and loads CAF's middleman. Every
/// node must call it before its actor system starts: an unregistered type arrives as an empty
/// message (shared/CAF-0.17.md 7).
void prepare_cluster(caf::actor_system_config& cfg);

cluster_actor::behavior_type cluster(cluster_pointer self, cluster_settings settings,
                                     nick_actor nicks);

inline cluster_actor spawn_cluster(caf::actor_system& sys, cluster_settings settings,
                                   nick_actor nicks) {
  return sys.spawn(cluster, std::move(settings), std::move(nicks));
}

} // namespace actorchat
