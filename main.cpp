// actorchat: wires the configuration, the actors (store, nickname registry, room directory) and
// the network server together. Nothing else happens here.
#include "actors/behaviour.hpp"
#include "actors/client.hpp"
#include "actors/cluster.hpp"
#include "actors/directory.hpp"
#include "actors/metrics.hpp"
#include "actors/nick_registry.hpp"
#include "actors/store.hpp"
#include "config/chat_config.hpp"
#include "config/cluster_map.hpp"
#include "config/log.hpp"
#include "examples/behaviours/behaviours.hpp"
#include "net/server.hpp"

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/send.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#ifndef ACTORCHAT_VERSION
#  define ACTORCHAT_VERSION "0.0.0"
#endif

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

/// What every client is told and held to. Its behaviour routes are filled in later (before
/// the server accepts connections).
std::shared_ptr<actorchat::client_settings>
make_client_settings(const actorchat::chat_config& cfg, actorchat::metrics_ptr counters,
                     std::shared_ptr<const actorchat::behaviour_routes> routes) {
  auto s = std::make_shared<actorchat::client_settings>();
  s->metrics = std::move(counters);
  s->info.version = ACTORCHAT_VERSION;
  std::random_device rd;
  char boot[17];
  std::snprintf(boot, sizeof(boot), "%08x%08x", rd(), rd());
  s->info.boot = boot;
  s->info.max_message_size = cfg.max_message_size;
  s->info.send_queue = cfg.send_queue;
  s->info.history_size = cfg.history_size;
  s->info.max_rooms_per_client = cfg.max_rooms_per_client;
  s->info.history_page_max = s->limits.history_page_max;
  s->limits.max_message_size = cfg.max_message_size;
  s->max_rooms = cfg.max_rooms_per_client;
  s->rate_limit = cfg.rate_limit;
  s->rate_burst = cfg.rate_burst;
  s->behaviours = std::move(routes);
  return s;
}

} // namespace

int main(int argc, char** argv) {
  actorchat::chat_config cfg;
  // Behaviour types (and their [chat.<name>] keys) are known before the config is read.
  actorchat::examples::add_example_behaviours(cfg);
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
  cfg.take_sections();
  cfg.apply_scheduler_defaults();
  if (auto problems = cfg.validate_values(); !problems.empty())
    return refuse(problems);
  actorchat::log::level lvl;
  actorchat::log::parse_level(cfg.log_level, lvl);
  actorchat::log::set_level(lvl);
  actorchat::log::info("starting", "config=" + actorchat::log::quote(cfg.config_file_path) + " "
                                     + cfg.summary());
  // Declared before the actor system: actors count into it until the last one is gone.
  auto counters = std::make_shared<actorchat::metrics>();
  counters->version = ACTORCHAT_VERSION;
  auto cluster_map = cfg.cluster();
  if (cluster_map->enabled()) {
    std::vector<std::string> peers;
    for (auto& n : cluster_map->nodes())
      if (n.id != cluster_map->self())
        peers.push_back(n.id);
    counters->set_cluster(cluster_map->self(), std::move(peers));
    actorchat::prepare_cluster(cfg);
  }
  // The actor system is declared first so that it is destroyed last: ~actor_system waits for
  // every actor, and the sessions inside the server hold client actor handles.
  caf::actor_system sys{cfg};
  actorchat::store_settings store_cfg;
  store_cfg.path = cfg.store_path;
  store_cfg.sync_full = cfg.store_sync == "full";
  store_cfg.max_messages_per_room = cfg.store_max_messages_per_room;
  store_cfg.max_age = cfg.store_max_age;
  store_cfg.metrics = counters;
  std::string store_error;
  auto store = actorchat::spawn_store(sys, store_cfg, store_error);
  if (!store) {
    actorchat::log::error("startup_failed", "error=" + actorchat::log::quote(store_error));
    return 1;
  }
  actorchat::directory_settings dir_cfg;
  dir_cfg.room.history_size = cfg.history_size;
  dir_cfg.room.idle_timeout = cfg.room_idle_timeout;
  dir_cfg.room.slow_client_timeout = cfg.slow_client_timeout;
  dir_cfg.room.presence_limit = cfg.presence_limit;
  // A store batch is broadcast as one burst: at most half a send queue, so that it fits a
  // member that keeps up.
  dir_cfg.room.max_batch = std::clamp<size_t>(cfg.send_queue / 2, 1, 64);
  dir_cfg.max_rooms = cfg.max_rooms;
  dir_cfg.metrics = counters;
  auto nicks = actorchat::spawn_nick_registry(sys);
  actorchat::cluster_actor cluster;
  if (cluster_map->enabled()) {
    actorchat::cluster_settings cl;
    cl.map = cluster_map;
    cl.reconnect_min = cfg.cluster_reconnect_min;
    cl.reconnect_max = cfg.cluster_reconnect_max;
    cl.metrics = counters;
    cluster = actorchat::spawn_cluster(sys, cl, nicks);
    auto& own = cluster_map->own();
    if (auto port = sys.middleman().publish(cluster, own.port, own.host.c_str(), true); !port) {
      actorchat::log::error("startup_failed",
                            "error=" + actorchat::log::quote("chat.cluster.nodes: cannot listen "
                                                             "on " + own.host + ":"
                                                             + std::to_string(own.port) + " ("
                                                             + sys.render(port.error()) + ")"));
      for (auto a : {caf::actor_cast<caf::actor>(cluster), caf::actor_cast<caf::actor>(nicks),
                     caf::actor_cast<caf::actor>(store)})
        caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
      return 1;
    }
    actorchat::log::info("cluster_listening", "node=" + own.id + " address=" + own.host + ":"
                                                + std::to_string(own.port) + " nodes="
                                                + std::to_string(cluster_map->nodes().size()));
    dir_cfg.cluster = cluster_map;
    dir_cfg.cluster_handle = cluster;
    dir_cfg.relay.retry_min = cfg.cluster_reconnect_min;
    dir_cfg.relay.retry_max = cfg.cluster_reconnect_max;
  }
  auto directory = actorchat::spawn_directory(sys, dir_cfg, store);
  actorchat::client_services services{directory, nicks, store};
  if (cluster) {
    caf::anon_send(cluster, actorchat::register_atom::value, directory);
    // Nicknames are claimed where they are kept unique: at their home node (actors/cluster.hpp).
    services.nicks = cluster;
  }
  auto routes = std::make_shared<actorchat::behaviour_routes>();
  auto settings = make_client_settings(cfg, counters, routes);
  auto behaviours = actorchat::start_behaviours(sys, cfg, services, settings, routes);
  auto stop_services = [&] {
    // Rooms go with the directory; the store last, after the rooms' final requests.
    caf::anon_send_exit(services.directory, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(nicks, caf::exit_reason::user_shutdown);
    if (cluster)
      caf::anon_send_exit(cluster, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  };
  if (!behaviours) {
    actorchat::log::error("startup_failed",
                          "error=" + actorchat::log::quote(sys.render(behaviours.error())));
    stop_services();
    return 1;
  }
  int rc = 0;
  {
    actorchat::server srv{cfg, sys, services, settings, counters};
    rc = srv.run();
  }
  for (auto& a : behaviours->actors)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  stop_services();
  actorchat::log::info("stopped", "exit_code=" + std::to_string(rc));
  return rc;
}
