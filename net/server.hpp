// server: the network side of actorchat. Owns the io_context and its threads, the listener, the
// signal handling and the drain on shutdown. main() creates the actor system first and the server
// second, so the server (and every session, with the actor handles it holds) is gone before
// ~actor_system waits for actors (shared/CAF-0.17.md 5.3).
#pragma once

#include "actors/client.hpp"
#include "actors/metrics.hpp"
#include "config/chat_config.hpp"

#include <caf/actor_system.hpp>

#include <memory>

namespace actorchat {

class server {
public:
  /// `services` are the actors every client talks to; `settings` what every client is told;
  /// `counters` the metrics every session counts into and /metrics serves (not null).
  server(const chat_config& cfg, caf::actor_system& sys, client_services services,
         client_settings_ptr settings, metrics_ptr counters);
  ~server();

  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Listens and serves until SIGINT or SIGTERM, then closes every client (1001) and returns
  /// within chat.shutdown-timeout. While it drains, it still accepts connections: upgrades get
  /// 503 and /healthz answers 503, so that a load balancer takes the server out of rotation. Returns the process exit code: 0 after a clean shutdown, 1 if
  /// the server could not start (the reason is logged).
  int run();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace actorchat
