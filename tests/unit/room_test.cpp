#define CAF_SUITE room
#define FAIL(msg) CAF_FAIL(msg) // CAF 0.17.6 dsl.hpp uses an undefined FAIL (CAF-0.17.md 6)

#include "actors/room.hpp"

#include "fakes.hpp"

#include <caf/test/dsl.hpp>

using namespace actorchat;
using actorchat::test::fake_member;
using actorchat::test::member_log;
using actorchat::test::seqs;

namespace {

struct member {
  member_actor handle;
  credit_ptr credit;
  std::shared_ptr<member_log> log;
};

struct fixture : test_coordinator_fixture<> {
  room_actor room;

  fixture() {
    room_settings settings;
    settings.history_size = 5;
    room = spawn_room(sys, "lobby", settings);
    sched.run();
  }

  room_state& state() {
    return deref<room_actor::stateful_base<room_state>>(room).state;
  }

  /// Spawns a member with send credit `limit` and registers it with the room.
  member join(uint32_t limit = 16, bool fast = true) {
    member m{member_actor{}, std::make_shared<send_credit>(limit), std::make_shared<member_log>()};
    m.handle = sys.spawn(fake_member, m.log, m.credit, fast);
    sched.run();
    self->send(room, register_atom::value, m.handle, m.credit);
    expect((register_atom, member_actor, credit_ptr), from(self).to(room).with(_, m.handle, _));
    return m;
  }

  void say(const std::string& from, const std::string& text) {
    self->send(room, broadcast_atom::value, from, text);
    expect((broadcast_atom, std::string, std::string), from(self).to(room).with(_, from, text));
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(room_tests, fixture)

CAF_TEST(register and unregister change the membership) {
  auto a = join();
  auto b = join();
  CAF_CHECK_EQUAL(state().members.size(), 2u);
  self->send(room, unregister_atom::value, a.handle);
  expect((unregister_atom, member_actor), from(self).to(room).with(_, a.handle));
  CAF_CHECK_EQUAL(state().members.size(), 1u);
  CAF_CHECK_EQUAL(request<size_t>(room, count_atom::value), 1u);
}

CAF_TEST(registering twice keeps one membership) {
  auto a = join();
  self->send(room, register_atom::value, a.handle, a.credit);
  expect((register_atom, member_actor, credit_ptr), from(self).to(room).with(_, a.handle, _));
  CAF_CHECK_EQUAL(state().members.size(), 1u);
}

CAF_TEST(a broadcast reaches every member as one shared payload) {
  auto a = join();
  auto b = join();
  auto c = join();
  say("guest-1", "hello");
  sched.run();
  for (auto* m : {&a, &b, &c}) {
    CAF_REQUIRE_EQUAL(m->log->received.size(), 1u);
    auto obj = test::parse(m->log->received[0]);
    CAF_CHECK_EQUAL(std::string{obj.at("text").as_string()}, "hello");
    CAF_CHECK_EQUAL(std::string{obj.at("from").as_string()}, "guest-1");
    CAF_CHECK_EQUAL(std::string{obj.at("room").as_string()}, "lobby");
    CAF_CHECK_EQUAL(obj.at("seq").to_number<uint64_t>(), 1u);
  }
  // Serialized once: all three hold the very same string.
  CAF_CHECK_EQUAL(a.log->received[0].get(), b.log->received[0].get());
  CAF_CHECK_EQUAL(a.log->received[0].get(), c.log->received[0].get());
}

CAF_TEST(sequence numbers start at one and have no gaps) {
  auto a = join();
  for (int i = 0; i < 4; ++i)
    say("x", "m" + std::to_string(i));
  sched.run();
  CAF_CHECK_EQUAL(seqs(a.log->received), (std::vector<uint64_t>{1, 2, 3, 4}));
}

CAF_TEST(broadcasts queued together are flushed as one batch) {
  auto a = join();
  // Three broadcasts in the mailbox at once: the room sends one batch, not three messages.
  for (int i = 0; i < 3; ++i)
    self->send(room, broadcast_atom::value, std::string{"x"}, "m" + std::to_string(i));
  sched.run();
  CAF_CHECK_EQUAL(a.log->batches, 1u);
  CAF_CHECK_EQUAL(seqs(a.log->received), (std::vector<uint64_t>{1, 2, 3}));
}

CAF_TEST(a member that dies is dropped from the room) {
  auto a = join();
  auto b = join();
  anon_send_exit(a.handle, caf::exit_reason::kill);
  sched.run();
  CAF_CHECK_EQUAL(state().members.size(), 1u);
  CAF_CHECK_EQUAL(state().members.count(b.handle.address()), 1u);
  say("x", "still here");
  sched.run();
  CAF_CHECK_EQUAL(b.log->received.size(), 1u);
  CAF_CHECK_EQUAL(state().dropped, 0u); // died, not dropped for slowness
}

CAF_TEST(a newcomer gets the history in order and then live messages) {
  auto a = join();
  say("a", "one");
  say("a", "two");
  say("a", "three");
  sched.run();
  auto late = join();
  sched.run();
  CAF_CHECK_EQUAL(late.log->batches, 1u); // the replay is one batch
  CAF_CHECK_EQUAL(seqs(late.log->received), (std::vector<uint64_t>{1, 2, 3}));
  say("a", "four");
  sched.run();
  CAF_CHECK_EQUAL(seqs(late.log->received), (std::vector<uint64_t>{1, 2, 3, 4}));
  CAF_CHECK_EQUAL(seqs(a.log->received), (std::vector<uint64_t>{1, 2, 3, 4}));
}

CAF_TEST(history keeps only the newest messages) {
  for (int i = 0; i < 8; ++i)
    say("a", "m" + std::to_string(i));
  auto late = join();
  sched.run();
  CAF_CHECK_EQUAL(seqs(late.log->received), (std::vector<uint64_t>{4, 5, 6, 7, 8}));
}

CAF_TEST(a message pending when someone joins arrives exactly once) {
  auto a = join();
  member late{member_actor{}, std::make_shared<send_credit>(16), std::make_shared<member_log>()};
  late.handle = sys.spawn(fake_member, late.log, late.credit, true);
  sched.run();
  // "m" is said while the registration waits in the room's mailbox, so the room cannot flush
  // it right away (its mailbox is not empty); the registration must flush it first.
  self->send(room, broadcast_atom::value, std::string{"a"}, std::string{"m"});
  self->send(room, register_atom::value, late.handle, late.credit);
  sched.run();
  CAF_CHECK_EQUAL(seqs(late.log->received), (std::vector<uint64_t>{1}));
  CAF_CHECK_EQUAL(seqs(a.log->received), (std::vector<uint64_t>{1}));
  say("a", "next");
  sched.run();
  CAF_CHECK_EQUAL(seqs(late.log->received), (std::vector<uint64_t>{1, 2}));
}

CAF_TEST(the credit bound drops exactly the slow member) {
  auto fast1 = join(3, true);
  auto slow = join(3, false); // never releases: a peer that stopped reading
  auto fast2 = join(3, true);
  for (int i = 0; i < 3; ++i) {
    say("x", "m" + std::to_string(i));
    sched.run();
  }
  CAF_CHECK_EQUAL(slow.credit->in_flight(), 3u); // full, but nothing dropped yet
  CAF_CHECK_EQUAL(state().dropped, 0u);
  say("x", "one too many");
  sched.run();
  CAF_CHECK_EQUAL(state().dropped, 1u);
  CAF_CHECK_EQUAL(state().members.size(), 2u);
  CAF_CHECK_EQUAL(state().members.count(slow.handle.address()), 0u);
  CAF_CHECK_EQUAL(slow.log->overflows, 1u);
  CAF_CHECK_EQUAL(slow.log->received.size(), 3u);
  for (auto* m : {&fast1, &fast2}) {
    CAF_CHECK_EQUAL(m->log->overflows, 0u);
    CAF_CHECK_EQUAL(seqs(m->log->received), (std::vector<uint64_t>{1, 2, 3, 4}));
  }
}

CAF_TEST(the room never waits for a slow member) {
  auto slow = join(2, false);
  auto fast = join(2, true);
  // Ten broadcasts; the fast member keeps up between them, the slow one never reads. The
  // slow member's overflow costs the fast one nothing.
  for (int i = 0; i < 10; ++i) {
    say("x", "m" + std::to_string(i));
    sched.run();
  }
  CAF_CHECK_EQUAL(fast.log->received.size(), 10u);
  CAF_CHECK_EQUAL(slow.log->overflows, 1u);
  CAF_CHECK_EQUAL(state().dropped, 1u);
}

CAF_TEST(a newcomer whose replay does not fit its credit is dropped) {
  for (int i = 0; i < 5; ++i)
    say("a", "m" + std::to_string(i));
  auto tiny = join(2, true);
  sched.run();
  CAF_CHECK_EQUAL(tiny.log->received.size(), 0u);
  CAF_CHECK_EQUAL(tiny.log->overflows, 1u);
  CAF_CHECK_EQUAL(state().members.size(), 0u);
}

CAF_TEST(an unexpected message does not kill the room) {
  auto a = join();
  // A dynamically typed sender bypasses the typed interface on purpose.
  self->send(caf::actor_cast<caf::actor>(room), std::string{"garbage"});
  sched.run();
  say("x", "alive");
  sched.run();
  CAF_CHECK_EQUAL(a.log->received.size(), 1u);
}

CAF_TEST_FIXTURE_SCOPE_END()
