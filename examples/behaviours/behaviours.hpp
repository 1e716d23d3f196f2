// The example behaviours that ship with actorchat (docs/EXTENDING.md). Each is one short file;
// add_example_behaviours() registers them all, and chat.behaviours enables them by name.
#pragma once

#include "actors/behaviour.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <map>
#include <random>
#include <string>

namespace actorchat::examples {

/// Registers every behaviour of this directory with its settings (add yours here).
void add_example_behaviours(chat_config& cfg);

/// /help, /who, /me, /nick, /rooms, /time (commands.cpp).
caf::behavior commands(caf::event_based_actor* self, behaviour_context ctx);

struct greeter_state {
  /// When each "room\nnick" was last greeted, for the cooldown.
  std::map<std::string, caf::actor_clock::time_point> greeted;
};
/// Welcomes everyone who joins its rooms (greeter.cpp).
caf::behavior greeter(caf::stateful_actor<greeter_state>* self, behaviour_context ctx);

/// Rejects or masks messages with listed words (word_filter.cpp).
caf::behavior word_filter(caf::event_based_actor* self, behaviour_context ctx);

struct dice_state {
  std::mt19937 rng;
};
/// /roll 2d6 (dice.cpp, the walkthrough of docs/EXTENDING.md).
caf::behavior dice(caf::stateful_actor<dice_state>* self, behaviour_context ctx);

} // namespace actorchat::examples
