// behaviour_routes: how client actors reach the behaviours that answer slash-commands or filter
// messages (actors/behaviour.hpp). Built once at startup, before the server accepts
// connections; read-only afterwards.
#pragma once

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/timespan.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace actorchat {

/// One slash-command a behaviour answers, for routing and for /help.
struct command_help {
  std::string name;  ///< without the slash: "time"
  std::string usage; ///< "/time"
  std::string help;  ///< "shows the server's time (UTC)"
  std::string behaviour; ///< filled in by the server: who answers it
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, command_help& x) {
  return f(caf::meta::type_name("command_help"), x.name, x.usage, x.help, x.behaviour);
}

/// A behaviour that answers slash-commands or filters, as clients see it.
struct behaviour_route {
  std::string name;
  caf::actor handle;
  /// For logging failures at most once a second per behaviour (milliseconds since epoch).
  std::shared_ptr<std::atomic<int64_t>> last_failure_log
    = std::make_shared<std::atomic<int64_t>>(0);
  /// Filter checks sent to it and not answered yet (by all clients together).
  std::shared_ptr<std::atomic<uint32_t>> pending = std::make_shared<std::atomic<uint32_t>>(0);
};

/// How clients reach the enabled behaviours.
struct behaviour_routes {
  std::map<std::string, behaviour_route> commands; ///< by command name
  std::vector<behaviour_route> filters;            ///< in chat.behaviours order
  caf::timespan timeout = std::chrono::milliseconds(500); ///< chat.behaviour-timeout
  bool reject_on_failure = false;                  ///< chat.filter-failure = "reject"
  /// Checks one filter may have waiting; a message beyond counts as a failure of the filter.
  uint32_t max_pending = 1000;
  std::vector<command_help> help;                  ///< every command, sorted by name
};

} // namespace actorchat
