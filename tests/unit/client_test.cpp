#define CAF_SUITE client
#define FAIL(msg) CAF_FAIL(msg) // CAF 0.17.6 dsl.hpp uses an undefined FAIL (CAF-0.17.md 6)

#include "actors/client.hpp"
#include "actors/directory.hpp"
#include "actors/nick_registry.hpp"

#include "fakes.hpp"

#include <caf/test/dsl.hpp>

using namespace actorchat;
using actorchat::test::field;
using actorchat::test::of_type;
using actorchat::test::seqs;

namespace {

/// One client actor with its recording connection.
struct peer {
  std::shared_ptr<test::fake_connection> conn = std::make_shared<test::fake_connection>();
  credit_ptr credit = std::make_shared<send_credit>(64);
  window_ptr window = std::make_shared<receive_window>(1000);
  client_actor actor;

  std::vector<payload>& sent() { return conn->sent; }
  /// The last payload of `type`, which must exist.
  payload last(const std::string& type) {
    auto all = of_type(conn->sent, type);
    CAF_REQUIRE(!all.empty());
    return all.back();
  }
  /// Lets the connection "write" everything: gives the credit back.
  void drain() { credit->release(credit->in_flight()); }
};

struct fixture : test_coordinator_fixture<> {
  std::shared_ptr<test::store_data> data = std::make_shared<test::store_data>();
  client_services services;
  client_settings_ptr settings;
  metrics_ptr counters = std::make_shared<metrics>();
  std::vector<client_actor> clients; ///< every client started, to stop them at the end

  fixture() {
    services.store = sys.spawn(test::fake_store, data);
    directory_settings dir;
    dir.room.history_size = 5;
    dir.max_rooms = 3;
    services.directory = spawn_directory(sys, dir, services.store);
    services.nicks = spawn_nick_registry(sys);
    auto s = std::make_shared<client_settings>();
    s->info = server_info{"9.9.9", "b00t", 4096, 64, 5, 2, 200};
    s->limits.max_message_size = 4096;
    s->max_rooms = 2;
    s->metrics = counters;
    settings = s;
    sched.run();
  }

  ~fixture() {
    // Rooms and clients hold each other's handles; the server breaks the cycles with exit
    // messages at shutdown, and so does the test, or ~actor_system would wait forever.
    for (auto& c : clients)
      anon_send_exit(c, caf::exit_reason::user_shutdown);
    anon_send_exit(services.directory, caf::exit_reason::user_shutdown);
    sched.run();
  }

  void start(peer& p, const std::string& nick, bool autojoin = true) {
    p.actor = spawn_client(sys, p.conn, p.credit, p.window, nick, services, settings, autojoin);
    clients.push_back(p.actor);
    sched.run();
  }

  /// Clients started from now on get chat.rate-limit `rate` and chat.rate-burst `burst`.
  void limit_rate(size_t rate, size_t burst) {
    auto limited = std::make_shared<client_settings>(*settings);
    limited->rate_limit = rate;
    limited->rate_burst = burst;
    settings = limited;
  }

  void frame(peer& p, const std::string& text) {
    anon_send(p.actor, inbound_atom::value, text);
    sched.run();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(client_tests, fixture)

CAF_TEST(a new client is welcomed first and put in the lobby) {
  peer a;
  start(a, "guest-7");
  CAF_REQUIRE_GREATER_OR_EQUAL(a.sent().size(), 2u);
  CAF_CHECK_EQUAL(field(a.sent()[0], "type"), "welcome");
  CAF_CHECK_EQUAL(field(a.sent()[0], "nick"), "guest-7");
  CAF_CHECK_EQUAL(field(a.sent()[0], "boot"), "b00t");
  CAF_CHECK_EQUAL(field(a.sent()[1], "type"), "joined");
  CAF_CHECK_EQUAL(field(a.sent()[1], "room"), "lobby");
}

CAF_TEST(without autojoin a client starts in no room) {
  peer a;
  start(a, "guest-1", false);
  CAF_CHECK_EQUAL(of_type(a.sent(), "joined").size(), 0u);
  frame(a, "hello?");
  CAF_CHECK_EQUAL(field(a.last("error"), "code"), "not_in_room");
}

CAF_TEST(a plain frame is said in the current room under the client nick) {
  peer a;
  start(a, "guest-3");
  frame(a, "hello there");
  auto msg = a.last("message");
  CAF_CHECK_EQUAL(field(msg, "from"), "guest-3");
  CAF_CHECK_EQUAL(field(msg, "text"), "hello there");
  CAF_CHECK_EQUAL(field(msg, "room"), "lobby");
  frame(a, R"({"type":"join","room":"dev"})");
  frame(a, "now in dev");
  CAF_CHECK_EQUAL(field(a.last("message"), "room"), "dev"); // the room joined last
}

CAF_TEST(frames sent right after a join wait for it) {
  peer a;
  a.actor = spawn_client(sys, a.conn, a.credit, a.window, "guest-1", services, settings, true);
  clients.push_back(a.actor);
  // Before the autojoin is answered, and then a join followed at once by a say to that room.
  anon_send(a.actor, inbound_atom::value, std::string{"first"});
  anon_send(a.actor, inbound_atom::value, std::string{R"({"type":"join","room":"dev"})"});
  anon_send(a.actor, inbound_atom::value,
            std::string{R"({"type":"say","room":"dev","text":"second"})"});
  anon_send(a.actor, inbound_atom::value, std::string{"third"});
  sched.run();
  CAF_CHECK_EQUAL(of_type(a.sent(), "error").size(), 0u);
  auto msgs = of_type(a.sent(), "message");
  CAF_REQUIRE_EQUAL(msgs.size(), 3u);
  CAF_CHECK_EQUAL(field(msgs[0], "room"), "lobby");
  CAF_CHECK_EQUAL(field(msgs[0], "text"), "first");
  CAF_CHECK_EQUAL(field(msgs[1], "room"), "dev");
  CAF_CHECK_EQUAL(field(msgs[2], "room"), "dev"); // plain text: the room joined last
  CAF_CHECK_EQUAL(field(msgs[2], "text"), "third");
}

CAF_TEST(an empty frame is ignored) {
  peer a;
  start(a, "guest-1");
  auto before = a.sent().size();
  frame(a, "");
  CAF_CHECK_EQUAL(a.sent().size(), before);
  CAF_CHECK_EQUAL(data->messages.size(), 0u);
}

CAF_TEST(join replies with the id and refuses a second join) {
  peer a;
  start(a, "guest-1");
  frame(a, R"({"type":"join","room":"dev","id":"j1"})");
  auto joined = a.last("joined");
  CAF_CHECK_EQUAL(field(joined, "room"), "dev");
  CAF_CHECK_EQUAL(field(joined, "id"), "j1");
  frame(a, R"({"type":"join","room":"dev","id":7})");
  auto err = test::parse(a.last("error"));
  CAF_CHECK_EQUAL(std::string{err.at("code").as_string()}, "already_joined");
  CAF_CHECK_EQUAL(err.at("id").to_number<int>(), 7);
}

CAF_TEST(a client may be in only so many rooms) {
  peer a;
  start(a, "guest-1"); // lobby
  frame(a, R"({"type":"join","room":"dev"})");
  frame(a, R"({"type":"join","room":"ops"})");
  CAF_CHECK_EQUAL(field(a.last("error"), "code"), "too_many_rooms");
}

CAF_TEST(the server may hold only so many rooms) {
  peer a;
  peer b;
  start(a, "guest-1"); // lobby
  start(b, "guest-2", false);
  frame(a, R"({"type":"join","room":"two"})");
  frame(b, R"({"type":"join","room":"three"})");
  frame(b, R"({"type":"join","room":"four"})");
  CAF_CHECK_EQUAL(field(b.last("error"), "code"), "room_limit");
}

CAF_TEST(two rooms do not hear each other) {
  peer a;
  peer b;
  start(a, "guest-1", false);
  start(b, "guest-2", false);
  frame(a, R"({"type":"join","room":"red"})");
  frame(b, R"({"type":"join","room":"blue"})");
  frame(a, R"({"type":"say","room":"red","text":"in red"})");
  frame(b, R"({"type":"say","room":"blue","text":"in blue"})");
  CAF_REQUIRE_EQUAL(of_type(a.sent(), "message").size(), 1u);
  CAF_CHECK_EQUAL(field(a.last("message"), "text"), "in red");
  CAF_REQUIRE_EQUAL(of_type(b.sent(), "message").size(), 1u);
  CAF_CHECK_EQUAL(field(b.last("message"), "text"), "in blue");
  frame(a, R"({"type":"say","room":"blue","text":"sneaking in"})");
  CAF_CHECK_EQUAL(field(a.last("error"), "code"), "not_in_room");
}

CAF_TEST(leave answers left and stops the room traffic) {
  peer a;
  peer b;
  start(a, "guest-1");
  start(b, "guest-2");
  frame(a, R"({"type":"leave","room":"lobby","id":"l"})");
  CAF_CHECK_EQUAL(field(a.last("left"), "id"), "l");
  frame(b, "after");
  CAF_CHECK_EQUAL(of_type(a.sent(), "message").size(), 0u);
  frame(a, R"({"type":"leave","room":"lobby"})");
  CAF_CHECK_EQUAL(field(a.last("error"), "code"), "not_in_room");
}

CAF_TEST(nicknames are unique case insensitively and renames are announced) {
  peer a;
  peer b;
  start(a, "guest-1");
  start(b, "guest-2");
  frame(a, R"({"type":"nick","nick":"Ana","id":"n"})");
  CAF_CHECK_EQUAL(field(a.last("nick"), "nick"), "Ana");
  auto p = b.last("presence");
  CAF_CHECK_EQUAL(field(p, "event"), "nick");
  CAF_CHECK_EQUAL(field(p, "old_nick"), "guest-1");
  frame(b, R"({"type":"nick","nick":"ana"})");
  CAF_CHECK_EQUAL(field(b.last("error"), "code"), "nick_taken");
  frame(a, "signed");
  CAF_CHECK_EQUAL(field(b.last("message"), "from"), "Ana");
  // The name is free again once its owner is gone.
  anon_send_exit(a.actor, caf::exit_reason::user_shutdown);
  sched.run();
  frame(b, R"({"type":"nick","nick":"ana"})");
  CAF_CHECK_EQUAL(field(b.last("nick"), "nick"), "ana");
}

CAF_TEST(who history and rooms answer from the right places) {
  peer a;
  peer b;
  start(a, "guest-1");
  start(b, "guest-2");
  for (int i = 0; i < 3; ++i)
    frame(a, "m" + std::to_string(i));
  frame(a, R"({"type":"who","room":"lobby","id":"w"})");
  auto who = test::parse(a.last("who"));
  CAF_CHECK_EQUAL(who.at("members").as_array().size(), 2u);
  frame(a, R"({"type":"history","room":"lobby","before":3,"limit":5})");
  auto page = test::parse(a.last("history"));
  CAF_CHECK_EQUAL(page.at("messages").as_array().size(), 2u);
  CAF_CHECK_EQUAL(page.at("complete").as_bool(), true);
  frame(a, R"({"type":"rooms"})");
  auto rooms = test::parse(a.last("rooms")).at("rooms").as_array();
  CAF_REQUIRE_EQUAL(rooms.size(), 1u);
  CAF_CHECK_EQUAL(rooms[0].as_object().at("members").to_number<size_t>(), 2u);
}

CAF_TEST(a malformed command gets an error and the client goes on) {
  peer a;
  start(a, "guest-1");
  frame(a, "{oops");
  CAF_CHECK_EQUAL(field(a.last("error"), "code"), "bad_json");
  frame(a, R"({"type":"dance","id":"d"})");
  CAF_CHECK_EQUAL(field(a.last("error"), "code"), "unknown_type");
  CAF_CHECK_EQUAL(field(a.last("error"), "id"), "d");
  frame(a, "still here");
  CAF_CHECK_EQUAL(field(a.last("message"), "text"), "still here");
}

CAF_TEST(overflow closes the connection with 1008 and ends the actor) {
  peer a;
  start(a, "guest-1");
  inject((overflow_atom, std::string),
         from(self).to(a.actor).with(overflow_atom::value, std::string{"lobby"}));
  CAF_REQUIRE_EQUAL(a.conn->closes.size(), 1u);
  CAF_CHECK_EQUAL(static_cast<int>(a.conn->closes[0].first), 1008);
  auto drops = counters->slow_client_drops.value();
  CAF_CHECK_EQUAL(drops, 1u);
}

CAF_TEST(a client whose connection is gone does not crash on delivery) {
  peer a;
  peer b;
  start(a, "guest-1");
  start(b, "guest-2");
  a.conn.reset();
  frame(b, "into the void");
  CAF_CHECK_EQUAL(of_type(b.sent(), "message").size(), 1u);
}

CAF_TEST(every frame leaves the receive window once handled and a say once the room has it) {
  peer a;
  start(a, "guest-1");
  auto send_frame = [&](const std::string& text) {
    a.window->take(); // as the connection does for each frame it reads
    frame(a, text);
  };
  send_frame("hello");
  send_frame(R"({"type":"who","room":"lobby","id":1})");
  send_frame(R"({"type":"bogus"})");
  send_frame(R"({"type":"say","room":"nowhere","text":"x"})");
  CAF_CHECK_EQUAL(a.window->in_flight(), 0u);
}

CAF_TEST(a paused reader is resumed when the room acknowledges its say) {
  peer a;
  a.window = std::make_shared<receive_window>(1);
  start(a, "guest-1");
  CAF_REQUIRE(!a.window->take()); // the window of one is full
  CAF_REQUIRE(a.window->pause());
  anon_send(a.actor, inbound_atom::value, std::string{"hello"});
  sched.run();
  CAF_CHECK_EQUAL(of_type(a.sent(), "message").size(), 1u);
  CAF_CHECK_EQUAL(a.conn->resumes, 1u);
  CAF_CHECK_EQUAL(a.window->in_flight(), 0u);
}

CAF_TEST(a client whose queue a busy room filled still gets its replies) {
  peer a;
  start(a, "guest-1");
  a.credit->force_acquire(a.credit->limit() - a.credit->in_flight()); // the queue is full
  frame(a, R"({"type":"rooms","id":"r1"})");
  CAF_CHECK_EQUAL(field(a.last("rooms"), "id"), "r1");
  CAF_CHECK(a.conn->closes.empty());
}

CAF_TEST(frames over the rate limit are refused with their id and then the client is closed) {
  limit_rate(2, 2);
  peer a;
  start(a, "guest-1");
  frame(a, "one");
  frame(a, "two"); // the burst of 2; the test clock stands still, so no token comes back
  frame(a, R"({"type":"say","room":"lobby","text":"three","id":"t3"})");
  CAF_CHECK_EQUAL(of_type(a.sent(), "message").size(), 2u);
  auto err = a.last("error");
  CAF_CHECK_EQUAL(field(err, "code"), "rate_limited");
  CAF_CHECK_EQUAL(field(err, "id"), "t3");
  CAF_CHECK(a.conn->closes.empty());
  frame(a, "four"); // a debt of rate-burst refusals
  CAF_REQUIRE_EQUAL(a.conn->closes.size(), 1u);
  CAF_CHECK_EQUAL(static_cast<int>(a.conn->closes[0].first), 1008);
  CAF_CHECK_EQUAL(of_type(a.sent(), "message").size(), 2u);
  auto received = counters->messages_received.value();
  auto hits = counters->rate_limit_hits.value();
  auto closes = counters->rate_limit_closes.value();
  CAF_CHECK_EQUAL(received, 4u);
  CAF_CHECK_EQUAL(hits, 1u);
  CAF_CHECK_EQUAL(closes, 1u);
}

CAF_TEST(the rate limit refills with time) {
  limit_rate(2, 2);
  peer a;
  start(a, "guest-1");
  frame(a, "one");
  frame(a, "two");
  frame(a, "three");
  CAF_CHECK_EQUAL(field(a.last("error"), "code"), "rate_limited");
  advance_time(std::chrono::seconds(2));
  frame(a, "four");
  CAF_CHECK_EQUAL(field(a.last("message"), "text"), "four");
  CAF_CHECK(a.conn->closes.empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
