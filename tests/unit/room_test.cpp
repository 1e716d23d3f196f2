#define CAF_SUITE room
#define FAIL(msg) CAF_FAIL(msg) // CAF 0.17.6 dsl.hpp uses an undefined FAIL (CAF-0.17.md 6)

#include "actors/room.hpp"

#include "fakes.hpp"

#include <caf/test/dsl.hpp>

#include <algorithm>

using namespace actorchat;
using actorchat::test::fake_member;
using actorchat::test::member;
using actorchat::test::field;
using actorchat::test::member_log;
using actorchat::test::of_type;
using actorchat::test::seqs;
using actorchat::test::type_of;

namespace {

struct fixture : test_coordinator_fixture<> {
  std::shared_ptr<test::store_data> data = std::make_shared<test::store_data>();
  store_actor store;
  home_actor room;

  fixture() {
    store = sys.spawn(test::fake_store, data);
    sched.run();
  }

  ~fixture() {
    if (room)
      anon_send_exit(room, caf::exit_reason::user_shutdown);
    sched.run();
  }

  void start_room(size_t history_size = 5, size_t presence_limit = 0) {
    room_settings settings;
    settings.history_size = history_size;
    settings.presence_limit = presence_limit;
    room = spawn_room(sys, "lobby", settings, store, directory_actor{});
    sched.run(); // recovery from the store
  }

  room_state& state() {
    return deref<home_actor::stateful_base<room_state>>(room).state;
  }

  member make_member(uint32_t limit, bool fast) {
    member m{member_actor{}, std::make_shared<send_credit>(limit), std::make_shared<member_log>()};
    m.handle = sys.spawn(fake_member, m.log, m.credit, fast);
    sched.run();
    return m;
  }

  /// Spawns a member with send credit `limit` and registers it with the room.
  member join(const std::string& nick = "guest", uint32_t limit = 64, bool fast = true,
              join_request req = {}) {
    auto m = make_member(limit, fast);
    req.nick = nick;
    self->send(room, register_atom::value, m.handle, m.credit, req);
    sched.run();
    return m;
  }

  void say(const member& m, const std::string& from, const std::string& text,
           const std::string& id = "", bool action = false) {
    self->send(room, broadcast_atom::value, m.handle, from, text, action, id);
    sched.run();
  }

  /// `m` says "m<first>" .. "m<last>", one at a time.
  void say_range(const member& m, const std::string& from, int first, int last) {
    for (int i = first; i <= last; ++i)
      say(m, from, "m" + std::to_string(i));
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(room_tests, fixture)

CAF_TEST(a newcomer gets joined then the others see its presence) {
  start_room();
  auto a = join("ana");
  auto b = join("bob");
  CAF_REQUIRE_GREATER_OR_EQUAL(b.log->received.size(), 2u);
  CAF_CHECK_EQUAL(field(b.log->received[0], "type"), "joined");
  CAF_CHECK_EQUAL(test::parse(b.log->received[0]).at("count").to_number<size_t>(), 2u);
  auto presence = of_type(a.log->received, "presence");
  CAF_REQUIRE_EQUAL(presence.size(), 2u); // its own join, then bob's
  CAF_CHECK_EQUAL(field(presence[1], "event"), "join");
  CAF_CHECK_EQUAL(field(presence[1], "nick"), "bob");
  CAF_CHECK_EQUAL(test::parse(presence[1]).at("count").to_number<size_t>(), 2u);
  CAF_CHECK_EQUAL(request<size_t>(room, count_atom::value), 2u);
}

CAF_TEST(a room over the presence limit announces no joins or leaves but each joiner its own) {
  start_room(5, 2);
  auto a = join("ana");
  auto b = join("bob");
  auto c = join("cyd"); // 3 members > 2: not announced
  auto presence = [](const member& m) {
    std::vector<std::string> out;
    for (auto& p : of_type(m.log->received, "presence"))
      out.push_back(field(p, "event") + " " + field(p, "nick"));
    return out;
  };
  CAF_CHECK_EQUAL(presence(a), std::vector<std::string>({"join ana", "join bob"}));
  CAF_CHECK_EQUAL(presence(c), std::vector<std::string>({"join cyd"}));
  // Its own join comes right after the joined reply (and the replay), as in any room.
  CAF_CHECK_EQUAL(field(c.log->received.at(1), "type"), "presence");
  self->send(room, unregister_atom::value, c.handle, std::string{});
  sched.run();
  CAF_CHECK_EQUAL(presence(a).size(), 2u); // cyd left a room of 3: not announced either
  self->send(room, unregister_atom::value, b.handle, std::string{});
  sched.run();
  auto last = presence(a).back(); // a copy: CAF_CHECK_EQUAL keeps references
  CAF_CHECK_EQUAL(last, "leave bob"); // 2 members: announced again
  // Nick changes are always announced.
  self->send(room, rename_atom::value, a.handle, std::string{"ann"});
  sched.run();
  last = presence(a).back();
  CAF_CHECK_EQUAL(last, "nick ann");
}

CAF_TEST(registering twice is refused) {
  start_room();
  auto a = join("ana");
  auto reply = self->request(room, caf::infinite, register_atom::value, a.handle, a.credit,
                             join_request{"ana", "", false, 0});
  sched.run();
  reply.receive([](caf::actor&) { CAF_FAIL("a second register must fail"); },
                [](caf::error& err) { CAF_CHECK_EQUAL(error_code(err), "already_joined"); });
  CAF_CHECK_EQUAL(state().members.size(), 1u);
}

CAF_TEST(a message is broadcast only once the store has it) {
  start_room();
  auto a = join("ana");
  auto b = join("bob");
  self->send(room, broadcast_atom::value, a.handle, std::string{"ana"}, std::string{"hi"},
             false, std::string{});
  expect((broadcast_atom, member_actor, std::string, std::string, bool, std::string),
         from(self).to(room).with(_, _, "ana", "hi", false, ""));
  // The room has asked the store, and nobody has the message yet.
  CAF_CHECK_EQUAL(a.messages().size(), 0u);
  CAF_CHECK_EQUAL(data->messages.size(), 0u);
  sched.run();
  CAF_CHECK_EQUAL(data->messages.size(), 1u);
  for (auto* m : {&a, &b}) {
    CAF_REQUIRE_EQUAL(m->messages().size(), 1u);
    CAF_CHECK_EQUAL(field(m->messages()[0], "text"), "hi");
    CAF_CHECK_EQUAL(field(m->messages()[0], "from"), "ana");
  }
  // Serialized once: both hold the very same string.
  CAF_CHECK_EQUAL(a.messages()[0].get(), b.messages()[0].get());
}

CAF_TEST(a refused message reaches nobody and its seq is given out again) {
  start_room();
  auto a = join("ana");
  auto b = join("bob");
  data->failing = true;
  say(a, "ana", "lost", "\"s1\"");
  CAF_CHECK_EQUAL(a.messages().size(), 0u);
  CAF_CHECK_EQUAL(b.messages().size(), 0u);
  auto errors = of_type(a.log->received, "error");
  CAF_REQUIRE_EQUAL(errors.size(), 1u);
  CAF_CHECK_EQUAL(field(errors[0], "code"), "store_unavailable");
  CAF_CHECK_EQUAL(field(errors[0], "id"), "s1");
  CAF_CHECK_EQUAL(of_type(b.log->received, "error").size(), 0u);
  data->failing = false;
  say(a, "ana", "kept");
  CAF_CHECK_EQUAL(seqs(b.log->received), (std::vector<uint64_t>{1}));
}

CAF_TEST(an action keeps its flag in the store in the broadcast and in the replay) {
  start_room();
  auto a = join("ana");
  say(a, "ana", "waves", "", true);
  say(a, "ana", "hi");
  CAF_REQUIRE_EQUAL(data->messages.size(), 2u);
  CAF_CHECK(data->messages[0].action);
  CAF_CHECK(!data->messages[1].action);
  auto late = join("late");
  for (auto* m : {&a, &late}) {
    auto msgs = m->messages();
    CAF_REQUIRE_EQUAL(msgs.size(), 2u);
    auto first = test::parse(msgs[0]);
    auto second = test::parse(msgs[1]);
    auto* action = first.if_contains("action");
    CAF_CHECK(action != nullptr && action->is_bool() && action->get_bool());
    CAF_CHECK(!second.contains("action"));
  }
}

CAF_TEST(messages said while the store works go to it together) {
  start_room();
  auto a = join("ana");
  for (int i = 0; i < 5; ++i)
    self->send(room, broadcast_atom::value, a.handle, std::string{"ana"},
               "m" + std::to_string(i), false, std::string{});
  sched.run();
  CAF_CHECK_EQUAL(seqs(a.log->received), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  CAF_CHECK_LESS(data->persist_calls, 5u); // batched: the first alone, the rest together
}

CAF_TEST(a burst said while the store works reaches readers that keep up without a drop) {
  start_room();
  // Credit 100; 300 messages arrive while the first is with the store. Released at once they
  // would overflow every member; in store-request slices of max_batch they do not.
  auto a = join("ana", 100, true);
  auto b = join("bob", 100, true);
  for (int i = 0; i < 300; ++i)
    self->send(room, broadcast_atom::value, a.handle, std::string{"ana"},
               "m" + std::to_string(i), false, std::string{});
  sched.run();
  CAF_CHECK_EQUAL(state().dropped, 0u);
  CAF_CHECK_EQUAL(a.log->overflows + b.log->overflows, 0u);
  CAF_CHECK_EQUAL(a.messages().size(), 300u);
  CAF_CHECK_EQUAL(b.messages().size(), 300u);
}

CAF_TEST(a say with an id is confirmed to its sender only) {
  start_room();
  auto a = join("ana");
  auto b = join("bob");
  say(a, "ana", "hello", "\"x1\"");
  auto sent = of_type(a.log->received, "sent");
  CAF_REQUIRE_EQUAL(sent.size(), 1u);
  CAF_CHECK_EQUAL(test::parse(sent[0]).at("seq").to_number<uint64_t>(), 1u);
  CAF_CHECK_EQUAL(field(sent[0], "id"), "x1");
  CAF_CHECK_EQUAL(of_type(b.log->received, "sent").size(), 0u);
}

CAF_TEST(a member that dies is removed and its leave announced) {
  start_room();
  auto a = join("ana");
  auto b = join("bob");
  anon_send_exit(a.handle, caf::exit_reason::kill);
  sched.run();
  CAF_CHECK_EQUAL(state().members.size(), 1u);
  auto presence = of_type(b.log->received, "presence");
  CAF_REQUIRE(!presence.empty());
  CAF_CHECK_EQUAL(field(presence.back(), "event"), "leave");
  CAF_CHECK_EQUAL(field(presence.back(), "nick"), "ana");
  CAF_CHECK_EQUAL(state().dropped, 0u); // died, not dropped for slowness
}

CAF_TEST(leaving gets left after everything said before and others see it) {
  start_room();
  auto a = join("ana");
  auto b = join("bob");
  say(b, "bob", "before");
  self->send(room, unregister_atom::value, a.handle, std::string{"\"l1\""});
  sched.run();
  CAF_CHECK_EQUAL(field(a.log->received.back(), "type"), "left");
  CAF_CHECK_EQUAL(field(a.log->received.back(), "id"), "l1");
  say(b, "bob", "after");
  CAF_CHECK_EQUAL(seqs(a.log->received), (std::vector<uint64_t>{1}));
  CAF_CHECK_EQUAL(field(of_type(b.log->received, "presence").back(), "event"), "leave");
}

CAF_TEST(a member that says something and leaves gets its message and sent before left) {
  start_room();
  auto a = join("ana");
  auto b = join("bob");
  self->send(room, broadcast_atom::value, a.handle, std::string{"ana"}, std::string{"bye"},
             false, std::string{"\"s\""});
  self->send(room, unregister_atom::value, a.handle, std::string{"\"l\""});
  sched.run();
  auto& got = a.log->received;
  auto type_at = [&](size_t i) { return field(got[got.size() - i], "type"); };
  CAF_REQUIRE_GREATER_OR_EQUAL(got.size(), 3u);
  CAF_CHECK_EQUAL(type_at(3), "message");
  CAF_CHECK_EQUAL(type_at(2), "sent");
  CAF_CHECK_EQUAL(type_at(1), "left");
  CAF_CHECK_EQUAL(seqs(b.log->received), (std::vector<uint64_t>{1}));
  CAF_CHECK_EQUAL(state().members.size(), 1u);
}

CAF_TEST(a newcomer gets the history in order and then live messages) {
  start_room();
  auto a = join("ana");
  for (auto t : {"one", "two", "three"})
    say(a, "ana", t);
  auto late = join("late");
  CAF_CHECK_EQUAL(late.log->batches, 2u); // joined+replay in one batch, then presence
  CAF_CHECK_EQUAL(field(late.log->received[0], "type"), "joined");
  CAF_CHECK_EQUAL(test::parse(late.log->received[0]).at("last_seq").to_number<uint64_t>(), 3u);
  CAF_CHECK_EQUAL(seqs(late.log->received), (std::vector<uint64_t>{1, 2, 3}));
  say(a, "ana", "four");
  CAF_CHECK_EQUAL(seqs(late.log->received), (std::vector<uint64_t>{1, 2, 3, 4}));
}

CAF_TEST(history keeps only the newest messages) {
  start_room();
  auto a = join("ana");
  for (int i = 0; i < 8; ++i)
    say(a, "ana", "m" + std::to_string(i));
  auto late = join("late");
  CAF_CHECK_EQUAL(seqs(late.log->received), (std::vector<uint64_t>{4, 5, 6, 7, 8}));
}

CAF_TEST(resume replays exactly what came after the given seq) {
  start_room();
  auto a = join("ana");
  for (int i = 0; i < 4; ++i)
    say(a, "ana", "m" + std::to_string(i));
  auto back = join("back", 64, true, join_request{"", "\"r\"", true, 2});
  CAF_CHECK_EQUAL(field(back.log->received[0], "type"), "resumed");
  auto resumed = test::parse(back.log->received[0]);
  CAF_CHECK_EQUAL(resumed.at("complete").as_bool(), true);
  CAF_CHECK_EQUAL(resumed.at("last_seq").to_number<uint64_t>(), 4u);
  CAF_CHECK_EQUAL(seqs(back.log->received), (std::vector<uint64_t>{3, 4}));
  auto upto_date = join("current", 64, true, join_request{"", "", true, 4});
  CAF_CHECK_EQUAL(seqs(upto_date.log->received), (std::vector<uint64_t>{}));
  CAF_CHECK_EQUAL(bool{test::parse(upto_date.log->received[0]).at("complete").as_bool()}, true);
}

CAF_TEST(resume past what the room keeps says so) {
  start_room(3);
  auto a = join("ana");
  for (int i = 0; i < 10; ++i)
    say(a, "ana", "m" + std::to_string(i));
  auto back = join("back", 64, true, join_request{"", "", true, 2});
  CAF_CHECK_EQUAL(bool{test::parse(back.log->received[0]).at("complete").as_bool()}, false);
  CAF_CHECK_EQUAL(seqs(back.log->received), (std::vector<uint64_t>{8, 9, 10}));
}

CAF_TEST(a message pending when someone joins arrives exactly once) {
  start_room();
  auto a = join("ana");
  auto late = make_member(64, true);
  // The registration waits behind the message: the message is durable and pending when the
  // registration runs, so the registration must flush it first.
  self->send(room, broadcast_atom::value, a.handle, std::string{"ana"}, std::string{"m"},
             false, std::string{});
  self->send(room, register_atom::value, late.handle, late.credit,
             join_request{"late", "", false, 0});
  sched.run();
  CAF_CHECK_EQUAL(seqs(late.log->received), (std::vector<uint64_t>{1}));
  CAF_CHECK_EQUAL(seqs(a.log->received), (std::vector<uint64_t>{1}));
  say(a, "ana", "next");
  CAF_CHECK_EQUAL(seqs(late.log->received), (std::vector<uint64_t>{1, 2}));
}

CAF_TEST(a room continues where the store left off) {
  for (uint64_t seq = 1; seq <= 7; ++seq)
    data->messages.push_back(chat_message{"lobby", seq, "old", 1, "m" + std::to_string(seq)});
  start_room(5);
  CAF_CHECK_EQUAL(state().last_seq, 7u);
  auto a = join("ana");
  CAF_CHECK_EQUAL(seqs(a.log->received), (std::vector<uint64_t>{3, 4, 5, 6, 7}));
  say(a, "ana", "new");
  CAF_CHECK_EQUAL(seqs(a.log->received), (std::vector<uint64_t>{3, 4, 5, 6, 7, 8}));
}

CAF_TEST(a room whose history cannot be read refuses joins) {
  data->failing = true;
  start_room();
  auto m = make_member(64, true);
  auto reply = self->request(room, caf::infinite, register_atom::value, m.handle, m.credit,
                             join_request{"ana", "", false, 0});
  sched.run();
  reply.receive([](caf::actor&) { CAF_FAIL("join must fail"); },
                [](caf::error& err) { CAF_CHECK_EQUAL(error_code(err), "store_unavailable"); });
}

CAF_TEST(the credit bound drops exactly the slow member) {
  start_room();
  // Credit 6: joined + presence + 3 messages fit; the member that never reads overflows then.
  auto fast1 = join("f1", 6, true);
  auto slow = join("slow", 6, false);
  auto fast2 = join("f2", 6, true);
  CAF_CHECK_EQUAL(state().dropped, 0u);
  for (int i = 0; i < 4; ++i)
    say(fast1, "f1", "m" + std::to_string(i));
  CAF_CHECK_EQUAL(state().dropped, 1u);
  CAF_CHECK_EQUAL(state().members.size(), 2u);
  CAF_CHECK_EQUAL(state().members.count(slow.handle.address()), 0u);
  CAF_CHECK_EQUAL(slow.log->overflows, 1u);
  for (auto* m : {&fast1, &fast2}) {
    CAF_CHECK_EQUAL(m->log->overflows, 0u);
    CAF_CHECK_EQUAL(seqs(m->log->received), (std::vector<uint64_t>{1, 2, 3, 4}));
    CAF_CHECK_EQUAL(field(of_type(m->log->received, "presence").back(), "event"), "leave");
  }
}

// -- overload: the room waits for members that all fall behind together ------------------------

namespace {

/// Gives back all credit of `m`, as its connection does once everything is written.
void written(member& m) {
  m.credit->release(m.credit->in_flight());
}

} // namespace

CAF_TEST(when most members are behind the room waits and acknowledges nothing) {
  start_room();
  std::vector<member> ms{join("a", 4, false), join("b", 4, false), join("c", 4, false)};
  for (auto& m : ms)
    written(m); // joined and presence are out
  say_range(ms[0], "a", 1, 4);
  CAF_CHECK_EQUAL(ms[0].log->acks, 4u);
  // Every member's queue is full now: the fifth message finds nobody with credit.
  say(ms[0], "a", "m5");
  CAF_CHECK(state().paused);
  CAF_CHECK_EQUAL(state().dropped, 0u);
  CAF_CHECK_EQUAL(ms[0].log->acks, 4u); // the publisher waits
  // Messages said while paused are not even sent to the store.
  auto persisted = data->messages.size();
  say(ms[1], "b", "m6");
  CAF_CHECK_EQUAL(data->messages.size(), persisted);
  // The members catch up; the room's retry delivers, acknowledges, and goes on.
  for (auto& m : ms)
    written(m);
  sched.trigger_timeouts();
  sched.run();
  CAF_CHECK(!state().paused);
  for (auto& m : ms) {
    CAF_CHECK_EQUAL(m.log->overflows, 0u);
    CAF_CHECK_EQUAL(seqs(m.log->received), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  }
  CAF_CHECK_EQUAL(ms[0].log->acks, 5u);
  CAF_CHECK_EQUAL(ms[1].log->acks, 1u);
}

CAF_TEST(a publisher whose queue fills with its own messages is waited for and not dropped) {
  start_room();
  auto pub = join("pub", 4, false);
  auto r1 = join("r1");
  auto r2 = join("r2");
  written(pub);
  say_range(pub, "pub", 1, 5);
  // The readers keep up; the publisher's queue is full of its own echoes. It is not dropped.
  CAF_CHECK_EQUAL(state().dropped, 0u);
  CAF_CHECK(state().paused);
  CAF_CHECK_EQUAL(pub.log->acks, 4u);
  written(pub);
  sched.trigger_timeouts();
  sched.run();
  CAF_CHECK(!state().paused);
  CAF_CHECK_EQUAL(pub.log->overflows, 0u);
  CAF_CHECK_EQUAL(pub.log->acks, 5u);
  CAF_CHECK_EQUAL(seqs(r1.log->received), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
}

CAF_TEST(a publisher whose queue is still full of its delivered messages is waited for) {
  // The overload case of loadgen: several publishers flood without a window. One publisher's own
  // messages are all out (acknowledged), but its queue is still full of their echoes when the
  // next batch, another publisher's, comes. It is waited for, not dropped.
  start_room();
  auto pub = join("pub", 4, false);
  auto other = join("other");
  auto r1 = join("r1");
  written(pub);
  say_range(pub, "pub", 1, 4);
  CAF_REQUIRE_EQUAL(pub.log->acks, 4u);
  CAF_REQUIRE(!state().paused);
  say(other, "other", "m5");
  CAF_CHECK_EQUAL(state().dropped, 0u);
  CAF_CHECK(state().paused);
  CAF_CHECK_EQUAL(other.log->acks, 0u);
  written(pub);
  sched.trigger_timeouts();
  sched.run();
  CAF_CHECK(!state().paused);
  CAF_CHECK_EQUAL(pub.log->overflows, 0u);
  CAF_CHECK_EQUAL(other.log->acks, 1u);
  CAF_CHECK_EQUAL(seqs(pub.log->received), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  CAF_CHECK_EQUAL(seqs(r1.log->received), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
}

CAF_TEST(a publisher that stops reading is dropped after slow-client-timeout) {
  start_room();
  auto pub = join("pub", 4, false);
  auto other = join("other");
  auto r1 = join("r1");
  written(pub);
  say_range(pub, "pub", 1, 4);
  say(other, "other", "m5");
  CAF_REQUIRE(state().paused);
  // It takes nothing: the stall rule drops it, and the others get m5 and its leave.
  advance_time(std::chrono::seconds(2));
  sched.run();
  CAF_CHECK_EQUAL(state().dropped, 1u);
  CAF_CHECK_EQUAL(pub.log->overflows, 1u);
  CAF_CHECK(!state().paused);
  CAF_CHECK_EQUAL(other.log->acks, 1u);
  CAF_CHECK_EQUAL(seqs(r1.log->received), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  CAF_CHECK_EQUAL(field(of_type(r1.log->received, "presence").back(), "event"), "leave");
}

CAF_TEST(a reader that lags while the others keep up gets a second queue and no one waits) {
  // A busy machine can leave one reader's connection a few batches behind the rest. It is still
  // reading, so it is not dropped: it gets what comes, up to twice its send queue, and the room
  // goes on for everyone else.
  start_room();
  auto lag = join("lag", 4, false);
  auto pub = join("pub");
  auto r1 = join("r1");
  written(lag);
  say_range(pub, "pub", 1, 4);
  lag.credit->release(1); // it reads (progress), but not enough for what comes
  say_range(pub, "pub", 5, 9);
  CAF_CHECK_EQUAL(state().dropped, 0u);
  CAF_CHECK(!state().paused);
  CAF_CHECK_EQUAL(lag.credit->in_flight(), 8u);
  CAF_CHECK_EQUAL(pub.log->acks, 9u);
  CAF_CHECK_EQUAL(seqs(lag.log->received), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  // Twice the queue is the hard bound: one more and it is dropped.
  say(pub, "pub", "m10");
  CAF_CHECK_EQUAL(state().dropped, 1u);
  CAF_CHECK_EQUAL(lag.log->overflows, 1u);
  auto r1_seqs = seqs(r1.log->received);
  CAF_CHECK_EQUAL(r1_seqs.size(), 10u);
}

CAF_TEST(a lagging reader that catches up is a normal member again) {
  start_room();
  auto lag = join("lag", 4, false);
  auto pub = join("pub");
  written(lag);
  say_range(pub, "pub", 1, 4);
  lag.credit->release(1);
  say(pub, "pub", "m5");
  say(pub, "pub", "m6"); // past its queue: the second one
  CAF_REQUIRE_EQUAL(lag.credit->in_flight(), 5u);
  written(lag);
  advance_time(std::chrono::seconds(3));
  sched.run();
  say_range(pub, "pub", 7, 10);
  CAF_CHECK_EQUAL(state().dropped, 0u);
  auto lag_seqs = seqs(lag.log->received);
  CAF_CHECK_EQUAL(lag_seqs.size(), 10u);
}

CAF_TEST(a lagging reader that stops reading is dropped at the next batch once idle) {
  start_room();
  auto lag = join("lag", 4, false);
  auto pub = join("pub");
  auto r1 = join("r1");
  written(lag);
  say_range(pub, "pub", 1, 4);
  lag.credit->release(1);
  say(pub, "pub", "m5");
  say(pub, "pub", "m6");
  CAF_REQUIRE_EQUAL(state().dropped, 0u);
  // It takes nothing more. A batch within slow-client-timeout of its last progress still
  // reaches it; one after that drops it.
  advance_time(std::chrono::milliseconds(1900));
  say(pub, "pub", "m7");
  CAF_CHECK_EQUAL(state().dropped, 0u);
  advance_time(std::chrono::milliseconds(100));
  say(pub, "pub", "m8");
  CAF_CHECK_EQUAL(state().dropped, 1u);
  CAF_CHECK_EQUAL(lag.log->overflows, 1u);
  CAF_CHECK(!state().paused);
  CAF_CHECK_EQUAL(seqs(r1.log->received), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
}

CAF_TEST(a lagging reader that keeps reading but never catches up is dropped in the end) {
  start_room();
  auto lag = join("lag", 16, false);
  auto pub = join("pub");
  written(lag);
  say_range(pub, "pub", 1, 16);
  // Every 200 ms it takes one message and two new ones come: it stays out of credit (from the
  // first step on). After slow-client-timeout (2 s) of that it is dropped.
  auto step = [&](int k) {
    advance_time(std::chrono::milliseconds(200));
    lag.credit->release(1);
    say(pub, "pub", "a" + std::to_string(k));
    say(pub, "pub", "b" + std::to_string(k));
  };
  for (int k = 1; k <= 10; ++k) {
    step(k);
    CAF_CHECK_EQUAL(state().dropped, 0u);
  }
  step(11);
  CAF_CHECK_EQUAL(state().dropped, 1u);
  CAF_CHECK_EQUAL(lag.log->overflows, 1u);
  CAF_CHECK(!state().paused);
}

CAF_TEST(when a tenth of the members run out of credit and keep reading the room waits) {
  // Not one slow reader but the machine: the room holds (and then the stall rule applies).
  start_room();
  std::vector<member> fast;
  for (int i = 0; i < 8; ++i)
    fast.push_back(join("f" + std::to_string(i)));
  std::vector<member> slow{join("s1", 4, false), join("s2", 4, false)};
  for (auto& m : slow)
    written(m);
  say_range(fast[0], "f0", 1, 5);
  // m5 found them out of credit: each got it as a lagging reader (a second queue).
  CAF_REQUIRE(!state().paused);
  // They read (progress since they ran out) but stay behind: now it is the machine.
  advance_time(std::chrono::milliseconds(100));
  for (auto& m : slow) {
    m.credit->force_acquire(1);
    m.credit->release(1);
  }
  say(fast[0], "f0", "m6");
  CAF_CHECK(state().paused);
  CAF_CHECK_EQUAL(state().dropped, 0u);
  // Waited for as long as they keep taking something...
  for (int step = 0; step < 6; ++step) {
    advance_time(std::chrono::milliseconds(500));
    for (auto& m : slow) {
      m.credit->force_acquire(1);
      m.credit->release(1);
    }
    sched.run();
  }
  CAF_CHECK_EQUAL(state().dropped, 0u);
  CAF_CHECK(state().paused);
  // ...and dropped once they have taken nothing for slow-client-timeout.
  advance_time(std::chrono::seconds(2));
  sched.run();
  CAF_CHECK_EQUAL(state().dropped, 2u);
  CAF_CHECK(!state().paused);
  CAF_CHECK_EQUAL(seqs(fast[1].log->received), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
}

CAF_TEST(a few members that stopped reading do not make the room wait) {
  start_room();
  std::vector<member> fast;
  for (int i = 0; i < 8; ++i)
    fast.push_back(join("f" + std::to_string(i)));
  std::vector<member> dead{join("d1", 4, false), join("d2", 4, false)};
  for (auto& m : dead)
    written(m);
  say_range(fast[0], "f0", 1, 12);
  // Out of their second queue with no progress: dropped, and nobody waited.
  CAF_CHECK_EQUAL(state().dropped, 2u);
  CAF_CHECK(!state().paused);
  CAF_CHECK_EQUAL(fast[0].log->acks, 12u);
}

CAF_TEST(a member that said something long ago and stopped reading is dropped at once) {
  start_room();
  auto quiet = join("quiet", 4, false);
  auto other = join("other");
  written(quiet);
  say(quiet, "quiet", "hello");
  advance_time(std::chrono::seconds(3));
  sched.run();
  say_range(other, "other", 2, 5);
  CAF_CHECK_EQUAL(state().dropped, 1u);
  CAF_CHECK_EQUAL(quiet.log->overflows, 1u);
  CAF_CHECK(!state().paused);
}

CAF_TEST(while paused a member that takes nothing for slow-client-timeout is dropped) {
  start_room();
  std::vector<member> ms{join("a", 4, false), join("b", 4, false), join("c", 4, false)};
  for (auto& m : ms)
    written(m);
  say_range(ms[0], "a", 1, 5);
  CAF_REQUIRE(state().paused);
  // a and b take one message each (progress, and credit for the next one); c takes nothing.
  // Most members are still at least half full, so the room keeps waiting for c.
  ms[0].credit->release(1);
  ms[1].credit->release(1);
  sched.trigger_timeouts();
  sched.run();
  CAF_CHECK(state().paused);
  CAF_CHECK_EQUAL(state().dropped, 0u);
  // c makes no progress for the timeout (2 s by default): dropped.
  advance_time(std::chrono::seconds(2));
  sched.run();
  CAF_CHECK_EQUAL(state().dropped, 1u);
  CAF_CHECK_EQUAL(ms[2].log->overflows, 1u);
  // a and b catch up and get m5 and c's leave.
  written(ms[0]);
  written(ms[1]);
  sched.trigger_timeouts();
  sched.run();
  CAF_CHECK(!state().paused);
  CAF_CHECK_EQUAL(field(of_type(ms[0].log->received, "presence").back(), "event"), "leave");
  CAF_CHECK_EQUAL(seqs(ms[0].log->received), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  CAF_CHECK_EQUAL(seqs(ms[1].log->received), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  CAF_CHECK_EQUAL(ms[0].log->acks, 5u);
}

CAF_TEST(a join while paused forces nothing out and the newcomer sees each message once) {
  start_room(10);
  std::vector<member> ms{join("a", 4, false), join("b", 4, false)};
  for (auto& m : ms)
    written(m);
  say_range(ms[0], "a", 1, 5);
  CAF_REQUIRE(state().paused);
  auto in_flight = ms[0].credit->in_flight();
  // The newcomer's replay stops before what is held; nobody gets anything past its bound.
  auto late = join("late");
  CAF_CHECK(state().paused);
  CAF_CHECK_EQUAL(ms[0].credit->in_flight(), in_flight);
  CAF_CHECK_EQUAL(seqs(late.log->received), (std::vector<uint64_t>{1, 2, 3, 4}));
  // The members catch up: the held message reaches all three, the newcomer too, once.
  for (auto& m : ms)
    written(m);
  sched.trigger_timeouts();
  sched.run();
  CAF_CHECK(!state().paused);
  CAF_CHECK_EQUAL(state().dropped, 0u);
  for (auto& m : ms)
    CAF_CHECK_EQUAL(seqs(m.log->received), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  CAF_CHECK_EQUAL(seqs(late.log->received), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  CAF_CHECK_EQUAL(ms[0].log->acks, 5u);
}

CAF_TEST(a leave while paused gives the leaver what is held and its sent replies and then left) {
  start_room(10);
  std::vector<member> ms{join("a", 4, false), join("b", 4, false)};
  for (auto& m : ms)
    written(m);
  say_range(ms[0], "a", 1, 4);
  say(ms[0], "a", "m5", "id5");
  CAF_REQUIRE(state().paused);
  self->send(room, unregister_atom::value, ms[0].handle, std::string{"bye"});
  sched.run();
  auto& got = ms[0].log->received;
  CAF_CHECK_EQUAL(seqs(got), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  auto sent = of_type(got, "sent");
  auto left = of_type(got, "left");
  CAF_CHECK_EQUAL(sent.size(), 1u);
  CAF_CHECK_EQUAL(left.size(), 1u);
  CAF_CHECK_EQUAL(test::type_of(got.back()), "left");
  // b was not forced: it still waits for m5, and gets it and the leave once it reads.
  CAF_CHECK_EQUAL(seqs(ms[1].log->received), (std::vector<uint64_t>{1, 2, 3, 4}));
  written(ms[1]);
  sched.trigger_timeouts();
  sched.run();
  CAF_CHECK_EQUAL(seqs(ms[1].log->received), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  CAF_CHECK_EQUAL(field(of_type(ms[1].log->received, "presence").back(), "event"), "leave");
}

CAF_TEST(every broadcast is acknowledged once even if refused or from a non-member) {
  start_room();
  auto a = join("a");
  auto outsider = make_member(8, true);
  say(a, "a", "one");
  say(outsider, "o", "not a member");
  data->failing = true;
  say(a, "a", "refused");
  CAF_CHECK_EQUAL(a.log->acks, 2u);
  CAF_CHECK_EQUAL(outsider.log->acks, 1u);
}

CAF_TEST(a rename is announced and who lists members sorted) {
  start_room();
  auto a = join("zed");
  auto b = join("bob");
  self->send(room, rename_atom::value, a.handle, std::string{"ana"});
  sched.run();
  auto p = of_type(b.log->received, "presence").back();
  CAF_CHECK_EQUAL(field(p, "event"), "nick");
  CAF_CHECK_EQUAL(field(p, "nick"), "ana");
  CAF_CHECK_EQUAL(field(p, "old_nick"), "zed");
  CAF_CHECK_EQUAL(request<std::vector<std::string>>(room, who_atom::value),
                  (std::vector<std::string>{"ana", "bob"}));
}

CAF_TEST(an unexpected message does not kill the room) {
  start_room();
  auto a = join("ana");
  self->send(caf::actor_cast<caf::actor>(room), std::string{"garbage"});
  sched.run();
  say(a, "ana", "alive");
  CAF_CHECK_EQUAL(a.messages().size(), 1u);
}


CAF_TEST(members with a connection get batches straight from the room and one hand off per lane) {
  start_room();
  int lane = 0; // any address: the lane's identity
  auto on_lane1 = std::make_shared<test::lane_connection>(&lane);
  auto on_lane2 = std::make_shared<test::lane_connection>(&lane);
  auto alone = std::make_shared<test::lane_connection>(nullptr);
  auto join_with = [&](const std::string& nick, std::shared_ptr<connection> conn) {
    auto m = make_member(64, true);
    m.credit->set_sink(conn);
    join_request req;
    req.nick = nick;
    self->send(room, register_atom::value, m.handle, m.credit, req);
    sched.run();
    return m;
  };
  auto a = join_with("ana", on_lane1);
  auto b = join_with("bob", on_lane2);
  auto c = join_with("cy", alone);
  auto d = join("dee"); // no connection: through its actor, as before
  say(d, "dee", "hi");
  for (auto* conn : {on_lane1.get(), on_lane2.get(), alone.get()}) {
    // joined (and presence) first, then the message, each once.
    CAF_REQUIRE(!conn->sent.empty());
    CAF_CHECK_EQUAL(type_of(conn->sent.front()), "joined");
    auto msgs = of_type(conn->sent, "message");
    CAF_REQUIRE_EQUAL(msgs.size(), 1u);
    CAF_CHECK_EQUAL(field(msgs[0], "text"), "hi");
  }
  for (auto* m : {&a, &b, &c})
    CAF_CHECK_EQUAL(m->log->received.size(), 0u); // nothing went through the actors
  CAF_REQUIRE_EQUAL(d.messages().size(), 1u);
  // The two on one lane got the message's batch in one hand-off made through one of them; the
  // lone one got it by send().
  auto groups = on_lane1->group_sizes;
  groups.insert(groups.end(), on_lane2->group_sizes.begin(), on_lane2->group_sizes.end());
  CAF_CHECK(std::find(groups.begin(), groups.end(), 2u) != groups.end());
  CAF_CHECK(on_lane1->taken_on_lane > 0 && on_lane2->taken_on_lane > 0);
  CAF_CHECK_EQUAL(alone->taken_on_lane, 0u);
  // A connection that is gone: the room falls back to the member's actor.
  auto e = join_with("eve", std::make_shared<test::lane_connection>(&lane)); // dies at once
  say(d, "dee", "again");
  CAF_CHECK_EQUAL(e.messages().size(), 1u);
}

CAF_TEST_FIXTURE_SCOPE_END()
