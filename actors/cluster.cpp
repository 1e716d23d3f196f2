#include "actors/cluster.hpp"

#include "actors/command.hpp"
#include "actors/quiet_handlers.hpp"
#include "config/log.hpp"

#include <caf/io/middleman.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>

namespace actorchat {

namespace {

void set_up(cluster_pointer self, peer_link& peer, bool up) {
  if (auto* m = self->state.settings.metrics.get()) {
    m->peer_up[peer.index].set(up ? 1 : 0);
    if (up)
      m->peer_links.inc();
  }
}

/// The link to `peer` failed or dropped: connect again after the backoff (doubling).
void reconnect_later(cluster_pointer self, peer_link& peer) {
  auto& s = self->state.settings;
  auto wait = std::max(peer.backoff, s.reconnect_min);
  peer.backoff = std::min(wait * 2, s.reconnect_max);
  self->delayed_send(self, wait, peer_atom::value, peer.address.id);
}

/// Claims again, at the peer `id` whose link just came back, the nicknames this node's clients
/// hold there.
void reclaim(cluster_pointer self, peer_link& peer) {
  auto& st = self->state;
  for (auto& [key, claim] : st.claims) {
    if (st.settings.map->home_of(key).id != peer.address.id)
      continue;
    self->request(peer.handle, std::chrono::seconds(10), claim_atom::value, claim.nick, claim.owner)
      .then([](bool) {},
            [self, nick = claim.nick, id = peer.address.id](caf::error& err) {
              log::warn("nick_conflict", "nick=" + log::quote(nick) + " peer=" + id + " error="
                                           + log::quote(self->system().render(err)));
            });
  }
}

void connect(cluster_pointer self, const std::string& id) {
  auto i = self->state.peers.find(id);
  if (i == self->state.peers.end() || i->second.handle || i->second.connecting)
    return;
  auto& peer = i->second;
  peer.connecting = true;
  auto mm = self->home_system().middleman().actor_handle();
  self
    ->request(mm, caf::infinite, caf::connect_atom::value, peer.address.host, peer.address.port)
    .then(
      [self, id](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
        auto& peer = self->state.peers.at(id);
        peer.connecting = false;
        if (!ptr) {
          log::warn("peer_unreachable", "peer=" + id + " error=\"nothing published there\"");
          reconnect_later(self, peer);
          return;
        }
        peer.handle = caf::actor_cast<cluster_actor>(ptr);
        self->monitor(peer.handle);
        peer.backoff = self->state.settings.reconnect_min;
        peer.reported_down = false;
        log::info("peer_up", "peer=" + id + " address=" + peer.address.host + ":"
                               + std::to_string(peer.address.port)
                               + (peer.ever_up ? " again=true" : ""));
        if (peer.ever_up)
          reclaim(self, peer);
        peer.ever_up = true;
        set_up(self, peer, true);
      },
      [self, id](caf::error& err) {
        auto& peer = self->state.peers.at(id);
        peer.connecting = false;
        // Logged once per outage, not at every attempt.
        if (!peer.reported_down) {
          peer.reported_down = true;
          log::warn("peer_unreachable", "peer=" + id + " address=" + peer.address.host + ":"
                                          + std::to_string(peer.address.port) + " error="
                                          + log::quote(self->system().render(err))
                                          + " (retrying)");
        }
        reconnect_later(self, peer);
      });
}

/// The link to the home of `key` (its `handle` is null while the link is down), or null with
/// `local` set if the home is this node.
peer_link* home_link(cluster_pointer self, std::string_view key, bool& local) {
  auto& home = self->state.settings.map->home_of(key);
  local = home.id == self->state.settings.map->self();
  if (local)
    return nullptr;
  auto i = self->state.peers.find(home.id);
  return i == self->state.peers.end() ? nullptr : &i->second;
}

} // namespace

void prepare_cluster(caf::actor_system_config& cfg) {
  cfg.add_message_type<chat_message>("actorchat::chat_message");
  cfg.add_message_type<std::vector<chat_message>>("std::vector<actorchat::chat_message>");
  cfg.add_message_type<history_page>("actorchat::history_page");
  cfg.add_message_type<relay_event>("actorchat::relay_event");
  cfg.add_message_type<std::vector<relay_event>>("std::vector<actorchat::relay_event>");
  cfg.add_message_type<relay_sync>("actorchat::relay_sync");
  cfg.add_message_type<member_actor>("actorchat::member_actor");
  cfg.load<caf::io::middleman>();
}

cluster_actor::behavior_type cluster(cluster_pointer self, cluster_settings settings,
                                     nick_actor nicks) {
  auto& st = self->state;
  st.settings = std::move(settings);
  st.nicks = std::move(nicks);
  install_quiet_handlers(self);
  size_t index = 0;
  for (auto& n : st.settings.map->nodes()) {
    if (n.id == st.settings.map->self())
      continue;
    peer_link link;
    link.address = n;
    link.index = index++;
    link.backoff = st.settings.reconnect_min;
    st.peers.emplace(n.id, std::move(link));
    self->send(self, peer_atom::value, n.id);
  }
  self->set_down_handler([self](caf::down_msg& dm) {
    for (auto& [id, peer] : self->state.peers)
      if (peer.handle && peer.handle.address() == dm.source) {
        peer.handle = nullptr;
        log::warn("peer_down", "peer=" + id + " reason="
                                 + log::quote(self->system().render(dm.reason)));
        set_up(self, peer, false);
        peer.backoff = self->state.settings.reconnect_min;
        reconnect_later(self, peer);
        return;
      }
    // A client that held nicknames at peers is gone: their registries see it go themselves.
    auto& claims = self->state.claims;
    for (auto i = claims.begin(); i != claims.end();)
      i = i->second.owner.address() == dm.source ? claims.erase(i) : std::next(i);
  });
  return {
    [self](claim_atom, std::string& nick, member_actor owner) -> caf::result<bool> {
      bool local = false;
      auto* peer = home_link(self, fold_nick(nick), local);
      if (local)
        return self->delegate(self->state.nicks, claim_atom::value, std::move(nick),
                              std::move(owner));
      if (!peer || !peer->handle)
        return make_error(chat_errc::nick_unavailable);
      // Remembered once given, to be claimed again if that peer restarts (see the header).
      auto promise = self->make_response_promise<bool>();
      self->request(peer->handle, std::chrono::seconds(10), claim_atom::value, nick, owner)
        .then(
          [self, promise, nick, owner](bool ok) mutable {
            auto& claims = self->state.claims;
            auto key = fold_nick(nick);
            if (claims.count(key) == 0)
              self->monitor(owner);
            claims[key] = remote_claim{nick, owner};
            promise.deliver(ok);
          },
          [promise](caf::error& err) mutable { promise.deliver(std::move(err)); });
      return promise;
    },
    [self](release_atom, std::string& nick) {
      self->state.claims.erase(fold_nick(nick));
      bool local = false;
      auto* peer = home_link(self, fold_nick(nick), local);
      if (local)
        self->send(self->state.nicks, release_atom::value, std::move(nick));
      else if (peer && peer->handle)
        self->send(peer->handle, release_atom::value, std::move(nick));
      // A home that is down forgot the nickname anyway.
    },
    [self](attach_atom, std::string& room, caf::actor& relay, uint64_t after,
           std::vector<std::string>& nicks) -> caf::result<relay_sync> {
      bool local = false;
      auto* peer = home_link(self, room, local);
      if (local) {
        if (!self->state.directory)
          return make_error(chat_errc::room_unavailable); // still starting
        return self->delegate(self->state.directory, attach_atom::value, std::move(room),
                              std::move(relay), after, std::move(nicks));
      }
      if (!peer || !peer->handle)
        return make_error(chat_errc::room_unavailable);
      return self->delegate(peer->handle, attach_atom::value, std::move(room), std::move(relay),
                            after, std::move(nicks));
    },
    [self](register_atom, directory_actor& directory) {
      self->state.directory = std::move(directory);
    },
    [self](peer_atom, const std::string& id) { connect(self, id); },
  };
}

} // namespace actorchat
