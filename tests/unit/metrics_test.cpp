#define CAF_SUITE metrics
#include "actors/metrics.hpp"

#include <caf/test/unit_test.hpp>

#include <algorithm>
#include <limits>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace actorchat;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

/// A line of the text exposition format: a HELP or TYPE comment, or a sample with optional
/// labels (escaped values) and a float value.
bool valid_line(const std::string& line) {
  static const std::regex help{R"(# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*)"};
  static const std::regex type{R"(# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram))"};
  static const std::regex sample{
    R"re([a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? ([-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[+-]Inf|NaN))re"};
  return std::regex_match(line, help) || std::regex_match(line, type)
         || std::regex_match(line, sample);
}

bool contains_line(const std::string& text, const std::string& line) {
  auto lines = lines_of(text);
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

} // namespace

CAF_TEST(the line checker refuses what is not exposition format) {
  CAF_CHECK(valid_line("a_total 3"));
  CAF_CHECK(valid_line("a_seconds_sum 0.25"));
  CAF_CHECK(valid_line("a_bucket{le=\"+Inf\"} 1e+06"));
  CAF_CHECK(!valid_line("a_total 1.2.3"));
  CAF_CHECK(!valid_line("a_total e"));
  CAF_CHECK(!valid_line("a_total"));
  CAF_CHECK(!valid_line("a_total{le=\"1} 2"));
  CAF_CHECK(!valid_line("1a_total 2"));
  CAF_CHECK(!valid_line("# TYPE a_total countr"));
}

CAF_TEST(label values escape backslash quote and newline) {
  auto escaped = exposition_writer::escape_label("a\\b\"c\nd");
  CAF_CHECK_EQUAL(escaped, std::string{"a\\\\b\\\"c\\nd"});
  auto help = exposition_writer::escape_help("x\\y\n\"z\"");
  CAF_CHECK_EQUAL(help, std::string{"x\\\\y\\n\"z\""});
}

CAF_TEST(values are written in the shortest exact form) {
  std::string one = exposition_writer::format_value(1.0);
  std::string small = exposition_writer::format_value(0.005);
  std::string inf = exposition_writer::format_value(std::numeric_limits<double>::infinity());
  CAF_CHECK_EQUAL(one, std::string{"1"});
  CAF_CHECK_EQUAL(small, std::string{"0.005"});
  CAF_CHECK_EQUAL(inf, std::string{"+Inf"});
}

CAF_TEST(a sample with labels is one line) {
  exposition_writer w;
  w.family("x_total", "Things\nand more.", "counter");
  w.sample("x_total", {{"reason", "a\"b"}, {"code", "1008"}}, uint64_t{7});
  w.sample("y", {}, int64_t{-3});
  std::string text = w.text();
  CAF_CHECK_EQUAL(text, std::string{"# HELP x_total Things\\nand more.\n"
                                    "# TYPE x_total counter\n"
                                    "x_total{reason=\"a\\\"b\",code=\"1008\"} 7\n"
                                    "y -3\n"});
  for (auto& line : lines_of(text))
    CAF_CHECK(valid_line(line));
}

CAF_TEST(histogram buckets are cumulative and end with Inf) {
  histogram h{{10, 100, 1000}, 1000.0};
  for (uint64_t v : {1u, 10u, 11u, 500u, 5000u})
    h.observe(v);
  auto snap = h.read();
  std::vector<uint64_t> want{2, 3, 4, 5};
  CAF_CHECK_EQUAL(snap.cumulative, want);
  CAF_CHECK_EQUAL(snap.sum, 5522u);
  exposition_writer w;
  w.histogram("t_seconds", "Time.", h);
  std::string text = w.text();
  CAF_MESSAGE(text);
  CAF_CHECK(contains_line(text, "# TYPE t_seconds histogram"));
  CAF_CHECK(contains_line(text, "t_seconds_bucket{le=\"0.01\"} 2"));
  CAF_CHECK(contains_line(text, "t_seconds_bucket{le=\"0.1\"} 3"));
  CAF_CHECK(contains_line(text, "t_seconds_bucket{le=\"1\"} 4"));
  CAF_CHECK(contains_line(text, "t_seconds_bucket{le=\"+Inf\"} 5"));
  CAF_CHECK(contains_line(text, "t_seconds_sum 5.522"));
  CAF_CHECK(contains_line(text, "t_seconds_count 5"));
}

CAF_TEST(an unscaled histogram sums in integers) {
  histogram h{{1, 2}, 1.0};
  h.observe(2);
  h.observe(3);
  exposition_writer w;
  w.histogram("b", "Batch.", h);
  std::string text = w.text();
  CAF_CHECK(contains_line(text, "b_bucket{le=\"1\"} 0"));
  CAF_CHECK(contains_line(text, "b_bucket{le=\"2\"} 1"));
  CAF_CHECK(contains_line(text, "b_sum 5"));
}

CAF_TEST(handshake failures are counted by status and unknown ones as other) {
  metrics m;
  m.handshake_failed(403);
  m.handshake_failed(403);
  m.handshake_failed(418);
  m.handshake_failed("tls");
  auto text = render_prometheus(m);
  CAF_CHECK(contains_line(text, "actorchat_handshake_failures_total{status=\"403\"} 2"));
  CAF_CHECK(contains_line(text, "actorchat_handshake_failures_total{status=\"other\"} 1"));
  CAF_CHECK(contains_line(text, "actorchat_handshake_failures_total{status=\"tls\"} 1"));
}

CAF_TEST(the full rendering is valid and names every family once) {
  metrics m;
  m.version = "1.2.3 \"beta\"";
  m.connections_opened.inc(3);
  m.connections.add(2);
  m.connections_closed[static_cast<size_t>(close_reason::policy)].inc();
  m.store_commit_time.observe(1500000); // 1.5 ms
  m.store_batch.observe(3);
  auto text = render_prometheus(m);
  std::set<std::string> typed;
  for (auto& line : lines_of(text)) {
    if (!valid_line(line))
      CAF_MESSAGE("invalid line: " << line);
    CAF_CHECK(valid_line(line));
    if (line.rfind("# TYPE ", 0) == 0) {
      auto name = line.substr(7, line.find(' ', 7) - 7);
      CAF_CHECK(typed.insert(name).second);
    }
  }
  for (auto name : {"actorchat_build_info", "process_start_time_seconds",
                    "actorchat_uptime_seconds", "actorchat_draining", "actorchat_connections",
                    "actorchat_connections_opened_total", "actorchat_connections_closed_total",
                    "actorchat_connections_refused_total", "actorchat_handshake_failures_total",
                    "actorchat_messages_received_total", "actorchat_messages_delivered_total",
                    "actorchat_frames_sent_total", "actorchat_slow_client_drops_total",
                    "actorchat_rate_limit_hits_total", "actorchat_rate_limit_closes_total",
                    "actorchat_send_queue_messages", "actorchat_send_queue_depth",
                    "actorchat_rooms", "actorchat_store_commit_batch_messages",
                    "actorchat_store_commit_duration_seconds",
                    "actorchat_store_commit_failures_total", "actorchat_store_healthy"})
    CAF_CHECK(typed.count(name) == 1);
  CAF_CHECK(contains_line(text, "actorchat_build_info{version=\"1.2.3 \\\"beta\\\"\"} 1"));
  CAF_CHECK(contains_line(text, "actorchat_connections_opened_total 3"));
  CAF_CHECK(contains_line(text, "actorchat_connections 2"));
  CAF_CHECK(contains_line(text, "actorchat_connections_closed_total{reason=\"policy\"} 1"));
  CAF_CHECK(contains_line(text, "actorchat_store_commit_duration_seconds_bucket{le=\"0.001\"} 0"));
  CAF_CHECK(
    contains_line(text, "actorchat_store_commit_duration_seconds_bucket{le=\"0.0025\"} 1"));
  CAF_CHECK(contains_line(text, "actorchat_store_commit_duration_seconds_sum 0.0015"));
  CAF_CHECK(contains_line(text, "actorchat_store_commit_batch_messages_sum 3"));
  CAF_CHECK(contains_line(text, "actorchat_store_healthy 1"));
}
