#include "fixture.hpp"

#include <cstdlib>
#include <iostream>
#include <sstream>

namespace actorchat::itest {

server_fixture::~server_fixture() {
  auto* test = caf::test::engine::current_test();
  bool failed = test != nullptr && test->bad() > 0;
  bool echo = std::getenv("ACTORCHAT_TEST_ECHO") != nullptr;
  if (failed || echo) {
    for (auto& proc : servers_) {
      proc->wait_exit(milliseconds{0}); // reaps an exited server: its last lines get collected
      std::cerr << "---- stderr of " << proc->command_line() << " ----\n"
                << proc->stderr_text();
      if (auto out = proc->stdout_text(); !out.empty())
        std::cerr << "---- stdout ----\n" << out;
      std::cerr << "---- end ----\n";
    }
  }
  servers_.clear(); // kills and reaps whatever still runs
}

server_process& server_fixture::launch(std::vector<std::string> args) {
  servers_.push_back(std::make_unique<server_process>(server_binary(), std::move(args),
                                                      dir_.path()));
  return *servers_.back();
}

server_process& server_fixture::start(std::vector<std::string> extra) {
  std::vector<std::string> args{"--chat.port=0", "--chat.web-root=" + web_root()};
  args.insert(args.end(), extra.begin(), extra.end());
  auto& proc = launch(std::move(args));
  bool listening = proc.wait_listening(start_timeout);
  if (!listening) // a failed CAF_REQUIRE aborts; main's SIGABRT handler prints the stderr
    CAF_MESSAGE("no 'INFO listening url=' line from: " << proc.command_line());
  CAF_REQUIRE(listening);
  return proc;
}

server_process& server_fixture::server() {
  CAF_REQUIRE(!servers_.empty());
  return *servers_.back();
}

ws_client server_fixture::connect_client(const ws_options& opts, boost::json::object* welcome) {
  ws_client client;
  bool connected = client.connect(port(), opts);
  if (!connected)
    CAF_MESSAGE("connect failed: " << client.last_error());
  CAF_REQUIRE(connected);
  auto first = client.read_object(io_timeout);
  if (!first)
    CAF_MESSAGE("no welcome: " << client.last_error());
  CAF_REQUIRE(first.has_value());
  CAF_REQUIRE_EQUAL(type_of(*first), "welcome");
  if (welcome != nullptr)
    *welcome = std::move(*first);
  return client;
}

ws_client server_fixture::connect_client(std::string& nick, const ws_options& opts) {
  boost::json::object welcome;
  auto client = connect_client(opts, &welcome);
  nick = get_string(welcome, "nick");
  CAF_REQUIRE(!nick.empty());
  return client;
}

std::vector<std::string> config_errors_naming(const std::string& text, const std::string& key) {
  static constexpr std::string_view prefix = "actorchat: config error:";
  std::vector<std::string> result;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0 && line.find(key) != std::string::npos)
      result.push_back(line);
  return result;
}

} // namespace actorchat::itest
