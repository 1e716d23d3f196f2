#define CAF_SUITE nick_registry
#define FAIL(msg) CAF_FAIL(msg) // CAF 0.17.6 dsl.hpp uses an undefined FAIL (CAF-0.17.md 6)

#include "actors/nick_registry.hpp"

#include "fakes.hpp"

#include <caf/test/dsl.hpp>

using namespace actorchat;

namespace {

struct fixture : test_coordinator_fixture<> {
  nick_actor nicks;

  fixture() {
    nicks = spawn_nick_registry(sys);
    sched.run();
  }

  member_actor owner() {
    auto m = sys.spawn(test::fake_member, std::make_shared<test::member_log>(),
                       std::make_shared<send_credit>(1), true);
    sched.run();
    return m;
  }

  /// "ok" or the error code.
  std::string claim(const std::string& nick, const member_actor& who) {
    std::string result;
    auto reply = self->request(nicks, caf::infinite, claim_atom::value, nick, who);
    sched.run();
    reply.receive([&](bool) { result = "ok"; },
                  [&](caf::error& err) { result = error_code(err); });
    return result;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(nick_registry_tests, fixture)

CAF_TEST(a nickname has one owner compared case insensitively) {
  auto a = owner();
  auto b = owner();
  CAF_CHECK_EQUAL(claim("Ana", a), "ok");
  CAF_CHECK_EQUAL(claim("ana", b), "nick_taken");
  CAF_CHECK_EQUAL(claim("ANA", b), "nick_taken");
  CAF_CHECK_EQUAL(claim("ana", a), "ok"); // its owner may re-case it
}

CAF_TEST(a released nickname is free again) {
  auto a = owner();
  auto b = owner();
  CAF_CHECK_EQUAL(claim("ana", a), "ok");
  self->send(nicks, release_atom::value, std::string{"Ana"});
  sched.run();
  CAF_CHECK_EQUAL(claim("ana", b), "ok");
}

CAF_TEST(an owner that goes away frees its nicknames) {
  auto a = owner();
  auto b = owner();
  CAF_CHECK_EQUAL(claim("ana", a), "ok");
  CAF_CHECK_EQUAL(claim("bob", a), "ok");
  anon_send_exit(a, caf::exit_reason::kill);
  sched.run();
  CAF_CHECK_EQUAL(claim("ana", b), "ok");
  CAF_CHECK_EQUAL(claim("bob", b), "ok");
}

CAF_TEST_FIXTURE_SCOPE_END()
