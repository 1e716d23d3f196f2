#include "actors/behaviour.hpp"

#include "actors/command.hpp"
#include "config/log.hpp"

#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <mutex>

namespace actorchat {

namespace {

namespace json = boost::json;

std::string string_field(const json::object& obj, const char* key) {
  if (auto* v = obj.if_contains(key); v && v->is_string())
    return std::string{v->get_string()};
  return {};
}

/// The in-process "connection" of a behaviour's seat: what the rooms send the seat goes to the
/// behaviour as room_events, in order, if it wants them (behaviour_info::events). It keeps what
/// arrives before the behaviour has described itself (the welcome) until attach(). Writing costs nothing, so each payload's send credit is released
/// at once: a behaviour must keep up with its rooms, as a client that reads fast does.
class seat_connection : public connection {
public:
  seat_connection(credit_ptr credit, std::string name)
    : credit_(std::move(credit)), name_(std::move(name)) {
  }

  /// From now on events go to `behaviour` (those kept so far first); null: they are dropped
  /// (a behaviour that does not want events).
  void attach(caf::actor behaviour) {
    std::lock_guard<std::mutex> guard{mtx_};
    attached_ = true;
    target_ = std::move(behaviour);
    if (target_)
      for (auto& ev : early_)
        caf::anon_send(target_, event_atom::value, std::move(ev));
    early_.clear();
  }

  void send(payload_batch batch) override {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      for (auto& p : *batch) {
        auto ev = decode_event(*p, nick_);
        if (ev.type == "welcome" || ev.type == "nick")
          nick_ = ev.nick;
        if (target_)
          caf::anon_send(target_, event_atom::value, std::move(ev));
        else if (!attached_)
          early_.push_back(std::move(ev));
      }
    }
    credit_->release(static_cast<uint32_t>(batch->size()));
  }

  void close(close_code code, std::string reason) override {
    log::error("behaviour_seat_closed", "behaviour=" + name_ + " code="
                                          + std::to_string(static_cast<int>(code))
                                          + " reason=" + log::quote(reason));
  }

  void resume_reading() override {
    // A seat has no receive window: nothing ever stops reading.
  }

private:
  credit_ptr credit_;
  std::string name_;
  std::mutex mtx_;
  caf::actor target_;
  bool attached_ = false;
  std::vector<room_event> early_;
  std::string nick_;
};

} // namespace

std::string json_quote(const std::string& text) {
  return json::serialize(json::string(text));
}

std::string say_command(const std::string& room, const std::string& text, bool action) {
  return R"({"type":"say","room":)" + json_quote(room) + R"(,"text":)" + json_quote(text)
         + (action ? R"(,"action":true})" : "}");
}

room_event decode_event(const std::string& text, const std::string& self_nick) {
  room_event ev;
  ev.json = text;
  json::error_code ec;
  auto value = json::parse(text, ec);
  if (ec || !value.is_object())
    return ev; // never from our own server; type stays empty
  auto& obj = value.get_object();
  ev.type = string_field(obj, "type");
  ev.room = string_field(obj, "room");
  ev.nick = string_field(obj, "nick");
  if (ev.type == "message") {
    ev.from = string_field(obj, "from");
    ev.text = string_field(obj, "text");
    if (auto* seq = obj.if_contains("seq"); seq && seq->is_number())
      ev.seq = seq->to_number<uint64_t>();
    if (auto* action = obj.if_contains("action"); action && action->is_bool())
      ev.action = action->get_bool();
    ev.mine = !self_nick.empty() && ev.from == self_nick;
  } else if (ev.type == "presence") {
    ev.event = string_field(obj, "event");
    ev.old_nick = string_field(obj, "old_nick");
    ev.mine = !self_nick.empty() && (ev.nick == self_nick || ev.old_nick == self_nick);
  } else if (ev.type == "error" || ev.type == "notice") {
    ev.text = string_field(obj, ev.type == "notice" ? "text" : "message");
  }
  return ev;
}

void send_command(const behaviour_context& ctx, const std::string& command) {
  caf::anon_send(ctx.seat, inbound_atom::value, command);
}

void join(const behaviour_context& ctx, const std::string& room) {
  send_command(ctx, R"({"type":"join","room":)" + json_quote(room) + "}");
}

void leave(const behaviour_context& ctx, const std::string& room) {
  send_command(ctx, R"({"type":"leave","room":)" + json_quote(room) + "}");
}

void say(const behaviour_context& ctx, const std::string& room, const std::string& text,
         bool action) {
  send_command(ctx, say_command(room, text, action));
}

std::string setting(const behaviour_context& ctx, const char* key, const char* fallback) {
  return caf::get_or(ctx.config, key, fallback);
}

caf::expected<running_behaviours>
start_behaviours(caf::actor_system& sys, const chat_config& cfg, const client_services& services,
                 const client_settings_ptr& settings,
                 const std::shared_ptr<behaviour_routes>& routes) {
  running_behaviours out;
  auto fail = [&](const std::string& why) -> caf::expected<running_behaviours> {
    for (auto& a : out.actors)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    return caf::make_error(caf::sec::runtime_error, why);
  };
  routes->timeout = cfg.behaviour_timeout;
  routes->reject_on_failure = cfg.filter_failure == "reject";
  auto help = std::shared_ptr<const std::vector<command_help>>(routes, &routes->help);
  struct started {
    behaviour_context ctx;
    std::vector<std::string> rooms;
    client_settings_ptr seat_settings;
  };
  for (auto& [name, type] : cfg.behaviour_types())
    if (!cfg.behaviour_settings(name).empty()
        && std::find(cfg.behaviours.begin(), cfg.behaviours.end(), name) == cfg.behaviours.end())
      log::warn("behaviour_not_enabled", "behaviour=" + name + " hint=" + log::quote(
                  "[chat." + name + "] has settings but chat.behaviours does not list it"));
  std::vector<started> all;
  caf::scoped_actor self{sys};
  for (auto& name : cfg.behaviours) {
    auto section = cfg.behaviour_settings(name);
    auto& type = cfg.behaviour_types().at(name);
    behaviour_context ctx;
    ctx.name = name;
    ctx.nick = caf::get_or(section, "nick", name);
    if (auto why = check_nick(ctx.nick); !why.empty())
      return fail("chat." + name + ".nick: \"" + ctx.nick + "\": " + why);
    for (auto& other : all)
      if (fold_nick(other.ctx.nick) == fold_nick(ctx.nick))
        return fail("chat." + name + ".nick: \"" + ctx.nick + "\" is the nickname of behaviour "
                    + other.ctx.name + " too");
    ctx.config = section;
    ctx.commands = help;
    auto rooms = caf::get_or(section, "rooms", type.default_rooms);
    for (auto& room : rooms)
      if (auto why = check_room_name(room); !why.empty())
        return fail("chat." + name + ".rooms: \"" + room + "\": " + why);
    // The seat: a client like any other, with its own rate limit (none by default). It gets
    // the behaviour routes only once they are complete (settings_atom below): until then it
    // must not read them while this thread writes them.
    auto seat_settings = std::make_shared<client_settings>(*settings);
    seat_settings->rate_limit = caf::get_or(section, "rate-limit", size_t{0});
    seat_settings->rate_burst = std::max<size_t>(seat_settings->rate_limit, 1);
    auto early_settings = std::make_shared<client_settings>(*seat_settings);
    early_settings->behaviours = nullptr;
    auto credit = std::make_shared<send_credit>(settings->info.send_queue);
    auto conn = std::make_shared<seat_connection>(credit, name);
    ctx.seat = spawn_client(sys, conn, credit, nullptr, ctx.nick, services,
                            std::move(early_settings), false);
    // The seat holds its connection only weakly (as every client does): keep it alive with the
    // seat itself.
    ctx.seat->attach_functor([conn](const caf::error&) {});
    out.actors.push_back(caf::actor_cast<caf::actor>(ctx.seat));
    // Its nickname, claimed like a user's (the seat starts with it, so a nick command would
    // take the shortcut for "already yours" and claim nothing).
    caf::error failed;
    self
      ->request(services.nicks, std::chrono::seconds(5), claim_atom::value, ctx.nick,
                caf::actor_cast<member_actor>(ctx.seat))
      .receive([](bool) {}, [&](caf::error& err) { failed = std::move(err); });
    if (failed)
      return fail("chat." + name + ".nick: \"" + ctx.nick + "\" cannot be claimed: "
                  + sys.render(failed));
    auto spawned = sys.spawn<caf::actor>(name, caf::make_message(ctx));
    if (!spawned)
      return fail("behaviour " + name + " did not start: " + sys.render(spawned.error()));
    out.actors.push_back(*spawned);
    // A behaviour that goes down takes its seat with it (out of its rooms, its nick free).
    (*spawned)->attach_functor([name, seat = ctx.seat](const caf::error& reason) {
      if (reason != caf::exit_reason::user_shutdown)
        log::error("behaviour_down", "behaviour=" + name + " reason="
                                       + log::quote(caf::to_string(reason)));
      caf::anon_send_exit(seat, caf::exit_reason::user_shutdown);
    });
    // What it does.
    behaviour_info info;
    self->request(*spawned, std::chrono::seconds(5), describe_atom::value)
      .receive([&](behaviour_info& x) { info = std::move(x); },
               [&](caf::error& err) { failed = std::move(err); });
    if (failed)
      return fail("behaviour " + name + " did not describe itself (describe_atom -> "
                  "behaviour_info): " + sys.render(failed));
    conn->attach(info.events ? *spawned : caf::actor{});
    behaviour_route route{name, *spawned};
    for (auto& c : info.commands) {
      auto cmd = c;
      std::transform(cmd.name.begin(), cmd.name.end(), cmd.name.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      if (cmd.name.empty() || cmd.name.find_first_of(" \t\r\n/") != std::string::npos)
        return fail("behaviour " + name + " declares a command with a bad name: \"" + c.name
                    + "\"");
      if (auto i = routes->commands.find(cmd.name); i != routes->commands.end())
        return fail("behaviours " + i->second.name + " and " + name + " both answer /"
                    + cmd.name);
      cmd.behaviour = name;
      if (cmd.usage.empty())
        cmd.usage = "/" + cmd.name;
      routes->commands.emplace(cmd.name, route);
      routes->help.push_back(std::move(cmd));
    }
    if (info.filter)
      routes->filters.push_back(route);
    all.push_back(started{std::move(ctx), std::move(rooms), std::move(seat_settings)});
    log::info("behaviour_started",
              "behaviour=" + name + " nick=" + log::quote(all.back().ctx.nick)
                + " commands=" + std::to_string(info.commands.size())
                + " filter=" + (info.filter ? "yes" : "no")
                + " events=" + (info.events ? "yes" : "no")
                + " rooms=" + std::to_string(all.back().rooms.size()));
  }
  std::sort(routes->help.begin(), routes->help.end(),
            [](const command_help& a, const command_help& b) { return a.name < b.name; });
  // Only now, with every route in place, do the seats get them and join their rooms (in this
  // order: both come from this thread).
  for (auto& s : all) {
    caf::anon_send(s.ctx.seat, settings_atom::value, s.seat_settings);
    for (auto& room : s.rooms)
      join(s.ctx, room);
  }
  return out;
}

} // namespace actorchat
