// handshake: what an upgrade request must look like, the origin check, and the connection caps.
// Every refusal is an HTTP status before the upgrade (docs/SECURITY.md), and a refused peer does
// not disturb anyone else.
#define CAF_SUITE handshake
#include "fixture.hpp"

#include <algorithm>
#include <map>
#include <thread>

using namespace actorchat::itest;
using std::chrono::steady_clock;

namespace {

constexpr const char* good_key = "dGhlIHNhbXBsZSBub25jZQ==";

/// An upgrade request for /ws with every header a browser sends; `change` replaces a header
/// (an empty value removes it). `request_line` replaces "GET /ws HTTP/1.1".
std::string upgrade_request(uint16_t port, const std::map<std::string, std::string>& change = {},
                            const std::string& request_line = "GET /ws HTTP/1.1") {
  std::vector<std::pair<std::string, std::string>> headers{
    {"Host", "127.0.0.1:" + std::to_string(port)},
    {"Upgrade", "websocket"},
    {"Connection", "Upgrade"},
    {"Sec-WebSocket-Key", good_key},
    {"Sec-WebSocket-Version", "13"},
  };
  for (auto& [name, value] : change) {
    auto i = std::find_if(headers.begin(), headers.end(), [&](auto& h) { return h.first == name; });
    if (i != headers.end())
      i->second = value;
    else
      headers.emplace_back(name, value);
  }
  std::string out = request_line + "\r\n";
  for (auto& [name, value] : headers)
    if (!value.empty())
      out += name + ": " + value + "\r\n";
  return out + "\r\n";
}

/// The status of the response to `request`, logged.
int status_for(uint16_t port, const std::string& request, std::string* head_out = nullptr,
               const std::string& source = {}) {
  auto head = raw_http_head(port, request, io_timeout, source);
  CAF_MESSAGE(request.substr(0, request.find("\r\n")) << " -> "
                                                      << head.substr(0, head.find("\r\n")));
  if (head_out != nullptr)
    *head_out = head;
  return status_of(head);
}

bool has_header(const std::string& head, const std::string& line) {
  return head.find("\r\n" + line + "\r\n") != std::string::npos;
}


} // namespace

CAF_TEST_FIXTURE_SCOPE(handshake_tests, server_fixture)

CAF_TEST(a good upgrade request is switched) {
  start();
  CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port())), 101);
}

CAF_TEST(an unsupported WebSocket version is 426 naming version 13) {
  start();
  std::string head;
  CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port(), {{"Sec-WebSocket-Version", "8"}}),
                             &head),
                  426);
  CAF_CHECK(has_header(head, "Sec-WebSocket-Version: 13"));
  CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port(), {{"Sec-WebSocket-Version", ""}})),
                  426);
}

CAF_TEST(a missing or malformed key is 400) {
  start();
  for (std::string key : {"", "abc", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZQ==x",
                          "dGhlIHNhbXBsZSBub25j*Q=="})
    CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port(), {{"Sec-WebSocket-Key", key}})),
                    400);
}

CAF_TEST(a missing Upgrade or Connection or Host is 400) {
  start();
  CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port(), {{"Upgrade", ""}})), 400);
  CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port(), {{"Upgrade", "h2c"}})), 400);
  CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port(), {{"Connection", ""}})), 400);
  CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port(), {{"Connection", "keep-alive"}})),
                  400);
  CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port(), {{"Host", ""}})), 400);
  // Token lists and case are fine.
  CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port(), {{"Connection", "keep-alive, UPGRADE"},
                                                              {"Upgrade", "WebSocket"}})),
                  101);
}

CAF_TEST(a non GET upgrade is 405 and HTTP 1.0 is 400) {
  start();
  std::string head;
  CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port(), {}, "POST /ws HTTP/1.1"), &head),
                  405);
  CAF_CHECK(has_header(head, "Allow: GET"));
  CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port(), {}, "GET /ws HTTP/1.0")), 400);
}

CAF_TEST(an upgrade at another path is 404) {
  start();
  CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port(), {}, "GET /chat HTTP/1.1")), 404);
}

CAF_TEST(oversized request headers are 431) {
  start();
  auto request = upgrade_request(port(), {{"X-Filler", std::string(9000, 'x')}});
  CAF_CHECK_EQUAL(status_for(port(), request), 431);
  require_still_serving(port());
}

CAF_TEST(permessage deflate is not negotiated) {
  start();
  std::string head;
  auto request = upgrade_request(
    port(), {{"Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"}});
  CAF_CHECK_EQUAL(status_for(port(), request, &head), 101);
  CAF_CHECK(head.find("Sec-WebSocket-Extensions") == std::string::npos);
}

CAF_TEST(a request that trickles in is cut off while others chat) {
  start({"--chat.handshake-timeout=1s"});
  raw_tcp slow;
  CAF_REQUIRE(slow.connect(port(), io_timeout));
  auto request = upgrade_request(port());
  auto deadline = steady_clock::now() + std::chrono::seconds(4);
  size_t written = 0;
  bool cut_off = false;
  // One byte every 100 ms: the whole request would take ~15 s.
  while (written < request.size() && steady_clock::now() < deadline) {
    if (!slow.write_all(request.substr(written, 1), milliseconds{500})
        || slow.wait_peer_closed(milliseconds{100})) {
      cut_off = true;
      break;
    }
    ++written;
  }
  CAF_MESSAGE("wrote " << written << " of " << request.size() << " bytes before the cut");
  CAF_CHECK(cut_off);
  CAF_CHECK_LESS(written, request.size());
  require_still_serving(port());
}

// -- origin check ---------------------------------------------------------------------------

CAF_TEST(by default only the own origin of the server may upgrade) {
  start();
  auto own = "http://127.0.0.1:" + std::to_string(port());
  CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port(), {{"Origin", own}})), 101);
  CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port(), {{"Origin", "HTTP://127.0.0.1:"
                                                                            + std::to_string(
                                                                              port())}})),
                  101);
  for (const std::string& origin : std::vector<std::string>{"http://evil.example", "null",
                                                            "http://127.0.0.1",
                             "http://127.0.0.1:" + std::to_string(port()) + ".evil.example"})
    CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port(), {{"Origin", origin}})), 403);
  // Non-browser clients send no Origin: allowed by default.
  CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port())), 101);
}

CAF_TEST(allowed origins replace the default and a missing origin can be refused) {
  start({R"(--chat.allowed-origins=["https://chat.example.com"])",
         "--chat.require-origin"});
  CAF_CHECK_EQUAL(
    status_for(port(), upgrade_request(port(), {{"Origin", "https://chat.example.com"}})), 101);
  CAF_CHECK_EQUAL(
    status_for(port(), upgrade_request(port(), {{"Origin", "https://other.example.com"}})), 403);
  CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port(), {{"Origin", "http://127.0.0.1:"
                                                                            + std::to_string(
                                                                              port())}})),
                  403);
  CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port())), 403);
}

CAF_TEST(an allowed origin entry that is not an origin is a config error naming the key) {
  auto& proc = launch({"--chat.port=0", "--chat.web-root=" + web_root(),
                       R"(--chat.allowed-origins=["https://ok.example", "chat.example.com/path"])"});
  auto code = proc.wait_exit(io_timeout);
  CAF_CHECK_EQUAL(code.value_or(-1), 2);
  CAF_CHECK(proc.stderr_text().find("chat.allowed-origins") != std::string::npos);
}

// -- connection caps -------------------------------------------------------------------------

CAF_TEST(connections over the per address cap get 503 and other addresses are served) {
  start({"--chat.max-connections-per-ip=3"});
  std::vector<raw_tcp> held(3);
  for (auto& c : held)
    CAF_REQUIRE(c.connect(port(), io_timeout) && raw_ws_upgrade(c, port(), io_timeout));
  std::string head;
  CAF_CHECK_EQUAL(status_for(port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n", &head), 503);
  CAF_CHECK(has_header(head, "Retry-After: 1"));
  CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port()), nullptr, "127.0.0.2"), 101);
  // A place comes free when a connection ends.
  held.pop_back();
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    served = status_for(port(), upgrade_request(port())) == 101;
    if (!served)
      std::this_thread::sleep_for(milliseconds{20});
  }
  CAF_CHECK(served);
}

CAF_TEST(new connections over the per address rate get 503) {
  start({"--chat.connect-rate-per-ip=1", "--chat.connect-burst-per-ip=3"});
  std::vector<int> statuses;
  for (int i = 0; i < 5; ++i)
    statuses.push_back(status_for(port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  CAF_CHECK_EQUAL(std::count(statuses.begin(), statuses.end(), 200), 3);
  CAF_CHECK_EQUAL(std::count(statuses.begin(), statuses.end(), 503), 2);
  CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port()), nullptr, "127.0.0.3"), 101);
}

CAF_TEST(connections over the global cap get 503 from any address) {
  start({"--chat.max-connections=2"});
  std::vector<raw_tcp> held(2);
  for (auto& c : held)
    CAF_REQUIRE(c.connect(port(), io_timeout) && raw_ws_upgrade(c, port(), io_timeout));
  CAF_CHECK_EQUAL(status_for(port(), upgrade_request(port()), nullptr, "127.0.0.4"), 503);
}

CAF_TEST_FIXTURE_SCOPE_END()
