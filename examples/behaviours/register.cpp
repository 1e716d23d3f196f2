#include "examples/behaviours/behaviours.hpp"

namespace actorchat::examples {

void add_example_behaviours(chat_config& cfg) {
  add_behaviour(cfg, "commands", commands,
                "the everyday slash-commands: /help, /who, /me, /nick, /rooms, /time, /join, "
                "/leave");
  add_behaviour(cfg, "greeter", greeter, "welcomes everyone who joins its rooms", {"lobby"},
                [](caf::config_option_adder& opts) {
                  opts.add<std::string>("message", "the greeting; {nick} and {room} are "
                                                   "replaced (default: \"welcome to #{room}, "
                                                   "{nick}!\")")
                    .add<caf::timespan>("cooldown", "greets the same nick in the same room at "
                                                    "most once this often (default: 10min)");
                });
  add_behaviour(cfg, "word-filter", word_filter,
                "rejects or masks messages that contain listed words", {},
                [](caf::config_option_adder& opts) {
                  opts.add<std::vector<std::string>>("words", "the words (whole words, any case)")
                    .add<std::string>("mode", "\"reject\": the sender gets error rejected; "
                                              "\"mask\": the words become *** (default: reject)")
                    .add<std::string>("reason", "what a rejected sender is told");
                });
  add_behaviour(cfg, "dice", dice, "/roll NdM rolls dice for everyone to see", {},
                [](caf::config_option_adder& opts) {
                  opts.add<uint64_t>("seed", "random seed; 0 = a different one each start");
                });
}

} // namespace actorchat::examples
