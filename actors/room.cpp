#include "actors/room.hpp"

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

/// Sends payloads a member must get whatever its backlog (replies, replays): a bounded burst.
/// Relays get none: what is for one of their members travels as said_atom.
void deliver_forced(room_pointer self, const room_member& m, std::vector<payload> payloads) {
  if (m.relay)
    return;
  m.credit->force_acquire(static_cast<uint32_t>(payloads.size()));
  auto batch = make_batch(std::move(payloads));
  if (!fanout::direct(*m.credit, batch))
    self->send(m.handle, deliver_atom::value, std::move(batch));
}

/// Members on every node: local ones plus those the relays stand for.
size_t population(room_pointer self) {
  auto& st = self->state;
  return st.members.size() - st.relays + st.remote_population;
}

void report_count(room_pointer self) {
  auto& st = self->state;
  if (st.directory)
    self->send(st.directory, count_atom::value, st.room, population(self));
}

/// Flushes with the next message the room handles (see register): joins that arrive together
/// share batches.
void flush_soon(room_pointer self) {
  auto& st = self->state;
  if (!st.retry_armed) {
    st.retry_armed = true;
    self->send(self, retry_atom::value);
  }
}

void arm_idle_timer(room_pointer self) {
  auto& st = self->state;
  if (!st.members.empty() || !st.directory)
    return;
  self->delayed_send(self, st.settings.idle_timeout, idle_atom::value, ++st.idle_generation);
}

/// True if joins and leaves go unannounced in a room of `members` (chat.presence-limit): with
/// N members, announcing every join costs N deliveries, so N people joining cost N^2.
bool quiet(room_pointer self, size_t members) {
  auto limit = self->state.settings.presence_limit;
  return limit > 0 && members > limit;
}

void announce(room_pointer self, const std::string& event, const std::string& nick,
              const std::string& old_nick) {
  auto& st = self->state;
  auto count = population(self);
  if (event != "nick" && quiet(self, count + (event == "leave" ? 1 : 0)))
    return;
  st.pending.push_back(outgoing{encode_presence(st.room, event, nick, old_nick, count), false});
}

/// Bookkeeping for a member that is gone (removed from st.members already): a relay's members
/// leave with it. Announces the leaves; the caller flushes.
void forget(room_pointer self, const room_member& m) {
  auto& st = self->state;
  if (!m.relay) {
    announce(self, "leave", m.nick, "");
    return;
  }
  --st.relays;
  st.remote_population -= m.remote_nicks.size();
  for (auto& nick : m.remote_nicks)
    announce(self, "leave", nick, "");
}

void drop(room_pointer self, const caf::actor_addr& addr, const char* reason);
bool has_unpersisted(room_pointer self, const caf::actor_addr& who);

/// Sends "sent" replies and acks for the first `n` messages waiting for them: those of the batch
/// that just went out.
void acknowledge(room_pointer self, size_t n) {
  auto& st = self->state;
  std::vector<ack_due> done{std::make_move_iterator(st.acks.begin()),
                            std::make_move_iterator(st.acks.begin()
                                                    + static_cast<std::ptrdiff_t>(n))};
  st.acks.erase(st.acks.begin(), st.acks.begin() + static_cast<std::ptrdiff_t>(n));
  for (auto& a : done) {
    if (a.token != 0) {
      self->send(caf::actor_cast<relay_actor>(a.sender), said_atom::value, a.token, a.seq,
                 std::string{});
      continue;
    }
    if (!a.id.empty()) {
      auto i = st.members.find(a.sender.address());
      if (i != st.members.end())
        deliver_forced(self, i->second, {encode_sent(st.room, a.seq, a.id)});
    }
    self->send(a.sender, ack_atom::value, uint32_t{1});
  }
}

/// True if so many members are behind that the server, not the members, is too slow: more than
/// half of them have at least half of their send queue in use, or at least a tenth of them (two
/// at least) have none left but are still reading (took something since they ran out; members
/// that stopped reading do not count, so a few of them cannot make a room wait). In a room of
/// 1000 readers on a saturated machine, measured: some 400 ran out of credit together while the
/// rest were below half.
bool overloaded(size_t behind, size_t lacking_reading, size_t members) {
  return behind * 2 > members || (lacking_reading >= 2 && lacking_reading * 10 >= members);
}

/// Sends the pending batch to every member (one shared batch object for all of them); see
/// room.hpp for who is dropped and when the room holds the batch instead.
void flush(room_pointer self) {
  auto& st = self->state;
  // Dropping a member announces its leave, which adds to pending: loop until nothing is left.
  while (!st.pending.empty()) {
    // At most max_batch at a time (at most half a send queue: it fits a member that keeps up).
    auto take = std::min(st.pending.size(), st.settings.max_batch);
    auto n = static_cast<uint32_t>(take);
    std::vector<room_member*> ready;
    std::vector<caf::actor_addr> lacking;
    ready.reserve(st.members.size());
    size_t behind = 0;
    size_t lacking_reading = 0; // lacking credit, but took something since it began to lack
    auto now = self->clock().now();
    for (auto& [addr, m] : st.members) {
      auto progress = m.credit->progress();
      if (progress != m.progress_seen) {
        m.progress_seen = progress;
        m.progressed_at = now;
      }
      bool got = m.credit->try_acquire(n);
      if (got) {
        ready.push_back(&m);
        m.lacking_since.reset();
      } else {
        if (!m.lacking_since)
          m.lacking_since = now;
        lacking.push_back(addr);
      }
      if (!got || m.credit->in_flight() * 2 >= m.credit->limit())
        ++behind;
      if (!got && m.progressed_at && *m.progressed_at > *m.lacking_since)
        ++lacking_reading;
    }
    // A publisher is not slow but waiting like the rest: its queue fills with the echoes of its
    // own flood. Hold for it too (bounded by the stall rule below) instead of dropping it. A
    // publisher is a member whose messages are among those held, or that said something within
    // slow_client_timeout: its last messages may all be out already while its queue is still
    // full of them, and the next batch is somebody else's.
    auto publishing = [&](const caf::actor_addr& addr, const room_member& m) {
      return m.relay || (m.last_said && now - *m.last_said < st.settings.slow_client_timeout)
             || has_unpersisted(self, addr)
             || std::any_of(st.acks.begin(), st.acks.end(),
                            [&](const ack_due& a) { return a.sender.address() == addr; });
    };
    // Each member that lacks credit is waited for (held) or dropped now, and why.
    bool overload = overloaded(behind, lacking_reading, st.members.size());
    std::vector<std::pair<caf::actor_addr, const char*>> to_drop;
    std::vector<room_member*> held;
    for (auto& addr : lacking) {
      auto& m = st.members[addr];
      if (overload || publishing(addr, m)) {
        // Waiting with everyone: dropped only once it has taken nothing for slow_client_timeout.
        auto since = std::max(m.progressed_at.value_or(*m.lacking_since), *m.lacking_since);
        if (now - since >= st.settings.slow_client_timeout)
          to_drop.emplace_back(addr, "stalled");
        else
          held.push_back(&m);
      } else if (m.progressed_at && now - *m.progressed_at < st.settings.slow_client_timeout
                 && now - *m.lacking_since < st.settings.slow_client_timeout
                 && m.credit->try_acquire_reply(n)) {
        // Behind on its own, but reading: on a busy machine a reader's connection may lag the
        // others' by a second or more. It gets the batch anyway, up to a second send queue's
        // worth, for at most slow_client_timeout; the room never waits for it, so neither a
        // reader that stopped nor one slower than the room holds the others up.
        ready.push_back(&m);
      } else {
        to_drop.emplace_back(addr, "behind");
      }
    }
    if (!held.empty()) {
      for (auto* m : ready)
        m->credit->release(n);
      for (auto& [addr, reason] : to_drop)
        drop(self, addr, reason);
      if (!to_drop.empty())
        continue; // fewer members now: try again at once
      if (!st.paused) {
        st.paused = true;
        ++st.pauses;
        log::debug("room_paused", "room=" + st.room + " behind=" + std::to_string(behind)
                                    + " members=" + std::to_string(st.members.size()));
      }
      if (!st.retry_armed) {
        st.retry_armed = true;
        self->delayed_send(self, st.settings.retry_interval, retry_atom::value);
      }
      return;
    }
    st.paused = false;
    std::vector<payload> wires;
    wires.reserve(take);
    std::vector<relay_event> events; // the same batch for relays, copied once for all of them
    size_t messages = 0;
    auto last = st.pending.begin() + static_cast<std::ptrdiff_t>(take);
    for (auto i = st.pending.begin(); i != last; ++i) {
      if (st.relays > 0)
        events.push_back(relay_event{i->seq, *i->wire});
      wires.push_back(std::move(i->wire));
      messages += i->is_message ? 1 : 0;
    }
    st.pending.erase(st.pending.begin(), last);
    auto batch = make_batch(std::move(wires));
    fanout out{batch};
    for (auto* m : ready) {
      if (!m->relay) {
        if (!out.add(*m->credit))
          self->send(m->handle, deliver_atom::value, batch);
        continue;
      }
      // The relay's answer returns its credit: what it took went on to its members.
      self->request(caf::actor_cast<relay_actor>(m->handle), caf::infinite, relay_atom::value,
                    events, uint64_t{population(self)})
        .then([credit = m->credit](uint32_t n) { credit->release(n); },
              [](caf::error&) { /* the relay is gone: its down message removes it */ });
    }
    out.finish();
    // Acknowledged as soon as they are out, not when all that waits is: a sender's frames in
    // flight must not pile up behind messages that are still held.
    acknowledge(self, messages);
    for (auto& [addr, reason] : to_drop)
      drop(self, addr, reason);
  }
  st.paused = false;
}

/// Removes a member that ran out of credit and tells it why. `reason`: "behind" (it lacked
/// credit while most others kept up, and stopped reading, stayed out of credit for
/// slow_client_timeout or filled a second queue) or "stalled" (it took nothing for
/// slow_client_timeout while the room waited).
void drop(room_pointer self, const caf::actor_addr& addr, const char* reason) {
  auto& st = self->state;
  auto i = st.members.find(addr);
  if (i == st.members.end())
    return;
  auto m = std::move(i->second);
  st.members.erase(i);
  ++st.dropped;
  self->demonitor(m.handle.address());
  self->send(m.handle, overflow_atom::value, st.room);
  auto now = self->clock().now();
  auto ms = [](caf::timespan d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  };
  log::warn(m.relay ? "relay_dropped" : "slow_client_dropped",
            "room=" + st.room + " nick=" + log::quote(m.nick)
                                     + " reason=" + reason
                                     + " lacking_ms=" + ms(now - m.lacking_since.value_or(now))
                                     + " idle_ms=" + (m.progressed_at ? ms(now - *m.progressed_at)
                                                                      : std::string{"never"})
                                     + " in_flight=" + std::to_string(m.credit->in_flight())
                                     + " limit=" + std::to_string(m.credit->limit())
                                     + " dropped_total=" + std::to_string(st.dropped));
  forget(self, m);
  report_count(self);
  arm_idle_timer(self);
}

/// Messages in the pending batch (the newest history entries, not sent yet).
size_t held_messages(room_pointer self) {
  auto& st = self->state;
  return static_cast<size_t>(std::count_if(st.pending.begin(), st.pending.end(),
                                           [](const outgoing& o) { return o.is_message; }));
}

/// A durable message: into history and the pending batch.
void accept_durable(room_pointer self, const chat_message& msg) {
  auto& st = self->state;
  auto wire = encode(msg);
  st.last_seq = msg.seq;
  if (st.settings.history_size > 0) {
    st.history.push_back(history_entry{msg.seq, wire});
    if (st.history.size() > st.settings.history_size)
      st.history.pop_front();
  }
  st.pending.push_back(outgoing{std::move(wire), true, msg.seq});
}

/// True if `who` said something the store has not confirmed yet.
bool has_unpersisted(room_pointer self, const caf::actor_addr& who) {
  auto& st = self->state;
  auto by = [&](const unpersisted_message& u) { return u.sender.address() == who; };
  return std::any_of(st.waiting.begin(), st.waiting.end(), by)
         || std::any_of(st.persisting.begin(), st.persisting.end(), by);
}

/// Removes a member at its request; it gets "left" after everything sent to it before.
void leave(room_pointer self, const member_actor& m, const std::string& id) {
  flush(self);
  auto& st = self->state;
  auto i = st.members.find(m.address());
  if (i == st.members.end())
    return;
  auto member = std::move(i->second);
  st.members.erase(i);
  self->demonitor(m.address());
  // What the room still holds was said before the leave: the leaver gets it now, alone (one
  // bounded burst), with the "sent" replies for its own messages among it; then "left".
  std::vector<payload> last;
  for (auto& o : st.pending)
    last.push_back(o.wire);
  for (auto& a : st.acks)
    if (a.sender.address() == m.address() && !a.id.empty()) {
      last.push_back(encode_sent(st.room, a.seq, a.id));
      a.id.clear();
    }
  last.push_back(encode_left(st.room, id));
  deliver_forced(self, member, std::move(last));
  forget(self, member);
  flush(self);
  report_count(self);
  arm_idle_timer(self);
}

/// Carries out the leaves whose members have nothing waiting for the store any more.
void process_leaves(room_pointer self) {
  auto& st = self->state;
  std::vector<pending_leave> ready;
  for (auto i = st.leaving.begin(); i != st.leaving.end();) {
    if (has_unpersisted(self, i->member.address())) {
      ++i;
    } else {
      ready.push_back(std::move(*i));
      i = st.leaving.erase(i);
    }
  }
  for (auto& l : ready)
    leave(self, l.member, l.id);
}

/// Sends what waits to the store, if no request is in flight.
void persist_waiting(room_pointer self) {
  auto& st = self->state;
  if (!st.persisting.empty() || st.waiting.empty() || st.paused)
    return; // paused: nothing more until the members caught up
  // At most max_batch per request: what the store confirms is broadcast at once, and a burst
  // larger than a member's free send credit would drop members that read as fast as they can.
  auto n = std::min(st.waiting.size(), st.settings.max_batch);
  auto first = st.waiting.begin();
  auto last = first + static_cast<std::ptrdiff_t>(n);
  st.persisting.assign(std::make_move_iterator(first), std::make_move_iterator(last));
  st.waiting.erase(first, last);
  std::vector<chat_message> msgs;
  msgs.reserve(st.persisting.size());
  for (auto& u : st.persisting)
    msgs.push_back(u.msg);
  self->request(st.store, caf::infinite, persist_atom::value, std::move(msgs))
    .then(
      [self](uint64_t) {
        auto& st = self->state;
        auto done = std::move(st.persisting);
        st.persisting = {};
        for (auto& u : done) {
          accept_durable(self, u.msg);
          st.acks.push_back(ack_due{std::move(u.sender), u.msg.seq, std::move(u.id), u.token});
        }
        flush(self);
        persist_waiting(self);
        process_leaves(self);
      },
      [self](caf::error& err) {
        auto& st = self->state;
        auto failed = std::move(st.persisting);
        st.persisting = {};
        log::error("persist_failed", "room=" + st.room + " messages="
                                       + std::to_string(failed.size()) + " error="
                                       + log::quote(self->system().render(err)));
        // Nobody saw these messages: refuse them and give their seqs out again.
        st.next_seq = failed.front().msg.seq;
        for (auto& u : st.waiting)
          u.msg.seq = st.next_seq++;
        for (auto& u : failed) {
          if (u.token != 0) {
            self->send(caf::actor_cast<relay_actor>(u.sender), said_atom::value, u.token,
                       uint64_t{0}, std::string{"store_unavailable"});
            continue;
          }
          auto i = st.members.find(u.sender.address());
          if (i != st.members.end())
            deliver_forced(self, i->second,
                           {encode_error("store_unavailable",
                                         "the message could not be stored and was not sent",
                                         u.id)});
          self->send(u.sender, ack_atom::value, uint32_t{1});
        }
        persist_waiting(self);
        process_leaves(self);
      });
}

} // namespace

replay_slice replay_after(const std::deque<history_entry>& history, size_t held, bool resume,
                          uint64_t after, uint64_t last_seq) {
  replay_slice out{history.begin(),
                   history.end() - static_cast<std::ptrdiff_t>(std::min(held, history.size())),
                   true};
  if (resume) {
    out.first = std::find_if(out.first, out.last,
                             [&](const history_entry& e) { return e.seq > after; });
    out.complete = after >= last_seq
                   || (out.first != history.end() && out.first->seq == after + 1);
  }
  return out;
}

std::vector<payload> join_batch(const std::string& room, const replay_slice& slice,
                                uint64_t last_seq, const join_request& req,
                                const std::string& nick, size_t count, bool quiet) {
  std::vector<payload> batch;
  if (req.resume)
    batch.push_back(encode_resumed(room, req.after, last_seq, slice.complete, req.id));
  else
    batch.push_back(encode_joined(room, last_seq, count, req.id));
  for (auto i = slice.first; i != slice.last; ++i)
    batch.push_back(i->wire);
  // In a room too big to announce joins the joiner still gets its own, right after the
  // replay, as everywhere else.
  if (quiet)
    batch.push_back(encode_presence(room, "join", nick, "", count));
  return batch;
}

home_actor::behavior_type room(room_pointer self, std::string name, room_settings settings,
                               store_actor store, directory_actor directory) {
  auto& st0 = self->state;
  st0.room = std::move(name);
  st0.settings = settings;
  if (st0.settings.max_batch == 0)
    st0.settings.max_batch = 1;
  st0.store = std::move(store);
  st0.directory = std::move(directory);
  install_quiet_handlers(self);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    auto i = st.members.find(dm.source);
    if (i == st.members.end())
      return;
    auto gone = std::move(i->second);
    st.members.erase(i);
    forget(self, gone);
    flush(self);
    report_count(self);
    arm_idle_timer(self);
  });
  // Nothing else is handled before the room knows its last seq and recent history.
  self->request(st0.store, caf::infinite, recover_atom::value, st0.room,
                uint64_t{st0.settings.history_size})
    .await(
      [self](room_recovery& rec) {
        auto& st = self->state;
        st.last_seq = rec.last_seq;
        st.next_seq = rec.last_seq + 1;
        for (auto& m : rec.recent)
          st.history.push_back(history_entry{m.seq, encode(m)});
        while (st.history.size() > st.settings.history_size)
          st.history.pop_front();
        st.available = true;
      },
      [self](caf::error& err) {
        log::error("room_recovery_failed", "room=" + self->state.room + " error="
                                             + log::quote(self->system().render(err)));
        arm_idle_timer(self); // retire soon, so that a later join tries again
      });
  return {
    [self](register_atom, member_actor m, credit_ptr credit,
           join_request& req) -> caf::result<caf::actor> {
      auto& st = self->state;
      ++st.registers_seen;
      if (!st.available)
        return make_error(chat_errc::store_unavailable);
      if (!m || !credit)
        return make_error(chat_errc::internal);
      // What is pending is already in history. The current members get it first if they can;
      // what the room still holds (overload) the newcomer gets with them, not in its replay,
      // so it sees each message exactly once and no join forces anything past anyone's bound.
      flush(self);
      if (st.members.count(m.address()) > 0)
        return make_error(chat_errc::already_joined);
      self->monitor(m);
      room_member entry{m, std::move(credit), std::move(req.nick)};
      auto nick = entry.nick;
      auto count = population(self) + 1;
      deliver_forced(self, entry,
                     join_batch(st.room, replay_after(st.history, held_messages(self), req.resume,
                                                      req.after, st.last_seq),
                                st.last_seq, req, nick, count, quiet(self, count)));
      st.members.emplace(m.address(), std::move(entry));
      announce(self, "join", nick, "");
      // The presence goes out with the next flush, which a message to itself asks for: joins
      // that arrive together (a connect burst) share batches instead of each reaching every
      // member on its own. The next register flushes it first, so nobody misses it.
      flush_soon(self);
      report_count(self);
      return caf::actor_cast<caf::actor>(self);
    },
    [self](unregister_atom, member_actor m, std::string& id) {
      // A member that leaves right after saying something still gets its message and the
      // "sent" reply first: the leave waits for the store.
      if (has_unpersisted(self, m.address()))
        self->state.leaving.push_back(pending_leave{std::move(m), std::move(id)});
      else
        leave(self, m, id);
    },
    [self](broadcast_atom, member_actor sender, std::string& from, std::string& text,
           bool action, std::string& id) {
      auto& st = self->state;
      auto member = st.members.find(sender.address());
      if (member == st.members.end()) {
        log::debug("say_from_non_member", "room=" + st.room + " from=" + log::quote(from));
        self->send(sender, ack_atom::value, uint32_t{1});
        return;
      }
      member->second.last_said = self->clock().now();
      st.waiting.push_back(unpersisted_message{
        chat_message{st.room, st.next_seq++, std::move(from), now_ms(), std::move(text), action},
        std::move(sender), std::move(id)});
      // With a request in flight this only queues: the messages said meanwhile go to the store
      // together when it answers (batching by itself under load, no delay at low load).
      persist_waiting(self);
    },
    [self](rename_atom, member_actor m, std::string& nick) {
      auto& st = self->state;
      auto i = st.members.find(m.address());
      if (i == st.members.end() || i->second.nick == nick)
        return;
      auto old = std::move(i->second.nick);
      i->second.nick = nick;
      announce(self, "nick", nick, old);
      flush(self);
    },
    [self](who_atom) -> std::vector<std::string> {
      std::vector<std::string> nicks;
      for (auto& kv : self->state.members) {
        if (kv.second.relay)
          nicks.insert(nicks.end(), kv.second.remote_nicks.begin(), kv.second.remote_nicks.end());
        else
          nicks.push_back(kv.second.nick);
      }
      std::sort(nicks.begin(), nicks.end());
      return nicks;
    },
    [self](count_atom) -> size_t {
      flush(self);
      return population(self);
    },
    [self](page_atom, uint64_t before, uint64_t limit) {
      auto& st = self->state;
      return self->delegate(st.store, page_atom::value, st.room, before, limit);
    },
    [self](attach_atom, caf::actor relay, uint64_t after,
           std::vector<std::string>& nicks) -> caf::result<relay_sync> {
      auto& st = self->state;
      ++st.registers_seen;
      if (!st.available)
        return make_error(chat_errc::store_unavailable);
      if (!relay)
        return make_error(chat_errc::internal);
      flush(self);
      // A relay that attaches again (it was dropped, or its link was down) replaces itself:
      // nicknames it still has are not announced twice.
      std::vector<std::string> before;
      if (auto i = st.members.find(relay.address()); i != st.members.end()) {
        before = std::move(i->second.remote_nicks);
        st.remote_population -= before.size();
        --st.relays;
        st.members.erase(i);
      } else {
        self->monitor(relay);
      }
      relay_sync sync;
      sync.room = caf::actor_cast<caf::actor>(self);
      sync.last_seq = st.last_seq;
      // As for a newcomer (register): what the room still holds comes with the next flush.
      auto slice = replay_after(st.history, held_messages(self), after > 0, after, st.last_seq);
      sync.complete = slice.complete;
      for (auto i = slice.first; i != slice.last; ++i)
        sync.missed.push_back(relay_event{i->seq, *i->wire});
      room_member entry{caf::actor_cast<member_actor>(relay),
                        std::make_shared<send_credit>(st.settings.relay_queue), ""};
      entry.relay = true;
      ++st.relays;
      st.members.emplace(relay.address(), std::move(entry));
      auto& m = st.members[relay.address()];
      for (auto& nick : nicks) {
        m.remote_nicks.push_back(nick);
        ++st.remote_population;
        auto known = std::find(before.begin(), before.end(), nick);
        if (known != before.end())
          before.erase(known);
        else
          announce(self, "join", nick, "");
      }
      for (auto& nick : before)
        announce(self, "leave", nick, "");
      sync.population = population(self);
      log::info("relay_attached", "room=" + st.room + " after=" + std::to_string(after)
                                    + " last_seq=" + std::to_string(st.last_seq)
                                    + " members=" + std::to_string(nicks.size()));
      flush_soon(self);
      report_count(self);
      return sync;
    },
    [self](presence_atom, const caf::actor& relay, const std::string& event,
           std::string& nick, std::string& old) {
      auto& st = self->state;
      auto i = st.members.find(relay.address());
      if (i == st.members.end() || !i->second.relay)
        return; // dropped meanwhile: it attaches again with its members' nicknames
      auto& nicks = i->second.remote_nicks;
      if (event == "join") {
        nicks.push_back(nick);
        ++st.remote_population;
        announce(self, "join", nick, "");
      } else if (auto known = std::find(nicks.begin(), nicks.end(),
                                        event == "nick" ? old : nick);
                 known != nicks.end()) {
        if (event == "nick") {
          *known = nick;
          announce(self, "nick", nick, old);
        } else {
          nicks.erase(known);
          --st.remote_population;
          announce(self, "leave", nick, "");
        }
      }
      flush_soon(self);
      report_count(self);
    },
    [self](forward_atom, const caf::actor& relay, uint64_t token, std::string& from,
           std::string& text, bool action) {
      auto& st = self->state;
      auto member = st.members.find(relay.address());
      if (member == st.members.end() || !member->second.relay) {
        self->send(caf::actor_cast<relay_actor>(relay), said_atom::value, token, uint64_t{0},
                   std::string{"room_unavailable"});
        return;
      }
      member->second.last_said = self->clock().now();
      st.waiting.push_back(unpersisted_message{
        chat_message{st.room, st.next_seq++, std::move(from), now_ms(), std::move(text), action},
        member->second.handle, std::string{}, token});
      persist_waiting(self);
    },
    [self](retry_atom) {
      self->state.retry_armed = false;
      flush(self);
      if (!self->state.paused) {
        persist_waiting(self);
        process_leaves(self);
      }
    },
    [self](idle_atom, uint64_t generation) {
      auto& st = self->state;
      if (generation != st.idle_generation || !st.members.empty() || !st.waiting.empty()
          || !st.persisting.empty() || !st.pending.empty() || !st.directory)
        return;
      self->request(st.directory, caf::infinite, retire_atom::value, st.room, st.registers_seen)
        .then([self](bool may_retire) {
          if (may_retire && self->state.members.empty()) {
            log::debug("room_retired", "room=" + self->state.room);
            self->quit();
          }
        });
    },
  };
}

} // namespace actorchat
