// commands: the everyday slash-commands. /help and /time answer with a notice to the user who
// typed them; /me, /nick, /who, /rooms, /join and /leave run the matching protocol command as
// that user's own (so every check that applies to the command applies here too).
#include "examples/behaviours/behaviours.hpp"

#include <ctime>

namespace actorchat::examples {

namespace {

std::string utc_now() {
  auto now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

command_reply notice(std::string text) {
  return command_reply{std::move(text), {}};
}

command_reply run(std::string json) {
  return command_reply{{}, std::move(json)};
}

} // namespace

caf::behavior commands(caf::event_based_actor*, behaviour_context ctx) {
  return {
    [](describe_atom) {
      behaviour_info info;
      info.commands = {
        {"help", "/help", "lists the commands", ""},
        {"join", "/join room", "joins a room", ""},
        {"leave", "/leave [room]", "leaves this room (or that one)", ""},
        {"me", "/me waves", "says what you do: * you waves", ""},
        {"nick", "/nick name", "changes your nickname (without a name: shows it)", ""},
        {"rooms", "/rooms", "lists the rooms and how many are in each", ""},
        {"time", "/time", "shows the server's time", ""},
        {"who", "/who [room]", "lists who is in this room (or that one)", ""},
      };
      return info;
    },
    [ctx](command_atom, const slash_command& c) -> command_reply {
      if (c.name == "help") {
        std::string text = "commands:";
        for (auto& h : *ctx.commands)
          text += "\n" + h.usage + " - " + h.help;
        return notice(text);
      }
      if (c.name == "time")
        return notice("server time: " + utc_now());
      if (c.name == "me") {
        if (c.args.empty())
          return notice("usage: /me waves");
        if (c.room.empty())
          return notice("join a room first");
        return run(say_command(c.room, c.args, true));
      }
      if (c.name == "nick") {
        if (c.args.empty())
          return notice("you are " + c.nick);
        return run(R"({"type":"nick","nick":)" + json_quote(c.args) + "}");
      }
      if (c.name == "rooms")
        return run(R"({"type":"rooms"})");
      if (c.name == "join") {
        if (c.args.empty())
          return notice("usage: /join room");
        return run(R"({"type":"join","room":)" + json_quote(c.args) + "}");
      }
      if (c.name == "leave") {
        auto room = c.args.empty() ? c.room : c.args;
        if (room.empty())
          return notice("usage: /leave room");
        return run(R"({"type":"leave","room":)" + json_quote(room) + "}");
      }
      // who
      auto room = c.args.empty() ? c.room : c.args;
      if (room.empty())
        return notice("usage: /who room");
      return run(R"({"type":"who","room":)" + json_quote(room) + "}");
    },
  };
}

} // namespace actorchat::examples
