// greeter: welcomes everyone who joins one of its rooms ([chat.greeter] rooms, default lobby),
// at most once per cooldown for the same nick in the same room (a flaky connection that
// reconnects every few seconds is greeted once).
#include "examples/behaviours/behaviours.hpp"

namespace actorchat::examples {

namespace {

std::string fill(std::string text, const std::string& key, const std::string& value) {
  for (auto pos = text.find(key); pos != std::string::npos;
       pos = text.find(key, pos + value.size()))
    text.replace(pos, key.size(), value);
  return text;
}

/// Cooldown entries kept at most; older ones are forgotten first.
constexpr size_t max_remembered = 10000;

} // namespace

caf::behavior greeter(caf::stateful_actor<greeter_state>* self, behaviour_context ctx) {
  auto message = setting(ctx, "message", "welcome to #{room}, {nick}!");
  caf::timespan cooldown = setting(ctx, "cooldown", caf::timespan{std::chrono::minutes(10)});
  return {
    [](describe_atom) {
      behaviour_info info;
      info.events = true; // it reacts to joins in its rooms
      return info;
    },
    [self, ctx, message, cooldown](event_atom, const room_event& e) {
      if (e.type != "presence" || e.event != "join" || e.mine)
        return;
      auto now = self->clock().now();
      auto& greeted = self->state.greeted;
      auto key = e.room + "\n" + e.nick;
      if (auto i = greeted.find(key); i != greeted.end() && now - i->second < cooldown)
        return;
      if (greeted.size() >= max_remembered) {
        for (auto i = greeted.begin(); i != greeted.end();)
          i = now - i->second >= cooldown ? greeted.erase(i) : std::next(i);
        if (greeted.size() >= max_remembered)
          greeted.clear();
      }
      greeted[key] = now;
      say(ctx, e.room, fill(fill(message, "{nick}", e.nick), "{room}", e.room));
    },
  };
}

} // namespace actorchat::examples
