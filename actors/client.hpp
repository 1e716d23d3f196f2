// client: the middleman between one WebSocket connection and the rest of the server (gorilla's
// "Client"). The connection sends it each text frame (inbound_atom); it parses the command and
// talks to the directory, its rooms, the nickname registry and the store. Rooms hand their
// batches straight to its connection (the credit's sink, actors/connection.hpp); what reaches it
// as deliver_atom (from a room that has no sink for it) it hands to the connection in one call.
// It never touches a
// socket: it holds only a weak pointer to the connection, which holds the strong actor handle.
#pragma once

#include "actors/behaviour_routes.hpp"
#include "actors/command.hpp"
#include "actors/connection.hpp"
#include "actors/metrics.hpp"
#include "actors/protocol.hpp"
#include "actors/rate_limit.hpp"
#include "actors/store.hpp"
#include "actors/types.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>

#include <list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace actorchat {

/// The actors every client talks to.
struct client_services {
  directory_actor directory;
  nick_actor nicks;
  store_actor store;
};

/// Settings shared by every client of one server.
struct client_settings {
  server_info info;        ///< for the welcome
  parse_limits limits;     ///< for parsing commands
  size_t max_rooms = 16;   ///< chat.max-rooms-per-client
  size_t rate_limit = 0;   ///< chat.rate-limit: frames per second; 0 = no limit
  size_t rate_burst = 1;   ///< chat.rate-burst
  metrics_ptr metrics;     ///< frames received, drops, rate-limit hits; null: not counted
  /// Slash-commands and filters of the enabled behaviours; null or empty: none. Filled in
  /// once at startup, before the server accepts connections (actors/behaviour.hpp).
  std::shared_ptr<const behaviour_routes> behaviours;
};


/// A say on its way through the filters (behaviour_routes::filters) to its room.
struct filtered_say {
  std::string room;
  std::string text;
  bool action = false;
  std::string id;
  size_t next = 0; ///< index of the filter asked now
};

struct client_state {
  static inline const char* name = "client";

  connection_ref conn;                   ///< its connection, behind the server's gate
  credit_ptr credit;
  window_ptr window;                     ///< frames read and not yet handled (may be null)
  rate_limit limiter{0, 1};
  client_services services;
  client_settings_ptr settings;
  std::string nick;
  bool chosen_nick = false;              ///< registered with the nick registry
  std::map<std::string, room_actor> rooms;
  std::vector<std::string> join_order;   ///< the current room is the last one
  std::set<std::string> joining;         ///< join or resume sent, no answer yet
  std::list<std::string> deferred;       ///< frames that arrived while a join, a filter or a
                                         ///< slash-command was pending
  bool waiting_behaviour = false;        ///< a filter or a slash-command has not answered yet
  filtered_say filtering;                ///< the say the filters have (if waiting_behaviour)
  bool running_reply = false;            ///< handling a command a behaviour's reply ran
};

using client_pointer = client_actor::stateful_pointer<client_state>;

/// The first frame every client gets: its nick, the server's limits and the slash-commands.
payload welcome_for(const client_settings& settings, const std::string& nick);

/// Greets `conn` (welcome_for) if `greet`, joins "lobby" if `autojoin`, and serves `conn` under
/// `nick`. Each inbound frame is released from `window` once handled: at once for most
/// commands, when the room acknowledges it for a say. `window` may be null (nothing to release).
client_actor::behavior_type client(client_pointer self, connection_ref conn,
                                   credit_ptr credit, window_ptr window, std::string nick,
                                   client_services services, client_settings_ptr settings,
                                   bool autojoin, bool greet);

/// Spawns client() for `conn`; `greet`: the actor sends the welcome (false when the connection
/// has queued welcome_for() itself, as net/websocket_session.cpp does).
inline client_actor spawn_client(caf::actor_system& sys, connection_ref conn,
                                 credit_ptr credit, window_ptr window, std::string nick,
                                 client_services services, client_settings_ptr settings,
                                 bool autojoin, bool greet = true) {
  return sys.spawn(client, std::move(conn), std::move(credit), std::move(window),
                   std::move(nick), std::move(services), std::move(settings), autojoin, greet);
}

} // namespace actorchat
