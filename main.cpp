// actorchat: wires the configuration, the actor system, the lobby room and the network server.
#include "actors/room.hpp"
#include "config/chat_config.hpp"
#include "config/log.hpp"
#include "net/server.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

bool has_arg_prefix(int argc, char** argv, const char* prefix) {
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], prefix, std::strlen(prefix)) == 0)
      return true;
  return false;
}

/// The value of --config-file=PATH, or empty.
std::string config_file_arg(int argc, char** argv) {
  constexpr std::string_view flag = "--config-file=";
  std::string path;
  for (int i = 1; i < argc; ++i)
    if (std::string_view{argv[i]}.substr(0, flag.size()) == flag)
      path = argv[i] + flag.size();
  return path;
}

int refuse(const std::vector<std::string>& problems) {
  for (auto& p : problems)
    std::cerr << "actorchat: config error: " << p << "\n";
  std::cerr << "actorchat: refusing to start; config/caf-application.conf documents every key\n";
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  actorchat::chat_config cfg;
  if (has_arg_prefix(argc, argv, "--help") && !has_arg_prefix(argc, argv, "--long-help")) {
    std::cout << cfg.help_text();
    return 0;
  }
  // Check the file before CAF reads it: CAF would drop bad keys silently and report syntax
  // errors without the file name.
  auto explicit_file = config_file_arg(argc, argv);
  auto file = explicit_file.empty() ? std::string{actorchat::default_config_file} : explicit_file;
  if (auto problems = cfg.validate_file(file, !explicit_file.empty()); !problems.empty())
    return refuse(problems);
  if (auto err = cfg.parse(argc, argv))
    return refuse({"command line: " + cfg.render(err)});
  if (cfg.cli_helptext_printed)
    return 0;
  if (auto problems = cfg.validate_values(); !problems.empty())
    return refuse(problems);
  actorchat::log::level lvl;
  actorchat::log::parse_level(cfg.log_level, lvl);
  actorchat::log::set_level(lvl);
  actorchat::log::info("starting", "config=" + actorchat::log::quote(cfg.config_file_path) + " "
                                     + cfg.summary());
  // The actor system is declared first so that it is destroyed last: ~actor_system waits for
  // every actor, and the sessions inside the server hold client actor handles.
  caf::actor_system sys{cfg};
  actorchat::room_settings settings;
  settings.history_size = cfg.history_size;
  auto lobby = actorchat::spawn_room(sys, actorchat::default_room, settings);
  int rc = 0;
  {
    actorchat::server srv{cfg, sys, lobby};
    rc = srv.run();
  }
  caf::anon_send_exit(lobby, caf::exit_reason::user_shutdown);
  actorchat::log::info("stopped", "exit_code=" + std::to_string(rc));
  return rc;
}
