// nick_registry: keeps chosen nicknames unique across the server, compared case-insensitively
// (ASCII). Default names (guest-N) are unique by construction and not registered here. A name
// is released by its owner, or when the owner goes away (monitored).
#pragma once

#include "actors/types.hpp"

#include <caf/actor_addr.hpp>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>

#include <string>
#include <unordered_map>

namespace actorchat {

struct nick_registry_state {
  static inline const char* name = "nick_registry";

  std::unordered_map<std::string, caf::actor_addr> owners; ///< folded nick -> owner
};

using nick_registry_pointer = nick_actor::stateful_pointer<nick_registry_state>;

nick_actor::behavior_type nick_registry(nick_registry_pointer self);

inline nick_actor spawn_nick_registry(caf::actor_system& sys) {
  return sys.spawn(nick_registry);
}

} // namespace actorchat
