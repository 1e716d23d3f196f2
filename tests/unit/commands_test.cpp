#define CAF_SUITE commands
#define FAIL(msg) CAF_FAIL(msg) // CAF 0.17.6 dsl.hpp uses an undefined FAIL (CAF-0.17.md 6)

#include "examples/behaviours/behaviours.hpp"

#include "fakes.hpp"

#include <caf/test/dsl.hpp>

using namespace actorchat;

namespace {

struct fixture : test_coordinator_fixture<> {
  caf::actor cmds;

  fixture() {
    behaviour_context ctx;
    ctx.name = "commands";
    ctx.commands = std::make_shared<std::vector<command_help>>(std::vector<command_help>{
      {"roll", "/roll 2d6", "rolls dice", "dice"}, {"time", "/time", "the time", "commands"}});
    cmds = sys.spawn(examples::commands, ctx);
    sched.run();
  }

  command_reply ask(const std::string& name, const std::string& args,
                    const std::string& room = "lobby") {
    return request<command_reply>(cmds, command_atom::value,
                                  slash_command{room, "ana", name, args});
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(commands_tests, fixture)

CAF_TEST(it describes its eight commands and is no filter) {
  auto info = request<behaviour_info>(cmds, describe_atom::value);
  std::vector<std::string> names;
  for (auto& c : info.commands)
    names.push_back(c.name);
  CAF_CHECK_EQUAL(names, std::vector<std::string>({"help", "join", "leave", "me", "nick", "rooms", "time", "who"}));
  CAF_CHECK(!info.filter);
}

CAF_TEST(help lists every command of every behaviour) {
  auto r = ask("help", "");
  CAF_CHECK_EQUAL(r.notice, "commands:\n/roll 2d6 - rolls dice\n/time - the time");
  CAF_CHECK_EQUAL(r.run, "");
}

CAF_TEST(time answers with a notice in UTC) {
  auto r = ask("time", "");
  CAF_CHECK_EQUAL(r.notice.rfind("server time: 20", 0), 0u);
  CAF_CHECK_EQUAL(r.notice.substr(r.notice.size() - 4), " UTC");
}

CAF_TEST(me nick who and rooms run the protocol command as the user) {
  auto me = test::parse_frame(ask("me", "waves \"hi\"").run);
  CAF_CHECK_EQUAL(std::string{me.at("type").as_string()}, "say");
  CAF_CHECK_EQUAL(std::string{me.at("text").as_string()}, "waves \"hi\"");
  CAF_CHECK_EQUAL(std::string{me.at("room").as_string()}, "lobby");
  CAF_CHECK(me.at("action").as_bool());
  auto nick = test::parse_frame(ask("nick", "bob").run);
  CAF_CHECK_EQUAL(std::string{nick.at("nick").as_string()}, "bob");
  auto who = test::parse_frame(ask("who", "dev").run);
  CAF_CHECK_EQUAL(std::string{who.at("room").as_string()}, "dev");
  auto here = test::parse_frame(ask("who", "").run);
  CAF_CHECK_EQUAL(std::string{here.at("room").as_string()}, "lobby");
  CAF_CHECK_EQUAL(ask("rooms", "").run, R"({"type":"rooms"})");
  CAF_CHECK_EQUAL(ask("join", "dev").run, R"({"type":"join","room":"dev"})");
  CAF_CHECK_EQUAL(ask("leave", "").run, R"({"type":"leave","room":"lobby"})");
  CAF_CHECK_EQUAL(ask("join", "").notice, "usage: /join room");
}

CAF_TEST(missing arguments get a usage notice and run nothing) {
  CAF_CHECK_EQUAL(ask("me", "").notice, "usage: /me waves");
  CAF_CHECK_EQUAL(ask("me", "waves", "").notice, "join a room first");
  CAF_CHECK_EQUAL(ask("nick", "").notice, "you are ana");
  CAF_CHECK_EQUAL(ask("who", "", "").notice, "usage: /who room");
  CAF_CHECK_EQUAL(ask("me", "").run, "");
}

CAF_TEST_FIXTURE_SCOPE_END()
