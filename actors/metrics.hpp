// metrics: the server's counters, gauges and histograms, and their Prometheus text exposition.
//
// One `metrics` object per server, created by main and shared (metrics_ptr) with the store, the
// directory and its rooms, the clients and the network layer; each counts where the event
// happens. Hot paths pay relaxed atomic adds (one per counter, two per histogram observation),
// each on a cache line of its own: no lock, no allocation (histograms have fixed buckets,
// allocated once). Values are read only by the /metrics handler
// (render_prometheus) and /healthz, so a scrape sees each value as of some moment during the
// scrape, not one consistent snapshot of all of them; Prometheus does not ask for more.
//
// Every name is documented in docs/OPERATIONS.md.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace actorchat {

/// Each counter and gauge has a cache line of its own: they are written from different threads
/// (Asio's for frames written, CAF's for frames received, ...), and neighbours on one line
/// would make every add on one thread invalidate the others' caches (false sharing).
inline constexpr size_t cache_line = 64;

/// A monotonically increasing count (exposed as NAME_total).
class alignas(cache_line) counter {
public:
  void inc(uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<uint64_t> value_{0};
};

/// A value that goes up and down.
class alignas(cache_line) gauge {
public:
  void set(int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(int64_t n) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  void sub(int64_t n) noexcept { value_.fetch_sub(n, std::memory_order_relaxed); }
  int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<int64_t> value_{0};
};

/// A distribution of integer observations in a base unit (nanoseconds, messages) over fixed
/// buckets. `divisor` converts the base unit into the exposed one (1e9: nanoseconds to seconds;
/// dividing by an exact integer keeps 0.005 s at 0.005), so that observing needs no
/// floating-point atomics.
class histogram {
public:
  /// `bounds`: the upper bounds (inclusive) of the buckets in base units, ascending; an
  /// implicit last bucket (+Inf) takes everything above.
  histogram(std::vector<uint64_t> bounds, double divisor);

  void observe(uint64_t v) noexcept;

  /// Cumulative counts per bound, +Inf last (so its count is the number of observations), and
  /// the sum of observations in base units.
  struct snapshot {
    std::vector<uint64_t> cumulative;
    uint64_t sum = 0;
  };
  snapshot read() const;

  const std::vector<uint64_t>& bounds() const { return bounds_; }
  double divisor() const { return divisor_; }

private:
  std::vector<uint64_t> bounds_;
  double divisor_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_; ///< bounds_.size() + 1, not cumulative
  alignas(cache_line) std::atomic<uint64_t> sum_{0};
};

/// Why a WebSocket connection ended (actorchat_connections_closed_total{reason}).
enum class close_reason : uint8_t {
  client_closed,  ///< the peer sent a close frame first
  going_away,     ///< 1001: the server shuts down
  policy,         ///< 1008: too slow (send queue full) or over the rate limit
  too_big,        ///< 1009: a message over chat.max-message-size
  invalid_utf8,   ///< 1007
  binary_frame,   ///< 1003
  protocol_error, ///< the peer broke the WebSocket protocol (Beast closes with 1002)
  pong_timeout,   ///< a ping went unanswered for chat.pong-timeout
  write_timeout,  ///< a write made no progress for chat.write-timeout
  network_error,  ///< the TCP connection ended without a closing handshake
  other,          ///< any other close the server sent (1000, 1011)
};
inline constexpr size_t close_reason_count = 11;
const char* to_string(close_reason r);

/// Why a TCP connection was refused at accept (actorchat_connections_refused_total{reason}); the
/// names of admission's verdicts.
enum class refusal : uint8_t { server_full, address_full, address_rate };
inline constexpr size_t refusal_count = 3;
const char* to_string(refusal r);

/// The labels of actorchat_handshake_failures_total{status}: the HTTP statuses an upgrade is
/// refused with, "tls" for a failed TLS handshake and "other" for the rest (the upgrade failed
/// after the request was accepted).
inline constexpr std::array<std::string_view, 10> handshake_statuses = {
  "400", "403", "404", "405", "413", "426", "431", "503", "tls", "other"};

/// Every metric of one server. Members are public: whoever sees an event counts it.
struct metrics {
  metrics();

  // -- connections (net/) ------------------------------------------------------------------
  counter connections_opened;              ///< WebSocket upgrades completed
  gauge connections;                       ///< WebSocket connections open now
  std::array<counter, close_reason_count> connections_closed; ///< by close_reason
  std::array<counter, refusal_count> connections_refused;     ///< at accept, by refusal
  std::array<counter, handshake_statuses.size()> handshake_failures; ///< by status

  /// Counts a handshake failure answered with HTTP `status` (an unlisted one counts as other).
  void handshake_failed(int status) noexcept;
  /// Counts a handshake failure by label ("tls", "other").
  void handshake_failed(std::string_view label) noexcept;

  // -- traffic -------------------------------------------------------------------------------
  counter messages_received;  ///< text frames clients sent (client actor)
  counter messages_delivered; ///< JSON objects written to client sockets (websocket_session)
  counter frames_sent;        ///< WebSocket frames written (objects are coalesced into frames)
  counter slow_client_drops;  ///< connections closed because their send queue was full
  counter rate_limit_hits;    ///< frames refused with error rate_limited
  counter rate_limit_closes;  ///< connections closed for going on over the rate limit
  counter messages_rejected;  ///< messages a filter behaviour rejected
  counter behaviour_failures; ///< filters and slash-commands that failed or timed out
  gauge send_queue;           ///< objects queued for writing, summed over all connections
  histogram send_queue_depth; ///< a connection's queued objects, observed at each write

  // -- rooms and store (actors/) ---------------------------------------------------------
  gauge rooms;                 ///< live rooms (directory)
  histogram store_batch;       ///< messages per store commit
  histogram store_commit_time; ///< nanoseconds per store commit (exposed in seconds)
  counter store_failures;      ///< store commits that failed
  gauge store_healthy;         ///< 1 while the last commit succeeded (or none was tried)

  // -- cluster (actors/cluster.cpp; set once by main before any actor runs) -----------------
  std::string node_id;               ///< chat.cluster.node-id; empty: no cluster
  std::vector<std::string> peer_ids; ///< the other nodes, in the order of chat.cluster.nodes
  std::unique_ptr<gauge[]> peer_up;  ///< per peer_ids entry: 1 while the link to it is up
  counter peer_links;                ///< links to peers that came up (first time or again)
  /// Sets node_id and peer_ids, with every peer down.
  void set_cluster(std::string node, std::vector<std::string> peers);

  // -- process -------------------------------------------------------------------------------
  gauge draining;        ///< 1 once shutdown began
  std::string version;   ///< actorchat_build_info{version}
  std::chrono::system_clock::time_point started_at;   ///< process_start_time_seconds
  std::chrono::steady_clock::time_point started_mono; ///< for actorchat_uptime_seconds
};

using metrics_ptr = std::shared_ptr<metrics>;

/// Writes the Prometheus text exposition format (version 0.0.4): a HELP and a TYPE line per
/// family, then its samples. Exposed for unit tests; render_prometheus uses it.
class exposition_writer {
public:
  using label = std::pair<std::string_view, std::string_view>;

  /// "# HELP name help" and "# TYPE name type" (type: counter, gauge or histogram).
  void family(std::string_view name, std::string_view help, std::string_view type);

  /// "name{k="v",...} value"; labels may be empty.
  void sample(std::string_view name, const std::vector<label>& labels, double value);
  void sample(std::string_view name, const std::vector<label>& labels, uint64_t value);
  void sample(std::string_view name, const std::vector<label>& labels, int64_t value);

  /// A whole histogram family: HELP, TYPE, name_bucket{le=...} (cumulative, +Inf last),
  /// name_sum (in the exposed unit) and name_count.
  void histogram(std::string_view name, std::string_view help, const actorchat::histogram& h);

  const std::string& text() const { return out_; }

  /// A label value with \, " and newline escaped as the format requires.
  static std::string escape_label(std::string_view value);
  /// HELP text with \ and newline escaped.
  static std::string escape_help(std::string_view text);
  /// A sample value: integers without a fraction, others in the shortest exact form, +Inf,
  /// -Inf and NaN as the format spells them.
  static std::string format_value(double v);

private:
  void head(std::string_view name, const std::vector<label>& labels);

  std::string out_;
};

/// Every metric of `m` in the Prometheus text exposition format.
std::string render_prometheus(const metrics& m);

/// Content-Type of render_prometheus's output.
inline constexpr const char* prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

} // namespace actorchat
