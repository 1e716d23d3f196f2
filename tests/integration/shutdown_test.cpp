// shutdown: SIGTERM and SIGINT close every client with 1001 ("going away") and the process
// exits with status 0 within shutdown-timeout.
#define CAF_SUITE shutdown
#include "fixture.hpp"

#include <csignal>

using namespace actorchat::itest;

namespace {

constexpr milliseconds shutdown_timeout{5000};

/// `clients` clients, `sig`, then a close 1001 for each and exit status 0, all within bounds.
void check_graceful_shutdown(server_fixture& fix, int sig, std::vector<std::string> extra = {},
                             size_t clients = 2) {
  extra.emplace_back("--chat.shutdown-timeout=5s");
  auto& proc = fix.start(std::move(extra));
  std::vector<ws_client> connected;
  for (size_t i = 0; i < clients; ++i)
    connected.push_back(fix.connect_client());
  auto deadline = std::chrono::steady_clock::now() + shutdown_timeout + milliseconds{2000};
  auto left = [&] {
    return std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
  };
  proc.signal(sig);
  for (auto& client : connected) {
    auto end = client.read_until_close(left());
    CAF_MESSAGE("client saw " << end.describe());
    CAF_CHECK(end.what == ws_frame::kind::closed);
    CAF_CHECK_EQUAL(end.close_code, 1001u);
  }
  auto status = proc.wait_exit(left());
  if (!status)
    CAF_MESSAGE("the server still runs " << (shutdown_timeout + milliseconds{2000}).count()
                                         << " ms after signal " << sig);
  CAF_REQUIRE(status.has_value());
  CAF_CHECK_EQUAL(*status, 0);
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(shutdown_tests, server_fixture)

CAF_TEST(SIGTERM closes every client with 1001 and exits 0) {
  check_graceful_shutdown(*this, SIGTERM);
}

CAF_TEST(SIGINT closes every client with 1001 and exits 0) {
  check_graceful_shutdown(*this, SIGINT);
}

// With two network threads the accept still pending at exit holds a socket of one of them,
// chosen round-robin: an even and an odd number of clients cover both (the odd one once found
// the second thread's io_context destroyed before the first's pending accept).
CAF_TEST(with two network threads SIGTERM closes the clients of both and exits 0) {
  check_graceful_shutdown(*this, SIGTERM, {"--chat.io-threads=2"}, 2);
}

CAF_TEST(with two network threads and an odd number of clients SIGTERM exits 0) {
  check_graceful_shutdown(*this, SIGTERM, {"--chat.io-threads=2"}, 3);
}

CAF_TEST_FIXTURE_SCOPE_END()
