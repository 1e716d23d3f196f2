// metrics: GET /metrics is valid Prometheus text exposition whose counters follow real traffic,
// it can move to a port of its own or be switched off, and GET /healthz says 200 while the server
// accepts clients and 503 while it drains (docs/OPERATIONS.md).
#define CAF_SUITE metrics
#include "fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <map>
#include <regex>
#include <set>
#include <thread>

using namespace actorchat::itest;

namespace {

/// One scrape: every sample by its series ("name{labels}" exactly as written).
struct scrape_result {
  std::map<std::string, double> samples;
  std::vector<std::string> bad_lines; ///< lines that break the format, with why
};

/// The family a sample belongs to: histogram series drop their _bucket, _sum or _count.
std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
  for (auto suffix : {"_bucket", "_sum", "_count"}) {
    std::string_view s{suffix};
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      auto base = name.substr(0, name.size() - s.size());
      auto i = types.find(base);
      if (i != types.end() && i->second == "histogram")
        return base;
    }
  }
  return name;
}

/// Parses a text exposition: every line must be a HELP or TYPE comment or a sample; every sample
/// must follow its family's TYPE line; no family is declared twice and none is split by another;
/// values are numbers; every HELP has its TYPE. Histograms: `le` ascending, counts cumulative,
/// the last bucket le="+Inf" and equal to _count.
scrape_result parse_exposition(const std::string& text) {
  static const std::regex help{R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) [^\n]*)"};
  static const std::regex type{R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))"};
  static const std::regex sample{
    R"re(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\[\\"n])*")*\})? ([-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[+-]Inf|NaN))re"};
  scrape_result out;
  std::map<std::string, std::string> types;
  std::set<std::string> helps;
  std::set<std::string> finished; ///< families whose samples ended (another family began)
  std::string current;            ///< the family of the last sample
  struct buckets {
    std::vector<std::pair<double, double>> le_value; ///< in text order
    double count = -1;
  };
  std::map<std::string, buckets> histograms;
  static const std::regex le_label{R"re(\{le="([^"]*)"\})re"};
  if (text.empty() || text.back() != '\n')
    out.bad_lines.push_back("(the text does not end with a newline)");
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, help)) {
      if (!helps.insert(m[1].str()).second)
        out.bad_lines.push_back(line + "  (second HELP)");
    } else if (std::regex_match(line, m, type)) {
      if (!types.emplace(m[1].str(), m[2].str()).second)
        out.bad_lines.push_back(line + "  (second TYPE)");
    } else if (std::regex_match(line, m, sample)) {
      auto name = m[1].str();
      auto family = family_of(name, types);
      if (types.count(family) == 0)
        out.bad_lines.push_back(line + "  (no TYPE before it)");
      if (family != current) {
        if (!current.empty())
          finished.insert(current);
        if (finished.count(family) != 0)
          out.bad_lines.push_back(line + "  (family split by another)");
        current = family;
      }
      auto series = name + m[2].str();
      auto value = m[3].str();
      double v = value == "+Inf" ? HUGE_VAL : value == "-Inf" ? -HUGE_VAL : std::stod(value);
      if (family != name && types[family] == "histogram") {
        auto labels = m[2].str();
        std::smatch le;
        if (name == family + "_bucket") {
          if (std::regex_match(labels, le, le_label))
            histograms[family].le_value.emplace_back(
              le[1].str() == "+Inf" ? HUGE_VAL : std::stod(le[1].str()), v);
          else
            out.bad_lines.push_back(line + "  (bucket without a single le label)");
        } else if (name == family + "_count") {
          histograms[family].count = v;
        }
      }
      if (!out.samples.emplace(series, v).second)
        out.bad_lines.push_back(line + "  (series repeated)");
    } else {
      out.bad_lines.push_back(line);
    }
  }
  for (auto& h : helps)
    if (types.count(h) == 0)
      out.bad_lines.push_back("# HELP " + h + "  (no TYPE)");
  for (auto& [family, h] : histograms) {
    const auto& b = h.le_value;
    bool ok = !b.empty() && b.back().first == HUGE_VAL && b.back().second == h.count;
    for (size_t i = 1; ok && i < b.size(); ++i)
      ok = b[i - 1].first < b[i].first && b[i - 1].second <= b[i].second;
    if (!ok)
      out.bad_lines.push_back(family + "  (buckets not ascending and cumulative up to le=\"+Inf\" "
                                       "= _count)");
  }
  return out;
}

/// GET /metrics on `port`: requires 200, the exposition content type and a valid text.
scrape_result scrape(uint16_t port) {
  auto res = http_request(port, "GET", "/metrics");
  if (res.status != 200)
    ITEST_FAIL("GET /metrics: " << res.status << " " << res.error << " " << res.body);
  CAF_CHECK_EQUAL(res.content_type, "text/plain; version=0.0.4; charset=utf-8");
  auto parsed = parse_exposition(res.body);
  for (auto& bad : parsed.bad_lines)
    CAF_MESSAGE("not exposition format: " << bad);
  CAF_CHECK(parsed.bad_lines.empty());
  ITEST_REQUIRE(!parsed.samples.empty());
  return parsed;
}

/// The value of `series`; requires it to be present.
double value(const scrape_result& s, const std::string& series) {
  auto i = s.samples.find(series);
  if (i == s.samples.end())
    ITEST_FAIL("no sample " << series);
  return i->second;
}

/// Scrapes until `series` satisfies `ok` (the server counts on its own threads); requires that
/// it does within io_timeout. Returns the last scrape.
template <class Predicate>
scrape_result scrape_until(uint16_t port, const std::string& series, Predicate ok) {
  auto deadline = std::chrono::steady_clock::now() + io_timeout;
  for (;;) {
    auto s = scrape(port);
    auto i = s.samples.find(series);
    if (i != s.samples.end() && ok(i->second))
      return s;
    if (std::chrono::steady_clock::now() >= deadline)
      ITEST_FAIL(series << " = " << (i == s.samples.end() ? std::string{"(absent)"}
                                                          : std::to_string(i->second))
                        << " did not reach the expected value");
    std::this_thread::sleep_for(milliseconds{50});
  }
}

/// A port of 127.0.0.1 that was free a moment ago.
uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ITEST_REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0
            && ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  ITEST_REQUIRE(ok);
  return ntohs(addr.sin_port);
}

/// While the server drains: /healthz answers 503 "draining" and a valid upgrade gets 503.
void check_draining(uint16_t port) {
  auto res = http_request(port, "GET", "/healthz");
  CAF_CHECK_EQUAL(res.status, 503);
  CAF_CHECK(res.body.find(R"("status":"draining")") != std::string::npos);
  auto head = raw_http_head(port, "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                  "Connection: Upgrade\r\nSec-WebSocket-Key: "
                                  "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                            io_timeout);
  CAF_CHECK_EQUAL(status_of(head), 503);
}

/// An upgrade request with an unsupported Sec-WebSocket-Version: refused with 426.
std::string upgrade_v8(uint16_t port) {
  return "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port)
         + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n";
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace

// The parser below judges every scrape: it must refuse what Prometheus would.
CAF_TEST(the exposition checker refuses broken texts) {
  const std::string good = "# HELP a_total A.\n# TYPE a_total counter\na_total 3\n"
                           "# HELP h_seconds H.\n# TYPE h_seconds histogram\n"
                           "h_seconds_bucket{le=\"0.1\"} 1\nh_seconds_bucket{le=\"1\"} 2\n"
                           "h_seconds_bucket{le=\"+Inf\"} 3\nh_seconds_sum 1.5\nh_seconds_count 3\n";
  CAF_CHECK(parse_exposition(good).bad_lines.empty());
  auto bad = [&](std::string from, std::string to) {
    auto text = good;
    text.replace(text.find(from), from.size(), to);
    return !parse_exposition(text).bad_lines.empty();
  };
  CAF_CHECK(bad("le=\"1\"} 2", "le=\"1\"} 0"));                        // not cumulative
  CAF_CHECK(bad("h_seconds_count 3", "h_seconds_count 4"));              // +Inf != _count
  CAF_CHECK(bad("h_seconds_bucket{le=\"+Inf\"} 3\n", ""));               // no +Inf bucket
  CAF_CHECK(bad("{le=\"0.1\"} 1\nh_seconds_bucket{le=\"1\"}", "{le=\"1\"} 1\nh_seconds_bucket{le=\"0.1\"}")); // le order
  CAF_CHECK(bad("# TYPE a_total counter\n", ""));                        // HELP without TYPE
  CAF_CHECK(bad("h_seconds_count 3\n", "h_seconds_count 3\na_total{x=\"1\"} 4\n")); // family split
  CAF_CHECK(bad("a_total 3", "a_total three"));                           // not a number
  CAF_CHECK(bad("h_seconds_count 3\n", "h_seconds_count 3"));             // no final newline
}

CAF_TEST_FIXTURE_SCOPE(metrics_tests, server_fixture)

ITEST_CASE(every line of metrics is exposition format and counters move with traffic) {
  // Scrapes are new connections each: no cap on their rate.
  start_server({"--chat.rate-limit=0", "--chat.connect-rate-per-ip=0"});
  auto before = scrape(port());
  CAF_CHECK_EQUAL(value(before, "actorchat_connections_opened_total"), 0.0);
  CAF_CHECK_EQUAL(value(before, "actorchat_connections"), 0.0);
  size_t build_infos = 0;
  for (auto& [series, v] : before.samples)
    if (series.rfind("actorchat_build_info{version=\"", 0) == 0) {
      ++build_infos;
      CAF_CHECK_EQUAL(v, 1.0);
    }
  CAF_CHECK_EQUAL(build_infos, 1u);
  CAF_CHECK_GREATER(value(before, "process_start_time_seconds"), 1.6e9);
  CAF_CHECK_EQUAL(value(before, "actorchat_store_healthy"), 1.0);
  CAF_CHECK_EQUAL(value(before, "actorchat_draining"), 0.0);

  // Real traffic: two clients in the lobby, five messages from A, seen by both.
  auto a = connect_peer(port(), "A");
  auto b = connect_peer(port(), "B");
  a.expect("joined", "lobby");
  b.expect("joined", "lobby");
  auto seqs = a.say_many("lobby", "m", 1, 5);
  ITEST_REQUIRE_EQUAL(seqs.size(), size_t{5});
  for (auto seq : seqs)
    b.expect_message("lobby", seq);
  // And a refused upgrade.
  auto head = raw_http_head(port(), upgrade_v8(port()), io_timeout);
  CAF_CHECK_EQUAL(status_of(head), 426);

  auto after = scrape_until(port(), "actorchat_messages_received_total",
                            [](double v) { return v >= 5; });
  CAF_CHECK_EQUAL(value(after, "actorchat_connections_opened_total"), 2.0);
  CAF_CHECK_EQUAL(value(after, "actorchat_connections"), 2.0);
  CAF_CHECK_EQUAL(value(after, "actorchat_messages_received_total"), 5.0);
  // Each peer got at least a welcome, a joined, the presence events and B the five messages.
  CAF_CHECK_GREATER_OR_EQUAL(value(after, "actorchat_messages_delivered_total"), 15.0);
  CAF_CHECK_GREATER_OR_EQUAL(value(after, "actorchat_frames_sent_total"), 4.0);
  CAF_CHECK_LESS_OR_EQUAL(value(after, "actorchat_frames_sent_total"),
                          value(after, "actorchat_messages_delivered_total"));
  CAF_CHECK_EQUAL(value(after, "actorchat_handshake_failures_total{status=\"426\"}"), 1.0);
  CAF_CHECK_EQUAL(value(after, "actorchat_rooms"), 1.0);
  // Five messages went to the store, in at least one commit (ack'd before B saw them).
  CAF_CHECK_EQUAL(value(after, "actorchat_store_commit_batch_messages_sum"), 5.0);
  auto commits = value(after, "actorchat_store_commit_batch_messages_count");
  CAF_CHECK_GREATER_OR_EQUAL(commits, 1.0);
  CAF_CHECK_EQUAL(value(after, "actorchat_store_commit_duration_seconds_count"), commits);
  CAF_CHECK_EQUAL(value(after, "actorchat_store_commit_duration_seconds_bucket{le=\"+Inf\"}"),
                  commits);
  CAF_CHECK_GREATER(value(after, "actorchat_store_commit_duration_seconds_sum"), 0.0);
  CAF_CHECK_GREATER_OR_EQUAL(value(after, "actorchat_send_queue_depth_count"), 4.0);
  CAF_CHECK_GREATER_OR_EQUAL(value(after, "actorchat_uptime_seconds"), 0.0);
  for (auto& [series, v] : after.samples)
    if (series.find("_total") != std::string::npos)
      if (auto i = before.samples.find(series); i != before.samples.end())
        CAF_CHECK_GREATER_OR_EQUAL(v, i->second); // counters never go down

  // A client that closes is counted by its reason.
  CAF_CHECK(a.ws.close(1000));
  auto closed = scrape_until(port(), "actorchat_connections", [](double v) { return v == 1; });
  CAF_CHECK_EQUAL(value(closed, "actorchat_connections_closed_total{reason=\"client_closed\"}"),
                  1.0);
  CAF_CHECK_EQUAL(value(closed, "actorchat_connections_opened_total"), 2.0);
  // Everything gets written: nothing stays queued (B may still be receiving A's leave when
  // the gauge above changed, so wait for it, within io_timeout).
  scrape_until(port(), "actorchat_send_queue_messages", [](double v) { return v == 0; });
}

ITEST_CASE(connections refused at accept are counted by cap) {
  // One connection at most; the metrics listener has no caps, so scrapes get through.
  auto mport = free_port();
  start_server({"--chat.max-connections=1", "--chat.metrics-port=" + std::to_string(mport)});
  auto client = connect_client();
  auto head = raw_http_head(port(), upgrade_v8(port()), io_timeout);
  CAF_CHECK_EQUAL(status_of(head), 503);
  auto s = scrape(mport);
  CAF_CHECK_EQUAL(value(s, "actorchat_connections_refused_total{reason=\"server_full\"}"), 1.0);
  CAF_CHECK_EQUAL(value(s, "actorchat_connections_refused_total{reason=\"address_full\"}"), 0.0);
  // The refused request was an upgrade: a handshake failure with the 503 it got.
  CAF_CHECK_EQUAL(value(s, "actorchat_handshake_failures_total{status=\"503\"}"), 1.0);
  CAF_CHECK_EQUAL(value(s, "actorchat_handshake_failures_total{status=\"426\"}"), 0.0);
  // A health probe on a full server still learns the health (not a plain-text "server full").
  auto health = http_request(port(), "GET", "/healthz");
  CAF_CHECK_EQUAL(health.status, 200);
  CAF_CHECK_EQUAL(health.content_type, "application/json");
  CAF_CHECK(contains(health.body, R"("status":"ok")"));
}

ITEST_CASE(rate limit hits are counted) {
  start_server({"--chat.rate-limit=2", "--chat.rate-burst=2"});
  auto a = connect_peer(port(), "A");
  a.expect("joined", "lobby");
  for (int i = 0; i < 3; ++i) // the burst of 2, then one refused (a fourth would close)
    a.send_raw("flood " + std::to_string(i));
  a.expect_error_without_id("rate_limited");
  auto s = scrape_until(port(), "actorchat_rate_limit_hits_total", [](double v) { return v >= 1; });
  CAF_CHECK_EQUAL(value(s, "actorchat_slow_client_drops_total"), 0.0);
  CAF_CHECK_EQUAL(value(s, "actorchat_rate_limit_closes_total"), 0.0);
}

ITEST_CASE(healthz is 200 with a JSON body while the server accepts clients) {
  start_server();
  auto res = http_request(port(), "GET", "/healthz");
  CAF_CHECK_EQUAL(res.status, 200);
  CAF_CHECK_EQUAL(res.content_type, "application/json");
  auto body = boost::json::parse(res.body).as_object();
  CAF_CHECK_EQUAL(get_string(body, "status"), "ok");
  CAF_CHECK(get_int(body, "uptime_seconds").has_value());
  CAF_CHECK_EQUAL(get_int(body, "connections").value_or(-1), 0);
}

ITEST_CASE(healthz turns 503 during the drain while metrics go on) {
  // A client that never answers the close keeps the drain open for the closing handshake
  // (handshake-timeout), well within shutdown-timeout.
  auto& proc = start_server({"--chat.shutdown-timeout=20s", "--chat.handshake-timeout=6s",
                             "--chat.connect-rate-per-ip=0"});
  auto client = connect_client();
  ITEST_REQUIRE_EQUAL(http_request(port(), "GET", "/healthz").status, 200);
  proc.signal(SIGTERM);
  ITEST_REQUIRE(proc.wait_stderr("shutdown_started", io_timeout));
  // New upgrades are refused meanwhile, and counted.
  check_draining(port());
  auto s = scrape(port());
  CAF_CHECK_EQUAL(value(s, "actorchat_draining"), 1.0);
  CAF_CHECK_EQUAL(value(s, "actorchat_handshake_failures_total{status=\"503\"}"), 1.0);
  CAF_CHECK_EQUAL(value(s, "actorchat_connections"), 1.0);
  // The client answers the close now; the server is done.
  auto end = client.read_until_close(io_timeout);
  CAF_CHECK_EQUAL(end.close_code, 1001u);
  auto status = proc.wait_exit(io_timeout);
  ITEST_REQUIRE(status.has_value());
  CAF_CHECK_EQUAL(*status, 0);
  CAF_CHECK(contains(proc.stderr_text(), "reason=going_away"));
}

ITEST_CASE(during drain-delay healthz is 503 while connected clients go on chatting) {
  auto& proc = start_server({"--chat.drain-delay=2s", "--chat.shutdown-timeout=5s"});
  auto a = connect_peer(port(), "A");
  auto b = connect_peer(port(), "B");
  a.expect("joined", "lobby");
  b.expect("joined", "lobby");
  proc.signal(SIGTERM);
  ITEST_REQUIRE(proc.wait_stderr("shutdown_started", io_timeout));
  auto t0 = std::chrono::steady_clock::now();
  check_draining(port());
  // The clients are still served: a message goes round.
  a.send_raw("still here");
  b.expect_message("lobby", 1, "still here");
  CAF_CHECK(!contains(proc.stderr_text(), "shutdown_closing"));
  // Then everyone gets 1001, not before the delay, and the process exits 0.
  auto end = b.ws.read_until_close(io_timeout);
  CAF_CHECK_EQUAL(end.close_code, 1001u);
  CAF_CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(1500));
  auto status = proc.wait_exit(io_timeout);
  ITEST_REQUIRE(status.has_value());
  CAF_CHECK_EQUAL(*status, 0);
}

ITEST_CASE(metrics move to their own port and off the chat port) {
  auto mport = free_port();
  auto& proc = start_server({"--chat.metrics-port=" + std::to_string(mport)});
  ITEST_REQUIRE(proc.wait_stderr("metrics_listening url=http://127.0.0.1:" + std::to_string(mport)
                                   + "/metrics",
                                 io_timeout));
  auto s = scrape(mport);
  CAF_CHECK_EQUAL(value(s, "actorchat_connections_opened_total"), 0.0);
  CAF_CHECK_EQUAL(http_request(port(), "GET", "/metrics").status, 404);
  CAF_CHECK_EQUAL(http_request(port(), "GET", "/healthz").status, 200);
  CAF_CHECK_EQUAL(http_request(mport, "GET", "/healthz").status, 200);
  // The metrics listener serves nothing else.
  CAF_CHECK_EQUAL(http_request(mport, "GET", "/").status, 404);
  CAF_CHECK_EQUAL(http_request(mport, "GET", "/ws").status, 404);
  // Chat traffic on the chat port shows on the metrics port.
  auto client = connect_client();
  scrape_until(mport, "actorchat_connections_opened_total", [](double v) { return v == 1; });
}

ITEST_CASE(metrics off answers 404 and healthz stays) {
  start_server({"--chat.metrics=off"});
  CAF_CHECK_EQUAL(http_request(port(), "GET", "/metrics").status, 404);
  CAF_CHECK_EQUAL(http_request(port(), "GET", "/healthz").status, 200);
}

ITEST_CASE(a bad metrics setting is refused at startup) {
  auto& proc = launch({"--chat.port=0", "--chat.web-root=" + web_root(), "--chat.metrics=maybe"});
  auto status = proc.wait_exit(io_timeout);
  ITEST_REQUIRE(status.has_value());
  CAF_CHECK_EQUAL(*status, 2);
  CAF_CHECK(!config_errors_naming(proc.stderr_text(), "metrics").empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
