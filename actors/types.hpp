// The vocabulary of actorchat's actors: payload types, atoms, and the typed interfaces of the
// room hub and its members. Declared once, here.
#pragma once

#include "actors/credit.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/replies_to.hpp>

#include <memory>
#include <string>
#include <vector>

namespace actorchat {

/// The room every client starts in.
inline constexpr const char* default_room = "lobby";

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
using count_atom = caf::atom_constant<caf::atom("count")>;           ///< ask a room its size

// -- typed interfaces ----------------------------------------------------------------------------

/// What every member of a room accepts: a client, and later a behaviour or a remote relay.
using member_actor = caf::typed_actor<
  /// Payloads to forward to the peer, in room order. Credit for each was acquired already.
  caf::reacts_to<deliver_atom, payload_batch>,
  /// The room dropped this member because its send credit ran out (arg: room name).
  caf::reacts_to<overflow_atom, std::string>>;

/// A room hub: owns membership and history; handles register, unregister, broadcast.
using room_actor = caf::typed_actor<
  /// Adds a member; it first receives the room's history, then live traffic.
  caf::reacts_to<register_atom, member_actor, credit_ptr>,
  caf::reacts_to<unregister_atom, member_actor>,
  /// A chat message: sender's name, text (verbatim).
  caf::reacts_to<broadcast_atom, std::string, std::string>,
  /// Number of members.
  caf::replies_to<count_atom>::with<size_t>>;

/// The actor behind one WebSocket connection: a room member that also takes frames from it.
using client_actor = member_actor::extend<
  /// A text frame the peer sent.
  caf::reacts_to<inbound_atom, std::string>>;

} // namespace actorchat

// Shared pointers travel only between local actors (never over the middleman).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorchat::payload)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorchat::payload_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorchat::credit_ptr)
