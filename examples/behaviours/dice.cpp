// dice: /roll 2d6 rolls two six-sided dice and tells the room, as an action of the user who
// rolled: "* ana rolls 2d6: 3 + 5 = 8". The walkthrough in docs/EXTENDING.md builds this file.
#include "examples/behaviours/behaviours.hpp"

#include <regex>

namespace actorchat::examples {

caf::behavior dice(caf::stateful_actor<dice_state>* self, behaviour_context ctx) {
  auto seed = setting(ctx, "seed", uint64_t{0});
  self->state.rng.seed(seed != 0 ? seed : std::random_device{}());
  return {
    [](describe_atom) {
      behaviour_info info;
      info.commands.push_back({"roll", "/roll 2d6", "rolls dice for everyone to see", ""});
      return info;
    },
    [self](command_atom, const slash_command& c) -> command_reply {
      static const std::regex form{R"(([1-9][0-9]?)?d([1-9][0-9]{0,2}))"};
      std::smatch m;
      auto args = c.args.empty() ? std::string{"1d6"} : c.args;
      if (!std::regex_match(args, m, form))
        return {"usage: /roll NdM, e.g. /roll 2d6 (at most 99 dice of 999 sides)", {}};
      if (c.room.empty())
        return {"join a room first", {}};
      int count = m[1].matched ? std::stoi(m[1]) : 1;
      std::uniform_int_distribution<int> side{1, std::stoi(m[2])};
      std::string text = "rolls " + args + ":";
      int sum = 0;
      for (int i = 0; i < count; ++i) {
        int n = side(self->state.rng);
        sum += n;
        text += (i == 0 ? " " : " + ") + std::to_string(n);
      }
      if (count > 1)
        text += " = " + std::to_string(sum);
      return {{}, say_command(c.room, text, true)};
    },
  };
}

} // namespace actorchat::examples
