// behaviour: the API for extending actorchat with actors of your own (docs/EXTENDING.md).
//
// A behaviour is an ordinary CAF actor, registered by name in CAF's actor-type registry
// (add_behaviour below calls add_actor_type) and enabled by `chat.behaviours` in the config
// file. What it may do, each optional:
// - See the rooms it is in. Every behaviour gets a *seat*: a client actor like the one behind a
//   WebSocket connection, whose "connection" is in-process and turns what the rooms send into
//   room_event messages for the behaviour (event_atom), if it asks for them. Joining, leaving and speaking are JSON
//   commands sent through the seat (join(), say(), ...), so a behaviour goes through the same
//   path, checks and filters as any client; rate limits apply only if its settings say so.
// - Answer slash-commands (command_atom -> command_reply): a user's "/time" never reaches the
//   room; the behaviour that declared "time" answers it within chat.behaviour-timeout.
// - Filter (filter_atom -> filter_verdict): every message said in any room passes the
//   behaviours that declared themselves filters, in the order of `chat.behaviours`, before it
//   is stored and broadcast. A filter may allow, rewrite or reject it; a rejected sender gets
//   an error frame with the filter's reason. A filter that fails or does not answer within
//   chat.behaviour-timeout is logged and the message passes or is rejected as
//   chat.filter-failure says; the room never waits for a filter (filters run in the sender's
//   client actor, before the room sees the message).
// Every behaviour answers describe_atom with a behaviour_info that says which commands it
// answers and whether it filters. Its own settings live in [chat.<name>] and are declared when
// it is registered, so they are validated like every other key.
#pragma once

#include "actors/behaviour_routes.hpp"
#include "actors/client.hpp"
#include "actors/types.hpp"
#include "config/chat_config.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/config_option_adder.hpp>
#include <caf/settings.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace actorchat {

// -- atoms ---------------------------------------------------------------------------------------

using event_atom = caf::atom_constant<caf::atom("event")>;       ///< seat -> behaviour
using command_atom = caf::atom_constant<caf::atom("command")>;   ///< client -> behaviour
using filter_atom = caf::atom_constant<caf::atom("filter")>;     ///< client -> behaviour
using describe_atom = caf::atom_constant<caf::atom("describe")>; ///< server -> behaviour

// -- what a behaviour sees and answers -----------------------------------------------------------

/// Something that happened in one of the behaviour's rooms, or a reply to its own commands:
/// one server-to-client object (docs/PROTOCOL.md) with its common fields taken out.
struct room_event {
  /// The object's type, as in docs/PROTOCOL.md: "message", "presence", "welcome", "joined",
  /// "error", "notice", "who", ...
  std::string type;
  std::string event;    ///< presence: "join", "leave" or "nick"
  std::string room;
  std::string from;     ///< message: the sender's nickname
  std::string text;     ///< message: the text, verbatim
  bool action = false;  ///< message: "/me" action
  uint64_t seq = 0;     ///< message: per-room sequence number
  std::string nick;     ///< presence: who (for "nick": the new name); welcome, nick: own name
  std::string old_nick; ///< presence "nick": the old name
  bool mine = false;    ///< message, presence: by or about the behaviour itself
  std::string json;     ///< the whole object as the server sent it
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_event& x) {
  return f(caf::meta::type_name("room_event"), x.type, x.event, x.room, x.from, x.text, x.action, x.seq,
           x.nick, x.old_nick, x.mine, x.json);
}

/// A slash-command a user typed: "/roll 2d6" in lobby is {lobby, ana, "roll", "2d6"}.
struct slash_command {
  std::string room; ///< the room it was typed in
  std::string nick; ///< who typed it
  std::string name; ///< the command word, lowercased, without the slash
  std::string args; ///< the rest of the line, trimmed
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, slash_command& x) {
  return f(caf::meta::type_name("slash_command"), x.room, x.nick, x.name, x.args);
}

/// A behaviour's answer to a slash-command. Both may be set; both may be empty (no answer).
struct command_reply {
  /// Shown to the user who typed the command only, as a "notice" object.
  std::string notice;
  /// A JSON command (docs/PROTOCOL.md) that the user's own client runs as if the user had sent
  /// it, with all the usual checks: {"type":"say","room":"lobby","text":"waves","action":true}.
  std::string run;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, command_reply& x) {
  return f(caf::meta::type_name("command_reply"), x.notice, x.run);
}

/// What a filter decides about a message.
struct filter_verdict {
  enum kind : uint8_t { allow, rewrite, reject };
  uint8_t verdict = allow;
  std::string text; ///< rewrite: the new text (valid UTF-8); reject: the reason for the sender

  static filter_verdict pass() { return {}; }
  static filter_verdict replace(std::string t) { return {rewrite, std::move(t)}; }
  static filter_verdict refuse(std::string reason) { return {reject, std::move(reason)}; }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, filter_verdict& x) {
  return f(caf::meta::type_name("filter_verdict"), x.verdict, x.text);
}

/// A behaviour's answer to describe_atom.
struct behaviour_info {
  std::vector<command_help> commands; ///< slash-commands it answers
  bool filter = false;                ///< true: it gets filter_atom for every message said
  /// true: it gets event_atom for what happens in its rooms and for the replies to the commands
  /// it sends (without, they are dropped: it need not handle event_atom).
  bool events = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, behaviour_info& x) {
  return f(caf::meta::type_name("behaviour_info"), x.commands, x.filter, x.events);
}

/// What a behaviour is spawned with.
struct behaviour_context {
  std::string name;    ///< as in chat.behaviours
  std::string nick;    ///< its seat's nickname ([chat.<name>] nick, default: the name)
  caf::settings config; ///< its [chat.<name>] section as given (defaults are the reader's)
  client_actor seat;   ///< speaks and joins for it: see join(), say(), send_command()
  /// Every slash-command of every enabled behaviour, sorted by name; filled in once all have
  /// described themselves, before the server accepts connections (for /help).
  std::shared_ptr<const std::vector<command_help>> commands;
};

// -- helpers for behaviours ----------------------------------------------------------------------

/// `text` as a JSON string literal, quotes included (for building commands).
std::string json_quote(const std::string& text);
/// The JSON say command for `text` in `room` (an action if `action`).
std::string say_command(const std::string& room, const std::string& text, bool action = false);

/// Sends a JSON command (docs/PROTOCOL.md) through the behaviour's seat, as a client would.
void send_command(const behaviour_context& ctx, const std::string& json);
/// Joins `room` (the seat joins the configured rooms at start by itself).
void join(const behaviour_context& ctx, const std::string& room);
/// Leaves `room`.
void leave(const behaviour_context& ctx, const std::string& room);
/// Says `text` in `room` (which the behaviour must be in); `action`: as "/me".
void say(const behaviour_context& ctx, const std::string& room, const std::string& text,
         bool action = false);

/// The value of `key` in the behaviour's section, or `fallback`.
template <class T>
T setting(const behaviour_context& ctx, const char* key, T fallback) {
  return caf::get_or(ctx.config, key, std::move(fallback));
}
std::string setting(const behaviour_context& ctx, const char* key, const char* fallback);

// -- registration --------------------------------------------------------------------------------

/// Makes a behaviour known as `name`: `fun` (an actor function taking a behaviour_context
/// after its self pointer) goes into CAF's actor-type registry, and `declare` adds its settings
/// to [chat.<name>] beside the keys every behaviour has (nick, rooms, rate-limit).
/// `default_rooms`: the rooms it joins unless [chat.<name>] rooms says otherwise.
template <class F, class Declare>
void add_behaviour(chat_config& cfg, const std::string& name, F fun, std::string summary,
                   std::vector<std::string> default_rooms, Declare declare) {
  cfg.add_actor_type(name, std::move(fun));
  auto opts = cfg.declare_behaviour(name, std::move(summary), std::move(default_rooms));
  declare(opts);
}

template <class F>
void add_behaviour(chat_config& cfg, const std::string& name, F fun, std::string summary,
                   std::vector<std::string> default_rooms = {}) {
  add_behaviour(cfg, name, std::move(fun), std::move(summary), std::move(default_rooms),
                [](caf::config_option_adder&) {});
}

// -- the server side -----------------------------------------------------------------------------

/// The enabled behaviours of a running server.
struct running_behaviours {
  std::vector<caf::actor> actors; ///< the behaviours and their seats, for shutdown
};

/// Spawns every behaviour in cfg.behaviours with its seat, asks each to describe itself and
/// fills in `routes`, which `settings` (what every client gets) already points to: call it
/// before the server accepts connections. The seats use a copy of `settings` with their own
/// rate limit. On failure (a behaviour that fails to spawn or to describe itself in time, two
/// that answer the same command) returns why, naming the behaviour; nothing is left running.
/// Behaviours log what they do through config/log.hpp like the rest of the server.
caf::expected<running_behaviours>
start_behaviours(caf::actor_system& sys, const chat_config& cfg, const client_services& services,
                 const client_settings_ptr& settings,
                 const std::shared_ptr<behaviour_routes>& routes);

/// Parses one server-to-client object into a room_event; `self_nick` decides `mine`.
room_event decode_event(const std::string& json, const std::string& self_nick);

} // namespace actorchat

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorchat::behaviour_context)
