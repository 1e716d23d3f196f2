// tls: with tls-cert and tls-key the server speaks https and wss only.
#define CAF_SUITE tls
#include "fixture.hpp"

using namespace actorchat::itest;

CAF_TEST_FIXTURE_SCOPE(tls_tests, server_fixture)

CAF_TEST(wss round trip and https static files) {
  std::string err;
  auto files = make_self_signed_cert(dir(), &err);
  if (!files)
    CAF_MESSAGE(err);
  CAF_REQUIRE(files.has_value());
  auto& proc = start({"--chat.tls-cert=" + files->cert, "--chat.tls-key=" + files->key});
  CAF_MESSAGE("url: " << proc.url());
  CAF_CHECK_EQUAL(proc.url().rfind("https://", 0), 0u);
  ws_options opts;
  opts.tls = true;
  std::string nick;
  auto client = connect_client(nick, opts);
  CAF_REQUIRE(client.send("over tls"));
  auto msg = client.read_message(io_timeout);
  if (!msg)
    CAF_MESSAGE("no echo: " << client.last_error());
  CAF_REQUIRE(msg.has_value());
  CAF_CHECK_EQUAL(get_string(*msg, "text"), "over tls");
  CAF_CHECK_EQUAL(get_string(*msg, "from"), nick);
  CAF_CHECK_EQUAL(get_int(*msg, "seq").value_or(-1), 1);
  auto res = http_request(port(), "GET", "/", true);
  if (res.status == 0)
    CAF_MESSAGE("https GET /: " << res.error);
  CAF_CHECK_EQUAL(res.status, 200);
  auto index = read_file(web_root() + "/index.html");
  CAF_REQUIRE(index.has_value());
  CAF_CHECK(res.body == *index);
}

CAF_TEST(wss with two network threads reaches clients on both) {
  std::string err;
  auto files = make_self_signed_cert(dir(), &err);
  if (!files)
    CAF_MESSAGE(err);
  CAF_REQUIRE(files.has_value());
  start({"--chat.tls-cert=" + files->cert, "--chat.tls-key=" + files->key,
         "--chat.io-threads=2"});
  ws_options opts;
  opts.tls = true;
  std::string a_nick;
  std::string b_nick;
  auto a = connect_client(a_nick, opts); // consecutive connections: one on each thread
  auto b = connect_client(b_nick, opts);
  CAF_REQUIRE(a.send("from a"));
  for (auto* c : {&a, &b}) {
    auto msg = c->read_message(io_timeout);
    if (!msg)
      CAF_MESSAGE("no message: " << c->last_error());
    CAF_REQUIRE(msg.has_value());
    CAF_CHECK_EQUAL(get_string(*msg, "text"), "from a");
    CAF_CHECK_EQUAL(get_string(*msg, "from"), a_nick);
  }
}

CAF_TEST_FIXTURE_SCOPE_END()
