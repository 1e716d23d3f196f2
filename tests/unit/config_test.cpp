#define CAF_SUITE config
#include "config/chat_config.hpp"
#include "config/cluster_map.hpp"

#include <caf/test/unit_test.hpp>

#include <cstdio>
#include <fstream>
#include <thread>
#include <unistd.h>

using actorchat::chat_config;

/// CAF_CHECK that also prints `context` when the check fails.
#define CHECK_WITH(condition, context)                                                            \
  do {                                                                                            \
    if (!(condition))                                                                             \
      CAF_MESSAGE("failed check context: " << (context));                                        \
    CAF_CHECK(condition);                                                                         \
  } while (false)

namespace {

/// A config file in /tmp, removed again at the end of the test.
struct temp_file {
  std::string path;
  explicit temp_file(const std::string& content) {
    char name[] = "/tmp/actorchat-config-XXXXXX";
    int fd = mkstemp(name);
    path = name;
    std::ofstream{path} << content;
    ::close(fd);
  }
  ~temp_file() { std::remove(path.c_str()); }
};

/// True if some problem contains every one of `parts`.
bool mentions(const std::vector<std::string>& problems, std::initializer_list<std::string> parts) {
  for (auto& p : problems) {
    bool all = true;
    for (auto& part : parts)
      all = all && p.find(part) != std::string::npos;
    if (all)
      return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& xs) {
  std::string out;
  for (auto& x : xs)
    out += x + " | ";
  return out;
}

/// A config whose values pass validate_values() in this checkout.
chat_config valid_config() {
  chat_config cfg;
  cfg.web_root = ACTORCHAT_SOURCE_DIR "/web";
  return cfg;
}

} // namespace

CAF_TEST(the shipped default config is valid) {
  chat_config cfg;
  auto problems = cfg.validate_file(ACTORCHAT_SOURCE_DIR "/config/caf-application.conf", true);
  CHECK_WITH(problems.empty(), joined(problems));
}

CAF_TEST(defaults are valid) {
  auto problems = valid_config().validate_values();
  CHECK_WITH(problems.empty(), joined(problems));
}

CAF_TEST(an unknown key is named with its line) {
  temp_file f{"[chat]\nport = 9000\nhistroy-size = 5\n"};
  auto problems = chat_config{}.validate_file(f.path, true);
  CAF_CHECK_EQUAL(problems.size(), 1u);
  CHECK_WITH(mentions(problems, {"unknown key chat.histroy-size", f.path + ":3:"}),
                    joined(problems));
}

CAF_TEST(an unknown key in a CAF section is caught too) {
  temp_file f{"[scheduler]\nmax-threads = 2\nmax-thread = 2\n"};
  auto problems = chat_config{}.validate_file(f.path, true);
  CHECK_WITH(mentions(problems, {"unknown key scheduler.max-thread"}), joined(problems));
  CAF_CHECK_EQUAL(problems.size(), 1u);
}

CAF_TEST(a wrong type is named with the expected type) {
  temp_file f{"[chat]\nport = \"abc\"\nhistory-size = -3\n"};
  auto problems = chat_config{}.validate_file(f.path, true);
  CHECK_WITH(mentions(problems, {"chat.port", "uint16", ":2:"}), joined(problems));
  CHECK_WITH(mentions(problems, {"chat.history-size", ":3:"}), joined(problems));
}

CAF_TEST(an out of range port is refused) {
  temp_file f{"[chat]\nport = 70000\n"};
  auto problems = chat_config{}.validate_file(f.path, true);
  CHECK_WITH(mentions(problems, {"chat.port"}), joined(problems));
}

CAF_TEST(a duration without unit is refused with a hint) {
  temp_file f{"[chat]\nping-interval = 30\n"};
  auto problems = chat_config{}.validate_file(f.path, true);
  CHECK_WITH(mentions(problems, {"chat.ping-interval", "unit", ":2:"}), joined(problems));
}

CAF_TEST(an unquoted string is a syntax error with line and column) {
  temp_file f{"[chat]\nport = 1\nhost = localhost\n"};
  auto problems = chat_config{}.validate_file(f.path, true);
  CAF_REQUIRE_EQUAL(problems.size(), 1u);
  CHECK_WITH(mentions(problems, {f.path + ":3:", "syntax error", "double quotes"}),
                    joined(problems));
}

CAF_TEST(CRLF line endings are named as such) {
  temp_file f{"[chat]\r\nport = 1\r\n"};
  auto problems = chat_config{}.validate_file(f.path, true);
  CHECK_WITH(mentions(problems, {"CRLF"}), joined(problems));
}

CAF_TEST(a missing file is fine unless it was asked for) {
  chat_config cfg;
  CAF_CHECK(cfg.validate_file("/nonexistent/caf-application.conf", false).empty());
  CHECK_WITH(mentions(cfg.validate_file("/nonexistent/x.conf", true), {"cannot open"}),
                    "explicit file");
}

CAF_TEST(a correct file passes) {
  temp_file f{"; comment\n[chat]\nhost = \"0.0.0.0\"\nport = 0\nping-interval = 250ms\n"
              "send-queue = 64\n[scheduler]\nmax-threads = 1\n"};
  auto problems = chat_config{}.validate_file(f.path, true);
  CHECK_WITH(problems.empty(), joined(problems));
}

CAF_TEST(history larger than the send queue is refused) {
  auto cfg = valid_config();
  cfg.history_size = 300;
  cfg.send_queue = 256;
  CHECK_WITH(mentions(cfg.validate_values(), {"chat.history-size", "chat.send-queue"}),
                    joined(cfg.validate_values()));
}

CAF_TEST(tls needs both the certificate and the key) {
  auto cfg = valid_config();
  cfg.tls_cert = "/etc/hostname";
  CAF_CHECK(mentions(cfg.validate_values(), {"chat.tls-key"}));
  cfg.tls_key = "/nonexistent/key.pem";
  CAF_CHECK(mentions(cfg.validate_values(), {"chat.tls-key", "cannot read"}));
}

CAF_TEST(bad values are named) {
  auto cfg = valid_config();
  cfg.io_threads = 0;
  cfg.web_root = "/nonexistent-web-root";
  cfg.log_level = "loud";
  cfg.pong_timeout = caf::timespan{0};
  cfg.max_message_size = 1;
  auto problems = cfg.validate_values();
  for (auto key : {"chat.io-threads", "chat.web-root", "chat.log-level", "chat.pong-timeout",
                   "chat.max-message-size"})
    CHECK_WITH(mentions(problems, {key}), key);
}

CAF_TEST(help lists every chat key with its default) {
  auto text = chat_config{}.help_text();
  for (auto key : {"host", "port", "web-root", "io-threads", "tls-cert", "tls-key", "history-size",
                   "send-queue", "max-message-size", "log-level", "ping-interval", "pong-timeout",
                   "write-timeout", "handshake-timeout", "shutdown-timeout"})
    CHECK_WITH(text.find(std::string{"--chat."} + key + "=") != std::string::npos, key);
  CAF_CHECK(text.find("(default: 8080)") != std::string::npos);
}

// -- [chat.cluster] (docs/CLUSTER.md) ---------------------------------------------------------

CAF_TEST(a cluster section is read into the cluster keys and checked) {
  temp_file f{"[chat]\nport = 9000\n[chat.cluster]\nnode-id = \"b\"\n"
              "nodes = [\"a=127.0.0.1:7101\", \"b=127.0.0.1:7102\"]\nreconnect-min = 100ms\n"};
  CHECK_WITH(chat_config{}.validate_file(f.path, true).empty(),
             joined(chat_config{}.validate_file(f.path, true)));
  auto cfg = valid_config();
  std::string arg0 = "actorchat";
  std::string arg1 = "--config-file=" + f.path;
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  CAF_REQUIRE(!cfg.parse(2, argv));
  cfg.take_sections();
  CAF_CHECK_EQUAL(cfg.cluster_node_id, "b");
  CAF_CHECK_EQUAL(cfg.cluster_nodes.size(), 2u);
  CAF_CHECK_EQUAL(cfg.cluster_reconnect_min, caf::timespan{std::chrono::milliseconds(100)});
  CHECK_WITH(cfg.validate_values().empty(), joined(cfg.validate_values()));
  auto map = cfg.cluster();
  CAF_REQUIRE(map->enabled());
  CAF_CHECK_EQUAL(map->own().port, 7102u);
  // The command line wins over the file, as for every key.
  auto cli = valid_config();
  std::string arg2 = "--chat.cluster.node-id=a";
  char* argv2[] = {arg0.data(), arg1.data(), arg2.data(), nullptr};
  CAF_REQUIRE(!cli.parse(3, argv2));
  cli.take_sections();
  CAF_CHECK_EQUAL(cli.cluster_node_id, "a");
  CAF_CHECK_EQUAL(cli.cluster_nodes.size(), 2u);
  temp_file typo{"[chat.cluster]\nnode-idd = \"b\"\n"};
  CHECK_WITH(mentions(chat_config{}.validate_file(typo.path, true),
                      {"unknown key chat.cluster.node-idd", typo.path + ":2:"}),
             joined(chat_config{}.validate_file(typo.path, true)));
}

CAF_TEST(bad cluster values are named) {
  auto with = [](std::string node, std::vector<std::string> nodes) {
    auto cfg = valid_config();
    cfg.cluster_node_id = std::move(node);
    cfg.cluster_nodes = std::move(nodes);
    return cfg.validate_values();
  };
  CAF_CHECK(with("", {}).empty()); // no cluster
  CAF_CHECK(mentions(with("a", {}), {"chat.cluster.node-id", "nodes is empty"}));
  CAF_CHECK(mentions(with("", {"a=127.0.0.1:1"}), {"chat.cluster.node-id", "must name"}));
  CAF_CHECK(mentions(with("z", {"a=127.0.0.1:1"}), {"chat.cluster.node-id", "\"z\" is not"}));
  CAF_CHECK(mentions(with("a", {"a=127.0.0.1"}), {"chat.cluster.nodes", "id=host:port"}));
  CAF_CHECK(mentions(with("a", {"a=127.0.0.1:99999"}), {"chat.cluster.nodes", "port"}));
  CAF_CHECK(mentions(with("a", {"a b=127.0.0.1:1"}), {"chat.cluster.nodes", "node id"}));
  CAF_CHECK(mentions(with("a", {"a=127.0.0.1:1", "a=127.0.0.1:2"}),
                     {"chat.cluster.nodes", "listed twice"}));
  CAF_CHECK(mentions(with("a", {"a=127.0.0.1:1", "b=127.0.0.1:1"}),
                     {"chat.cluster.nodes", "same address"}));
  CAF_CHECK(mentions(with("a", {"a=127.0.0.1:8080"}), {"chat.cluster.nodes", "chat.port"}));
  auto cfg = valid_config();
  cfg.cluster_node_id = "a";
  cfg.cluster_nodes = {"a=[::1]:7101"};
  cfg.cluster_reconnect_max = std::chrono::milliseconds(10);
  CAF_CHECK(mentions(cfg.validate_values(), {"chat.cluster.reconnect-max"}));
  auto map = cfg.cluster(); // kept: CAF_CHECK_EQUAL holds references to its arguments
  CAF_CHECK_EQUAL(map->own().host, "::1");
}

CAF_TEST(the example cluster configs are valid) {
  for (auto node : {"a", "b", "c"}) {
    auto path = std::string{ACTORCHAT_SOURCE_DIR "/examples/cluster/node-"} + node + ".conf";
    auto problems = chat_config{}.validate_file(path, true);
    CHECK_WITH(problems.empty(), joined(problems));
  }
}

CAF_TEST(the scheduler defaults apply unless configured and bad values are named) {
  std::string arg0 = "actorchat";
  {
    auto cfg = valid_config();
    char* argv[] = {arg0.data(), nullptr};
    CAF_REQUIRE(!cfg.parse(1, argv));
    cfg.apply_scheduler_defaults();
    auto cores = std::max(1u, std::thread::hardware_concurrency() / 2);
    CAF_CHECK_EQUAL(caf::get_or(cfg.content, "scheduler.max-threads", size_t{0}), size_t{cores});
    CAF_CHECK_EQUAL(caf::get_or(cfg.content, "scheduler.policy", caf::atom("none")),
                    caf::atom("sharing"));
    CHECK_WITH(cfg.validate_values().empty(), joined(cfg.validate_values()));
  }
  {
    // What the file says wins, and the command line over the file.
    temp_file f{"[scheduler]\nmax-threads = 3\npolicy = 'stealing'\n"};
    auto cfg = valid_config();
    std::string file = "--config-file=" + f.path;
    std::string cli = "--scheduler.max-threads=5";
    char* argv[] = {arg0.data(), file.data(), cli.data(), nullptr};
    CAF_REQUIRE(!cfg.parse(3, argv));
    cfg.apply_scheduler_defaults();
    CAF_CHECK_EQUAL(caf::get_or(cfg.content, "scheduler.max-threads", size_t{0}), 5u);
    CAF_CHECK_EQUAL(caf::get_or(cfg.content, "scheduler.policy", caf::atom("none")),
                    caf::atom("stealing"));
  }
  {
    temp_file f{"[scheduler]\nmax-threads = 0\npolicy = 'bogus'\n"};
    auto cfg = valid_config();
    std::string file = "--config-file=" + f.path;
    char* argv[] = {arg0.data(), file.data(), nullptr};
    CAF_REQUIRE(!cfg.parse(2, argv));
    cfg.apply_scheduler_defaults();
    auto problems = cfg.validate_values();
    CHECK_WITH(mentions(problems, {"scheduler.policy", "bogus"}), joined(problems));
    CHECK_WITH(mentions(problems, {"scheduler.max-threads", "between 1 and 256"}),
               joined(problems));
  }
}
