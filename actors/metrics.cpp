#include "actors/metrics.hpp"

#include <charconv>
#include <cmath>
#include <string>

namespace actorchat {

namespace {

constexpr auto relaxed = std::memory_order_relaxed;

/// Store commits: 100 µs (a group in the page cache) to 2.5 s (fsync on a busy disk).
std::vector<uint64_t> commit_time_bounds_ns() {
  std::vector<uint64_t> out;
  for (double s : {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                   0.5, 1.0, 2.5})
    out.push_back(static_cast<uint64_t>(std::llround(s * 1e9)));
  return out;
}

/// Powers of two up to 1024: store groups close at 1024 messages (store.cpp), send queues are
/// chat.send-queue long (256 by default).
std::vector<uint64_t> powers_of_two() {
  std::vector<uint64_t> out;
  for (uint64_t b = 1; b <= 1024; b *= 2)
    out.push_back(b);
  return out;
}

} // namespace

// -- histogram ------------------------------------------------------------------------------------

histogram::histogram(std::vector<uint64_t> bounds, double divisor)
  : bounds_(std::move(bounds)), divisor_(divisor),
    buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i <= bounds_.size(); ++i)
    buckets_[i].store(0, relaxed);
}

void histogram::observe(uint64_t v) noexcept {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i])
    ++i;
  buckets_[i].fetch_add(1, relaxed);
  sum_.fetch_add(v, relaxed);
}

histogram::snapshot histogram::read() const {
  snapshot s;
  s.cumulative.reserve(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += buckets_[i].load(relaxed);
    s.cumulative.push_back(total);
  }
  s.sum = sum_.load(relaxed);
  return s;
}

// -- label values ---------------------------------------------------------------------------------

const char* to_string(close_reason r) {
  switch (r) {
    case close_reason::client_closed: return "client_closed";
    case close_reason::going_away: return "going_away";
    case close_reason::policy: return "policy";
    case close_reason::too_big: return "too_big";
    case close_reason::invalid_utf8: return "invalid_utf8";
    case close_reason::binary_frame: return "binary_frame";
    case close_reason::protocol_error: return "protocol_error";
    case close_reason::pong_timeout: return "pong_timeout";
    case close_reason::write_timeout: return "write_timeout";
    case close_reason::network_error: return "network_error";
    case close_reason::other: break;
  }
  return "other";
}

const char* to_string(refusal r) {
  switch (r) {
    case refusal::server_full: return "server_full";
    case refusal::address_full: return "address_full";
    case refusal::address_rate: break;
  }
  return "address_rate";
}

// -- metrics --------------------------------------------------------------------------------------

metrics::metrics()
  : send_queue_depth(powers_of_two(), 1.0), store_batch(powers_of_two(), 1.0),
    store_commit_time(commit_time_bounds_ns(), 1e9), started_at(std::chrono::system_clock::now()),
    started_mono(std::chrono::steady_clock::now()) {
  store_healthy.set(1);
}

void metrics::set_cluster(std::string node, std::vector<std::string> peers) {
  node_id = std::move(node);
  peer_ids = std::move(peers);
  peer_up = std::make_unique<gauge[]>(peer_ids.size());
}

void metrics::handshake_failed(int status) noexcept {
  char buf[16];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), status);
  handshake_failed(ec == std::errc{} ? std::string_view{buf, static_cast<size_t>(end - buf)}
                                     : std::string_view{"other"});
}

void metrics::handshake_failed(std::string_view label) noexcept {
  for (size_t i = 0; i < handshake_statuses.size(); ++i)
    if (handshake_statuses[i] == label) {
      handshake_failures[i].inc();
      return;
    }
  handshake_failures[handshake_statuses.size() - 1].inc(); // other
}

// -- exposition -----------------------------------------------------------------------------------

namespace {

/// Backslash and newline escaped, and the double quote too where `quotes` (label values; HELP
/// text keeps its quotes), as the text format asks.
std::string escape(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"' && quotes)
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
  return out;
}

} // namespace

std::string exposition_writer::escape_label(std::string_view value) {
  return escape(value, true);
}

std::string exposition_writer::escape_help(std::string_view text) {
  return escape(text, false);
}

std::string exposition_writer::format_value(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc{})
    return "NaN";
  return std::string{buf, end};
}

void exposition_writer::family(std::string_view name, std::string_view help,
                               std::string_view type) {
  out_.append("# HELP ").append(name).append(" ").append(escape_help(help)).append("\n");
  out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void exposition_writer::head(std::string_view name, const std::vector<label>& labels) {
  out_.append(name);
  if (!labels.empty()) {
    out_.push_back('{');
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0)
        out_.push_back(',');
      out_.append(labels[i].first).append("=\"").append(escape_label(labels[i].second));
      out_.push_back('"');
    }
    out_.push_back('}');
  }
  out_.push_back(' ');
}

void exposition_writer::sample(std::string_view name, const std::vector<label>& labels,
                               double value) {
  head(name, labels);
  out_.append(format_value(value)).push_back('\n');
}

void exposition_writer::sample(std::string_view name, const std::vector<label>& labels,
                               uint64_t value) {
  head(name, labels);
  out_.append(std::to_string(value)).push_back('\n');
}

void exposition_writer::sample(std::string_view name, const std::vector<label>& labels,
                               int64_t value) {
  head(name, labels);
  out_.append(std::to_string(value)).push_back('\n');
}

void exposition_writer::histogram(std::string_view name, std::string_view help,
                                  const actorchat::histogram& h) {
  family(name, help, "histogram");
  auto snap = h.read();
  std::string base{name};
  auto bucket = base + "_bucket";
  for (size_t i = 0; i < h.bounds().size(); ++i) {
    auto le = format_value(static_cast<double>(h.bounds()[i]) / h.divisor());
    sample(bucket, {{"le", le}}, snap.cumulative[i]);
  }
  sample(bucket, {{"le", "+Inf"}}, snap.cumulative.back());
  if (h.divisor() == 1.0)
    sample(base + "_sum", {}, snap.sum);
  else
    sample(base + "_sum", {}, static_cast<double>(snap.sum) / h.divisor());
  sample(base + "_count", {}, snap.cumulative.back());
}

std::string render_prometheus(const metrics& m) {
  exposition_writer w;
  using std::chrono::duration;

  w.family("actorchat_build_info", "Build information; the value is always 1.", "gauge");
  w.sample("actorchat_build_info", {{"version", m.version}}, int64_t{1});
  w.family("process_start_time_seconds", "Start time of the process since the Unix epoch in "
                                         "seconds.", "gauge");
  w.sample("process_start_time_seconds", {},
           std::floor(duration<double>(m.started_at.time_since_epoch()).count() * 1000) / 1000);
  w.family("actorchat_uptime_seconds", "Seconds since the server started.", "gauge");
  w.sample("actorchat_uptime_seconds", {},
           std::floor(duration<double>(std::chrono::steady_clock::now() - m.started_mono).count()
                      * 1000) / 1000);
  w.family("actorchat_draining", "1 once shutdown began (new WebSocket upgrades get 503).",
           "gauge");
  w.sample("actorchat_draining", {}, m.draining.value());

  w.family("actorchat_connections", "WebSocket connections open now.", "gauge");
  w.sample("actorchat_connections", {}, m.connections.value());
  w.family("actorchat_connections_opened_total", "WebSocket connections opened (upgrades completed).",
           "counter");
  w.sample("actorchat_connections_opened_total", {}, m.connections_opened.value());
  w.family("actorchat_connections_closed_total", "WebSocket connections closed, by reason.",
           "counter");
  for (size_t i = 0; i < close_reason_count; ++i)
    w.sample("actorchat_connections_closed_total",
             {{"reason", to_string(static_cast<close_reason>(i))}},
             m.connections_closed[i].value());
  w.family("actorchat_connections_refused_total",
           "TCP connections refused with 503 at accept because a connection cap was reached, by "
           "cap.", "counter");
  for (size_t i = 0; i < refusal_count; ++i)
    w.sample("actorchat_connections_refused_total",
             {{"reason", to_string(static_cast<refusal>(i))}}, m.connections_refused[i].value());
  w.family("actorchat_handshake_failures_total",
           "WebSocket upgrades that failed, by the HTTP status answered (tls: TLS handshake "
           "failed).", "counter");
  for (size_t i = 0; i < handshake_statuses.size(); ++i)
    w.sample("actorchat_handshake_failures_total", {{"status", handshake_statuses[i]}},
             m.handshake_failures[i].value());

  w.family("actorchat_messages_received_total", "Text frames received from clients.", "counter");
  w.sample("actorchat_messages_received_total", {}, m.messages_received.value());
  w.family("actorchat_messages_delivered_total",
           "JSON objects (messages, replies, events) written to client sockets.", "counter");
  w.sample("actorchat_messages_delivered_total", {}, m.messages_delivered.value());
  w.family("actorchat_frames_sent_total",
           "WebSocket frames written to clients (objects coalesced into frames).", "counter");
  w.sample("actorchat_frames_sent_total", {}, m.frames_sent.value());
  w.family("actorchat_slow_client_drops_total",
           "Connections closed (1008) because their send queue was full.", "counter");
  w.sample("actorchat_slow_client_drops_total", {}, m.slow_client_drops.value());
  w.family("actorchat_rate_limit_hits_total",
           "Frames refused with error rate_limited (over chat.rate-limit).", "counter");
  w.sample("actorchat_rate_limit_hits_total", {}, m.rate_limit_hits.value());
  w.family("actorchat_rate_limit_closes_total",
           "Connections closed (1008) for going on over chat.rate-limit.", "counter");
  w.sample("actorchat_rate_limit_closes_total", {}, m.rate_limit_closes.value());
  w.family("actorchat_messages_rejected_total",
           "Messages a filter behaviour rejected (the sender got error rejected).", "counter");
  w.sample("actorchat_messages_rejected_total", {}, m.messages_rejected.value());
  w.family("actorchat_behaviour_failures_total",
           "Filters and slash-commands that failed or did not answer within "
           "chat.behaviour-timeout.", "counter");
  w.sample("actorchat_behaviour_failures_total", {}, m.behaviour_failures.value());
  w.family("actorchat_send_queue_messages",
           "JSON objects queued for writing, summed over all connections.", "gauge");
  w.sample("actorchat_send_queue_messages", {}, m.send_queue.value());
  w.histogram("actorchat_send_queue_depth",
              "Objects queued on one connection, observed at each write.", m.send_queue_depth);

  w.family("actorchat_rooms", "Live rooms.", "gauge");
  w.sample("actorchat_rooms", {}, m.rooms.value());
  w.histogram("actorchat_store_commit_batch_messages", "Messages per store commit.",
              m.store_batch);
  w.histogram("actorchat_store_commit_duration_seconds",
              "Duration of store commits (group commits, fsync included).", m.store_commit_time);
  w.family("actorchat_store_commit_failures_total", "Store commits that failed.", "counter");
  w.sample("actorchat_store_commit_failures_total", {}, m.store_failures.value());
  w.family("actorchat_store_healthy",
           "1 while the last store commit succeeded (or none was tried), else 0.", "gauge");
  w.sample("actorchat_store_healthy", {}, m.store_healthy.value());
  if (!m.node_id.empty()) {
    w.family("actorchat_cluster_peer_up",
             "1 while this node's link to the peer is up (docs/CLUSTER.md), else 0.", "gauge");
    for (size_t i = 0; i < m.peer_ids.size(); ++i)
      w.sample("actorchat_cluster_peer_up", {{"peer", m.peer_ids[i]}}, m.peer_up[i].value());
    w.family("actorchat_cluster_peer_links_total",
             "Links to peers that came up, the first time or again.", "counter");
    w.sample("actorchat_cluster_peer_links_total", {}, m.peer_links.value());
  }
  return w.text();
}

} // namespace actorchat
