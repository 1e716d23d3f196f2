// relay: a room's stand-in on another node, attached to the home room through a cluster actor
// (here a fake that routes straight to the room). Deterministic: everything runs on the test
// scheduler, as if both nodes were one.
#define CAF_SUITE relay
#define FAIL(msg) CAF_FAIL(msg) // CAF 0.17.6 dsl.hpp uses an undefined FAIL (CAF-0.17.md 6)

#include "actors/relay.hpp"
#include "actors/room.hpp"

#include "fakes.hpp"

#include <caf/test/dsl.hpp>

using namespace actorchat;
using actorchat::test::fake_member;
using actorchat::test::member;
using actorchat::test::field;
using actorchat::test::member_log;
using actorchat::test::of_type;
using actorchat::test::seqs;

namespace {

/// Where the fake cluster sends attaches: the home room, or nowhere (its node is down).
struct route {
  home_actor home;
  size_t attaches = 0;
};

cluster_actor::behavior_type fake_cluster(cluster_actor::pointer self,
                                          std::shared_ptr<route> to) {
  return {
    [](claim_atom, const std::string&, const member_actor&) { return true; },
    [](release_atom, const std::string&) {},
    [self, to](attach_atom, std::string&, caf::actor& relay, uint64_t after,
               std::vector<std::string>& nicks) -> caf::result<relay_sync> {
      ++to->attaches;
      if (!to->home)
        return make_error(chat_errc::room_unavailable);
      return self->delegate(to->home, attach_atom::value, std::move(relay), after,
                            std::move(nicks));
    },
    [](register_atom, const directory_actor&) {},
    [](peer_atom, const std::string&) {},
  };
}

struct fixture : test_coordinator_fixture<> {
  std::shared_ptr<test::store_data> data = std::make_shared<test::store_data>();
  std::shared_ptr<route> to = std::make_shared<route>();
  store_actor store;
  home_actor home;
  relay_actor relay;
  cluster_actor cluster;

  fixture() {
    store = sys.spawn(test::fake_store, data);
    cluster = sys.spawn(fake_cluster, to);
    sched.run();
  }

  ~fixture() {
    for (auto a : {caf::actor_cast<caf::actor>(home), caf::actor_cast<caf::actor>(relay)})
      if (a)
        anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched.run();
  }

  void start_home() {
    room_settings settings;
    settings.history_size = 5;
    settings.presence_limit = 0;
    home = spawn_room(sys, "r", settings, store, directory_actor{});
    to->home = home;
    sched.run();
  }

  void start_relay() {
    relay_settings settings;
    settings.room.history_size = 5;
    settings.room.presence_limit = 0;
    relay = spawn_relay(sys, "r", settings, cluster, directory_actor{});
    sched.run();
  }

  relay_state& relay_st() { return deref<relay_actor::stateful_base<relay_state>>(relay).state; }
  room_state& home_st() { return deref<home_actor::stateful_base<room_state>>(home).state; }

  member join(const room_actor& where, const std::string& nick, join_request req = {}) {
    member m{member_actor{}, std::make_shared<send_credit>(64), std::make_shared<member_log>()};
    m.handle = sys.spawn(fake_member, m.log, m.credit, true);
    sched.run();
    req.nick = nick;
    self->send(where, register_atom::value, m.handle, m.credit, req);
    sched.run();
    return m;
  }

  void say(const room_actor& where, const member& m, const std::string& from,
           const std::string& text, const std::string& id = "") {
    self->send(where, broadcast_atom::value, m.handle, from, text, false, id);
    sched.run();
  }

  /// "event nick count" for each presence event `m` got.
  static std::vector<std::string> presence(const member& m) {
    std::vector<std::string> out;
    for (auto& p : m.of("presence"))
      out.push_back(field(p, "event") + " " + field(p, "nick") + " "
                    + std::to_string(test::parse(p).at("count").to_number<int>()));
    return out;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(relay_tests, fixture)

CAF_TEST(members of the home and of a relay share seqs presence and who) {
  start_home();
  auto ana = join(home, "ana");
  start_relay();
  CAF_CHECK(relay_st().home);
  CAF_CHECK_EQUAL(home_st().relays, 1u);
  auto bob = join(relay, "bob");
  CAF_CHECK_EQUAL(field(bob.log->received.at(0), "type"), "joined");
  CAF_CHECK_EQUAL(test::parse(bob.log->received.at(0)).at("count").to_number<int>(), 2);
  CAF_CHECK_EQUAL(presence(ana), std::vector<std::string>({"join ana 1", "join bob 2"}));
  CAF_CHECK_EQUAL(presence(bob), std::vector<std::string>({"join bob 2"}));
  say(home, ana, "ana", "hi");
  say(relay, bob, "bob", "yo", "\"s1\"");
  CAF_CHECK_EQUAL(seqs(ana.messages()), std::vector<uint64_t>({1, 2}));
  CAF_CHECK_EQUAL(seqs(bob.messages()), std::vector<uint64_t>({1, 2}));
  CAF_CHECK_EQUAL(field(bob.messages().at(1), "from"), "bob");
  // bob's say is acknowledged like a local one: its message first, then "sent" with its seq.
  auto sent = bob.of("sent");
  CAF_REQUIRE_EQUAL(sent.size(), 1u);
  CAF_CHECK_EQUAL(test::parse(sent[0]).at("seq").to_number<int>(), 2);
  CAF_CHECK_EQUAL(bob.log->acks, 1u);
  CAF_CHECK_EQUAL(field(bob.log->received.back(), "type"), "sent");
  CAF_CHECK_EQUAL(request<std::vector<std::string>>(relay, who_atom::value),
                  std::vector<std::string>({"ana", "bob"}));
  CAF_CHECK_EQUAL(request<size_t>(home, count_atom::value), 2u);
  // Renames and leaves on the relay reach everyone through the home.
  self->send(relay, rename_atom::value, bob.handle, std::string{"rob"});
  sched.run();
  self->send(relay, unregister_atom::value, bob.handle, std::string{});
  sched.run();
  CAF_CHECK_EQUAL(presence(ana), std::vector<std::string>({"join ana 1", "join bob 2",
                                                           "nick rob 2", "leave rob 1"}));
  CAF_CHECK_EQUAL(field(bob.log->received.back(), "type"), "left");
  CAF_CHECK_EQUAL(request<std::vector<std::string>>(home, who_atom::value),
                  std::vector<std::string>({"ana"}));
}

CAF_TEST(a relay replays its history to newcomers and pages the home store) {
  start_home();
  auto ana = join(home, "ana");
  for (int i = 1; i <= 3; ++i)
    say(home, ana, "ana", "m" + std::to_string(i));
  start_relay(); // a first attach: the home's recent history
  CAF_CHECK_EQUAL(relay_st().last_seq, 3u);
  auto bob = join(relay, "bob");
  CAF_CHECK_EQUAL(seqs(bob.messages()), std::vector<uint64_t>({1, 2, 3}));
  join_request resume;
  resume.resume = true;
  resume.after = 2;
  auto cyd = join(relay, "cyd", resume);
  CAF_CHECK_EQUAL(field(cyd.log->received.at(0), "type"), "resumed");
  CAF_CHECK_EQUAL(seqs(cyd.messages()), std::vector<uint64_t>({3}));
  auto page = request<history_page>(relay, page_atom::value, uint64_t{3}, uint64_t{10});
  CAF_CHECK_EQUAL(page.messages.size(), 2u);
  CAF_CHECK(page.complete);
}

CAF_TEST(when the home goes down members are told and resume without gap once it is back) {
  start_home();
  auto ana = join(home, "ana");
  start_relay();
  auto bob = join(relay, "bob");
  say(home, ana, "ana", "m1");
  // The home's node dies; a message it had stored (seq 2) never reached the relay.
  data->messages.push_back(chat_message{"r", 2, "ana", 1, "m2", false});
  anon_send_exit(home, caf::exit_reason::kill);
  to->home = nullptr;
  sched.run();
  auto errors = bob.of("error");
  CAF_REQUIRE_EQUAL(errors.size(), 1u);
  CAF_CHECK_EQUAL(field(errors[0], "code"), "room_unavailable");
  CAF_CHECK_EQUAL(field(errors[0], "room"), "r");
  // A say meanwhile is refused at once (and acknowledged: the client may send more).
  say(relay, bob, "bob", "lost", "\"x\"");
  errors = bob.of("error");
  CAF_REQUIRE_EQUAL(errors.size(), 2u);
  CAF_CHECK_EQUAL(field(errors[1], "code"), "room_unavailable");
  CAF_CHECK_EQUAL(bob.log->acks, 1u);
  // Attempts fail while it is down (with backoff) ...
  sched.trigger_timeouts();
  sched.run();
  CAF_CHECK(!relay_st().home);
  // ... and once the home is back (recovered from its store), the relay attaches again: bob
  // gets "resumed" and the message it missed, and nothing twice.
  start_home();
  for (int i = 0; i < 5 && !relay_st().home; ++i) {
    sched.trigger_timeouts();
    sched.run();
  }
  CAF_REQUIRE(relay_st().home);
  auto resumed = bob.of("resumed");
  CAF_REQUIRE_EQUAL(resumed.size(), 1u);
  CAF_CHECK_EQUAL(test::parse(resumed[0]).at("after").to_number<int>(), 1);
  CAF_CHECK_EQUAL(test::parse(resumed[0]).at("last_seq").to_number<int>(), 2);
  CAF_CHECK(test::parse(resumed[0]).at("complete").as_bool());
  auto cyd = join(home, "cyd");
  say(home, cyd, "cyd", "m3");
  CAF_CHECK_EQUAL(seqs(bob.messages()), std::vector<uint64_t>({1, 2, 3}));
  // The new home knows bob again (the relay attached with its members' nicknames).
  CAF_CHECK_EQUAL(request<std::vector<std::string>>(home, who_atom::value),
                  std::vector<std::string>({"bob", "cyd"}));
}

CAF_TEST(a relay the home dropped attaches again at once without a notice) {
  start_home();
  auto ana = join(home, "ana");
  start_relay();
  auto bob = join(relay, "bob");
  say(home, ana, "ana", "m1");
  auto attaches = to->attaches;
  self->send(relay, overflow_atom::value, std::string{"r"}); // as the home's drop() does
  sched.run();
  CAF_CHECK_EQUAL(to->attaches, attaches + 1);
  CAF_CHECK(relay_st().home);
  CAF_CHECK_EQUAL(bob.of("error").size(), 0u);
  CAF_CHECK_EQUAL(bob.of("resumed").size(), 1u);
  // The home replaced its entry for the relay: one relay, bob counted once.
  CAF_CHECK_EQUAL(home_st().relays, 1u);
  CAF_CHECK_EQUAL(request<size_t>(home, count_atom::value), 2u);
  say(home, ana, "ana", "m2");
  CAF_CHECK_EQUAL(seqs(bob.messages()), std::vector<uint64_t>({1, 2}));
}

CAF_TEST(a join before the first attach waits for an attach and fails with it) {
  to->home = nullptr;
  start_relay(); // the first attach fails: nobody waits, so no retry is armed
  auto bob = join(relay, "bob"); // waits for a new attach, which fails too
  CAF_CHECK_EQUAL(to->attaches, 2u);
  CAF_CHECK_EQUAL(of_type(bob.log->received, "joined").size(), 0u);
  CAF_CHECK_EQUAL(relay_st().members.size(), 0u);
  // With the home up, the next join waits for its attach and gets in.
  start_home();
  auto cyd = join(relay, "cyd");
  CAF_CHECK_EQUAL(relay_st().members.size(), 1u);
  CAF_CHECK_EQUAL(field(cyd.log->received.at(0), "type"), "joined");
}

CAF_TEST(a relay confirms what it took which returns the home send credit for it) {
  start_home();
  auto ana = join(home, "ana");
  start_relay();
  CAF_REQUIRE_EQUAL(home_st().relays, 1u);
  auto& credit = *home_st().members.at(relay.address()).credit;
  // The relay confirms what it took: the home's credit for it comes back.
  say(home, ana, "ana", "m1");
  CAF_CHECK_EQUAL(credit.in_flight(), 0u);
  CAF_CHECK_GREATER(credit.progress(), 0u);
}

CAF_TEST_FIXTURE_SCOPE_END()
