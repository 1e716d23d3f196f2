#define CAF_SUITE dice
#define FAIL(msg) CAF_FAIL(msg) // CAF 0.17.6 dsl.hpp uses an undefined FAIL (CAF-0.17.md 6)

#include "examples/behaviours/behaviours.hpp"

#include "fakes.hpp"

#include <caf/test/dsl.hpp>

#include <regex>

using namespace actorchat;

namespace {

struct fixture : test_coordinator_fixture<> {
  caf::actor dice;

  fixture() {
    behaviour_context ctx;
    ctx.name = "dice";
    caf::put(ctx.config, "seed", uint64_t{42});
    dice = sys.spawn(examples::dice, ctx);
    sched.run();
  }

  command_reply roll(const std::string& args, const std::string& room = "lobby") {
    return request<command_reply>(dice, command_atom::value,
                                  slash_command{room, "ana", "roll", args});
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(dice_tests, fixture)

CAF_TEST(it answers roll) {
  auto info = request<behaviour_info>(dice, describe_atom::value);
  CAF_REQUIRE_EQUAL(info.commands.size(), 1u);
  CAF_CHECK_EQUAL(info.commands[0].name, "roll");
}

CAF_TEST(a roll is said as the user action with every die and the sum) {
  for (int i = 0; i < 50; ++i) {
    auto cmd = test::parse_frame(roll("3d6").run);
    CAF_CHECK(cmd.at("action").as_bool());
    std::string text{cmd.at("text").as_string()};
    std::smatch m;
    static const std::regex form{R"(rolls 3d6: ([1-6]) \+ ([1-6]) \+ ([1-6]) = (\d+))"};
    CAF_REQUIRE(std::regex_match(text, m, form));
    CAF_CHECK_EQUAL(std::stoi(m[1]) + std::stoi(m[2]) + std::stoi(m[3]), std::stoi(m[4]));
  }
  std::string one{test::parse_frame(roll("").run).at("text").as_string()};
  CAF_CHECK(std::regex_match(one, std::regex{R"(rolls 1d6: [1-6])"}));
}

CAF_TEST(bad dice get a usage notice) {
  for (auto bad : {"0d6", "2d0", "100d6", "d1000", "two dice", "2d6 extra"}) {
    auto r = roll(bad);
    CAF_CHECK_EQUAL(r.run, "");
    CAF_CHECK_EQUAL(r.notice.rfind("usage: /roll NdM", 0), 0u);
  }
  CAF_CHECK_EQUAL(roll("2d6", "").notice, "join a room first");
}

CAF_TEST_FIXTURE_SCOPE_END()
