#include "actors/client.hpp"

#include "actors/quiet_handlers.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace actorchat {

client_actor::behavior_type client(client_pointer self, std::weak_ptr<connection> conn,
                                   credit_ptr credit, room_actor room, std::string nick,
                                   server_info_ptr info) {
  install_quiet_handlers(self);
  auto& st = self->state;
  st.conn = std::move(conn);
  st.room = std::move(room);
  st.nick = std::move(nick);
  // The welcome goes first, before the room's history replay. It is counted like every other
  // payload, since the connection releases one credit per payload written.
  if (auto c = st.conn.lock(); c && credit->try_acquire(1)) {
    auto welcome = encode_welcome(*info, st.nick, default_room);
    c->send(std::make_shared<const std::vector<payload>>(1, std::move(welcome)));
  }
  self->send(st.room, register_atom::value, caf::actor_cast<member_actor>(self), std::move(credit));
  return {
    [self](inbound_atom, std::string& text) {
      if (text.empty())
        return;
      self->send(self->state.room, broadcast_atom::value, self->state.nick, std::move(text));
    },
    [self](deliver_atom, const payload_batch& batch) {
      if (auto c = self->state.conn.lock())
        c->send(batch);
    },
    [self](overflow_atom, const std::string&) {
      if (auto c = self->state.conn.lock())
        c->close(close_code::policy, "send queue full: the client reads too slowly");
      self->quit();
    },
  };
}

} // namespace actorchat
