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
#include <vector>

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
  /// The network threads (chat.io-threads), one io_context each: a connection lives on one of
  /// them from accept to close (round-robin, listener.cpp), and what actors hand its session
  /// waits in that thread's lane_inbox (net/lane_inbox.hpp). Set up by server before anything
  /// is accepted; fixed from then on.
  struct lane {
    asio::io_context* ioc;
    std::shared_ptr<lane_inbox> inbox;
  };
  std::vector<lane> lanes;
  std::atomic<size_t> next_lane{0}; ///< the round-robin at accept

  /// The lane whose thread runs `ex` (a session's executor); lanes.front() if none does.
  const lane& lane_of(const asio::any_io_executor& ex) const {
    auto& context = asio::query(ex, asio::execution::context);
    for (auto& l : lanes)
      if (static_cast<asio::execution_context*>(l.ioc) == &context)
        return l;
    return lanes.front();
  }

  /// The lane for the next accepted connection.
  const lane& pick_lane() { return lanes[next_lane.fetch_add(1) % lanes.size()]; }
};

/// What a listener serves: the chat (web-root, /ws, /healthz and, unless it moved, /metrics),
/// or only /metrics and /healthz (chat.metrics-port).
enum class listener_role { chat, metrics };

using context_ptr = std::shared_ptr<server_context>;

} // namespace actorchat::netio
