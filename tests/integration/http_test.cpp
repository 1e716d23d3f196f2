// http: the static files of web-root with their content types, and nothing outside web-root.
#define CAF_SUITE http
#include "fixture.hpp"

using namespace actorchat::itest;

namespace {

bool starts_with(const std::string& str, std::string_view prefix) {
  return str.compare(0, prefix.size(), prefix) == 0;
}

/// Requires GET `target` to be 200 with `file`'s content and a Content-Type starting with one
/// of `types`.
void expect_file(uint16_t port, const std::string& target, const std::string& file,
                 const std::vector<std::string_view>& types) {
  auto res = http_request(port, "GET", target);
  CAF_MESSAGE("GET " << target << ": " << res.status << " " << res.content_type
                     << (res.error.empty() ? "" : " error: " + res.error));
  CAF_CHECK_EQUAL(res.status, 200);
  bool type_ok = false;
  for (auto type : types)
    type_ok = type_ok || starts_with(res.content_type, type);
  CAF_CHECK(type_ok);
  auto expected = read_file(web_root() + "/" + file);
  CAF_REQUIRE(expected.has_value());
  CAF_CHECK_EQUAL(res.body.size(), expected->size());
  CAF_CHECK(res.body == *expected);
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(http_tests, server_fixture)

CAF_TEST(GET / serves index.html as text/html) {
  start();
  expect_file(port(), "/", "index.html", {"text/html"});
}

CAF_TEST(chat.js and chat.css have their content types) {
  start();
  expect_file(port(), "/chat.js", "chat.js", {"application/javascript", "text/javascript"});
  expect_file(port(), "/chat.css", "chat.css", {"text/css"});
}

CAF_TEST(an unknown path is 404) {
  start();
  for (auto target : {"/nope.html", "/no/such/dir/", "/index.html.bak"}) {
    auto res = http_request(port(), "GET", target);
    CAF_MESSAGE("GET " << target << ": " << res.status << " " << res.error);
    CAF_CHECK_EQUAL(res.status, 404);
  }
}

CAF_TEST(paths with dot-dot never leave web-root) {
  start();
  // Each target would reach the source tree's CMakeLists.txt or /etc/passwd if followed.
  const char* targets[] = {
    "/../CMakeLists.txt",        "/%2e%2e/CMakeLists.txt",   "/%2E%2E/CMakeLists.txt",
    "/..%2fCMakeLists.txt",      "/%2e%2e%2fCMakeLists.txt", "/chat.js/../../CMakeLists.txt",
    "/./../CMakeLists.txt",      "/../../../../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
  };
  for (auto target : targets) {
    auto res = http_request(port(), "GET", target);
    CAF_MESSAGE("GET " << target << ": " << res.status << " " << res.error);
    CAF_CHECK(res.status == 400 || res.status == 404);
    CAF_CHECK(res.body.find("cmake_minimum_required") == std::string::npos);
    CAF_CHECK(res.body.find("root:") == std::string::npos);
  }
}

CAF_TEST(POST is 405) {
  start();
  for (auto target : {"/", "/chat.js", "/ws"}) {
    auto res = http_request(port(), "POST", target);
    CAF_MESSAGE("POST " << target << ": " << res.status << " " << res.error);
    CAF_CHECK_EQUAL(res.status, 405);
  }
}

CAF_TEST(the WebSocket upgrade is served at /ws only) {
  start();
  for (auto target : {"/", "/index.html", "/chat"}) {
    ws_client client;
    ws_options opts;
    opts.target = target;
    bool upgraded = client.connect(port(), opts);
    CAF_MESSAGE("upgrade at " << target << ": " << (upgraded ? "accepted" : client.last_error()));
    CAF_CHECK(!upgraded);
  }
  ws_client client;
  CAF_CHECK(client.connect(port()));
}

CAF_TEST_FIXTURE_SCOPE_END()
