// server_context: what every session of one server shares. Created by server, which outlives
// the io_context and therefore every session.
#pragma once

#include "actors/client.hpp"
#include "actors/metrics.hpp"
#include "actors/protocol.hpp"
#include "actors/types.hpp"
#include "config/chat_config.hpp"
#include "net/admission.hpp"
#include "net/http_rules.hpp"
#include "net/lane_inbox.hpp"
#include "net/session_registry.hpp"

#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <memory>
#include <string>

namespace actorchat::netio {

struct server_context {
  server_context(const chat_config& c, caf::actor_system& s)
    : cfg(c), sys(s),
      admit(admission_limits{c.max_connections, c.max_connections_per_ip,
                             static_cast<double>(c.connect_rate_per_ip),
                             static_cast<double>(c.connect_burst_per_ip)}) {
    origins.allowed = c.allowed_origins;
    origins.require_origin = c.require_origin;
  }

  const chat_config& cfg;
  caf::actor_system& sys;
  client_services services;                  ///< directory, nick registry, store
  client_settings_ptr client_settings;       ///< welcome, parse limits, room limit
  std::string web_root;                      ///< canonical, absolute
  std::unique_ptr<boost::asio::ssl::context> tls; ///< null: plain http/ws
  session_registry sessions;                 ///< live WebSocket sessions
  std::atomic<uint64_t> next_guest{1};       ///< for default nicknames guest-N
  /// "guest-", or "guest-<node id>-" in a cluster: default nicknames are unique cluster-wide.
  std::string guest_prefix = cfg.cluster_node_id.empty() ? std::string{"guest-"}
                                                         : "guest-" + cfg.cluster_node_id + "-";
  std::atomic<bool> draining{false};         ///< shutting down: refuse new upgrades
  admission admit;                           ///< connection caps (checked at accept)
  origin_policy origins;                     ///< chat.allowed-origins, require-origin
  metrics_ptr metrics;                       ///< never null
  /// What actors lock sessions through; closed by server before its io_context goes
  /// (actors/connection_ref.hpp).
  gate_ptr gate = std::make_shared<connection_gate>();
  /// With one Asio thread (io-threads = 1): what actors hand its sessions waits here
  /// (net/lane_inbox.hpp). Null with more threads: each session takes its own posts.
  std::shared_ptr<lane_inbox> inbox;
};

/// What a listener serves: the chat (web-root, /ws, /healthz and, unless it moved, /metrics),
/// or only /metrics and /healthz (chat.metrics-port).
enum class listener_role { chat, metrics };

using context_ptr = std::shared_ptr<server_context>;

} // namespace actorchat::netio
