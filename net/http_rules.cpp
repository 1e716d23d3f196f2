#include "net/http_rules.hpp"

#include <algorithm>
#include <cctype>

namespace actorchat::netio {

namespace {

std::string_view view(beast::string_view s) {
  return {s.data(), s.size()};
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size()
         && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
              return std::tolower(static_cast<unsigned char>(x))
                     == std::tolower(static_cast<unsigned char>(y));
            });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

upgrade_verdict refuse(http::status status, std::string reason) {
  upgrade_verdict v;
  v.status = status;
  v.reason = std::move(reason);
  return v;
}

bool is_base64_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
}

} // namespace

bool has_token(std::string_view value, std::string_view token) {
  // Beast's own token-list grammar (RFC 7230 #token), so that what passes here passes Beast's
  // accept too (a list such as "x y, websocket" is malformed for both).
  return http::token_list{beast::string_view{value.data(), value.size()}}.exists(
    beast::string_view{token.data(), token.size()});
}

bool wants_websocket(const request& req) {
  return req.count(http::field::upgrade) > 0 || req.count(http::field::sec_websocket_key) > 0
         || req.count(http::field::sec_websocket_version) > 0;
}

bool valid_websocket_key(std::string_view key) {
  // 16 bytes in base64: 22 significant characters and "==". The last significant character
  // carries 2 bits, so only A, Q, g and w (low 4 bits zero) are canonical; any is accepted.
  if (key.size() != 24 || key.substr(22) != "==")
    return false;
  return std::all_of(key.begin(), key.begin() + 22, is_base64_char);
}

bool origin_allowed(std::string_view origin, std::string_view host, const origin_policy& policy) {
  origin = trim(origin);
  if (policy.allowed.empty()) {
    if (host.empty())
      return false;
    for (std::string_view scheme : {"http://", "https://"})
      if (origin.size() == scheme.size() + host.size()
          && iequals(origin.substr(0, scheme.size()), scheme)
          && iequals(origin.substr(scheme.size()), host))
        return true;
    return false;
  }
  return std::any_of(policy.allowed.begin(), policy.allowed.end(), [&](const std::string& a) {
    return a == "*" || iequals(a, origin);
  });
}

std::optional<bool> parse_autojoin(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos)
    return true;
  auto query = target.substr(q + 1);
  std::optional<bool> result = true;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = param.find('=');
    if (param.substr(0, eq) != "autojoin")
      continue;
    auto value = eq == std::string_view::npos ? std::string_view{} : param.substr(eq + 1);
    if (value == "true")
      result = true;
    else if (value == "false")
      result = false;
    else
      return std::nullopt;
  }
  return result;
}

std::string_view path_of(const request& req) {
  auto target = view(req.target());
  return target.substr(0, target.find('?'));
}

upgrade_verdict check_upgrade(const request& req, const origin_policy& origins) {
  if (path_of(req) != ws_path)
    return refuse(http::status::not_found, "no WebSocket endpoint here; use /ws");
  if (req.method() != http::verb::get)
    return refuse(http::status::method_not_allowed, "a WebSocket upgrade must be a GET");
  if (req.version() < 11)
    return refuse(http::status::bad_request, "a WebSocket upgrade needs HTTP/1.1");
  if (trim(view(req[http::field::host])).empty())
    return refuse(http::status::bad_request, "missing Host header");
  if (!has_token(view(req[http::field::upgrade]), "websocket"))
    return refuse(http::status::bad_request, "missing Upgrade: websocket");
  if (!has_token(view(req[http::field::connection]), "upgrade"))
    return refuse(http::status::bad_request, "missing Connection: Upgrade");
  if (req.count(http::field::sec_websocket_key) != 1
      || !valid_websocket_key(trim(view(req[http::field::sec_websocket_key]))))
    return refuse(http::status::bad_request,
                  "missing or malformed Sec-WebSocket-Key (base64 of 16 bytes)");
  if (trim(view(req[http::field::sec_websocket_version])) != "13")
    return refuse(http::status::upgrade_required, "unsupported WebSocket version; use 13");
  if (req.count(http::field::origin) == 0) {
    if (origins.require_origin)
      return refuse(http::status::forbidden, "an Origin header is required");
  } else if (req.count(http::field::origin) > 1
             || !origin_allowed(view(req[http::field::origin]), trim(view(req[http::field::host])),
                                origins)) {
    return refuse(http::status::forbidden, "origin not allowed");
  }
  auto autojoin = parse_autojoin(view(req.target()));
  if (!autojoin)
    return refuse(http::status::bad_request, "autojoin must be true or false");
  upgrade_verdict ok;
  ok.autojoin = *autojoin;
  return ok;
}

} // namespace actorchat::netio
