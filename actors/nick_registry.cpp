#include "actors/nick_registry.hpp"

#include "actors/command.hpp"
#include "actors/quiet_handlers.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace actorchat {

nick_actor::behavior_type nick_registry(nick_registry_pointer self) {
  install_quiet_handlers(self);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& owners = self->state.owners;
    for (auto i = owners.begin(); i != owners.end();)
      i = i->second == dm.source ? owners.erase(i) : std::next(i);
  });
  return {
    [self](claim_atom, const std::string& nick, member_actor owner) -> caf::result<bool> {
      auto key = fold_nick(nick);
      auto& owners = self->state.owners;
      auto i = owners.find(key);
      if (i != owners.end())
        return i->second == owner.address() ? caf::result<bool>{true}
                                            : caf::result<bool>{make_error(chat_errc::nick_taken)};
      owners.emplace(std::move(key), owner.address());
      self->monitor(owner);
      return true;
    },
    [self](release_atom, const std::string& nick) { self->state.owners.erase(fold_nick(nick)); },
  };
}

} // namespace actorchat
