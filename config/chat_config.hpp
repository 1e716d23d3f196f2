// chat_config: every actorchat setting, declared once with its default and help text.
//
// Values come from caf-application.conf ([chat] section) and are overridden by --chat.key=value
// on the command line. CAF 0.17 drops unknown keys and wrongly typed values in the file without a
// word, so validate_file() reads the file itself and checks every key against the declared
// options before CAF parses it, and validate_values() checks the values in effect against each
// other. Both return human-readable problems that name the key (and the line); an empty list
// means the configuration is usable.
#pragma once

#include <caf/actor_system_config.hpp>
#include <caf/config_option_adder.hpp>
#include <caf/settings.hpp>
#include <caf/timespan.hpp>

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace actorchat {

class cluster_map; // config/cluster_map.hpp

/// Name of the file read from the working directory unless --config-file= says otherwise.
inline constexpr const char* default_config_file = "caf-application.conf";

class chat_config : public caf::actor_system_config {
public:
  // -- network -------------------------------------------------------------------------------
  std::string host = "127.0.0.1";  ///< Listen address; "0.0.0.0" or "::" to listen publicly.
  uint16_t port = 8080;            ///< Listen port; 0 picks a free port (printed at start).
  std::string web_root = "web";    ///< Directory served over HTTP (index.html, chat.js, ...).
  size_t io_threads = 1;           ///< Asio threads (lanes) beside CAF's scheduler.
  /// The longest batches for a lane wait to be joined by more (net/lane_inbox.hpp).
  caf::timespan write_gather = std::chrono::milliseconds(3);
  std::string tls_cert;            ///< PEM certificate chain; with tls_key enables https/wss.
  std::string tls_key;             ///< PEM private key for tls_cert.

  // -- chat ----------------------------------------------------------------------------------
  size_t history_size = 100;       ///< Messages a room keeps in memory and replays to newcomers.
  uint32_t send_queue = 256;       ///< Per-client bound on undelivered messages (mailbox+socket).
  size_t max_message_size = 4096;  ///< Largest inbound WebSocket message in bytes (else 1009).

  // -- rooms and history ----------------------------------------------------------------------
  size_t max_rooms_per_client = 16; ///< rooms one connection may be in
  size_t max_rooms = 1000;          ///< live rooms on the server
  caf::timespan room_idle_timeout = std::chrono::seconds(60); ///< empty room retires after
  size_t presence_limit = 500;      ///< rooms larger than this do not announce joins/leaves
  std::string store_path = "data/actorchat.db"; ///< SQLite file; ":memory:" keeps nothing
  std::string store_sync = "full";  ///< "full" (fsync per commit) or "normal"
  uint64_t store_max_messages_per_room = 100000; ///< retention per room; 0 = unlimited
  caf::timespan store_max_age{0};   ///< retention by age; 0 = unlimited

  // -- limits and abuse defences (docs/SECURITY.md) ------------------------------------------
  std::vector<std::string> allowed_origins; ///< Browser origins that may connect; empty = own.
  bool require_origin = false;        ///< Refuse clients that send no Origin (non-browsers).
  size_t max_connections = 10000;     ///< TCP connections on the server; 0 = no cap.
  size_t max_connections_per_ip = 64; ///< TCP connections per source address; 0 = no cap.
  size_t connect_rate_per_ip = 20;    ///< New connections per second per address; 0 = no cap.
  size_t connect_burst_per_ip = 40;   ///< Bucket size for connect_rate_per_ip.
  size_t rate_limit = 20;             ///< Frames per second per connection; 0 = no limit.
  size_t rate_burst = 40;             ///< Bucket size for rate_limit.
  size_t max_frames_in_flight = 32;   ///< Frames read but not yet handled: then TCP pushes back.
  caf::timespan slow_client_timeout = std::chrono::seconds(2); ///< No progress this long: drop.

  // -- operations ----------------------------------------------------------------------------
  std::string log_level = "info";  ///< debug, info, warn or error
  std::string metrics = "on";      ///< "on": serve GET /metrics; "off": don't (404)
  std::string metrics_host = "127.0.0.1"; ///< address of the metrics listener (metrics_port)
  uint16_t metrics_port = 0;       ///< 0: /metrics on the chat port; else its own listener

  // -- behaviours (docs/EXTENDING.md) --------------------------------------------------------
  std::vector<std::string> behaviours; ///< enabled behaviours, by registered name, in order
  caf::timespan behaviour_timeout = std::chrono::milliseconds(500); ///< filter/command answer
  std::string filter_failure = "allow"; ///< a filter failed or timed out: "allow" or "reject"

  // -- cluster (docs/CLUSTER.md; [chat.cluster] section) --------------------------------------
  std::string cluster_node_id;              ///< this node's id in cluster_nodes; "" = no cluster
  std::vector<std::string> cluster_nodes;   ///< "id=host:port" of every node, this one too
  caf::timespan cluster_reconnect_min = std::chrono::milliseconds(250); ///< first retry wait
  caf::timespan cluster_reconnect_max = std::chrono::seconds(5);        ///< longest retry wait

  // -- timing --------------------------------------------------------------------------------
  caf::timespan ping_interval = std::chrono::seconds(30);     ///< Server pings this often.
  caf::timespan pong_timeout = std::chrono::seconds(10);      ///< Ping unanswered this long: drop.
  caf::timespan write_timeout = std::chrono::seconds(10);     ///< One write stuck this long: drop.
  caf::timespan handshake_timeout = std::chrono::seconds(10); ///< Accept to upgrade (and TLS).
  caf::timespan shutdown_timeout = std::chrono::seconds(5);   ///< SIGTERM to exit, at most.
  caf::timespan drain_delay = std::chrono::seconds(0);        ///< SIGTERM: 503 before closing.

  chat_config();

  /// A behaviour type that can be enabled in `behaviours`; see declare_behaviour.
  struct behaviour_type {
    std::string summary;                    ///< one line for --help
    std::vector<std::string> default_rooms; ///< joined unless [chat.<name>] rooms says so
  };

  /// Makes `name` a behaviour that `behaviours` may enable and declares the keys every
  /// behaviour has in [chat.<name>] (nick, rooms, rate-limit); returns the adder for its own
  /// keys. actors/behaviour.hpp's add_behaviour calls it; call it before validate_file().
  caf::config_option_adder declare_behaviour(const std::string& name, std::string summary,
                                             std::vector<std::string> default_rooms);

  /// Every declared behaviour type, by name.
  const std::map<std::string, behaviour_type>& behaviour_types() const {
    return behaviour_types_;
  }

  /// The [chat.<name>] settings given in the file or on the command line (empty if none).
  caf::settings behaviour_settings(const std::string& name) const;

  /// Problems found in the config file at `path` (unknown keys, wrong types, syntax), each
  /// naming the key and its line. A missing file is not a problem unless `must_exist`.
  std::vector<std::string> validate_file(const std::string& path, bool must_exist) const;

  /// The checks of validate_file on the file's contents `text`; `name` is what the problems
  /// call the file (validate_file passes the path). Reads no file (fuzz/config_fuzz.cpp).
  std::vector<std::string> validate_text(std::string_view text, const std::string& name) const;

  /// Problems with the values in effect (file and command line), each naming the key.
  std::vector<std::string> validate_values() const;

  /// Takes the keys of the file's [chat.cluster] section into the members. CAF 0.17 keeps what
  /// a [chat.<sub>] section says only in `content` (the members bound to category chat.cluster
  /// stay at their defaults; only --chat.cluster.KEY on the command line reaches them), so
  /// main calls this right after parse(). Values set on the command line win, as everywhere.
  void take_sections();

  /// CAF's scheduler as actorchat runs it unless [scheduler] says otherwise: half the cores for
  /// CAF's workers (at least one; the rest for the Asio threads and the kernel's socket work)
  /// and the `sharing` policy (idle workers sleep instead of polling). CAF 0.17's own defaults,
  /// at least four work-stealing workers that poll while idle, cost about a third more CPU
  /// per delivery on a 2-core machine (docs/BENCHMARKS.md). Call after parse.
  void apply_scheduler_defaults();

  /// The cluster as configured (an empty map without chat.cluster.nodes). Call after
  /// validate_values() found no problem.
  std::shared_ptr<const cluster_map> cluster() const;

  /// Usage and every [chat] key with its type, default and help (for --help). Call before
  /// parse() so that the values shown are the defaults.
  std::string help_text() const;

  /// One line per key with its value in effect, for the startup log.
  std::string summary() const;

private:
  /// The checks of validate_values for [chat.cluster].
  void validate_cluster(std::vector<std::string>& problems) const;

  /// Checks every key of `dict`, the section `section` of the file `path` (its text: `text`).
  void check_keys(std::string_view text, const std::string& path, const std::string& section,
                  const caf::settings& dict, std::vector<std::string>& problems) const;

  std::map<std::string, behaviour_type> behaviour_types_;
  std::list<std::string> categories_; ///< "chat.<name>" for each behaviour (stable addresses)
};

} // namespace actorchat
