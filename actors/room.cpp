#include "actors/room.hpp"

#include "actors/protocol.hpp"
#include "actors/quiet_handlers.hpp"
#include "config/log.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace actorchat {

namespace {

/// Acquires credit for `batch` and sends it to `m`; false if `m` is out of credit.
bool deliver(room_pointer self, const room_member& m, const payload_batch& batch) {
  if (!m.credit->try_acquire(static_cast<uint32_t>(batch->size())))
    return false;
  self->send(m.handle, deliver_atom::value, batch);
  return true;
}

/// Removes a member that ran out of credit and tells it why.
void drop(room_pointer self, const room_member& m) {
  auto& st = self->state;
  ++st.dropped;
  self->demonitor(m.handle.address());
  self->send(m.handle, overflow_atom::value, st.room);
  log::warn("slow_client_dropped", "room=" + st.room + " member=" + std::to_string(m.handle.id())
                                     + " in_flight=" + std::to_string(m.credit->in_flight())
                                     + " limit=" + std::to_string(m.credit->limit())
                                     + " dropped_total=" + std::to_string(st.dropped));
}

/// Sends the pending batch to every member (one shared batch object for all of them).
void flush(room_pointer self) {
  auto& st = self->state;
  if (st.pending.empty())
    return;
  auto batch = std::make_shared<const std::vector<payload>>(std::move(st.pending));
  st.pending = {};
  st.pending.reserve(st.settings.max_batch);
  for (auto i = st.members.begin(); i != st.members.end();) {
    if (deliver(self, i->second, batch)) {
      ++i;
    } else {
      drop(self, i->second);
      i = st.members.erase(i);
    }
  }
}

} // namespace

room_actor::behavior_type room(room_pointer self, std::string name, room_settings settings) {
  self->state.room = std::move(name);
  self->state.settings = settings;
  if (settings.max_batch == 0)
    self->state.settings.max_batch = 1;
  self->state.pending.reserve(self->state.settings.max_batch);
  install_quiet_handlers(self);
  self->set_down_handler([self](caf::down_msg& dm) {
    flush(self);
    self->state.members.erase(dm.source);
  });
  return {
    [self](register_atom, member_actor m, credit_ptr credit) {
      // What is pending is already in history: send it to the current members first, so the
      // newcomer gets it exactly once, with the replay.
      flush(self);
      auto& st = self->state;
      if (!m || !credit || st.members.count(m.address()) > 0)
        return;
      self->monitor(m);
      room_member entry{m, std::move(credit)};
      if (!st.history.empty()) {
        auto replay = std::make_shared<const std::vector<payload>>(st.history.begin(),
                                                                   st.history.end());
        if (!deliver(self, entry, replay)) {
          drop(self, entry);
          return;
        }
      }
      st.members.emplace(m.address(), std::move(entry));
    },
    [self](unregister_atom, member_actor m) {
      flush(self);
      if (self->state.members.erase(m.address()) > 0)
        self->demonitor(m.address());
    },
    [self](broadcast_atom, std::string& from, std::string& text) {
      auto& st = self->state;
      chat_message msg{st.room, st.next_seq++, std::move(from), now_ms(), std::move(text)};
      auto p = encode(msg);
      if (st.settings.history_size > 0) {
        st.history.push_back(p);
        if (st.history.size() > st.settings.history_size)
          st.history.pop_front();
      }
      st.pending.push_back(std::move(p));
      if (st.pending.size() >= st.settings.max_batch || self->mailbox().empty())
        flush(self);
    },
    [self](count_atom) -> size_t {
      flush(self);
      return self->state.members.size();
    },
  };
}

} // namespace actorchat
