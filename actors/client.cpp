#include "actors/client.hpp"

#include "actors/behaviour.hpp"
#include "actors/quiet_handlers.hpp"
#include "actors/utf8.hpp"
#include "config/log.hpp"

#include <caf/typed_event_based_actor.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>

namespace actorchat {

namespace {

/// The server's metrics, or null (unit tests without them).
metrics* counters(client_pointer self) {
  return self->state.settings->metrics.get();
}

/// How long a client waits for the directory, a room or the store before it reports "internal".
constexpr auto request_timeout = std::chrono::seconds(30);

/// Frames a client may send while one of its joins is pending; they are handled in order once
/// the join is answered. A client that sends more without waiting is dropped (1008).
constexpr size_t max_deferred_frames = 1024;

void handle_frame(client_pointer self, const std::string& frame);
void drain_deferred(client_pointer self);

/// `n` inbound frames are handled: the connection may read more.
void frames_done(client_pointer self, uint32_t n = 1) {
  auto& st = self->state;
  if (st.window && st.window->release(n))
    if (auto c = st.conn.lock())
      c->resume_reading();
}

/// Sends one payload that answers the peer. A peer so far behind that even this does not fit
/// its send credit (with the margin replies get) is not reading: it is dropped like any slow
/// client.
void reply(client_pointer self, payload p) {
  auto& st = self->state;
  auto c = st.conn.lock();
  if (!c)
    return;
  if (!st.credit->try_acquire_reply(1)) {
    if (auto* m = counters(self))
      m->slow_client_drops.inc();
    c->close(close_code::policy, "send queue full: the client reads too slowly");
    self->quit();
    return;
  }
  c->send(std::make_shared<const std::vector<payload>>(1, std::move(p)));
}

void reply_error(client_pointer self, const std::string& code, const std::string& message,
                 const std::string& id) {
  reply(self, encode_error(code, message, id));
}

/// The message for an error code an actor returned.
std::string describe(const std::string& code, const std::string& room) {
  if (code == "room_limit")
    return "the server has as many rooms as it allows; join an existing room";
  if (code == "store_unavailable")
    return "the history of '" + room + "' cannot be read right now; try again later";
  if (code == "already_joined")
    return "already in '" + room + "'";
  if (code == "not_in_room")
    return "not in '" + room + "'";
  if (code == "nick_taken")
    return "that nickname is taken";
  if (code == "room_unavailable")
    return "room '" + room + "' is unavailable: its home node cannot be reached; try again later";
  if (code == "nick_unavailable")
    return "nicknames cannot be checked right now (the node that keeps them unique is down); "
           "try again later";
  return "the server could not do that; try again";
}

bool member_of(client_pointer self, const std::string& room) {
  return self->state.rooms.count(room) > 0;
}

void not_in_room(client_pointer self, const std::string& room, const std::string& id) {
  reply_error(self, "not_in_room",
              room.empty() ? "join a room first" : "not in '" + room + "'; join it first", id);
}

/// Logs a behaviour that failed or did not answer in time, at most once a second per behaviour
/// (a dead filter would otherwise write a line per message).
void behaviour_failed(client_pointer self, const behaviour_route& route, const char* what,
                      const caf::error& err) {
  if (auto* m = counters(self))
    m->behaviour_failures.inc();
  auto now = now_ms();
  auto last = route.last_failure_log->load(std::memory_order_relaxed);
  if (now - last < 1000
      || !route.last_failure_log->compare_exchange_strong(last, now, std::memory_order_relaxed))
    return;
  log::warn("behaviour_failed", std::string{"behaviour="} + route.name + " as=" + what
                                  + " error=" + log::quote(self->system().render(err)));
}

/// The filter or slash-command being waited for is done: handle the frames that waited.
void behaviour_done(client_pointer self) {
  self->state.waiting_behaviour = false;
  drain_deferred(self);
}

void send_to_room(client_pointer self, const std::string& room, std::string text, bool action,
                  std::string id) {
  auto& st = self->state;
  self->send(st.rooms[room], broadcast_atom::value, caf::actor_cast<member_actor>(self), st.nick,
             std::move(text), action, std::move(id));
}

/// Why a rejected sender is told nothing more specific.
constexpr const char* unchecked = "the message could not be checked; try again later";

void next_filter(client_pointer self);

/// The say in st.filtering is refused: error rejected with `reason` to its sender.
void reject_say(client_pointer self, const std::string& reason) {
  if (auto* m = counters(self))
    m->messages_rejected.inc();
  reply_error(self, "rejected", reason, self->state.filtering.id);
  frames_done(self);
  behaviour_done(self);
}

/// The current filter failed: logged and counted; the say then passes it (and goes on to the
/// next filter) or is rejected, as chat.filter-failure says.
void filter_failed(client_pointer self, const caf::error& err) {
  auto& st = self->state;
  behaviour_failed(self, st.settings->behaviours->filters[st.filtering.next], "filter", err);
  if (st.settings->behaviours->reject_on_failure) {
    reject_say(self, unchecked);
    return;
  }
  ++st.filtering.next;
  next_filter(self);
}

/// True if `text` may go to clients as a message text or a reason: non-empty, valid UTF-8,
/// within the message size limit.
bool sendable(client_pointer self, const std::string& text) {
  return !text.empty() && text.size() <= self->state.settings->limits.max_message_size
         && valid_utf8(text);
}

/// Asks the next filter about the say in st.filtering, or sends it to its room after the last.
void next_filter(client_pointer self) {
  auto& st = self->state;
  auto& routes = *st.settings->behaviours;
  auto& f = st.filtering;
  if (f.next == routes.filters.size()) {
    if (member_of(self, f.room)) {
      send_to_room(self, f.room, std::move(f.text), f.action, std::move(f.id));
    } else {
      not_in_room(self, f.room, f.id); // cannot happen: a leave waits behind the say
      frames_done(self);
    }
    behaviour_done(self);
    return;
  }
  auto& route = routes.filters[f.next];
  // One actor checks every sender's messages in turn. Behind too many waiting checks a message
  // would only time out: it fails at once instead, and the filter's queue stays short.
  if (route.pending->fetch_add(1, std::memory_order_relaxed) >= routes.max_pending) {
    route.pending->fetch_sub(1, std::memory_order_relaxed);
    filter_failed(self, caf::make_error(caf::sec::request_timeout,
                                        "too many messages waiting for this filter"));
    return;
  }
  auto done = [pending = route.pending] { pending->fetch_sub(1, std::memory_order_relaxed); };
  self
    ->request(route.handle, routes.timeout, filter_atom::value,
              chat_message{f.room, 0, st.nick, 0, f.text, f.action})
    .then(
      [self, done](filter_verdict& v) {
        done();
        auto& f = self->state.filtering;
        switch (v.verdict) {
          case filter_verdict::allow:
            break;
          case filter_verdict::rewrite:
            if (!sendable(self, v.text)) {
              filter_failed(self, caf::make_error(caf::sec::invalid_argument,
                                                  "rewrote the text to empty, too long or "
                                                  "invalid UTF-8"));
              return;
            }
            f.text = std::move(v.text);
            break;
          case filter_verdict::reject:
            reject_say(self, sendable(self, v.text) ? v.text : "the message was not allowed");
            return;
          default:
            filter_failed(self, caf::make_error(caf::sec::invalid_argument,
                                                "answered an unknown verdict "
                                                  + std::to_string(v.verdict)));
            return;
        }
        ++f.next;
        next_filter(self);
      },
      [self, done](caf::error& err) {
        done();
        filter_failed(self, err);
      });
}

/// `frame` with "id" set to `id` if it is a JSON object without one (else unchanged).
std::string with_default_id(const std::string& frame, const std::string& id) {
  if (id.empty())
    return frame;
  boost::json::error_code ec;
  auto value = boost::json::parse(frame, ec);
  if (ec || !value.is_object() || value.as_object().contains("id"))
    return frame;
  auto parsed = boost::json::parse(id, ec);
  if (ec)
    return frame;
  value.as_object()["id"] = std::move(parsed);
  return boost::json::serialize(value);
}

/// Sends a slash-command to the behaviour that answers it. Its reply is a notice for the
/// sender, a command run as the sender's own, or both; the frame is done once that is.
void slash(client_pointer self, const std::string& room, const std::string& text,
           const std::string& id) {
  auto& st = self->state;
  auto& routes = *st.settings->behaviours;
  auto line = std::string_view{text}.substr(1);
  auto end = line.find_first_of(" \t\r\n");
  std::string name{line.substr(0, end)};
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string args;
  if (end != std::string_view::npos) {
    auto rest = line.substr(end);
    auto first = rest.find_first_not_of(" \t\r\n");
    auto last = rest.find_last_not_of(" \t\r\n");
    if (first != std::string_view::npos)
      args = std::string{rest.substr(first, last - first + 1)};
  }
  auto i = routes.commands.find(name);
  if (i == routes.commands.end()) {
    reply_error(self, "unknown_command",
                "/" + name + " is not a command here"
                  + (routes.commands.count("help") > 0 ? "; /help lists the commands" : "")
                  + " (start with // to say a line that begins with /)",
                id);
    frames_done(self);
    return;
  }
  st.waiting_behaviour = true;
  auto route = i->second;
  self
    ->request(route.handle, routes.timeout, command_atom::value,
              slash_command{room, st.nick, name, std::move(args)})
    .then(
      [self, route, room, id](command_reply& r) {
        auto& st = self->state;
        if (!r.notice.empty())
          reply(self, encode_notice(room, route.name,
                                    valid_utf8(r.notice) ? r.notice
                                                         : "(the answer was not valid UTF-8)",
                                    id));
        st.waiting_behaviour = false;
        if (r.run.empty()) {
          frames_done(self);
        } else {
          // The command's frame passes to the command it runs, which releases it; that
          // command's reply carries the slash-command's id unless it has an id of its own.
          st.running_reply = true;
          handle_frame(self, with_default_id(r.run, id));
          st.running_reply = false;
        }
        drain_deferred(self);
      },
      [self, route, name, id](caf::error& err) {
        behaviour_failed(self, route, "command", err);
        reply_error(self, "command_failed", "/" + name + " did not work; try again later", id);
        frames_done(self);
        behaviour_done(self);
      });
}

/// True if the message went to a room, which then acknowledges it (ack_atom), or to a
/// behaviour, which releases the frame when done.
bool say(client_pointer self, command& cmd) {
  auto& st = self->state;
  auto room = cmd.plain ? (st.join_order.empty() ? std::string{} : st.join_order.back())
                        : cmd.room;
  auto* routes = st.settings->behaviours.get();
  if (routes && !routes->commands.empty() && !cmd.action && !st.running_reply
      && cmd.text.size() > 1 && cmd.text[0] == '/' && !std::isspace(static_cast<unsigned char>(cmd.text[1]))) {
    if (cmd.text[1] != '/') {
      // Typed in a room means in one of the user's rooms (or in none: a plain frame then).
      if (!room.empty() && !member_of(self, room)) {
        not_in_room(self, room, cmd.id);
        return false;
      }
      slash(self, room, cmd.text, cmd.id);
      return true;
    }
    cmd.text.erase(0, 1); // "//x" says "/x"
  }
  if (room.empty() || !member_of(self, room)) {
    not_in_room(self, room, cmd.id);
    return false;
  }
  if (routes && !routes->filters.empty()) {
    st.filtering = filtered_say{room, std::move(cmd.text), cmd.action, std::move(cmd.id), 0};
    st.waiting_behaviour = true;
    next_filter(self);
    return true;
  }
  send_to_room(self, room, std::move(cmd.text), cmd.action, std::move(cmd.id));
  return true;
}

void join(client_pointer self, command& cmd) {
  auto& st = self->state;
  auto name = cmd.room;
  if (member_of(self, name) || st.joining.count(name) > 0) {
    reply_error(self, "already_joined", describe("already_joined", name), cmd.id);
    return;
  }
  if (st.rooms.size() + st.joining.size() >= st.settings->max_rooms) {
    reply_error(self, "too_many_rooms",
                "a client may be in at most " + std::to_string(st.settings->max_rooms)
                  + " rooms; leave one first",
                cmd.id);
    return;
  }
  st.joining.insert(name);
  join_request req{st.nick, cmd.id, cmd.type == command_type::resume, cmd.after};
  self
    ->request(st.services.directory, request_timeout, register_atom::value, name,
              caf::actor_cast<member_actor>(self), st.credit, std::move(req))
    .then(
      [self, name](caf::actor& room) {
        auto& st = self->state;
        st.joining.erase(name);
        st.rooms[name] = caf::actor_cast<room_actor>(room);
        st.join_order.push_back(name);
        drain_deferred(self);
      },
      [self, name, id = cmd.id](caf::error& err) {
        self->state.joining.erase(name);
        auto code = error_code(err);
        reply_error(self, code, describe(code, name), id);
        drain_deferred(self);
      });
}

void leave(client_pointer self, command& cmd) {
  auto& st = self->state;
  auto i = st.rooms.find(cmd.room);
  if (i == st.rooms.end()) {
    not_in_room(self, cmd.room, cmd.id);
    return;
  }
  // The room answers "left" after everything it sent before.
  self->send(i->second, unregister_atom::value, caf::actor_cast<member_actor>(self),
             std::move(cmd.id));
  st.rooms.erase(i);
  st.join_order.erase(std::remove(st.join_order.begin(), st.join_order.end(), cmd.room),
                      st.join_order.end());
}

void rename(client_pointer self, command& cmd) {
  auto& st = self->state;
  if (cmd.nick == st.nick) {
    reply(self, encode_nick(st.nick, cmd.id));
    return;
  }
  self
    ->request(st.services.nicks, request_timeout, claim_atom::value, cmd.nick,
              caf::actor_cast<member_actor>(self))
    .then(
      [self, nick = cmd.nick, id = cmd.id](bool) {
        auto& st = self->state;
        if (st.chosen_nick && fold_nick(st.nick) != fold_nick(nick))
          self->send(st.services.nicks, release_atom::value, st.nick);
        st.nick = nick;
        st.chosen_nick = true;
        for (auto& kv : st.rooms)
          self->send(kv.second, rename_atom::value, caf::actor_cast<member_actor>(self), nick);
        reply(self, encode_nick(nick, id));
      },
      [self, nick = cmd.nick, id = cmd.id](caf::error& err) {
        auto code = error_code(err);
        reply_error(self, code,
                    code == "nick_taken" ? "the nickname '" + nick + "' is taken"
                                         : describe(code, ""),
                    id);
      });
}

void who(client_pointer self, command& cmd) {
  auto& st = self->state;
  if (!member_of(self, cmd.room)) {
    not_in_room(self, cmd.room, cmd.id);
    return;
  }
  self->request(st.rooms[cmd.room], request_timeout, who_atom::value)
    .then(
      [self, room = cmd.room, id = cmd.id](std::vector<std::string>& members) {
        reply(self, encode_who(room, members, id));
      },
      [self, room = cmd.room, id = cmd.id](caf::error& err) {
        auto code = error_code(err) == "room_unavailable" ? "room_unavailable" : "internal";
        reply_error(self, code, describe(code, room), id);
      });
}

void history(client_pointer self, command& cmd) {
  auto& st = self->state;
  if (!member_of(self, cmd.room)) {
    not_in_room(self, cmd.room, cmd.id);
    return;
  }
  // The room knows where its history is stored (here, or on its home node in a cluster).
  self->request(st.rooms[cmd.room], request_timeout, page_atom::value, cmd.before, cmd.limit)
    .then(
      [self, room = cmd.room, id = cmd.id](history_page& page) {
        reply(self, encode_history(room, page.messages, page.complete, id));
      },
      [self, room = cmd.room, id = cmd.id](caf::error& err) {
        auto code = error_code(err) == "room_unavailable" ? "room_unavailable"
                                                          : "store_unavailable";
        reply_error(self, code, describe(code, room), id);
      });
}

void list_rooms(client_pointer self, command& cmd) {
  self->request(self->state.services.directory, request_timeout, rooms_atom::value)
    .then(
      [self, id = cmd.id](std::vector<room_count>& rooms) {
        std::vector<std::pair<std::string, size_t>> out;
        out.reserve(rooms.size());
        for (auto& r : rooms)
          out.emplace_back(std::move(r.room), r.members);
        reply(self, encode_rooms(out, id));
      },
      [self, id = cmd.id](caf::error&) {
        reply_error(self, "internal", describe("internal", ""), id);
      });
}

/// Handles a command; true if it went to a room as a broadcast (released when acknowledged).
bool dispatch(client_pointer self, command& cmd) {
  switch (cmd.type) {
    case command_type::say: return say(self, cmd);
    case command_type::join:
    case command_type::resume: join(self, cmd); break;
    case command_type::leave: leave(self, cmd); break;
    case command_type::nick: rename(self, cmd); break;
    case command_type::who: who(self, cmd); break;
    case command_type::history: history(self, cmd); break;
    case command_type::rooms: list_rooms(self, cmd); break;
  }
  return false;
}

/// Parses and handles one frame, or defers it while a join is pending: a command sent right
/// after a join (or right after the welcome, during the autojoin) must see that join done.
void handle_frame(client_pointer self, const std::string& frame) {
  auto& st = self->state;
  if (!st.joining.empty() || st.waiting_behaviour) {
    if (st.deferred.size() >= max_deferred_frames) {
      if (auto c = st.conn.lock())
        c->close(close_code::policy, "too many frames while a join was pending");
      self->quit();
      return;
    }
    st.deferred.push_back(frame);
    return;
  }
  auto parsed = parse_command(frame, st.settings->limits);
  if (auto* err = std::get_if<command_error>(&parsed)) {
    reply_error(self, err->code, err->message, err->id);
    frames_done(self);
    return;
  }
  auto& cmd = std::get<command>(parsed);
  if (cmd.plain && cmd.text.empty()) {
    frames_done(self);
    return; // an empty frame is ignored
  }
  if (cmd.plain && cmd.text.size() > st.settings->limits.max_message_size) {
    // The frame limit leaves room for a command's JSON; plain text must fit the limit itself.
    if (auto c = st.conn.lock())
      c->close(close_code::too_big, "message larger than " + std::to_string(
                                      st.settings->limits.max_message_size) + " bytes");
    self->quit();
    return;
  }
  if (!dispatch(self, cmd))
    frames_done(self);
}

/// Refuses a frame over chat.rate-limit with error rate_limited (echoing its id).
void refuse_rate(client_pointer self, const std::string& frame) {
  auto& st = self->state;
  auto parsed = parse_command(frame, st.settings->limits);
  auto* cmd = std::get_if<command>(&parsed);
  auto id = cmd ? cmd->id : std::get<command_error>(parsed).id;
  reply_error(self, "rate_limited",
              "too many messages: at most " + std::to_string(st.settings->rate_limit)
                + " per second (bursts of " + std::to_string(st.settings->rate_burst)
                + "); this one was not handled",
              id);
}

/// Handles deferred frames in order until one starts another join.
void drain_deferred(client_pointer self) {
  auto& st = self->state;
  while (st.joining.empty() && !st.waiting_behaviour && !st.deferred.empty()) {
    auto frame = std::move(st.deferred.front());
    st.deferred.pop_front();
    handle_frame(self, frame);
  }
}

} // namespace

payload welcome_for(const client_settings& settings, const std::string& nick) {
  static const std::vector<command_help> no_commands;
  return encode_welcome(settings.info, nick, {},
                        settings.behaviours ? settings.behaviours->help : no_commands);
}

client_actor::behavior_type client(client_pointer self, connection_ref conn,
                                   credit_ptr credit, window_ptr window, std::string nick,
                                   client_services services, client_settings_ptr settings,
                                   bool autojoin, bool greet) {
  install_quiet_handlers(self);
  auto& st = self->state;
  st.conn = std::move(conn);
  st.credit = std::move(credit);
  st.window = std::move(window);
  st.nick = std::move(nick);
  st.services = std::move(services);
  st.settings = std::move(settings);
  st.limiter = rate_limit{st.settings->rate_limit, st.settings->rate_burst};
  // The welcome goes first, before any room's reply.
  if (greet)
    reply(self, welcome_for(*st.settings, st.nick));
  if (autojoin) {
    command lobby;
    lobby.type = command_type::join;
    lobby.room = default_room;
    join(self, lobby);
  }
  return {
    [self](inbound_atom, const std::string& frame) {
      auto* m = counters(self);
      if (m)
        m->messages_received.inc();
      switch (self->state.limiter.take(self->clock().now())) {
        case rate_limit::verdict::allow:
          break;
        case rate_limit::verdict::refuse:
          if (m)
            m->rate_limit_hits.inc();
          refuse_rate(self, frame);
          frames_done(self);
          return;
        case rate_limit::verdict::close:
          if (m)
            m->rate_limit_closes.inc();
          if (auto c = self->state.conn.lock())
            c->close(close_code::policy, "rate limit exceeded again and again");
          self->quit();
          return;
      }
      if (self->state.deferred.empty())
        handle_frame(self, frame);
      else
        self->state.deferred.push_back(frame); // keep the order behind what waits
    },
    [self](deliver_atom, const payload_batch& batch) {
      if (auto c = self->state.conn.lock())
        c->send(batch);
    },
    [self](ack_atom, uint32_t n) { frames_done(self, n); },
    [self](settings_atom, client_settings_ptr& settings) {
      auto& st = self->state;
      st.settings = std::move(settings);
      st.limiter = rate_limit{st.settings->rate_limit, st.settings->rate_burst};
    },
    [self](overflow_atom, const std::string&) {
      // A client in several rooms may be dropped by more than one: it quits at the first.
      if (auto* m = counters(self))
        m->slow_client_drops.inc();
      if (auto c = self->state.conn.lock())
        c->close(close_code::policy, "send queue full: the client reads too slowly");
      self->quit();
    },
  };
}

} // namespace actorchat
