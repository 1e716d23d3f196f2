#include "config/chat_config.hpp"

#include "config/cluster_map.hpp"
#include "config/log.hpp"

#include <caf/config_option_set.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/settings.hpp>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>
#include <sys/stat.h>
#include <unistd.h>

namespace actorchat {

namespace {

/// Finds the 1-based line where `key` is set inside `[section]` of `text`, or 0.
size_t find_line(std::string_view text, const std::string& section, const std::string& key) {
  std::istringstream in{std::string{text}};
  std::string line;
  std::string current;
  for (size_t n = 1; std::getline(in, line); ++n) {
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == ';')
      continue;
    if (line[first] == '[') {
      auto close = line.find(']', first);
      current = line.substr(first + 1, close == std::string::npos ? close : close - first - 1);
      continue;
    }
    if (current != section || line.compare(first, key.size(), key) != 0)
      continue;
    auto after = line.find_first_not_of(" \t", first + key.size());
    if (after != std::string::npos && line[after] == '=')
      return n;
  }
  return 0;
}

/// Empty if `origin` is "*" or scheme://host[:port] (http or https, nothing after the
/// authority), else why not.
std::string check_origin_entry(const std::string& origin) {
  if (origin == "*")
    return {};
  static const std::regex form{R"re((http|https)://[A-Za-z0-9.\-]+(:[0-9]{1,5})?|(http|https)://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?)re"};
  if (!std::regex_match(origin, form))
    return "must be \"*\" or scheme://host[:port] with scheme http or https and no path "
           "(as a browser sends it in the Origin header)";
  return {};
}

bool readable_file(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), R_OK) == 0;
}

bool is_directory(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

/// Turns CAF's "parser_error(unexpected_character, ({"column" = 9, "line" = 3}))" into
/// "PATH:3:9: syntax error (unexpected_character): <hint>".
std::string describe_syntax_error(const std::string& path, const std::string& rendered) {
  static const std::regex where{R"re("column" = (\d+), "line" = (\d+))re"};
  static const std::regex code{R"re(parser_error\((\w+))re"};
  std::smatch m;
  std::string out = path;
  if (std::regex_search(rendered, m, where))
    out += ":" + m[2].str() + ":" + m[1].str();
  out += ": syntax error";
  if (std::regex_search(rendered, m, code))
    out += " (" + m[1].str() + ")";
  else
    out += " (" + rendered + ")";
  return out + ": sections look like [chat], values like key = 42, key = \"text\" (double "
               "quotes), key = 30s, key = [\"a\", \"b\"]; comments start with ';'";
}

/// The declared behaviour names, comma-separated ("none" if there are none).
std::string known_names(const std::map<std::string, chat_config::behaviour_type>& types) {
  std::string known;
  for (auto& bt : types)
    known += (known.empty() ? "" : ", ") + bt.first;
  return known.empty() ? "none" : known;
}

} // namespace

chat_config::chat_config() {
  config_file_path = default_config_file;
  opt_group{custom_options_, "chat"}
    .add(host, "host", "listen address (127.0.0.1 = this machine only; 0.0.0.0 = everyone)")
    .add(port, "port,p", "listen port (0 = any free port, printed at start)")
    .add(web_root, "web-root", "directory served over HTTP")
    .add(io_threads, "io-threads",
         "Asio threads for the network (beside CAF's scheduler), each serving its share of "
         "the connections")
    .add(write_gather, "write-gather",
         "on each network thread: the longest what rooms send waits to be joined by more before "
         "it is written, after a hand-off to 64 or more connections (it waits as long as "
         "those writes took); 0s: never")
    .add(tls_cert, "tls-cert", "PEM certificate chain; with tls-key serves https/wss")
    .add(tls_key, "tls-key", "PEM private key for tls-cert")
    .add(history_size, "history-size", "messages a room replays to a newcomer")
    .add(send_queue, "send-queue",
         "per-client bound on undelivered messages; a client over it is dropped (close 1008)")
    .add(max_message_size, "max-message-size",
         "largest inbound message in bytes; larger gets close 1009")
    .add(max_rooms_per_client, "max-rooms-per-client", "rooms one connection may be in")
    .add(max_rooms, "max-rooms", "live rooms on the server; joining a new room beyond: error")
    .add(presence_limit, "presence-limit",
         "in a room with more members than this, joins and leaves are not announced to "
         "everyone (each joiner still gets its own join; who and rooms give the count); 0 = "
         "always announced")
    .add(room_idle_timeout, "room-idle-timeout",
         "an empty room is retired after this long (its history stays in the store)")
    .add(store_path, "store-path",
         "SQLite file for durable history (parent directories are created); \":memory:\" keeps "
         "nothing across restarts")
    .add(store_sync, "store-sync",
         "\"full\": a message is sent only after fsync; \"normal\": after the OS has it "
         "(survives kill -9, not power loss)")
    .add(store_max_messages_per_room, "store-max-messages-per-room",
         "retention: messages kept per room (0 = unlimited)")
    .add(store_max_age, "store-max-age", "retention: messages older than this are deleted (0s = "
                                         "never)")
    .add(allowed_origins, "allowed-origins",
         "browser origins (\"https://chat.example.com\") that may open a WebSocket; [] = only "
         "the server's own (http(s)://<Host header>); \"*\" = any (others get 403)")
    .add(require_origin, "require-origin",
         "refuse (403) clients that send no Origin header, i.e. every non-browser client")
    .add(max_connections, "max-connections",
         "TCP connections the server holds at most (0 = no cap); more get 503")
    .add(max_connections_per_ip, "max-connections-per-ip",
         "TCP connections one source address may hold (0 = no cap); more get 503")
    .add(connect_rate_per_ip, "connect-rate-per-ip",
         "new connections per second one source address may open (0 = no cap); more get 503")
    .add(connect_burst_per_ip, "connect-burst-per-ip",
         "how many new connections an address may open at once before connect-rate-per-ip "
         "applies")
    .add(rate_limit, "rate-limit",
         "frames per second one connection may send (0 = no limit); excess frames are refused "
         "with error rate_limited, and a client that keeps on is closed with 1008")
    .add(rate_burst, "rate-burst",
         "frames a connection may send at once before rate-limit applies")
    .add(max_frames_in_flight, "max-frames-in-flight",
         "frames of one connection read but not yet handled; beyond, the server stops reading "
         "that socket so that TCP slows the sender down")
    .add(slow_client_timeout, "slow-client-timeout",
         "a client whose send queue is full is kept while it is still reading, and dropped "
         "(close 1008) once it has taken nothing for this long (or, lagging on its own, has "
         "had a full queue for this long, or filled a second one)")
    .add(log_level, "log-level", "least severe log lines written: debug, info, warn or error")
    .add(metrics, "metrics",
         "\"on\": serve Prometheus metrics at GET /metrics; \"off\": don't (404)")
    .add(metrics_host, "metrics-host",
         "listen address of the separate metrics listener (only with metrics-port)")
    .add(metrics_port, "metrics-port",
         "0 = /metrics is served on the chat port; else it moves to a plain-HTTP listener of "
         "its own on metrics-host:metrics-port (which answers /healthz too)")
    .add(behaviours, "behaviours",
         "behaviours to run, by name, in this order (filters see each message in this order); "
         "each has its own [chat.<name>] section (docs/EXTENDING.md)")
    .add(behaviour_timeout, "behaviour-timeout",
         "how long a filter or a slash-command's behaviour may take to answer")
    .add(filter_failure, "filter-failure",
         "when a filter fails or does not answer in time: \"allow\" lets the message pass, "
         "\"reject\" refuses it (the sender gets error rejected); either way it is logged")
    .add(ping_interval, "ping-interval", "how often the server pings each client")
    .add(pong_timeout, "pong-timeout", "a client that leaves a ping unanswered this long is dropped")
    .add(write_timeout, "write-timeout", "a client whose socket accepts no bytes this long is dropped")
    .add(handshake_timeout, "handshake-timeout",
         "time from TCP accept to a complete HTTP request / WebSocket upgrade (TLS included)")
    .add(shutdown_timeout, "shutdown-timeout",
         "on SIGINT/SIGTERM, time allowed to close every client before the process exits")
    .add(drain_delay, "drain-delay",
         "on SIGINT/SIGTERM, time during which /healthz says draining and new upgrades get 503 "
         "while connected clients go on chatting, before they are closed (0s = close at once); "
         "the process exits within drain-delay + shutdown-timeout");
  opt_group{custom_options_, "chat.cluster"}
    .add(cluster_node_id, "node-id",
         "this node's id, one of those in nodes (\"\" with nodes = []: a single node, no "
         "cluster)")
    .add(cluster_nodes, "nodes",
         "every node of the cluster, this one included, as \"id=host:port\" (the address of "
         "its cluster port, which this node listens on for its own entry); every node must "
         "have the same list")
    .add(cluster_reconnect_min, "reconnect-min",
         "wait before connecting again to a peer (or re-attaching a room) after a failure; "
         "doubles at each failure")
    .add(cluster_reconnect_max, "reconnect-max", "longest wait between two attempts");
}

caf::config_option_adder chat_config::declare_behaviour(const std::string& name,
                                                       std::string summary,
                                                       std::vector<std::string> default_rooms) {
  behaviour_types_[name] = behaviour_type{std::move(summary), std::move(default_rooms)};
  // The adder keeps only a view of its category: the string must outlive it.
  auto& category = categories_.emplace_back("chat." + name);
  caf::config_option_adder opts{custom_options_, category};
  opts.add<std::string>("nick", "the behaviour's nickname in its rooms (default: its name)")
    .add<std::vector<std::string>>("rooms", "rooms it joins at start")
    .add<size_t>("rate-limit", "messages per second it may send (0 = no limit: a trusted "
                               "behaviour)");
  return opts;
}

caf::settings chat_config::behaviour_settings(const std::string& name) const {
  if (auto own = caf::get_if<caf::settings>(&content, "chat." + name))
    return *own;
  return {};
}

std::vector<std::string> chat_config::validate_file(const std::string& path,
                                                    bool must_exist) const {
  std::ifstream in{path};
  if (!in) {
    if (must_exist)
      return {path + ": cannot open config file"};
    return {};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return validate_text(text.str(), path);
}

std::vector<std::string> chat_config::validate_text(std::string_view text,
                                                    const std::string& path) const {
  std::vector<std::string> problems;
  {
    std::istringstream probe{std::string{text}};
    // CAF reports CRLF line ends as a bare "trailing_character"; say what it really is.
    std::string line;
    for (size_t n = 1; std::getline(probe, line); ++n)
      if (!line.empty() && line.back() == '\r') {
        problems.push_back(path + ":" + std::to_string(n)
                           + ": Windows (CRLF) line ending; save the file with LF line endings");
        return problems;
      }
  }
  std::istringstream source{std::string{text}};
  auto raw = parse_config(source);
  if (!raw) {
    problems.push_back(describe_syntax_error(path, render(raw.error())));
    return problems;
  }
  for (auto& section : *raw) {
    auto dict = caf::get_if<caf::settings>(&section.second);
    if (!dict) {
      problems.push_back(path + ": '" + section.first + "' must be a [section], not a value");
      continue;
    }
    check_keys(text, path, section.first, *dict, problems);
  }
  return problems;
}

void chat_config::check_keys(std::string_view text, const std::string& path,
                             const std::string& section, const caf::settings& dict,
                             std::vector<std::string>& problems) const {
  for (auto& kv : dict) {
    auto qualified = section + "." + kv.first;
    if (auto nested = caf::get_if<caf::settings>(&kv.second)) {
      // [chat.<name>]: a behaviour's own section.
      if (section == "chat" && (behaviour_types_.count(kv.first) > 0 || kv.first == "cluster")) {
        check_keys(text, path, qualified, *nested, problems);
        continue;
      }
      problems.push_back(path + ": unknown section [" + qualified + "]"
                         + (section == "chat" ? ": no behaviour is called '" + kv.first
                                                  + "' (known: " + known_names(behaviour_types_) + ")"
                                              : ""));
      continue;
    }
    auto where = path + ":" + std::to_string(find_line(text, section, kv.first)) + ": ";
    auto opt = custom_options_.qualified_name_lookup(section, kv.first);
    if (opt == nullptr) {
      problems.push_back(where + "unknown key " + qualified);
    } else if (auto err = opt->check(kv.second)) {
      auto type = std::string{opt->type_name().data(), opt->type_name().size()};
      problems.push_back(where + "bad value for " + qualified + " = "
                         + caf::to_string(kv.second) + ": expected " + type
                         + (type == "timespan" ? " with a unit (e.g. 30s, 250ms, 2min)" : "")
                         + (type == "std::string" || type == "string" ? " in double quotes"
                                                                       : ""));
    }
  }
}

std::vector<std::string> chat_config::validate_values() const {
  std::vector<std::string> problems;
  auto bad = [&](const char* key, const std::string& why) {
    problems.push_back(std::string{"chat."} + key + ": " + why);
  };
  if (host.empty())
    bad("host", "must not be empty (127.0.0.1 for this machine, 0.0.0.0 for everyone)");
  // CAF takes any atom here and runs work stealing for all but 'sharing' (and its test policy).
  if (auto policy = caf::get_if<caf::atom_value>(&content, "scheduler.policy");
      policy && *policy != caf::atom("sharing") && *policy != caf::atom("stealing"))
    problems.push_back("scheduler.policy: must be 'sharing' or 'stealing', is '"
                       + caf::to_string(*policy) + "'");
  if (auto n = caf::get_if<size_t>(&content, "scheduler.max-threads"); n && (*n < 1 || *n > 256))
    problems.push_back("scheduler.max-threads: must be between 1 and 256, is "
                       + std::to_string(*n));
  if (io_threads < 1 || io_threads > 256)
    bad("io-threads", "must be between 1 and 256, is " + std::to_string(io_threads));
  if (!is_directory(web_root))
    bad("web-root", "'" + web_root + "' is not a directory (relative paths start at the "
                    "working directory)");
  if (tls_cert.empty() != tls_key.empty())
    bad(tls_cert.empty() ? "tls-cert" : "tls-key",
        "tls-cert and tls-key must be set together (both empty = plain http/ws)");
  if (!tls_cert.empty() && !readable_file(tls_cert))
    bad("tls-cert", "cannot read '" + tls_cert + "'");
  if (!tls_key.empty() && !readable_file(tls_key))
    bad("tls-key", "cannot read '" + tls_key + "'");
  if (send_queue < 1 || send_queue > 1000000)
    bad("send-queue", "must be between 1 and 1000000, is " + std::to_string(send_queue));
  if (history_size > send_queue)
    bad("history-size", "is " + std::to_string(history_size) + " but chat.send-queue is "
                          + std::to_string(send_queue)
                          + "; a newcomer's replay must fit in its send queue");
  if (max_message_size < 16 || max_message_size > (64u << 20))
    bad("max-message-size", "must be between 16 and 67108864 bytes, is "
                              + std::to_string(max_message_size));
  if (log::level lvl; !log::parse_level(log_level, lvl))
    bad("log-level", "must be \"debug\", \"info\", \"warn\" or \"error\", is \"" + log_level + "\"");
  if (metrics != "on" && metrics != "off")
    bad("metrics", "must be \"on\" or \"off\", is \"" + metrics + "\"");
  if (metrics_port != 0 && metrics_host.empty())
    bad("metrics-host", "must not be empty when chat.metrics-port is set");
  if (metrics_port != 0 && metrics_port == port)
    bad("metrics-port", "must differ from chat.port (0 serves /metrics on chat.port itself)");
  if (store_sync != "full" && store_sync != "normal")
    bad("store-sync", "must be \"full\" or \"normal\", is \"" + store_sync + "\"");
  if (store_path.empty())
    bad("store-path", "must not be empty (\":memory:\" for no file)");
  if (max_rooms_per_client < 1)
    bad("max-rooms-per-client", "must be at least 1");
  if (max_rooms < 1)
    bad("max-rooms", "must be at least 1");
  if (store_max_age.count() < 0)
    bad("store-max-age", "must not be negative");
  for (auto& origin : allowed_origins)
    if (auto why = check_origin_entry(origin); !why.empty())
      bad("allowed-origins", "\"" + origin + "\": " + why);
  if (connect_rate_per_ip > 0 && connect_burst_per_ip < 1)
    bad("connect-burst-per-ip", "must be at least 1 when chat.connect-rate-per-ip is set");
  if (rate_limit > 0 && rate_burst < 1)
    bad("rate-burst", "must be at least 1 when chat.rate-limit is set");
  if (max_frames_in_flight < 1 || max_frames_in_flight > 65536)
    bad("max-frames-in-flight", "must be between 1 and 65536, is "
                                  + std::to_string(max_frames_in_flight));
  auto positive = [&](const char* key, caf::timespan t) {
    if (t.count() <= 0)
      bad(key, "must be a positive duration such as 10s, is " + caf::deep_to_string(t));
  };
  positive("ping-interval", ping_interval);
  positive("pong-timeout", pong_timeout);
  positive("write-timeout", write_timeout);
  positive("handshake-timeout", handshake_timeout);
  positive("shutdown-timeout", shutdown_timeout);
  positive("room-idle-timeout", room_idle_timeout);
  positive("slow-client-timeout", slow_client_timeout);
  if (write_gather.count() < 0 || write_gather > std::chrono::milliseconds(10))
    bad("write-gather", "must be between 0s and 10ms, is " + caf::deep_to_string(write_gather));
  if (drain_delay.count() < 0 || drain_delay > std::chrono::minutes(10))
    bad("drain-delay", "must be between 0s and 10min, is " + caf::deep_to_string(drain_delay));
  if (behaviour_timeout.count() <= 0 || behaviour_timeout > std::chrono::minutes(1))
    bad("behaviour-timeout", "must be between 1ms and 1min, is "
                               + caf::deep_to_string(behaviour_timeout));
  if (filter_failure != "allow" && filter_failure != "reject")
    bad("filter-failure", "must be \"allow\" or \"reject\", is \"" + filter_failure + "\"");
  validate_cluster(problems);
  std::vector<std::string> seen;
  for (auto& name : behaviours) {
    if (behaviour_types_.count(name) == 0) {
      bad("behaviours", "no behaviour is called \"" + name + "\" (known: " + known_names(behaviour_types_)
                          + ")");
    } else if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      bad("behaviours", "\"" + name + "\" is listed twice");
    }
    seen.push_back(name);
  }
  return problems;
}

void chat_config::apply_scheduler_defaults() {
  auto cores = std::thread::hardware_concurrency();
  caf::put_missing(content, "scheduler.max-threads", static_cast<size_t>(std::max(1u, cores / 2)));
  caf::put_missing(content, "scheduler.policy", caf::atom("sharing"));
}

void chat_config::take_sections() {
  // The command line's values are in `content` too, under the same names, and were put there
  // after the file's: reading `content` gives the value in effect either way.
  if (auto v = caf::get_if<std::string>(&content, "chat.cluster.node-id"))
    cluster_node_id = *v;
  if (auto v = caf::get_if<std::vector<std::string>>(&content, "chat.cluster.nodes"))
    cluster_nodes = *v;
  if (auto v = caf::get_if<caf::timespan>(&content, "chat.cluster.reconnect-min"))
    cluster_reconnect_min = *v;
  if (auto v = caf::get_if<caf::timespan>(&content, "chat.cluster.reconnect-max"))
    cluster_reconnect_max = *v;
}

std::shared_ptr<const cluster_map> chat_config::cluster() const {
  if (cluster_nodes.empty())
    return std::make_shared<const cluster_map>();
  std::vector<node_address> nodes;
  for (auto& text : cluster_nodes) {
    std::string why;
    if (auto node = parse_node(text, why))
      nodes.push_back(std::move(*node));
  }
  return std::make_shared<const cluster_map>(cluster_node_id, std::move(nodes));
}

void chat_config::validate_cluster(std::vector<std::string>& problems) const {
  auto bad = [&](const char* key, const std::string& why) {
    problems.push_back(std::string{"chat.cluster."} + key + ": " + why);
  };
  if (cluster_nodes.empty()) {
    if (!cluster_node_id.empty())
      bad("node-id", "is \"" + cluster_node_id + "\" but chat.cluster.nodes is empty (list "
                     "every node, this one included, or leave node-id empty)");
    return;
  }
  std::vector<node_address> nodes;
  for (auto& text : cluster_nodes) {
    std::string why;
    auto node = parse_node(text, why);
    if (!node) {
      bad("nodes", "\"" + text + "\" " + why);
      continue;
    }
    for (auto& n : nodes) {
      if (n.id == node->id)
        bad("nodes", "the node id \"" + n.id + "\" is listed twice");
      else if (n.host == node->host && n.port == node->port)
        bad("nodes", "\"" + n.id + "\" and \"" + node->id + "\" have the same address "
                     + n.host + ":" + std::to_string(n.port));
    }
    nodes.push_back(std::move(*node));
  }
  if (cluster_node_id.empty()) {
    bad("node-id", "must name this node (one of the ids in chat.cluster.nodes)");
  } else if (std::none_of(nodes.begin(), nodes.end(),
                          [&](const node_address& n) { return n.id == cluster_node_id; })) {
    bad("node-id", "\"" + cluster_node_id + "\" is not among chat.cluster.nodes");
  }
  for (auto& n : nodes)
    if (n.id == cluster_node_id && n.port == port)
      bad("nodes", "this node's cluster port " + std::to_string(n.port)
                     + " is also chat.port (the chat listener)");
  if (cluster_reconnect_min.count() <= 0)
    bad("reconnect-min", "must be a positive duration such as 250ms, is "
                           + caf::deep_to_string(cluster_reconnect_min));
  if (cluster_reconnect_max < cluster_reconnect_min)
    bad("reconnect-max", "must be at least chat.cluster.reconnect-min ("
                           + caf::deep_to_string(cluster_reconnect_min) + "), is "
                           + caf::deep_to_string(cluster_reconnect_max));
}

std::string chat_config::help_text() const {
  std::ostringstream out;
  out << "usage: actorchat [--config-file=PATH] [--chat.KEY=VALUE ...]\n\n"
         "Reads " << default_config_file << " from the working directory (or PATH); every key\n"
         "can be set in its [chat] section or overridden on the command line.\n"
         "Durations take a unit (250ms, 30s, 2min); strings in the file need double quotes.\n\n"
         "keys:\n";
  auto list = [&](std::string_view category, std::string_view prefix) {
    for (auto& opt : custom_options_) {
      if (opt.category() != category)
        continue;
      auto value = opt.get();
      out << "  --" << prefix << opt.long_name() << "=<" << opt.type_name() << ">\n      "
          << opt.description() << " (default: " << (value ? caf::to_string(*value) : "?")
          << ")\n";
    }
  };
  list("chat", "chat.");
  out << "\ncluster (docs/CLUSTER.md), in [chat.cluster]:\n";
  list("chat.cluster", "chat.cluster.");
  for (auto& [name, type] : behaviour_types_) {
    out << "\nbehaviour " << name << ": " << type.summary << "\n  enable with chat.behaviours = [\""
        << name << "\"]; its keys, in [chat." << name << "]:\n";
    for (auto& opt : custom_options_) {
      if (opt.category() != "chat." + name)
        continue;
      out << "  --chat." << name << "." << opt.long_name() << "=<" << opt.type_name()
          << ">\n      " << opt.description() << "\n";
    }
  }
  out << "\n--long-help lists CAF's own options too ([scheduler], [logger], ...).\n";
  return out.str();
}

std::string chat_config::summary() const {
  std::ostringstream out;
  out << "host=" << host << " port=" << port << " web-root=" << web_root
      << " io-threads=" << io_threads << " write-gather=" << caf::deep_to_string(write_gather)
      << " scheduler.max-threads="
      << caf::get_or(content, "scheduler.max-threads", size_t{0}) << " scheduler.policy="
      << caf::to_string(caf::get_or(content, "scheduler.policy", caf::atom("stealing"))) << " log-level=" << log_level << " tls=" << (tls_cert.empty() ? "off" : "on")
      << " history-size=" << history_size << " send-queue=" << send_queue
      << " max-message-size=" << max_message_size << " max-rooms-per-client="
      << max_rooms_per_client << " max-rooms=" << max_rooms
      << " room-idle-timeout=" << caf::deep_to_string(room_idle_timeout)
      << " presence-limit=" << presence_limit
      << " store-path=" << store_path << " store-sync=" << store_sync
      << " store-max-messages-per-room=" << store_max_messages_per_room
      << " store-max-age=" << caf::deep_to_string(store_max_age)
      << " ping-interval=" << caf::deep_to_string(ping_interval)
      << " pong-timeout=" << caf::deep_to_string(pong_timeout)
      << " write-timeout=" << caf::deep_to_string(write_timeout)
      << " handshake-timeout=" << caf::deep_to_string(handshake_timeout)
      << " shutdown-timeout=" << caf::deep_to_string(shutdown_timeout)
      << " drain-delay=" << caf::deep_to_string(drain_delay)
      << " allowed-origins=" << caf::deep_to_string(allowed_origins)
      << " require-origin=" << (require_origin ? "true" : "false")
      << " max-connections=" << max_connections
      << " max-connections-per-ip=" << max_connections_per_ip
      << " connect-rate-per-ip=" << connect_rate_per_ip
      << " connect-burst-per-ip=" << connect_burst_per_ip << " rate-limit=" << rate_limit
      << " rate-burst=" << rate_burst << " max-frames-in-flight=" << max_frames_in_flight
      << " slow-client-timeout=" << caf::deep_to_string(slow_client_timeout)
      << " metrics=" << metrics << " metrics-host=" << metrics_host
      << " metrics-port=" << metrics_port
      << " behaviours=" << caf::deep_to_string(behaviours)
      << " behaviour-timeout=" << caf::deep_to_string(behaviour_timeout)
      << " filter-failure=" << filter_failure
      << " cluster.node-id=" << (cluster_node_id.empty() ? "\"\"" : cluster_node_id)
      << " cluster.nodes=" << caf::deep_to_string(cluster_nodes)
      << " cluster.reconnect-min=" << caf::deep_to_string(cluster_reconnect_min)
      << " cluster.reconnect-max=" << caf::deep_to_string(cluster_reconnect_max);
  return out.str();
}

} // namespace actorchat
