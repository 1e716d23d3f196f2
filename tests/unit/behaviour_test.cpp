#define CAF_SUITE behaviour
#define FAIL(msg) CAF_FAIL(msg) // CAF 0.17.6 dsl.hpp uses an undefined FAIL (CAF-0.17.md 6)

#include "actors/behaviour.hpp"
#include "actors/directory.hpp"
#include "actors/nick_registry.hpp"
#include "examples/behaviours/behaviours.hpp"

#include "fakes.hpp"

#include <caf/test/dsl.hpp>

#include <fstream>
#include <sstream>

using namespace actorchat;
using actorchat::test::field;
using actorchat::test::of_type;

namespace {

/// A filter that appends `suffix` to every text (so the order filters ran in shows).
caf::behavior suffix_filter(caf::event_based_actor*, std::string suffix) {
  return {
    [=](filter_atom, const chat_message& m) { return filter_verdict::replace(m.text + suffix); },
  };
}

/// A filter that rejects texts containing "spam" with a reason.
caf::behavior spam_filter(caf::event_based_actor*) {
  return {
    [](filter_atom, const chat_message& m) {
      return m.text.find("spam") == std::string::npos ? filter_verdict::pass()
                                                       : filter_verdict::refuse("no spam here");
    },
  };
}

/// A filter that answers a verdict that does not exist.
caf::behavior confused_filter(caf::event_based_actor*) {
  return {
    [](filter_atom, const chat_message&) { return filter_verdict{7, "?"}; },
  };
}

/// A filter that rejects with a reason that is not valid UTF-8.
caf::behavior garbled_filter(caf::event_based_actor*) {
  return {
    [](filter_atom, const chat_message&) { return filter_verdict::refuse("bad \xFF"); },
  };
}

using promises = std::shared_ptr<std::vector<caf::response_promise>>;

/// A filter (and command behaviour) that never answers: it keeps every promise open.
caf::behavior silent(caf::event_based_actor* self, promises kept) {
  return {
    [=](filter_atom, const chat_message&) { kept->push_back(self->make_response_promise()); },
    [=](command_atom, const slash_command&) { kept->push_back(self->make_response_promise()); },
  };
}

/// Answers /echo with a notice and /wave by running a say action as the user.
caf::behavior echo_commands(caf::event_based_actor*) {
  return {
    [](command_atom, const slash_command& c) -> command_reply {
      if (c.name == "wave")
        return {{}, say_command(c.room, "waves at " + c.args, true)};
      return {"echo in " + c.room + " from " + c.nick + ": " + c.args, {}};
    },
  };
}

struct peer {
  std::shared_ptr<test::fake_connection> conn = std::make_shared<test::fake_connection>();
  credit_ptr credit = std::make_shared<send_credit>(64);
  window_ptr window = std::make_shared<receive_window>(1000);
  client_actor actor;

  std::vector<payload>& sent() { return conn->sent; }
  std::vector<payload> messages() { return of_type(conn->sent, "message"); }
  std::vector<payload> errors() { return of_type(conn->sent, "error"); }
};

struct fixture : test_coordinator_fixture<> {
  std::shared_ptr<test::store_data> data = std::make_shared<test::store_data>();
  client_services services;
  std::shared_ptr<behaviour_routes> routes = std::make_shared<behaviour_routes>();
  metrics_ptr counters = std::make_shared<metrics>();
  std::vector<caf::actor> actors; ///< behaviours and clients, stopped at the end
  promises kept = std::make_shared<std::vector<caf::response_promise>>();

  fixture() {
    services.store = sys.spawn(test::fake_store, data);
    directory_settings dir;
    services.directory = spawn_directory(sys, dir, services.store);
    services.nicks = spawn_nick_registry(sys);
    routes->timeout = std::chrono::milliseconds(500);
    sched.run();
  }

  ~fixture() {
    for (auto& a : actors)
      anon_send_exit(a, caf::exit_reason::user_shutdown);
    anon_send_exit(services.directory, caf::exit_reason::user_shutdown);
    sched.run();
  }

  template <class F, class... Ts>
  behaviour_route add(const std::string& name, F fun, Ts&&... xs) {
    auto handle = sys.spawn(fun, std::forward<Ts>(xs)...);
    actors.push_back(handle);
    sched.run();
    return behaviour_route{name, handle};
  }

  void filter(const std::string& name, behaviour_route r) {
    r.name = name;
    routes->filters.push_back(std::move(r));
  }

  void start(peer& p, const std::string& nick) {
    auto s = std::make_shared<client_settings>();
    s->limits.max_message_size = 100;
    s->metrics = counters;
    s->behaviours = routes;
    p.actor = spawn_client(sys, p.conn, p.credit, p.window, nick, services, s, true);
    actors.push_back(caf::actor_cast<caf::actor>(p.actor));
    sched.run();
  }

  /// Sends a frame as the connection does: it takes a place in the receive window first.
  void frame(peer& p, const std::string& text) {
    p.window->take();
    anon_send(p.actor, inbound_atom::value, text);
    sched.run();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(behaviour_tests, fixture)

CAF_TEST(filters run in the configured order and each sees the text the one before made) {
  filter("first", add("first", suffix_filter, std::string{"+1"}));
  filter("second", add("second", suffix_filter, std::string{"+2"}));
  peer a, b;
  start(a, "ana");
  start(b, "bob");
  frame(a, "hello");
  CAF_REQUIRE_EQUAL(b.messages().size(), 1u);
  CAF_CHECK_EQUAL(field(b.messages()[0], "text"), "hello+1+2");
  CAF_CHECK_EQUAL(field(a.messages()[0], "text"), "hello+1+2");
  CAF_CHECK_EQUAL(data->messages.size(), 1u);
  CAF_CHECK_EQUAL(a.window->in_flight(), 0u);
}

CAF_TEST(a rejected message is never stored or broadcast and its sender learns why) {
  filter("spam", add("spam", spam_filter));
  filter("after", add("after", suffix_filter, std::string{"!"}));
  peer a, b;
  start(a, "ana");
  start(b, "bob");
  frame(a, R"({"type":"say","room":"lobby","text":"buy spam now","id":"s1"})");
  frame(a, "fine");
  CAF_REQUIRE_EQUAL(a.errors().size(), 1u);
  CAF_CHECK_EQUAL(field(a.errors()[0], "code"), "rejected");
  CAF_CHECK_EQUAL(field(a.errors()[0], "message"), "no spam here");
  CAF_CHECK_EQUAL(field(a.errors()[0], "id"), "s1");
  CAF_REQUIRE_EQUAL(b.messages().size(), 1u);
  CAF_CHECK_EQUAL(field(b.messages()[0], "text"), "fine!");
  CAF_CHECK_EQUAL(data->messages.size(), 1u);
  CAF_CHECK_EQUAL(counters->messages_rejected.value(), 1u);
  CAF_CHECK_EQUAL(a.window->in_flight(), 0u);
}

CAF_TEST(commands sent behind a filtered say wait for it) {
  filter("first", add("first", suffix_filter, std::string{"+1"}));
  peer a;
  start(a, "ana");
  a.window->take();
  anon_send(a.actor, inbound_atom::value, std::string{"one"});
  a.window->take();
  anon_send(a.actor, inbound_atom::value, std::string{R"({"type":"leave","room":"lobby"})"});
  sched.run();
  CAF_CHECK_EQUAL(a.errors().size(), 0u);
  CAF_REQUIRE_EQUAL(a.messages().size(), 1u);
  CAF_CHECK_EQUAL(field(a.messages()[0], "text"), "one+1");
  CAF_CHECK_EQUAL(of_type(a.sent(), "left").size(), 1u);
}

CAF_TEST(a filter that does not answer in time lets the message pass by default) {
  filter("slow", add("slow", silent, kept));
  filter("after", add("after", suffix_filter, std::string{"!"}));
  peer a;
  start(a, "ana");
  frame(a, "hello");
  CAF_CHECK_EQUAL(a.messages().size(), 0u); // waiting for the filter
  sched.advance_time(std::chrono::milliseconds(500));
  sched.run();
  CAF_REQUIRE_EQUAL(a.messages().size(), 1u);
  CAF_CHECK_EQUAL(field(a.messages()[0], "text"), "hello!"); // the filters after it still ran
  CAF_CHECK_EQUAL(counters->behaviour_failures.value(), 1u);
}

CAF_TEST(with filter failure reject a filter that times out rejects the message) {
  routes->reject_on_failure = true;
  filter("slow", add("slow", silent, kept));
  peer a;
  start(a, "ana");
  frame(a, "hello");
  sched.advance_time(std::chrono::milliseconds(500));
  sched.run();
  CAF_CHECK_EQUAL(a.messages().size(), 0u);
  CAF_REQUIRE_EQUAL(a.errors().size(), 1u);
  CAF_CHECK_EQUAL(field(a.errors()[0], "code"), "rejected");
  CAF_CHECK_EQUAL(data->messages.size(), 0u);
  CAF_CHECK_EQUAL(a.window->in_flight(), 0u);
}

CAF_TEST(a crashed filter never blocks the room) {
  auto dead = add("dead", spam_filter);
  filter("dead", dead);
  anon_send_exit(dead.handle, caf::exit_reason::kill);
  sched.run();
  peer a;
  start(a, "ana");
  frame(a, "spam but the filter is gone");
  CAF_CHECK_EQUAL(a.messages().size(), 1u);
  CAF_CHECK_EQUAL(counters->behaviour_failures.value(), 1u);
  routes->reject_on_failure = true;
  frame(a, "again");
  CAF_CHECK_EQUAL(a.messages().size(), 1u);
  CAF_CHECK_EQUAL(field(a.errors().back(), "code"), "rejected");
}

CAF_TEST(a rewrite to invalid UTF-8 or past the size limit counts as a failure) {
  filter("bad", add("bad", suffix_filter, std::string{"\xC3"}));
  peer a;
  start(a, "ana");
  frame(a, "hello");
  CAF_REQUIRE_EQUAL(a.messages().size(), 1u);
  CAF_CHECK_EQUAL(field(a.messages()[0], "text"), "hello"); // allow: the original text
  CAF_CHECK_EQUAL(counters->behaviour_failures.value(), 1u);
}

CAF_TEST(an unknown verdict is a failure and a garbled reason is replaced) {
  filter("confused", add("confused", confused_filter));
  peer a;
  start(a, "ana");
  frame(a, "hello");
  CAF_REQUIRE_EQUAL(a.messages().size(), 1u); // allow: it passes
  CAF_CHECK_EQUAL(counters->behaviour_failures.value(), 1u);
  CAF_CHECK_EQUAL(counters->messages_rejected.value(), 0u);
  routes->filters.clear();
  filter("garbled", add("garbled", garbled_filter));
  frame(a, "again");
  CAF_REQUIRE_EQUAL(a.errors().size(), 1u);
  CAF_CHECK_EQUAL(field(a.errors()[0], "message"), "the message was not allowed");
}

CAF_TEST(a filter with too many checks waiting fails the next ones at once) {
  routes->max_pending = 1;
  filter("slow", add("slow", silent, kept));
  peer a, b;
  start(a, "ana");
  start(b, "bob");
  frame(a, "first");  // waits for the filter
  frame(b, "second"); // the filter has one waiting already: passes without it (allow)
  CAF_REQUIRE_EQUAL(b.messages().size(), 1u);
  CAF_CHECK_EQUAL(field(b.messages()[0], "text"), "second");
  CAF_CHECK_EQUAL(a.messages().size(), 1u); // "second" only: a's own still waits
  CAF_CHECK_EQUAL(counters->behaviour_failures.value(), 1u);
  sched.advance_time(std::chrono::milliseconds(500));
  sched.run();
  CAF_CHECK_EQUAL(a.messages().size(), 2u); // "second", then its own after the timeout
  CAF_CHECK_EQUAL(routes->filters[0].pending->load(), 0u);
}

CAF_TEST(a slash command for a room the sender is not in is refused) {
  routes->commands.emplace("echo", add("echo", echo_commands));
  peer a;
  start(a, "ana");
  frame(a, R"({"type":"say","room":"elsewhere","text":"/echo hi","id":"e"})");
  CAF_REQUIRE_EQUAL(a.errors().size(), 1u);
  CAF_CHECK_EQUAL(field(a.errors()[0], "code"), "not_in_room");
  CAF_CHECK_EQUAL(of_type(a.sent(), "notice").size(), 0u);
  frame(a, "/ is a slash with a space");
  CAF_REQUIRE_EQUAL(a.messages().size(), 1u);
  CAF_CHECK_EQUAL(field(a.messages()[0], "text"), "/ is a slash with a space");
  CAF_CHECK_EQUAL(a.window->in_flight(), 0u);
}

CAF_TEST(a slash command goes to its behaviour and the answer only to the sender) {
  auto echo = add("echo", echo_commands);
  routes->commands.emplace("echo", echo);
  routes->commands.emplace("wave", echo);
  peer a, b;
  start(a, "ana");
  start(b, "bob");
  frame(a, R"({"type":"say","room":"lobby","text":"/ECHO  hi there ","id":7})");
  auto notices = of_type(a.sent(), "notice");
  CAF_REQUIRE_EQUAL(notices.size(), 1u);
  CAF_CHECK_EQUAL(field(notices[0], "text"), "echo in lobby from ana: hi there");
  CAF_CHECK_EQUAL(field(notices[0], "from"), "echo");
  int64_t id = test::parse(notices[0]).at("id").as_int64(); // a copy (CAF_CHECK keeps refs)
  CAF_CHECK_EQUAL(id, 7);
  CAF_CHECK_EQUAL(b.messages().size(), 0u);
  CAF_CHECK_EQUAL(of_type(b.sent(), "notice").size(), 0u);
  CAF_CHECK_EQUAL(data->messages.size(), 0u);
  // A reply that runs a command: said as ana's own action.
  frame(a, "/wave bob");
  CAF_REQUIRE_EQUAL(b.messages().size(), 1u);
  CAF_CHECK_EQUAL(field(b.messages()[0], "from"), "ana");
  CAF_CHECK_EQUAL(field(b.messages()[0], "text"), "waves at bob");
  CAF_CHECK(test::parse(b.messages()[0]).at("action").as_bool());
  // The command it runs answers with the slash-command's id.
  frame(a, R"({"type":"say","room":"lobby","text":"/wave you","id":"w1"})");
  auto sent = of_type(a.sent(), "sent");
  CAF_REQUIRE_EQUAL(sent.size(), 1u);
  CAF_CHECK_EQUAL(field(sent[0], "id"), "w1");
  CAF_CHECK_EQUAL(a.window->in_flight(), 0u);
}

CAF_TEST(unknown commands get an error and a double slash says the line) {
  routes->commands.emplace("echo", add("echo", echo_commands));
  peer a;
  start(a, "ana");
  frame(a, "/nope at all");
  CAF_REQUIRE_EQUAL(a.errors().size(), 1u);
  CAF_CHECK_EQUAL(field(a.errors()[0], "code"), "unknown_command");
  frame(a, "//nope is a line");
  CAF_REQUIRE_EQUAL(a.messages().size(), 1u);
  CAF_CHECK_EQUAL(field(a.messages()[0], "text"), "/nope is a line");
  frame(a, "/");
  CAF_CHECK_EQUAL(field(a.messages().back(), "text"), "/");
  CAF_CHECK_EQUAL(a.window->in_flight(), 0u);
}

CAF_TEST(without command behaviours a line starting with a slash is said as it is) {
  peer a;
  start(a, "ana");
  frame(a, "/shrug");
  frame(a, "//x");
  auto msgs = a.messages();
  CAF_REQUIRE_EQUAL(msgs.size(), 2u);
  CAF_CHECK_EQUAL(field(msgs[0], "text"), "/shrug");
  CAF_CHECK_EQUAL(field(msgs[1], "text"), "//x");
}

CAF_TEST(a command behaviour that does not answer gets command_failed after the timeout) {
  routes->commands.emplace("slow", add("slow", silent, kept));
  peer a;
  start(a, "ana");
  frame(a, "/slow");
  frame(a, "queued behind it");
  CAF_CHECK_EQUAL(a.messages().size(), 0u);
  sched.advance_time(std::chrono::milliseconds(500));
  sched.run();
  CAF_REQUIRE_EQUAL(a.errors().size(), 1u);
  CAF_CHECK_EQUAL(field(a.errors()[0], "code"), "command_failed");
  CAF_CHECK_EQUAL(a.messages().size(), 1u);
}

CAF_TEST(the welcome lists the commands) {
  routes->help.push_back(command_help{"echo", "/echo text", "echoes", "echo"});
  peer a;
  start(a, "ana");
  auto welcome = test::parse(a.sent().at(0));
  auto& cmds = welcome.at("commands").as_array();
  CAF_REQUIRE_EQUAL(cmds.size(), 1u);
  CAF_CHECK_EQUAL(std::string{cmds[0].as_object().at("usage").as_string()}, "/echo text");
}

CAF_TEST(events decode with their fields and whether they are the behaviour own) {
  auto msg = decode_event(
    R"({"type":"message","room":"lobby","seq":4,"from":"bot","ts":1,"text":"hi","action":true})",
    "bot");
  CAF_CHECK_EQUAL(msg.type, "message");
  CAF_CHECK_EQUAL(msg.seq, 4u);
  CAF_CHECK_EQUAL(msg.text, "hi");
  CAF_CHECK(msg.action);
  CAF_CHECK(msg.mine);
  auto join = decode_event(
    R"({"type":"presence","room":"dev","event":"nick","nick":"b","old_nick":"a","count":2})",
    "bot");
  CAF_CHECK_EQUAL(join.event, "nick");
  CAF_CHECK_EQUAL(join.nick, "b");
  CAF_CHECK_EQUAL(join.old_nick, "a");
  CAF_CHECK(!join.mine);
  CAF_CHECK_EQUAL(decode_event("not json", "bot").type, "");
}

CAF_TEST(behaviours are registered by name with their keys validated like any other) {
  chat_config cfg;
  examples::add_example_behaviours(cfg);
  CAF_CHECK_EQUAL(cfg.behaviour_types().count("greeter"), 1u);
  CAF_CHECK_EQUAL(cfg.actor_factories.count("word-filter"), 1u);
  auto ok = cfg.validate_text("[chat]\nbehaviours = [\"greeter\"]\n[chat.greeter]\n"
                              "message = \"hi {nick}\"\nrooms = [\"lobby\", \"dev\"]\n",
                              "t.conf");
  CAF_CHECK_EQUAL(ok.size(), 0u);
  auto bad = cfg.validate_text("[chat.greeter]\nmesage = \"x\"\nrate-limit = \"fast\"\n"
                               "[chat.nope]\nx = 1\n",
                               "t.conf");
  CAF_REQUIRE_EQUAL(bad.size(), 3u);
  auto found = [&](const std::string& text) {
    return std::count(bad.begin(), bad.end(), text) == 1;
  };
  CAF_CHECK(found("t.conf: unknown section [chat.nope]: no behaviour is called 'nope' "
                  "(known: commands, dice, greeter, word-filter)"));
  CAF_CHECK(found("t.conf:2: unknown key chat.greeter.mesage"));
  CAF_CHECK(std::any_of(bad.begin(), bad.end(), [](const std::string& p) {
    return p.rfind("t.conf:3: bad value for chat.greeter.rate-limit", 0) == 0;
  }));
  cfg.behaviours = {"greeter", "nope", "greeter"};
  auto values = cfg.validate_values();
  auto has = [&](const std::string& text) {
    return std::any_of(values.begin(), values.end(),
                       [&](const std::string& p) { return p.find(text) != std::string::npos; });
  };
  CAF_CHECK(has("chat.behaviours: no behaviour is called \"nope\""));
  CAF_CHECK(has("chat.behaviours: \"greeter\" is listed twice"));
}

CAF_TEST(docs EXTENDING quotes the walkthrough code and its test exactly) {
  auto read = [](const std::string& path) {
    std::ifstream in{std::string{ACTORCHAT_SOURCE_DIR} + "/" + path};
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  };
  auto doc = read("docs/EXTENDING.md");
  for (auto path : {"examples/behaviours/dice.cpp", "tests/unit/dice_test.cpp"}) {
    auto code = read(path);
    CAF_REQUIRE(!code.empty());
    if (doc.find("```cpp\n" + code + "```") == std::string::npos)
      CAF_FAIL("docs/EXTENDING.md does not quote " << path << " as it is");
  }
}

CAF_TEST_FIXTURE_SCOPE_END()
