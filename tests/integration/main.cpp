// The integration-test runner: CAF's test engine and main(), plus two process-wide settings.
#define CAF_TEST_NO_MAIN
#include <caf/test/unit_test_impl.hpp>

#include "harness.hpp"

#include <csignal>
#include <unistd.h>

namespace {

/// A failed CAF_REQUIRE calls abort() in CAF 0.17.6, so no fixture destructor runs: print the
/// servers' stderr here. (The servers die with us: they run with PR_SET_PDEATHSIG.)
void on_abort(int) {
  actorchat::itest::server_process::dump_all(STDERR_FILENO);
  std::signal(SIGABRT, SIG_DFL);
  std::raise(SIGABRT);
}

} // namespace

int main(int argc, char** argv) {
  // A server closing a connection mid-write must fail a check, not kill the run.
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGABRT, on_abort);
  return caf::test::main(argc, argv);
}
