// The vocabulary of actorchat's actors: payload types, atoms, and the typed interfaces of the
// room hub and its members. Declared once, here.
#pragma once

#include "actors/credit.hpp"

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/replies_to.hpp>

#include <memory>
#include <string>
#include <vector>

namespace actorchat {

/// The room every client starts in.
inline constexpr const char* default_room = "lobby";

// -- chat messages -------------------------------------------------------------------------------

/// A chat message as it travels through a room, into the store and into history.
struct chat_message {
  std::string room;
  uint64_t seq = 0;  ///< per room, from 1, no gaps, never reused
  std::string from;
  int64_t ts = 0;    ///< milliseconds since the Unix epoch, set by the room
  std::string text;  ///< verbatim (valid UTF-8; JSON escaping keeps it on one line)
  bool action = false; ///< an action ("/me waves"): clients show it as "* from text"
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chat_message& x) {
  return f(caf::meta::type_name("chat_message"), x.room, x.seq, x.from, x.ts, x.text,
           x.action);
}

// -- payloads ------------------------------------------------------------------------------------

/// One server-to-client JSON object, serialized once and shared by every recipient.
using payload = std::shared_ptr<const std::string>;

/// Payloads a room hands to one member at once, in order (a flushed broadcast batch or a history
/// replay). The same batch object goes to every member of the room: no per-member copy.
using payload_batch = std::shared_ptr<const std::vector<payload>>;

// -- atoms (at most 10 characters in CAF 0.17) ---------------------------------------------------

using register_atom = caf::atom_constant<caf::atom("register")>;     ///< join a room
using unregister_atom = caf::atom_constant<caf::atom("unregister")>; ///< leave a room
using broadcast_atom = caf::atom_constant<caf::atom("broadcast")>;   ///< say something in a room
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;       ///< room -> member payloads
using overflow_atom = caf::atom_constant<caf::atom("overflow")>;     ///< room -> member: too slow
using inbound_atom = caf::atom_constant<caf::atom("inbound")>;       ///< connection -> client
using count_atom = caf::atom_constant<caf::atom("count")>;           ///< room size (query/report)
using rename_atom = caf::atom_constant<caf::atom("rename")>;         ///< a member's new nickname
using who_atom = caf::atom_constant<caf::atom("who")>;               ///< list a room's members
using rooms_atom = caf::atom_constant<caf::atom("rooms")>;           ///< list the live rooms
using retire_atom = caf::atom_constant<caf::atom("retire")>;         ///< an idle room may go
using idle_atom = caf::atom_constant<caf::atom("idle")>;             ///< a room's idle timer
using claim_atom = caf::atom_constant<caf::atom("claim")>;           ///< take a nickname
using release_atom = caf::atom_constant<caf::atom("release")>;       ///< give a nickname back
using ack_atom = caf::atom_constant<caf::atom("ack")>;               ///< room -> member: says done
using retry_atom = caf::atom_constant<caf::atom("retry")>;           ///< a paused room's timer
using settings_atom = caf::atom_constant<caf::atom("settings")>;     ///< a client's new settings
using page_atom = caf::atom_constant<caf::atom("page")>;             ///< a slice of history

// Between nodes (docs/CLUSTER.md): a relay on one node stands in for a room whose home is
// another node.
using attach_atom = caf::atom_constant<caf::atom("attach")>;     ///< relay -> home room: sync me
using relay_atom = caf::atom_constant<caf::atom("relay")>;       ///< home room -> relay: events
using presence_atom = caf::atom_constant<caf::atom("presence")>; ///< relay -> home: a local
                                                                 ///< member joined/left/renamed
using forward_atom = caf::atom_constant<caf::atom("forward")>;   ///< relay -> home: a say
using said_atom = caf::atom_constant<caf::atom("said")>;         ///< home -> relay: say done
using peer_atom = caf::atom_constant<caf::atom("peer")>;         ///< a cluster link's timer

// -- errors ----------------------------------------------------------------------------------------

/// Errors actors return to clients; each becomes an "error" object with the matching code.
enum class chat_errc : uint8_t {
  store_unavailable = 1, ///< a message or a room's history could not be read or made durable
  room_limit,            ///< chat.max-rooms live rooms exist
  already_joined,
  not_in_room,
  nick_taken,
  internal,
  room_unavailable, ///< the room's home node is down (cluster)
  nick_unavailable, ///< the node that keeps this nickname unique is down (cluster)
};

/// A caf::error in the "chat" category.
caf::error make_error(chat_errc code);

/// The protocol code ("store_unavailable", ...) of an error; "internal" for foreign errors.
std::string error_code(const caf::error& err);

// -- typed interfaces ----------------------------------------------------------------------------

/// What every member of a room accepts: a client, and later a behaviour or a remote relay.
using member_actor = caf::typed_actor<
  /// Payloads to forward to the peer, in room order. Credit for each was acquired already.
  caf::reacts_to<deliver_atom, payload_batch>,
  /// The room dropped this member because its send credit ran out (arg: room name).
  caf::reacts_to<overflow_atom, std::string>,
  /// This many of the member's broadcasts are done with: sent to everyone, or refused. Every
  /// broadcast is acknowledged exactly once, which is how a client bounds what it has in
  /// flight (and stops reading its socket when the server falls behind).
  caf::reacts_to<ack_atom, uint32_t>>;

/// How a member asks to join a room.
struct join_request {
  std::string nick;
  std::string id;      ///< command id (serialized JSON) for the joined/resumed reply, or empty
  bool resume = false; ///< replay what came after `after` instead of the recent history
  uint64_t after = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_request& x) {
  return f(caf::meta::type_name("join_request"), x.nick, x.id, x.resume, x.after);
}

/// A slice of a room's history.
struct history_page {
  std::vector<chat_message> messages; ///< oldest first
  bool complete = true; ///< see the request that produced it
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_page& x) {
  return f(caf::meta::type_name("history_page"), x.messages, x.complete);
}

/// A room hub: owns membership, sequence numbers and recent history; handles register,
/// unregister and broadcast, plus the queries below.
using room_actor = caf::typed_actor<
  /// Adds a member: it gets joined (or resumed) and the replay in one batch, then live traffic;
  /// everybody gets a presence join. Replies with the room's handle.
  caf::replies_to<register_atom, member_actor, credit_ptr, join_request>::with<caf::actor>,
  /// Removes a member; it gets "left" (with the id) after everything said before.
  caf::reacts_to<unregister_atom, member_actor, std::string>,
  /// A chat message: sender, its nickname, text (verbatim), whether it is an action (/me),
  /// command id (or empty).
  caf::reacts_to<broadcast_atom, member_actor, std::string, std::string, bool, std::string>,
  /// A member's new nickname.
  caf::reacts_to<rename_atom, member_actor, std::string>,
  /// Members' nicknames, sorted.
  caf::replies_to<who_atom>::with<std::vector<std::string>>,
  /// Number of members.
  caf::replies_to<count_atom>::with<size_t>,
  /// Scrollback: up to `limit` messages with seq < `before` (before = 0: the newest), oldest
  /// first, from wherever the room's history is stored.
  caf::replies_to<page_atom, uint64_t, uint64_t>::with<history_page>,
  /// The room's own idle timer (argument: generation).
  caf::reacts_to<idle_atom, uint64_t>,
  /// The room's own timer: while it waits for members to catch up (a room), or before it tries
  /// to reach its home again (a relay).
  caf::reacts_to<retry_atom>>;

// -- between nodes (docs/CLUSTER.md) ---------------------------------------------------------------

/// One payload a home room sends to a relay: a chat message (seq > 0) or a presence event
/// (seq = 0), already serialized as the JSON every client gets.
struct relay_event {
  uint64_t seq = 0;
  std::string wire;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, relay_event& x) {
  return f(caf::meta::type_name("relay_event"), x.seq, x.wire);
}

/// A home room's answer to a relay that attaches: the room, its newest seq, the history the relay
/// missed (all of it that is in memory for a first attach), whether that closes the gap, and how
/// many members the room has across the cluster.
struct relay_sync {
  caf::actor room;
  uint64_t last_seq = 0;
  std::vector<relay_event> missed; ///< messages only, oldest first
  bool complete = true;            ///< false: messages after `after` are missing from `missed`
  uint64_t population = 0;         ///< members on every node, the relay's own included
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, relay_sync& x) {
  return f(caf::meta::type_name("relay_sync"), x.room, x.last_seq, x.missed, x.complete,
           x.population);
}

/// The room on the room's home node. Besides local members it serves relays: one per other node
/// that has members in the room, each a single member that stands for all of them (so a
/// broadcast crosses the network once per node).
using home_actor = room_actor::extend<
  /// A relay (re)joins: (relay, the last seq it has (0: none), the nicknames of its members).
  caf::replies_to<attach_atom, caf::actor, uint64_t, std::vector<std::string>>::with<relay_sync>,
  /// A relay's member joined, left or was renamed: (relay, "join"|"leave"|"nick", nick, old).
  caf::reacts_to<presence_atom, caf::actor, std::string, std::string, std::string>,
  /// A relay's member says something: (relay, token, from, text, action); answered with
  /// said_atom once it went out or was refused.
  caf::reacts_to<forward_atom, caf::actor, uint64_t, std::string, std::string, bool>>;

/// The stand-in for a room whose home is another node: to local clients it is a room; to the
/// home room it is one member.
using relay_actor = room_actor::extend<
  /// Events in room order and the room's population after them; replies with how many it took
  /// (the home room's send credit for this relay).
  caf::replies_to<relay_atom, std::vector<relay_event>, uint64_t>::with<uint32_t>,
  /// A forwarded say is done: (token, seq, error code or empty).
  caf::reacts_to<said_atom, uint64_t, uint64_t, std::string>,
  /// The home room dropped this relay (it fell behind): attach again.
  caf::reacts_to<overflow_atom, std::string>>;

/// A live room and its member count, as listed by the directory.
struct room_count {
  std::string room;
  size_t members = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_count& x) {
  return f(caf::meta::type_name("room_count"), x.room, x.members);
}

/// Maps room names to room hubs: creates rooms on first join, retires them when idle.
using directory_actor = caf::typed_actor<
  /// Joins `member` to the named room, creating it if needed; the room answers (delegated).
  caf::replies_to<register_atom, std::string, member_actor, credit_ptr, join_request>::with<
    caf::actor>,
  /// Live rooms with their member counts, sorted by name.
  caf::replies_to<rooms_atom>::with<std::vector<room_count>>,
  /// A room reports its member count.
  caf::reacts_to<count_atom, std::string, size_t>,
  /// An empty room asks to retire; arg: how many registers it has seen. True: it may quit.
  caf::replies_to<retire_atom, std::string, uint64_t>::with<bool>,
  /// A relay on another node attaches to the named room, whose home is this node (creating it
  /// if needed; the room answers).
  caf::replies_to<attach_atom, std::string, caf::actor, uint64_t,
                  std::vector<std::string>>::with<relay_sync>>;

/// Keeps chosen nicknames unique across the server (case-insensitively).
using nick_actor = caf::typed_actor<
  /// Takes a nickname for `owner` (released when the owner goes away). Error nick_taken.
  caf::replies_to<claim_atom, std::string, member_actor>::with<bool>,
  /// Gives a nickname back.
  caf::reacts_to<release_atom, std::string>>;

/// One node of a cluster as every other node sees it: it routes a relay's attach and a nickname
/// claim to the node that is home to the room or the nickname (docs/CLUSTER.md). Published
/// through CAF's middleman on the node's cluster port.
using cluster_actor = nick_actor::extend<
  /// A relay attaches to the named room at its home (this node's directory, or the peer's).
  caf::replies_to<attach_atom, std::string, caf::actor, uint64_t,
                  std::vector<std::string>>::with<relay_sync>,
  /// Local wiring at start: the directory that holds this node's rooms.
  caf::reacts_to<register_atom, directory_actor>,
  /// The timer of the link to the named peer: connect now.
  caf::reacts_to<peer_atom, std::string>>;

struct client_settings; // actors/client.hpp
using client_settings_ptr = std::shared_ptr<const client_settings>;

/// The actor behind one WebSocket connection: a room member that also takes frames from it.
using client_actor = member_actor::extend<
  /// A text frame the peer sent.
  caf::reacts_to<inbound_atom, std::string>,
  /// Settings that replace those it was spawned with (a behaviour's seat gets the behaviour
  /// routes this way once they are complete; actors/behaviour.cpp).
  caf::reacts_to<settings_atom, client_settings_ptr>>;

} // namespace actorchat

// Shared pointers travel only between local actors (never over the middleman).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorchat::payload)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorchat::payload_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorchat::credit_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorchat::client_settings_ptr)
