// behaviours: the example behaviours enabled from a config file and driven over real
// WebSockets: slash-commands answered to their sender only, a greeter speaking in the lobby,
// a word filter rejecting and masking, dice said as the user's action, and the config errors a
// bad behaviour setting gets.
#define CAF_SUITE behaviours
#include "fixture.hpp"

using namespace actorchat::itest;
namespace json = boost::json;

namespace {

constexpr milliseconds exit_timeout{10000};

/// Enables every example behaviour; `filter` goes into [chat.word-filter], `greeter` into
/// [chat.greeter].
std::string behaviours_config(const std::string& filter = {}, const std::string& greeter = {}) {
  return "[chat]\n"
         "behaviours = [\"word-filter\", \"commands\", \"greeter\", \"dice\"]\n"
         "rate-limit = 0\n"
         "[chat.word-filter]\n"
         "words = [\"darn\", \"heck\"]\n"
         "reason = \"please keep it clean\"\n"
         + filter
         + "[chat.greeter]\n"
           "message = \"hello {nick}, welcome to #{room}\"\n"
         + greeter;
}

/// Starts the server with `config` and connects A and B, both in the lobby.
std::pair<chat_peer, chat_peer> two_in_lobby(server_fixture& fix, const std::string& config) {
  fix.dir().write("caf-application.conf", config);
  fix.start_server();
  auto a = connect_peer(fix.port(), "A");
  auto b = connect_peer(fix.port(), "B");
  a.expect("joined", "lobby");
  b.expect("joined", "lobby");
  return {std::move(a), std::move(b)};
}

bool is_message_from(const json::object& obj, const std::string& from) {
  return type_of(obj) == "message" && get_string(obj, "from") == from;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(behaviours_tests, server_fixture)

ITEST_CASE(the greeter welcomes a newcomer in the lobby and is a member there) {
  dir().write("caf-application.conf", behaviours_config());
  start_server();
  auto a = connect_peer(port(), "A");
  a.expect("joined", "lobby");
  auto hello = a.await([](const json::object& o) { return is_message_from(o, "greeter"); },
                       "the greeting");
  CAF_CHECK_EQUAL(get_string(hello, "text"), "hello guest-1, welcome to #lobby");
  auto members = a.who("lobby", "w");
  CAF_CHECK(std::count(members.begin(), members.end(), "greeter") == 1);
  // Its nickname is taken.
  a.send(json::object{{"type", "nick"}, {"nick", "Greeter"}, {"id", "n"}});
  a.expect_error("nick_taken", "n");
}

ITEST_CASE(slash commands are answered to their sender only) {
  auto [a, b] = two_in_lobby(*this, behaviours_config());
  std::vector<std::string> names;
  for (auto& c : a.welcome.at("commands").as_array())
    names.emplace_back(c.as_object().at("name").as_string());
  CAF_CHECK_EQUAL(show(names), show(std::vector<std::string>{"help", "join", "leave", "me", "nick", "roll",
                                                             "rooms", "time", "who"}));
  a.send(json::object{{"type", "say"}, {"room", "lobby"}, {"text", "/time"}, {"id", "t"}});
  auto time = a.expect_reply("notice", "t");
  CAF_CHECK_EQUAL(get_string(time, "from"), "commands");
  CAF_CHECK_EQUAL(get_string(time, "text").rfind("server time: ", 0), 0u);
  a.send_raw("/help");
  auto help = a.expect("notice");
  CAF_CHECK(get_string(help, "text").find("/roll 2d6 - rolls dice") != std::string::npos);
  a.send_raw("/nope");
  a.expect_error_without_id("unknown_command");
  // /nick runs the nick command as A's own.
  a.send_raw("/nick ana");
  a.expect("nick");
  b.expect_presence("lobby", "nick", "ana", 3); // A, B and the greeter
  // /me and /roll are said as A's actions.
  a.send_raw("/me waves");
  auto wave = b.await([](const json::object& o) { return is_message_from(o, "ana"); }, "/me");
  CAF_CHECK_EQUAL(get_string(wave, "text"), "waves");
  CAF_CHECK(wave.at("action").as_bool());
  a.send_raw("/roll 2d6");
  auto roll = b.await([](const json::object& o) { return is_message_from(o, "ana"); }, "roll");
  CAF_CHECK_EQUAL(get_string(roll, "text").rfind("rolls 2d6: ", 0), 0u);
  // "//" says a line that starts with a slash.
  a.send_raw("//not a command");
  auto line = b.await([](const json::object& o) { return is_message_from(o, "ana"); }, "//");
  CAF_CHECK_EQUAL(get_string(line, "text"), "/not a command");
  // B saw none of A's notices or errors.
  b.sync();
  CAF_CHECK_EQUAL(b.take([](const json::object& o) {
                     return type_of(o) == "notice" || type_of(o) == "error";
                   }).size(),
                  0u);
}

ITEST_CASE(the word filter rejects a message before anyone sees it) {
  auto [a, b] = two_in_lobby(*this, behaviours_config());
  a.send(json::object{{"type", "say"}, {"room", "lobby"}, {"text", "oh Darn it"}, {"id", 1}});
  auto err = a.expect_error("rejected", 1);
  CAF_CHECK_EQUAL(get_string(err, "message"), "please keep it clean");
  a.say("lobby", "all good", 2);
  auto msg = b.await([](const json::object& o) {
    return type_of(o) == "message" && get_string(o, "from") == "guest-1";
  }, "the clean message");
  CAF_CHECK_EQUAL(get_string(msg, "text"), "all good");
  // Not stored either: the history has the greetings and "all good" only.
  auto history = a.history("lobby", -1, -1, "h");
  std::vector<std::string> texts;
  for (auto& m : history.at("messages").as_array())
    texts.push_back(get_string(m.as_object(), "text"));
  std::sort(texts.begin(), texts.end()); // the greeting for B may come after "all good"
  CAF_CHECK_EQUAL(show(texts), show(std::vector<std::string>{
                                 "all good", "hello guest-1, welcome to #lobby",
                                 "hello guest-2, welcome to #lobby"}));
}

ITEST_CASE(in mask mode the words go out as asterisks) {
  dir().write("caf-application.conf", behaviours_config("mode = \"mask\"\n"));
  start_server();
  auto a = connect_peer(port(), "A");
  a.expect("joined", "lobby");
  a.say("lobby", "heck, what the heck", "m");
  auto msg = a.await([](const json::object& o) { return is_message_from(o, "guest-1"); },
                     "the masked message");
  CAF_CHECK_EQUAL(get_string(msg, "text"), "****, what the ****");
}

ITEST_CASE(a bad behaviour setting stops the server with a message naming it) {
  dir().write("caf-application.conf",
              behaviours_config({}, "mesage = \"typo\"\n"));
  auto& typo = launch({"--chat.port=0", "--chat.web-root=" + web_root()});
  CAF_CHECK_EQUAL(typo.wait_exit(exit_timeout).value_or(-1), 2);
  CAF_CHECK(!config_errors_naming(typo.stderr_text(), "chat.greeter.mesage").empty());
  dir().write("caf-application.conf", "[chat]\nbehaviours = [\"nope\"]\n");
  auto& unknown = launch({"--chat.port=0", "--chat.web-root=" + web_root()});
  CAF_CHECK_EQUAL(unknown.wait_exit(exit_timeout).value_or(-1), 2);
  CAF_CHECK(!config_errors_naming(unknown.stderr_text(), "chat.behaviours").empty());
  // Checked by the behaviour itself when it starts: exit 1, the key in the startup error.
  dir().write("caf-application.conf",
              behaviours_config("mode = \"shout\"\n"));
  auto& mode = launch({"--chat.port=0", "--chat.web-root=" + web_root()});
  CAF_CHECK_EQUAL(mode.wait_exit(exit_timeout).value_or(-1), 1);
  CAF_CHECK(mode.stderr_text().find("chat.word-filter.mode") != std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()
