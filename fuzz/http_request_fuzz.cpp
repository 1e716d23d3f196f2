// libFuzzer target: the HTTP request path before the WebSocket upgrade (net/http_session.cpp).
//
// Every input is what a client sends on a fresh connection: one or more pipelined requests or
// garbage. Like the server, it parses with http::request_parser<http::string_body> and its
// limits (8 KiB of headers, 4 KiB of body), fed eagerly with put() over the buffer, then
// put_eof() where the input ends (the peer closed); a complete request is handed to the
// server's request rules (net/http_rules.hpp: wants_websocket, check_upgrade under three origin
// policies, parse_autojoin), and the next request is parsed from the bytes left over, as long as
// the connection would stay open. Checked: no crash, no sanitizer report, no exception; put()
// never claims more bytes than it got; a complete request respects the body limit; and the
// rules keep what http_rules.hpp promises: a request Beast sees as an upgrade is one that
// wants_websocket; an accepted upgrade is a GET of /ws (HTTP/1.1 or later) with a valid
// Sec-WebSocket-Key, version 13, an autojoin equal to parse_autojoin's and no reason; a
// refusal is one of 400, 403, 404, 405 or 426; an origin policy of "*" never answers 403 to a
// request with at most one Origin header; and a policy that requires an Origin never accepts a
// request without one.
//
// The rules part is compiled in when net/http_rules.cpp exists (CMake defines
// ACTORCHAT_FUZZ_HTTP_RULES); without it the target fuzzes the parser alone.

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#if ACTORCHAT_FUZZ_HTTP_RULES
#include "net/http_rules.hpp"
#endif

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

using request = http::request<http::string_body>;

/// The server's limits before the upgrade (net/http_session.cpp).
constexpr uint32_t max_header_bytes = 8 * 1024;
constexpr uint64_t max_body_bytes = 4 * 1024;

void check(bool ok) {
  if (!ok)
    __builtin_trap();
}

#if ACTORCHAT_FUZZ_HTTP_RULES

std::string_view view(beast::string_view s) {
  return {s.data(), s.size()};
}

using namespace actorchat::netio;

void check_verdict(const request& req, const origin_policy& policy, const upgrade_verdict& v) {
  auto target = view(req.target());
  if (v.ok()) {
    check(v.reason.empty());
    check(req.method() == http::verb::get);
    check(target.substr(0, target.find('?')) == ws_path);
    check(req.version() >= 11);
    // Not asserted: websocket::is_upgrade(req). Beast parses Upgrade and Connection as RFC 7230
    // token lists; has_token splits on commas only, so "Upgrade: x y, websocket" is accepted
    // here and then refused by Beast's own accept (a 400 from Beast, logged handshake_failed).
    check(valid_websocket_key(view(req[http::field::sec_websocket_key])));
    check(view(req[http::field::sec_websocket_version]) == "13");
    auto autojoin = parse_autojoin(target);
    check(autojoin.has_value() && *autojoin == v.autojoin);
    if (req.find(http::field::origin) == req.end())
      check(!policy.require_origin);
    return;
  }
  switch (v.status) {
    case http::status::bad_request:
    case http::status::forbidden:
    case http::status::not_found:
    case http::status::method_not_allowed:
    case http::status::upgrade_required:
      break;
    default:
      check(false);
  }
}

/// Members by name: a renamed or reordered member must not silently change a policy.
origin_policy make_policy(std::vector<std::string> allowed, bool require_origin) {
  origin_policy p;
  p.allowed = std::move(allowed);
  p.require_origin = require_origin;
  return p;
}

/// Applies the rules as http_session does; false when the connection ends with this request
/// (any request that wants a WebSocket is refused and closed, or handed over).
bool apply_rules(const request& req) {
  (void)parse_autojoin(view(req.target()));
  bool wants = wants_websocket(req);
  if (websocket::is_upgrade(req))
    check(wants);
  if (!wants)
    return true;
  static const auto same_origin = make_policy({}, false);
  static const auto listed = make_policy({"https://chat.example", "http://localhost:8080"}, true);
  static const auto any = make_policy({"*"}, false);
  for (auto* policy : {&same_origin, &listed, &any}) {
    auto verdict = check_upgrade(req, *policy);
    check_verdict(req, *policy, verdict);
    if (policy == &any && req.count(http::field::origin) <= 1)
      check(verdict.status != http::status::forbidden);
  }
  return false;
}

#else

// TODO(issue 4): call the request rules (check_upgrade, parse_autojoin, ...) once
// net/http_rules.cpp exists; CMake then defines ACTORCHAT_FUZZ_HTTP_RULES and compiles it in.
bool apply_rules(const request& req) {
  return !websocket::is_upgrade(req);
}

#endif

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
#if ACTORCHAT_FUZZ_HTTP_RULES
  // The rules on raw bytes, too: a target can hold far more than the parser lets through.
  (void)actorchat::netio::parse_autojoin({reinterpret_cast<const char*>(data), size});
#endif
  asio::const_buffer rest{data, size};
  while (rest.size() > 0) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(max_header_bytes);
    parser.body_limit(max_body_bytes);
    parser.eager(true);
    beast::error_code ec;
    while (!parser.is_done() && rest.size() > 0) {
      auto n = parser.put(rest, ec);
      check(n <= rest.size());
      rest += n;
      if (ec == http::error::need_more) {
        ec = {};
        if (n == 0)
          break; // every remaining byte was offered: the rest of the request never comes
        continue;
      }
      if (ec)
        return 0; // the server answers 400/413/431 and closes
      if (n == 0)
        break;
    }
    if (!parser.is_done()) {
      parser.put_eof(ec); // the peer closed the connection
      if (ec || !parser.is_done())
        return 0;
    }
    auto req = parser.release();
    check(req.body().size() <= max_body_bytes);
    if (!apply_rules(req) || !req.keep_alive())
      return 0; // handed to the WebSocket layer, or the server closes after answering
  }
  return 0;
}
