#include "actors/directory.hpp"

#include "actors/quiet_handlers.hpp"
#include "config/log.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace actorchat {

namespace {

void count_rooms(directory_pointer self) {
  if (auto* m = self->state.settings.metrics.get())
    m->rooms.set(static_cast<int64_t>(self->state.rooms.size()));
}

bool is_home(directory_pointer self, const std::string& room) {
  auto& cluster = self->state.settings.cluster;
  return !cluster || cluster->is_home(room);
}

/// The live room or relay called `name`, created if needed (a room here if this node is its
/// home, else a relay); null if chat.max-rooms are live already.
directory_entry* find_or_create(directory_pointer self, const std::string& name) {
  auto& st = self->state;
  auto i = st.rooms.find(name);
  if (i != st.rooms.end())
    return &i->second;
  if (st.rooms.size() >= st.settings.max_rooms)
    return nullptr;
  auto me = caf::actor_cast<directory_actor>(self);
  room_actor handle;
  if (is_home(self, name)) {
    handle = spawn_room(self->system(), name, st.settings.room, st.store, me);
  } else {
    auto relay_cfg = st.settings.relay;
    relay_cfg.room = st.settings.room;
    handle = spawn_relay(self->system(), name, relay_cfg, st.settings.cluster_handle, me);
  }
  self->monitor(handle);
  i = st.rooms.emplace(name, directory_entry{handle, 0, 0}).first;
  count_rooms(self);
  return &i->second;
}

} // namespace

directory_actor::behavior_type directory(directory_pointer self, directory_settings settings,
                                         store_actor store) {
  self->state.settings = settings;
  self->state.store = std::move(store);
  install_quiet_handlers(self);
  // A room that dies for any reason is forgotten; the next join recreates it from the store.
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& rooms = self->state.rooms;
    for (auto i = rooms.begin(); i != rooms.end(); ++i)
      if (i->second.handle.address() == dm.source) {
        log::debug("room_down", "room=" + i->first);
        rooms.erase(i);
        count_rooms(self);
        return;
      }
  });
  // Going down takes the rooms along: nothing else would stop a room whose idle timer is set.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (auto& kv : self->state.rooms)
      self->send_exit(kv.second.handle, msg.reason);
    self->state.rooms.clear();
    count_rooms(self);
    self->quit(msg.reason);
  });
  return {
    [self](register_atom, std::string& name, member_actor m, credit_ptr credit,
           join_request& req) -> caf::result<caf::actor> {
      auto* entry = find_or_create(self, name);
      if (!entry)
        return make_error(chat_errc::room_limit);
      ++entry->joins_sent;
      return self->delegate(entry->handle, register_atom::value, std::move(m),
                            std::move(credit), std::move(req));
    },
    [self](attach_atom, std::string& name, caf::actor& relay, uint64_t after,
           std::vector<std::string>& nicks) -> caf::result<relay_sync> {
      if (!is_home(self, name)) // the nodes' lists differ: a configuration mistake
        return make_error(chat_errc::room_unavailable);
      auto* entry = find_or_create(self, name);
      if (!entry)
        return make_error(chat_errc::room_limit);
      ++entry->joins_sent; // counted like a join: the room sees it as one (retire handshake)
      return self->delegate(caf::actor_cast<home_actor>(entry->handle), attach_atom::value,
                            std::move(relay), after, std::move(nicks));
    },
    [self](rooms_atom) -> std::vector<room_count> {
      std::vector<room_count> out;
      for (auto& kv : self->state.rooms)
        out.push_back(room_count{kv.first, kv.second.members});
      return out;
    },
    [self](count_atom, std::string& name, size_t members) {
      auto i = self->state.rooms.find(name);
      if (i != self->state.rooms.end())
        i->second.members = members;
    },
    [self](retire_atom, std::string& name, uint64_t joins_seen) -> bool {
      auto& rooms = self->state.rooms;
      auto i = rooms.find(name);
      if (i == rooms.end() || i->second.joins_sent != joins_seen)
        return false;
      self->demonitor(i->second.handle.address());
      rooms.erase(i);
      count_rooms(self);
      return true;
    },
  };
}

} // namespace actorchat
