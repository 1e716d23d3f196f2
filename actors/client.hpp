// client: the middleman between one WebSocket connection and the rooms (gorilla's "Client").
//
// The connection (net/websocket_session) sends it each text frame as inbound_atom; it turns them
// into broadcasts to its room. The room sends it batches of payloads (deliver_atom), which it
// hands to the connection in one call. It never touches a socket: it holds only a weak pointer to
// the connection interface, while the connection holds the strong actor handle.
#pragma once

#include "actors/connection.hpp"
#include "actors/protocol.hpp"
#include "actors/types.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>

#include <memory>
#include <string>

namespace actorchat {

struct client_state {
  static inline const char* name = "client";

  std::weak_ptr<connection> conn;
  room_actor room;
  std::string nick;
};

using client_pointer = client_actor::stateful_pointer<client_state>;

using server_info_ptr = std::shared_ptr<const server_info>;

/// Greets `conn` (welcome), joins `room` with `credit` as its send bound and serves `conn` under
/// the name `nick`.
client_actor::behavior_type client(client_pointer self, std::weak_ptr<connection> conn,
                                   credit_ptr credit, room_actor room, std::string nick,
                                   server_info_ptr info);

inline client_actor spawn_client(caf::actor_system& sys, std::weak_ptr<connection> conn,
                                 credit_ptr credit, room_actor room, std::string nick,
                                 server_info_ptr info) {
  return sys.spawn(client, std::move(conn), std::move(credit), std::move(room), std::move(nick),
                   std::move(info));
}

} // namespace actorchat
