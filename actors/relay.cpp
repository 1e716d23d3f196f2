#include "actors/relay.hpp"

#include "actors/connection.hpp"
#include "actors/protocol.hpp"
#include "actors/quiet_handlers.hpp"
#include "config/log.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>

namespace actorchat {

namespace {

payload_batch make_batch(std::vector<payload> payloads) {
  return std::make_shared<const std::vector<payload>>(std::move(payloads));
}

/// A reply or a replay: a bounded burst a member gets whatever its backlog (as in room.cpp).
void deliver_forced(const relay_pointer& self, const relay_member& m,
                    std::vector<payload> payloads) {
  m.credit->force_acquire(static_cast<uint32_t>(payloads.size()));
  auto batch = make_batch(std::move(payloads));
  if (!fanout::direct(*m.credit, batch))
    self->send(m.handle, deliver_atom::value, std::move(batch));
}

caf::actor me(relay_pointer self) {
  return caf::actor_cast<caf::actor>(self);
}

void tell_home(relay_pointer self, const std::string& event, const std::string& nick,
               const std::string& old) {
  if (self->state.home)
    self->send(self->state.home, presence_atom::value, me(self), event, nick, old);
}

void report_count(relay_pointer self) {
  auto& st = self->state;
  if (st.directory)
    self->send(st.directory, count_atom::value, st.room, size_t{st.population});
}

void arm_idle_timer(relay_pointer self) {
  auto& st = self->state;
  if (!st.members.empty() || !st.joins.empty() || !st.directory)
    return;
  self->delayed_send(self, st.settings.room.idle_timeout, idle_atom::value,
                     ++st.idle_generation);
}

std::string unavailable_text(relay_pointer self) {
  return "room '" + self->state.room + "' is unavailable: its home node cannot be reached; "
         "it comes back by itself";
}

/// Removes a member (it left or is gone) and tells the home room.
void remove_member(relay_pointer self, const caf::actor_addr& addr) {
  auto& st = self->state;
  auto i = st.members.find(addr);
  if (i == st.members.end())
    return;
  auto nick = std::move(i->second.nick);
  st.members.erase(i);
  if (st.population > 0)
    --st.population;
  tell_home(self, "leave", nick, "");
  report_count(self);
  arm_idle_timer(self);
}

/// Carries out a leave: "left" after everything sent to the member before.
void leave_now(relay_pointer self, relay_member& m, const std::string& id) {
  deliver_forced(self, m, {encode_left(self->state.room, id)});
  self->demonitor(m.handle.address());
  remove_member(self, m.handle.address());
}

/// A forwarded say is answered: "sent" (or the error) and an ack to its sender.
void finish_say(relay_pointer self, uint64_t token, uint64_t seq, const std::string& code) {
  auto& st = self->state;
  auto i = st.says.find(token);
  if (i == st.says.end())
    return;
  auto say = std::move(i->second);
  st.says.erase(i);
  self->send(say.sender, ack_atom::value, uint32_t{1});
  auto m = st.members.find(say.sender.address());
  if (m == st.members.end())
    return;
  if (code.empty()) {
    if (!say.id.empty())
      deliver_forced(self, m->second, {encode_sent(st.room, seq, say.id)});
  } else {
    deliver_forced(self, m->second,
                   {encode_error(code,
                                 code == "room_unavailable"
                                   ? unavailable_text(self) + " (the message may have been "
                                                              "stored: if so it appears in the "
                                                              "room's stream)"
                                   : "the message could not be stored and was not sent",
                                 say.id)});
  }
  if (--m->second.saying == 0 && m->second.leaving) {
    auto id = std::move(*m->second.leaving);
    leave_now(self, m->second, id);
  }
}

void attach(relay_pointer self);

/// Tries to attach again after the backoff, doubling it up to retry_max.
void retry_later(relay_pointer self) {
  auto& st = self->state;
  if (st.retry_armed)
    return;
  st.retry_armed = true;
  auto wait = std::max(st.backoff, st.settings.retry_min);
  st.backoff = std::min(wait * 2, st.settings.retry_max);
  self->delayed_send(self, wait, retry_atom::value);
}

/// The link to the home room is lost: says in flight are refused, and the relay attaches again.
/// If the home's node is down, members are told and the relay retries with backoff; if the home
/// only dropped this relay (it fell behind), it attaches again at once and the members learn of
/// the gap from the "resumed" that follows.
void detach(relay_pointer self, const char* why, bool home_down) {
  auto& st = self->state;
  if (!st.home)
    return;
  self->demonitor(st.home.address());
  st.home = nullptr;
  log::warn("relay_detached", "room=" + st.room + " reason=" + why + " members="
                                + std::to_string(st.members.size())
                                + " last_seq=" + std::to_string(st.last_seq));
  std::vector<uint64_t> tokens;
  for (auto& kv : st.says)
    tokens.push_back(kv.first);
  for (auto token : tokens)
    finish_say(self, token, 0, "room_unavailable");
  if (!home_down) {
    attach(self);
    return;
  }
  auto notice = encode_error("room_unavailable", unavailable_text(self), "", st.room);
  for (auto& kv : st.members)
    deliver_forced(self, kv.second, {notice});
  retry_later(self);
}

/// Adds a member, with its "joined" (or "resumed") and replay from the relay's history.
void add_member(relay_pointer self, member_actor m, credit_ptr credit, join_request& req) {
  auto& st = self->state;
  self->monitor(m);
  relay_member entry{m, std::move(credit), std::move(req.nick)};
  auto count = static_cast<size_t>(st.population) + 1;
  auto limit = st.settings.room.presence_limit;
  // The home room announces the join to everyone, this member included, unless the room is too
  // big to announce joins: then the joiner gets its own here, as in a room.
  deliver_forced(self, entry,
                 join_batch(st.room, replay_after(st.history, 0, req.resume, req.after,
                                                  st.last_seq),
                            st.last_seq, req, entry.nick, count, limit > 0 && count > limit));
  st.population = count;
  tell_home(self, "join", entry.nick, "");
  st.members.emplace(m.address(), std::move(entry));
  report_count(self);
}

void on_attached(relay_pointer self, relay_sync& sync) {
  auto& st = self->state;
  st.attaching = false;
  st.backoff = st.settings.retry_min;
  st.home = caf::actor_cast<home_actor>(sync.room);
  self->monitor(st.home);
  auto after = st.last_seq;
  std::vector<payload> missed;
  for (auto& e : sync.missed) {
    if (e.seq <= st.last_seq)
      continue; // cannot happen: the home replays what came after last_seq only
    auto wire = std::make_shared<const std::string>(std::move(e.wire));
    st.history.push_back(history_entry{e.seq, wire});
    missed.push_back(std::move(wire));
    st.last_seq = e.seq;
  }
  while (st.history.size() > st.settings.room.history_size)
    st.history.pop_front();
  st.population = sync.population;
  log::info("relay_attached", "room=" + st.room + " after=" + std::to_string(after)
                                + " last_seq=" + std::to_string(sync.last_seq) + " missed="
                                + std::to_string(missed.size()) + " complete="
                                + (sync.complete ? "true" : "false"));
  if (st.ever_attached) {
    // Back after an outage: each member learns what it missed, as after its own resume.
    for (auto& kv : st.members) {
      std::vector<payload> batch{encode_resumed(st.room, after, sync.last_seq, sync.complete,
                                                "")};
      batch.insert(batch.end(), missed.begin(), missed.end());
      deliver_forced(self, kv.second, std::move(batch));
    }
  }
  st.ever_attached = true;
  auto joins = std::move(st.joins);
  st.joins.clear();
  for (auto& j : joins) {
    if (st.members.count(j.member.address()) > 0) {
      j.promise.deliver(make_error(chat_errc::already_joined));
      continue;
    }
    add_member(self, std::move(j.member), std::move(j.credit), j.req);
    j.promise.deliver(me(self));
  }
  report_count(self);
}

void attach(relay_pointer self) {
  auto& st = self->state;
  if (st.attaching || st.home)
    return;
  st.attaching = true;
  std::vector<std::string> nicks;
  for (auto& kv : st.members)
    nicks.push_back(kv.second.nick);
  self
    ->request(st.cluster, st.settings.attach_timeout, attach_atom::value, st.room, me(self),
              st.last_seq, std::move(nicks))
    .then([self](relay_sync& sync) { on_attached(self, sync); },
          [self](caf::error& err) {
            auto& st = self->state;
            st.attaching = false;
            log::debug("relay_attach_failed", "room=" + st.room + " error="
                                                + log::quote(self->system().render(err)));
            auto joins = std::move(st.joins);
            st.joins.clear();
            for (auto& j : joins)
              j.promise.deliver(make_error(chat_errc::room_unavailable));
            if (st.members.empty())
              arm_idle_timer(self); // nobody waits: retire; the next join tries again
            else
              retry_later(self);
          });
}

/// Fans a batch from the home room out to the members; returns how many events it took.
uint32_t fan_out(relay_pointer self, std::vector<relay_event>& events) {
  auto& st = self->state;
  std::vector<payload> wires;
  wires.reserve(events.size());
  for (auto& e : events) {
    auto wire = std::make_shared<const std::string>(std::move(e.wire));
    if (e.seq > 0) {
      if (e.seq <= st.last_seq)
        continue; // seen already (cannot happen: the home sends each once, in order)
      st.last_seq = e.seq;
      if (st.settings.room.history_size > 0) {
        st.history.push_back(history_entry{e.seq, wire});
        if (st.history.size() > st.settings.room.history_size)
          st.history.pop_front();
      }
    }
    wires.push_back(std::move(wire));
  }
  auto n = static_cast<uint32_t>(wires.size());
  if (n == 0)
    return static_cast<uint32_t>(events.size());
  auto batch = make_batch(std::move(wires));
  fanout out{batch};
  auto now = self->clock().now();
  auto timeout = st.settings.room.slow_client_timeout;
  std::vector<caf::actor_addr> to_drop;
  for (auto& [addr, m] : st.members) {
    auto progress = m.credit->progress();
    if (progress != m.progress_seen) {
      m.progress_seen = progress;
      m.progressed_at = now;
    }
    if (m.credit->try_acquire(n)) {
      m.lacking_since.reset();
    } else {
      if (!m.lacking_since)
        m.lacking_since = now;
      // Still reading: a second queue, for at most slow_client_timeout (room.cpp's rule).
      bool reading = m.progressed_at && now - *m.progressed_at < timeout
                     && now - *m.lacking_since < timeout;
      if (!reading || !m.credit->try_acquire_reply(n)) {
        to_drop.push_back(addr);
        continue;
      }
    }
    if (!out.add(*m.credit))
      self->send(m.handle, deliver_atom::value, batch);
  }
  out.finish();
  for (auto& addr : to_drop) {
    auto& m = st.members[addr];
    ++st.dropped;
    log::warn("slow_client_dropped", "room=" + st.room + " nick=" + log::quote(m.nick)
                                       + " reason=behind in_flight="
                                       + std::to_string(m.credit->in_flight()) + " limit="
                                       + std::to_string(m.credit->limit()) + " relay=true");
    self->send(m.handle, overflow_atom::value, st.room);
    self->demonitor(addr);
    remove_member(self, addr);
  }
  return static_cast<uint32_t>(events.size());
}

} // namespace

relay_actor::behavior_type relay(relay_pointer self, std::string name, relay_settings settings,
                                 cluster_actor cluster, directory_actor directory) {
  auto& st0 = self->state;
  st0.room = std::move(name);
  st0.settings = settings;
  st0.backoff = settings.retry_min;
  st0.cluster = std::move(cluster);
  st0.directory = std::move(directory);
  install_quiet_handlers(self);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    if (st.home && dm.source == st.home.address()) {
      detach(self, "home_down", true);
      return;
    }
    // A member that is gone: its says in flight are answered to nobody.
    remove_member(self, dm.source);
  });
  attach(self);
  return {
    [self](register_atom, member_actor m, credit_ptr credit,
           join_request& req) -> caf::result<caf::actor> {
      auto& st = self->state;
      ++st.registers_seen;
      if (!m || !credit)
        return make_error(chat_errc::internal);
      if (st.members.count(m.address()) > 0)
        return make_error(chat_errc::already_joined);
      if (!st.home) {
        // Known to be down (it was attached before): refused at once; it retries by itself.
        if (st.ever_attached)
          return make_error(chat_errc::room_unavailable);
        // Not attached yet: the join waits for the attach (started now if none is out).
        attach(self);
        auto promise = self->make_response_promise<caf::actor>();
        st.joins.push_back(waiting_join{promise, std::move(m), std::move(credit), std::move(req)});
        return promise;
      }
      add_member(self, std::move(m), std::move(credit), req);
      return me(self);
    },
    [self](unregister_atom, member_actor m, std::string& id) {
      auto& st = self->state;
      auto i = st.members.find(m.address());
      if (i == st.members.end())
        return;
      // As in a room: a leaver gets its own messages and their "sent" replies first.
      if (i->second.saying > 0)
        i->second.leaving = std::move(id);
      else
        leave_now(self, i->second, id);
    },
    [self](broadcast_atom, member_actor sender, std::string& from, std::string& text,
           bool action, std::string& id) {
      auto& st = self->state;
      auto i = st.members.find(sender.address());
      if (i == st.members.end()) {
        self->send(sender, ack_atom::value, uint32_t{1});
        return;
      }
      if (!st.home) {
        deliver_forced(self, i->second, {encode_error("room_unavailable", unavailable_text(self),
                                                      id, st.room)});
        self->send(sender, ack_atom::value, uint32_t{1});
        return;
      }
      auto token = st.next_token++;
      ++i->second.saying;
      st.says.emplace(token, forwarded_say{std::move(sender), std::move(id)});
      self->send(st.home, forward_atom::value, me(self), token, std::move(from), std::move(text),
                 action);
    },
    [self](rename_atom, member_actor m, std::string& nick) {
      auto& st = self->state;
      auto i = st.members.find(m.address());
      if (i == st.members.end() || i->second.nick == nick)
        return;
      auto old = std::move(i->second.nick);
      i->second.nick = nick;
      tell_home(self, "nick", nick, old);
    },
    [self](who_atom) -> caf::result<std::vector<std::string>> {
      auto& st = self->state;
      if (!st.home)
        return make_error(chat_errc::room_unavailable);
      return self->delegate(st.home, who_atom::value);
    },
    [self](count_atom) -> size_t { return self->state.population; },
    [self](page_atom, uint64_t before, uint64_t limit) -> caf::result<history_page> {
      auto& st = self->state;
      if (!st.home)
        return make_error(chat_errc::room_unavailable);
      return self->delegate(st.home, page_atom::value, before, limit);
    },
    [self](idle_atom, uint64_t generation) {
      auto& st = self->state;
      if (generation != st.idle_generation || !st.members.empty() || !st.joins.empty()
          || !st.directory)
        return;
      self->request(st.directory, caf::infinite, retire_atom::value, st.room, st.registers_seen)
        .then([self](bool may_retire) {
          auto& st = self->state;
          if (!may_retire || !st.members.empty())
            return;
          if (st.home)
            self->send(st.home, unregister_atom::value, caf::actor_cast<member_actor>(self),
                       std::string{});
          log::debug("relay_retired", "room=" + st.room);
          self->quit();
        });
    },
    [self](retry_atom) {
      self->state.retry_armed = false;
      attach(self);
    },
    [self](relay_atom, std::vector<relay_event>& events, uint64_t population) -> uint32_t {
      auto& st = self->state;
      auto taken = fan_out(self, events);
      if (st.population != population) {
        st.population = population;
        report_count(self);
      }
      return taken;
    },
    [self](said_atom, uint64_t token, uint64_t seq, const std::string& code) {
      finish_say(self, token, seq, code);
    },
    [self](overflow_atom, const std::string&) {
      // The home room dropped this relay for falling behind: attach again from the last seq.
      detach(self, "dropped_by_home", false);
    },
  };
}

} // namespace actorchat
