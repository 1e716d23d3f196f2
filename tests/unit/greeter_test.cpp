#define CAF_SUITE greeter
#define FAIL(msg) CAF_FAIL(msg) // CAF 0.17.6 dsl.hpp uses an undefined FAIL (CAF-0.17.md 6)

#include "examples/behaviours/behaviours.hpp"

#include "fakes.hpp"

#include <caf/test/dsl.hpp>

using namespace actorchat;

namespace {

struct fixture : test_coordinator_fixture<> {
  std::shared_ptr<std::vector<std::string>> said = std::make_shared<std::vector<std::string>>();
  caf::actor greeter;

  void start(caf::settings config) {
    behaviour_context ctx;
    ctx.name = "greeter";
    ctx.nick = "greeter";
    ctx.config = std::move(config);
    ctx.seat = sys.spawn(test::fake_seat, said);
    greeter = sys.spawn(examples::greeter, ctx);
    sched.run();
  }

  void joins(const std::string& room, const std::string& nick, bool mine = false) {
    room_event e;
    e.type = "presence";
    e.event = "join";
    e.room = room;
    e.nick = nick;
    e.mine = mine;
    anon_send(greeter, event_atom::value, e);
    sched.run();
  }

  std::string text(size_t i) {
    return std::string{test::parse_frame(said->at(i)).at("text").as_string()};
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(greeter_tests, fixture)

CAF_TEST(it wants the events of its rooms and is no filter) {
  start({});
  auto info = request<behaviour_info>(greeter, describe_atom::value);
  CAF_CHECK(info.events);
  CAF_CHECK(!info.filter);
  CAF_CHECK(info.commands.empty());
}

CAF_TEST(it welcomes whoever joins in the room they joined) {
  start({});
  joins("lobby", "ana");
  CAF_REQUIRE_EQUAL(said->size(), 1u);
  auto cmd = test::parse_frame(said->at(0));
  CAF_CHECK_EQUAL(std::string{cmd.at("type").as_string()}, "say");
  CAF_CHECK_EQUAL(std::string{cmd.at("room").as_string()}, "lobby");
  CAF_CHECK_EQUAL(text(0), "welcome to #lobby, ana!");
}

CAF_TEST(it greets neither itself nor a leave nor a message) {
  start({});
  joins("lobby", "greeter", true);
  room_event leave;
  leave.type = "presence";
  leave.event = "leave";
  leave.nick = "ana";
  anon_send(greeter, event_atom::value, leave);
  room_event msg;
  msg.type = "message";
  msg.from = "ana";
  anon_send(greeter, event_atom::value, msg);
  sched.run();
  CAF_CHECK_EQUAL(said->size(), 0u);
}

CAF_TEST(the message is configurable and a rejoin within the cooldown is not greeted) {
  caf::settings config;
  caf::put(config, "message", "hi {nick}, this is {room} ({nick})");
  caf::put(config, "cooldown", caf::timespan{std::chrono::minutes(1)});
  start(config);
  joins("dev", "ana");
  joins("dev", "ana");
  joins("lobby", "ana"); // another room: greeted
  CAF_REQUIRE_EQUAL(said->size(), 2u);
  CAF_CHECK_EQUAL(text(0), "hi ana, this is dev (ana)");
  sched.advance_time(std::chrono::minutes(1));
  joins("dev", "ana");
  CAF_CHECK_EQUAL(said->size(), 3u);
}

CAF_TEST_FIXTURE_SCOPE_END()
