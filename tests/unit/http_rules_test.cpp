#define CAF_SUITE http_rules
#include "net/http_rules.hpp"

#include <caf/test/unit_test.hpp>

using namespace actorchat::netio;

namespace {

request upgrade(const std::string& target = "/ws") {
  request req{http::verb::get, target, 11};
  req.set(http::field::host, "chat.example.com");
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::connection, "Upgrade");
  req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  req.set(http::field::sec_websocket_version, "13");
  return req;
}

int status(const upgrade_verdict& v) {
  return static_cast<int>(v.status);
}

} // namespace

CAF_TEST(a complete upgrade request passes) {
  auto v = check_upgrade(upgrade(), {});
  CAF_CHECK(v.ok());
  CAF_CHECK(v.autojoin);
  CAF_CHECK(!check_upgrade(upgrade("/ws?autojoin=false"), {}).autojoin);
}

CAF_TEST(each broken part gets its status) {
  CAF_CHECK_EQUAL(status(check_upgrade(upgrade("/chat"), {})), 404);
  auto post = upgrade();
  post.method(http::verb::post);
  CAF_CHECK_EQUAL(status(check_upgrade(post, {})), 405);
  auto old = upgrade();
  old.version(10);
  CAF_CHECK_EQUAL(status(check_upgrade(old, {})), 400);
  for (auto field : {http::field::host, http::field::upgrade, http::field::connection,
                     http::field::sec_websocket_key}) {
    auto req = upgrade();
    req.erase(field);
    CAF_CHECK_EQUAL(status(check_upgrade(req, {})), 400);
  }
  auto version = upgrade();
  version.set(http::field::sec_websocket_version, "12");
  CAF_CHECK_EQUAL(status(check_upgrade(version, {})), 426);
  auto autojoin = upgrade("/ws?autojoin=yes");
  CAF_CHECK_EQUAL(status(check_upgrade(autojoin, {})), 400);
}

CAF_TEST(keys must be base64 of 16 bytes) {
  CAF_CHECK(valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ=="));
  CAF_CHECK(valid_websocket_key("AAAAAAAAAAAAAAAAAAAA/+=="));
  CAF_CHECK(!valid_websocket_key(""));
  CAF_CHECK(!valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ="));
  CAF_CHECK(!valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ=A"));
  CAF_CHECK(!valid_websocket_key("dGhlIHNhbXBsZSBub25j ZQ=="));
}

CAF_TEST(header token lists are split on commas and compared without case) {
  CAF_CHECK(has_token("keep-alive, Upgrade", "upgrade"));
  CAF_CHECK(has_token(" UPGRADE ", "upgrade"));
  CAF_CHECK(!has_token("upgraded", "upgrade"));
  CAF_CHECK(!has_token("", "upgrade"));
  CAF_CHECK(!has_token("x y, upgrade", "upgrade")); // malformed: for Beast's accept too
}

CAF_TEST(by default only the own origin is allowed) {
  origin_policy own;
  CAF_CHECK(origin_allowed("http://chat.example.com", "chat.example.com", own));
  CAF_CHECK(origin_allowed("HTTPS://Chat.Example.com", "chat.example.com", own));
  CAF_CHECK(!origin_allowed("http://chat.example.com.evil.io", "chat.example.com", own));
  CAF_CHECK(!origin_allowed("http://evil.io", "chat.example.com", own));
  CAF_CHECK(!origin_allowed("null", "chat.example.com", own));
  CAF_CHECK(!origin_allowed("ftp://chat.example.com", "chat.example.com", own));
  CAF_CHECK(!origin_allowed("http://chat.example.com", "", own));
}

CAF_TEST(a configured list replaces the default) {
  origin_policy listed;
  listed.allowed = {"https://a.example"};
  CAF_CHECK(origin_allowed("https://a.example", "chat.example.com", listed));
  CAF_CHECK(!origin_allowed("https://chat.example.com", "chat.example.com", listed));
  listed.allowed = {"*"};
  CAF_CHECK(origin_allowed("https://anything.example", "chat.example.com", listed));
}

CAF_TEST(origin is checked only when present unless required) {
  auto req = upgrade();
  req.set(http::field::origin, "https://evil.io");
  CAF_CHECK_EQUAL(status(check_upgrade(req, {})), 403);
  origin_policy strict;
  strict.require_origin = true;
  CAF_CHECK_EQUAL(status(check_upgrade(upgrade(), strict)), 403);
  CAF_CHECK(check_upgrade(upgrade(), {}).ok());
}
