#define CAF_SUITE word_filter
#define FAIL(msg) CAF_FAIL(msg) // CAF 0.17.6 dsl.hpp uses an undefined FAIL (CAF-0.17.md 6)

#include "examples/behaviours/behaviours.hpp"

#include "fakes.hpp"

#include <caf/test/dsl.hpp>

using namespace actorchat;

namespace {

struct fixture : test_coordinator_fixture<> {
  caf::actor filter;

  void start(const std::string& mode, std::vector<std::string> words = {"darn", "Heck"}) {
    behaviour_context ctx;
    ctx.name = "word-filter";
    caf::put(ctx.config, "words", std::move(words));
    caf::put(ctx.config, "mode", mode);
    caf::put(ctx.config, "reason", "mind your words");
    filter = sys.spawn(examples::word_filter, ctx);
    sched.run();
  }

  filter_verdict check(const std::string& text) {
    return request<filter_verdict>(filter, filter_atom::value,
                                   chat_message{"lobby", 0, "ana", 0, text, false});
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(word_filter_tests, fixture)

CAF_TEST(it is a filter) {
  start("reject");
  CAF_CHECK(request<behaviour_info>(filter, describe_atom::value).filter);
}

CAF_TEST(whole words in any case are rejected with the configured reason) {
  start("reject");
  auto v = check("oh DARN it");
  CAF_CHECK_EQUAL(v.verdict, filter_verdict::reject);
  CAF_CHECK_EQUAL(v.text, "mind your words");
  CAF_CHECK_EQUAL(check("heck.").verdict, filter_verdict::reject);
  CAF_CHECK_EQUAL(check("darned").verdict, filter_verdict::allow);  // not a whole word
  CAF_CHECK_EQUAL(check("checkmate").verdict, filter_verdict::allow);
  CAF_CHECK_EQUAL(check("darné").verdict, filter_verdict::allow);  // é is a letter too
  CAF_CHECK_EQUAL(check("all fine").verdict, filter_verdict::allow);
}

CAF_TEST(mask mode replaces each listed word with asterisks) {
  start("mask");
  auto v = check("Darn, darn and heck!");
  CAF_CHECK_EQUAL(v.verdict, filter_verdict::rewrite);
  CAF_CHECK_EQUAL(v.text, "****, **** and ****!");
  CAF_CHECK_EQUAL(check("clean").verdict, filter_verdict::allow);
}

CAF_TEST(a bad mode or word refuses to describe itself so the server does not start) {
  auto describe_error = [this] {
    caf::error got;
    auto answer = self->request(filter, caf::infinite, describe_atom::value);
    sched.run();
    answer.receive([](behaviour_info&) {}, [&](caf::error& err) { got = err; });
    return got;
  };
  start("shout");
  CAF_CHECK(describe_error());
  start("reject", {" spaced"});
  CAF_CHECK(describe_error());
  start("reject", {"fine"});
  CAF_CHECK(!describe_error());
}

CAF_TEST_FIXTURE_SCOPE_END()
