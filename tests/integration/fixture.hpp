// fixture: what every integration suite starts from: a fresh working directory, an actorchat
// process running in it, and clients that connect to it.
#pragma once

#include "harness.hpp"

#include <caf/test/unit_test.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace actorchat::itest {

/// Bound for one expected frame, response or step of a test.
inline constexpr milliseconds io_timeout{5000};

/// Bound for a server to print its "listening" line.
inline constexpr milliseconds start_timeout{15000};

/// A fresh working directory for actorchat processes and the processes started in it.
///
/// A test that fails gets the stderr of every server it started printed when the fixture goes
/// (so does every test if ACTORCHAT_TEST_ECHO is set); then the servers are killed and reaped.
class server_fixture {
public:
  server_fixture() = default;
  ~server_fixture();
  server_fixture(const server_fixture&) = delete;
  server_fixture& operator=(const server_fixture&) = delete;

  /// The working directory of the servers.
  const temp_dir& dir() const { return dir_; }

  /// Starts actorchat in dir() with --chat.port=0 --chat.web-root=<source web/> and `extra`
  /// (later arguments win), and requires its "listening" line.
  server_process& start(std::vector<std::string> extra = {});

  /// Starts actorchat in dir() with exactly `args`; doesn't wait for anything.
  server_process& launch(std::vector<std::string> args);

  /// The server started last.
  server_process& server();

  /// Its port.
  uint16_t port() { return server().port(); }

  /// Connects a client to the last server and requires a welcome as the first object; the
  /// welcome goes to `*welcome`.
  ws_client connect_client(const ws_options& opts = {},
                           boost::json::object* welcome = nullptr);

  /// Like connect_client, and returns the client's nick.
  ws_client connect_client(std::string& nick, const ws_options& opts = {});

private:
  temp_dir dir_;
  std::vector<std::unique_ptr<server_process>> servers_;
};

/// The lines of `text` that start with "actorchat: config error:" and mention `key`.
std::vector<std::string> config_errors_naming(const std::string& text, const std::string& key);

} // namespace actorchat::itest
