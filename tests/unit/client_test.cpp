#define CAF_SUITE client
#define FAIL(msg) CAF_FAIL(msg) // CAF 0.17.6 dsl.hpp uses an undefined FAIL (CAF-0.17.md 6)

#include "actors/client.hpp"
#include "actors/room.hpp"

#include "fakes.hpp"

#include <caf/test/dsl.hpp>

using namespace actorchat;

namespace {

struct fixture : test_coordinator_fixture<> {
  room_actor room;
  std::shared_ptr<test::fake_connection> conn = std::make_shared<test::fake_connection>();
  credit_ptr credit = std::make_shared<send_credit>(8);
  server_info_ptr info = std::make_shared<server_info>(server_info{"9.9.9", "b00t", 4096, 8, 5});
  client_actor client;

  fixture() {
    room_settings settings;
    settings.history_size = 5;
    room = spawn_room(sys, "lobby", settings);
    sched.run();
  }

  ~fixture() {
    // Room and client hold each other's handles; the server breaks the cycle with exit
    // messages at shutdown, and so does the test, or ~actor_system would wait forever.
    anon_send_exit(room, caf::exit_reason::user_shutdown);
    if (client)
      anon_send_exit(client, caf::exit_reason::user_shutdown);
    sched.run();
  }

  void start_client(const std::string& nick = "guest-1") {
    client = spawn_client(sys, conn, credit, room, nick, info);
    sched.run();
  }

  room_state& room_st() {
    return deref<room_actor::stateful_base<room_state>>(room).state;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(client_tests, fixture)

CAF_TEST(a new client is welcomed first and joins the room) {
  start_client("guest-7");
  CAF_REQUIRE_GREATER_OR_EQUAL(conn->sent.size(), 1u);
  auto welcome = test::parse(conn->sent[0]);
  CAF_CHECK_EQUAL(std::string{welcome.at("type").as_string()}, "welcome");
  CAF_CHECK_EQUAL(std::string{welcome.at("nick").as_string()}, "guest-7");
  CAF_CHECK_EQUAL(std::string{welcome.at("boot").as_string()}, "b00t");
  CAF_CHECK_EQUAL(room_st().members.size(), 1u);
  CAF_CHECK_EQUAL(credit->in_flight(), 1u); // the welcome is counted like any payload
}

CAF_TEST(the welcome comes before the history replay) {
  anon_send(room, broadcast_atom::value, std::string{"old"}, std::string{"before you came"});
  sched.run();
  start_client();
  CAF_REQUIRE_EQUAL(conn->sent.size(), 2u);
  CAF_CHECK_EQUAL(test::field(conn->sent[0], "type"), "welcome");
  CAF_CHECK_EQUAL(test::field(conn->sent[1], "text"), "before you came");
}

CAF_TEST(a text frame becomes a broadcast under the client nick) {
  start_client("guest-3");
  anon_send(client, inbound_atom::value, std::string{"hello there"});
  expect((inbound_atom, std::string), to(client).with(_, "hello there"));
  expect((broadcast_atom, std::string, std::string),
         from(client).to(room).with(_, "guest-3", "hello there"));
  sched.run();
  CAF_REQUIRE_EQUAL(conn->sent.size(), 2u); // welcome, then its own message back
  auto msg = test::parse(conn->sent[1]);
  CAF_CHECK_EQUAL(std::string{msg.at("from").as_string()}, "guest-3");
  CAF_CHECK_EQUAL(std::string{msg.at("text").as_string()}, "hello there");
}

CAF_TEST(an empty frame is ignored) {
  start_client();
  anon_send(client, inbound_atom::value, std::string{});
  expect((inbound_atom, std::string), to(client).with(_, ""));
  CAF_CHECK_EQUAL(sched.run(), 0u);
  CAF_CHECK_EQUAL(room_st().next_seq, 1u);
}

CAF_TEST(a delivered batch is handed to the connection in one call) {
  start_client();
  auto batches_before = conn->batches.size();
  for (int i = 0; i < 3; ++i)
    anon_send(room, broadcast_atom::value, std::string{"x"}, "m" + std::to_string(i));
  sched.run();
  CAF_CHECK_EQUAL(conn->batches.size(), batches_before + 1);
  CAF_CHECK_EQUAL(conn->sent.size(), 4u);
}

CAF_TEST(overflow closes the connection with 1008 and ends the actor) {
  start_client();
  inject((overflow_atom, std::string),
         from(self).to(client).with(overflow_atom::value, std::string{"lobby"}));
  CAF_REQUIRE_EQUAL(conn->closes.size(), 1u);
  CAF_CHECK_EQUAL(static_cast<int>(conn->closes[0].first), 1008);
  sched.run();
  CAF_CHECK_EQUAL(room_st().members.size(), 0u); // the room saw it go
}

CAF_TEST(a client whose connection is gone does not crash on delivery) {
  start_client();
  conn.reset();
  anon_send(room, broadcast_atom::value, std::string{"x"}, std::string{"into the void"});
  sched.run();
  CAF_CHECK_EQUAL(room_st().members.size(), 1u);
}

CAF_TEST_FIXTURE_SCOPE_END()
