#define CAF_SUITE directory
#define FAIL(msg) CAF_FAIL(msg) // CAF 0.17.6 dsl.hpp uses an undefined FAIL (CAF-0.17.md 6)

#include "actors/directory.hpp"

#include "fakes.hpp"

#include <caf/test/dsl.hpp>

using namespace actorchat;

namespace {

struct fixture : test_coordinator_fixture<> {
  std::shared_ptr<test::store_data> data = std::make_shared<test::store_data>();
  metrics_ptr counters = std::make_shared<metrics>();
  store_actor store;
  directory_actor dir;

  fixture() {
    store = sys.spawn(test::fake_store, data);
    directory_settings settings;
    settings.max_rooms = 2;
    settings.room.idle_timeout = std::chrono::seconds(5);
    settings.metrics = counters;
    dir = spawn_directory(sys, settings, store);
    sched.run();
  }

  ~fixture() {
    anon_send_exit(dir, caf::exit_reason::user_shutdown);
    sched.run();
  }

  directory_state& state() {
    return deref<directory_actor::stateful_base<directory_state>>(dir).state;
  }

  struct joined {
    member_actor member;
    caf::actor room;
    std::string error;
  };

  joined join(const std::string& room) {
    joined out;
    out.member = sys.spawn(test::fake_member, std::make_shared<test::member_log>(),
                           std::make_shared<send_credit>(64), true);
    sched.run();
    auto reply = self->request(dir, caf::infinite, register_atom::value, room, out.member,
                               std::make_shared<send_credit>(64), join_request{"n", "", false, 0});
    sched.run();
    reply.receive([&](caf::actor& r) { out.room = r; },
                  [&](caf::error& err) { out.error = error_code(err); });
    return out;
  }

  std::vector<room_count> rooms() {
    return request<std::vector<room_count>>(dir, rooms_atom::value);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(directory_tests, fixture)

CAF_TEST(the first join creates a room and later joins find it) {
  auto a = join("dev");
  auto b = join("dev");
  CAF_REQUIRE(a.room);
  CAF_CHECK_EQUAL(a.room, b.room);
  auto list = rooms();
  CAF_REQUIRE_EQUAL(list.size(), 1u);
  CAF_CHECK_EQUAL(list[0].room, "dev");
  CAF_CHECK_EQUAL(list[0].members, 2u);
}

CAF_TEST(rooms are listed sorted with their counts) {
  join("zeta");
  join("alpha");
  auto list = rooms();
  CAF_REQUIRE_EQUAL(list.size(), 2u);
  CAF_CHECK_EQUAL(list[0].room, "alpha");
  CAF_CHECK_EQUAL(list[1].room, "zeta");
}

CAF_TEST(no more rooms than allowed) {
  join("one");
  join("two");
  CAF_CHECK_EQUAL(join("three").error, "room_limit");
  CAF_CHECK(join("one").room); // existing rooms still take members
}

CAF_TEST(an empty room retires after its idle time and comes back from the store) {
  auto a = join("dev");
  anon_send(caf::actor_cast<room_actor>(a.room), broadcast_atom::value, a.member,
            std::string{"n"}, std::string{"kept"}, false, std::string{});
  sched.run();
  anon_send_exit(a.member, caf::exit_reason::kill);
  sched.run();
  CAF_CHECK_EQUAL(rooms().size(), 1u);
  sched.trigger_timeouts(); // the idle timer
  sched.run();
  CAF_CHECK_EQUAL(rooms().size(), 0u);
  CAF_CHECK_EQUAL(state().rooms.size(), 0u);
  auto again = join("dev");
  CAF_REQUIRE(again.room);
  CAF_CHECK_NOT_EQUAL(again.room, a.room);
  auto& st = deref<home_actor::stateful_base<room_state>>(again.room).state;
  CAF_CHECK_EQUAL(st.last_seq, 1u); // recovered
}

CAF_TEST(the live rooms gauge follows creation and retirement) {
  CAF_CHECK_EQUAL(counters->rooms.value(), 0);
  auto a = join("dev");
  auto b = join("ops");
  join("dev");
  CAF_CHECK_EQUAL(counters->rooms.value(), 2);
  anon_send_exit(a.member, caf::exit_reason::kill);
  sched.run();
  sched.trigger_timeouts(); // dev's idle timer
  sched.run();
  CAF_CHECK_EQUAL(state().rooms.count("dev"), 1u); // the second member is still in it
  CAF_CHECK_EQUAL(counters->rooms.value(), 2);
  anon_send_exit(b.member, caf::exit_reason::kill);
  sched.run();
  sched.trigger_timeouts();
  sched.run();
  CAF_CHECK_EQUAL(state().rooms.count("ops"), 0u);
  CAF_CHECK_EQUAL(counters->rooms.value(), 1);
}

CAF_TEST(a room with a join on its way does not retire) {
  auto a = join("dev");
  anon_send_exit(a.member, caf::exit_reason::kill);
  sched.run();
  // The room asks to retire after counting one join; the directory has handed it two.
  auto& entry = state().rooms.at("dev");
  ++entry.joins_sent;
  sched.trigger_timeouts();
  sched.run();
  CAF_CHECK_EQUAL(state().rooms.count("dev"), 1u);
}

CAF_TEST_FIXTURE_SCOPE_END()
