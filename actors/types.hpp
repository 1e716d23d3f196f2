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

// -- errors ----------------------------------------------------------------------------------------

/// Errors actors return to clients; each becomes an "error" object with the matching code.
enum class chat_errc : uint8_t {
  store_unavailable = 1, ///< a message or a room's history could not be read or made durable
  room_limit,            ///< chat.max-rooms live rooms exist
  already_joined,
  not_in_room,
  nick_taken,
  internal,
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
  /// The room's own idle timer (argument: generation).
  caf::reacts_to<idle_atom, uint64_t>,
  /// The room's own timer while it waits for members to catch up (overload).
  caf::reacts_to<retry_atom>>;

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
  caf::replies_to<retire_atom, std::string, uint64_t>::with<bool>>;

/// Keeps chosen nicknames unique across the server (case-insensitively).
using nick_actor = caf::typed_actor<
  /// Takes a nickname for `owner` (released when the owner goes away). Error nick_taken.
  caf::replies_to<claim_atom, std::string, member_actor>::with<bool>,
  /// Gives a nickname back.
  caf::reacts_to<release_atom, std::string>>;

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
