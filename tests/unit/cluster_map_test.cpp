// cluster_map: every node computes the same home for a key, homes spread evenly, and a node
// that leaves the list moves only its own keys (rendezvous hashing).
#define CAF_SUITE cluster_map
#include "config/cluster_map.hpp"

#include <caf/test/unit_test.hpp>

#include <map>
#include <string>

using namespace actorchat;

namespace {

std::vector<node_address> three() {
  return {{"a", "127.0.0.1", 7101}, {"b", "127.0.0.1", 7102}, {"c", "127.0.0.1", 7103}};
}

} // namespace

CAF_TEST(every node computes the same home) {
  cluster_map a{"a", three()}, b{"b", three()}, c{"c", three()};
  for (int i = 0; i < 500; ++i) {
    auto key = "room-" + std::to_string(i);
    CAF_CHECK_EQUAL(a.home_of(key).id, b.home_of(key).id);
    CAF_CHECK_EQUAL(b.home_of(key).id, c.home_of(key).id);
    CAF_CHECK_EQUAL(a.is_home(key) + b.is_home(key) + c.is_home(key), 1);
  }
  // Fixed by the hash, not by the build: a known answer.
  CAF_CHECK_EQUAL(cluster_map::score("a", "lobby"), cluster_map::score("a", "lobby"));
  CAF_CHECK_NOT_EQUAL(cluster_map::score("ab", "c"), cluster_map::score("a", "bc"));
}

CAF_TEST(homes spread evenly over the nodes) {
  cluster_map m{"a", three()};
  std::map<std::string, int> count;
  for (int i = 0; i < 3000; ++i)
    ++count[m.home_of("r" + std::to_string(i)).id];
  for (auto& [id, n] : count) {
    CAF_MESSAGE(id << ": " << n);
    CAF_CHECK_GREATER(n, 800);  // 1000 each on average
    CAF_CHECK_LESS(n, 1200);
  }
}

CAF_TEST(a node that leaves moves only its own keys) {
  cluster_map all{"a", three()};
  cluster_map two{"a", {{"a", "127.0.0.1", 7101}, {"b", "127.0.0.1", 7102}}};
  for (int i = 0; i < 1000; ++i) {
    auto key = "r" + std::to_string(i);
    if (all.home_of(key).id != "c")
      CAF_CHECK_EQUAL(two.home_of(key).id, all.home_of(key).id);
  }
}

CAF_TEST(without a node list this node is home to everything) {
  cluster_map none;
  CAF_CHECK(!none.enabled());
  CAF_CHECK(none.is_home("anything"));
}

CAF_TEST(node entries are parsed or refused with a reason) {
  std::string why;
  auto n = parse_node("node-1=10.0.0.5:7101", why);
  CAF_REQUIRE(n.has_value());
  CAF_CHECK_EQUAL(n->id, "node-1");
  CAF_CHECK_EQUAL(n->host, "10.0.0.5");
  CAF_CHECK_EQUAL(n->port, 7101u);
  auto v6 = parse_node("x=[::1]:9", why);
  CAF_REQUIRE(v6.has_value());
  CAF_CHECK_EQUAL(v6->host, "::1");
  for (auto bad : {"", "=h:1", "a", "a=h", "a=:1", "a=h:0", "a=h:x", "a=h:70000", "a/b=h:1"}) {
    why.clear();
    CAF_CHECK(!parse_node(bad, why).has_value());
    CAF_CHECK(!why.empty());
  }
}
