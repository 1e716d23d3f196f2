// http_rules: what an HTTP request must look like before actorchat upgrades it to a WebSocket.
//
// Pure functions of the request (no I/O, no state), so that they can be unit-tested and fuzzed
// (fuzz/http_request_fuzz.cpp). http_session applies them; admission (caps, rates) and draining
// are checked there, after these rules.
#pragma once

#include "net/beast.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace actorchat::netio {

/// The WebSocket endpoint.
inline constexpr std::string_view ws_path = "/ws";

/// Health for load balancers and orchestrators: 200 while accepting, 503 while draining or while
/// the store cannot write (docs/OPERATIONS.md).
inline constexpr std::string_view healthz_path = "/healthz";

/// Prometheus metrics (chat.metrics, chat.metrics-port).
inline constexpr std::string_view metrics_path = "/metrics";

/// The path of the request's target: everything before the query string.
std::string_view path_of(const request& req);

/// Which browser origins may open a WebSocket (cross-site WebSocket hijacking defence).
struct origin_policy {
  /// Allowed origins as "scheme://host[:port]" (compared case-insensitively), or "*" for any.
  /// Empty: only the server's own origin, i.e. http(s)://<the request's Host header>.
  std::vector<std::string> allowed;
  /// Whether a request must carry an Origin header: true refuses non-browser clients.
  bool require_origin = false;
};

/// The answer to an upgrade request: ok (status 101 to come) or the refusal to send.
struct upgrade_verdict {
  http::status status = http::status::switching_protocols;
  std::string reason;   ///< for the response body and the log; empty when ok
  bool autojoin = true; ///< from ?autojoin=, when ok

  bool ok() const { return status == http::status::switching_protocols; }
};

/// True if the request asks for a WebSocket, even badly: it carries Upgrade, Sec-WebSocket-Key
/// or Sec-WebSocket-Version. Such a request is judged by check_upgrade; any other request is
/// plain HTTP (a plain GET of /ws gets 426).
bool wants_websocket(const request& req);

/// Judges an upgrade request: 404 for a target other than /ws, 405 for a method other than GET,
/// 400 for HTTP/1.0, a missing Host, Upgrade: websocket, Connection: Upgrade or a malformed
/// Sec-WebSocket-Key, 426 for a missing or other Sec-WebSocket-Version than 13 (the response
/// must carry "Sec-WebSocket-Version: 13"), 403 for an origin the policy refuses, 400 for a bad
/// autojoin parameter.
upgrade_verdict check_upgrade(const request& req, const origin_policy& origins);

/// The value of the "autojoin" query parameter of a /ws target: true when absent, nullopt when
/// not "true" or "false". Other parameters are ignored.
std::optional<bool> parse_autojoin(std::string_view target);

/// True if a request from a browser page at `origin` (an Origin header value) that reached the
/// server as Host `host` may upgrade under `policy`.
bool origin_allowed(std::string_view origin, std::string_view host, const origin_policy& policy);

/// True if `key` is a valid Sec-WebSocket-Key: base64 of 16 bytes (24 characters, "==" end).
bool valid_websocket_key(std::string_view key);

/// True if the comma-separated token list `value` contains `token` (case-insensitive; Beast's
/// parser, so a malformed list contains nothing).
bool has_token(std::string_view value, std::string_view token);

} // namespace actorchat::netio
