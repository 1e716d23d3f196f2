// config: a bad configuration stops the server at once with exit code 2 and a line
// "actorchat: config error: ..." naming the key; a good one starts it.
#define CAF_SUITE config
#include "fixture.hpp"

#include <csignal>

using namespace actorchat::itest;

namespace {

constexpr milliseconds exit_timeout{10000};

/// A [chat] section that would start a server on a free port, plus `extra` lines.
std::string chat_section(const std::string& extra) {
  return "[chat]\nport = 0\nweb-root = \"" + web_root() + "\"\n" + extra;
}

/// Runs actorchat with `args` in the fixture's directory and requires exit code 2 and a config
/// error line naming `key`.
void expect_config_error(server_fixture& fix, std::vector<std::string> args,
                         const std::string& key) {
  auto& proc = fix.launch(std::move(args));
  auto status = proc.wait_exit(exit_timeout);
  if (!status)
    CAF_MESSAGE("still running after " << exit_timeout.count() << " ms: " << proc.command_line());
  CAF_REQUIRE(status.has_value());
  CAF_CHECK_EQUAL(*status, 2);
  auto lines = config_errors_naming(proc.stderr_text(), key);
  if (lines.empty())
    CAF_MESSAGE("no 'actorchat: config error:' line naming " << key << " in:\n"
                                                              << proc.stderr_text());
  else
    CAF_MESSAGE(lines.front());
  CAF_CHECK(!lines.empty());
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(config_tests, server_fixture)

CAF_TEST(a misspelled key in the file is named) {
  dir().write("caf-application.conf", chat_section("histroy-size = 5\n"));
  expect_config_error(*this, {}, "chat.histroy-size");
}

CAF_TEST(a port that is not a number is named) {
  dir().write("caf-application.conf",
              "[chat]\nport = \"abc\"\nweb-root = \"" + web_root() + "\"\n");
  expect_config_error(*this, {}, "chat.port");
}

CAF_TEST(a duration without a unit is named) {
  dir().write("caf-application.conf", chat_section("ping-interval = 30\n"));
  expect_config_error(*this, {}, "chat.ping-interval");
}

CAF_TEST(a history larger than the send queue is refused) {
  dir().write("caf-application.conf", chat_section("history-size = 20\nsend-queue = 10\n"));
  expect_config_error(*this, {}, "chat.history-size");
}

CAF_TEST(a history larger than the default send queue is refused on the command line) {
  expect_config_error(*this,
                      {"--chat.port=0", "--chat.web-root=" + web_root(),
                       "--chat.history-size=300"},
                      "chat.history-size");
}

CAF_TEST(config-file names the file to read) {
  auto path = dir().write("custom.conf", chat_section("histroy-size = 5\n"));
  expect_config_error(*this, {"--config-file=" + path}, "chat.histroy-size");
}

CAF_TEST(a config file that does not exist fails) {
  auto& proc = launch({"--config-file=/nonexistent", "--chat.port=0",
                       "--chat.web-root=" + web_root()});
  auto status = proc.wait_exit(exit_timeout);
  CAF_REQUIRE(status.has_value());
  CAF_MESSAGE("exit status " << *status << ", stderr:\n" << proc.stderr_text());
  CAF_CHECK_NOT_EQUAL(*status, 0);
  CAF_CHECK_LESS(*status, 128); // an error exit, not a crash
}

CAF_TEST(a valid file with port 0 starts the server) {
  dir().write("caf-application.conf",
              "; a valid configuration\n" + chat_section("history-size = 5\n"));
  auto& proc = launch({});
  bool listening = proc.wait_listening(start_timeout);
  if (!listening)
    CAF_MESSAGE("stderr:\n" << proc.stderr_text());
  CAF_REQUIRE(listening);
  CAF_CHECK_NOT_EQUAL(proc.port(), 8080u);
  auto res = http_request(proc.port(), "GET", "/");
  CAF_CHECK_EQUAL(res.status, 200);
  proc.signal(SIGTERM);
  auto status = proc.wait_exit(milliseconds{7000});
  CAF_REQUIRE(status.has_value());
  CAF_CHECK_EQUAL(*status, 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
