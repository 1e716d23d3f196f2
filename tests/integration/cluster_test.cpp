// cluster (docs/CLUSTER.md): three actorchat processes on 127.0.0.1, each with its own store,
// chat port and cluster port, configured with the same node list. Clients on any node share a
// room (same messages, order and seqs; same presence and who-lists), nicknames are unique across
// the nodes, history and resume work through a relay; when a room's home is killed (-9) the
// others get room_unavailable for that room while other rooms go on, and once it is back every
// client has every message exactly once. A node that restarts rejoins by itself.
#define CAF_SUITE cluster
#include "fixture.hpp"

#include "config/cluster_map.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <map>
#include <set>

using namespace actorchat::itest;
namespace json = boost::json;

namespace {

/// A port that was free on 127.0.0.1 a moment ago (the kernel's pick for port 0).
uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0
      && ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  if (fd >= 0)
    ::close(fd);
  return port;
}

/// The messages of `room` in `peer`'s backlog, taken out, in arrival order.
std::vector<json::object> take_messages(chat_peer& peer, const std::string& room) {
  return peer.take([&](const json::object& obj) {
    return type_of(obj) == "message" && get_string(obj, "room") == room;
  });
}

struct cluster_fixture : server_fixture {
  static constexpr std::array<const char*, 3> ids{"a", "b", "c"};

  std::array<uint16_t, 3> cluster_ports{};
  std::array<server_process*, 3> nodes{};
  std::string nodes_arg;
  actorchat::cluster_map map;

  cluster_fixture() {
    std::vector<actorchat::node_address> list;
    nodes_arg = "--chat.cluster.nodes=[";
    for (size_t i = 0; i < ids.size(); ++i) {
      cluster_ports[i] = free_port();
      list.push_back(actorchat::node_address{ids[i], "127.0.0.1", cluster_ports[i]});
      nodes_arg += std::string{i > 0 ? "," : ""} + "\"" + ids[i] + "=127.0.0.1:"
                   + std::to_string(cluster_ports[i]) + "\"";
    }
    nodes_arg += "]";
    map = actorchat::cluster_map{"a", list};
  }

  /// Starts node `i` (again, after a kill: same store, new chat port).
  server_process& start_node(size_t i) {
    auto& proc = start_server({"--chat.store-path=" + dir().file(std::string{ids[i]} + ".db"),
                               "--chat.cluster.node-id=" + std::string{ids[i]}, nodes_arg,
                               "--chat.cluster.reconnect-min=100ms",
                               "--chat.cluster.reconnect-max=500ms", "--chat.rate-limit=0"});
    nodes[i] = &proc;
    return proc;
  }

  void start_all() {
    for (size_t i = 0; i < ids.size(); ++i)
      start_node(i);
    for (size_t i = 0; i < ids.size(); ++i)
      wait_peers(i, 2);
  }

  /// Waits until node `i`'s /healthz shows `up` peers up (bounded).
  void wait_peers(size_t i, size_t up) {
    std::string body;
    for (int attempt = 0; attempt < 100; ++attempt) {
      body = http_request(nodes[i]->port(), "GET", "/healthz").body;
      size_t n = 0;
      for (auto pos = body.find("\"up\""); pos != std::string::npos;
           pos = body.find("\"up\"", pos + 1))
        ++n;
      if (n == up)
        return;
      std::this_thread::sleep_for(milliseconds{100});
    }
    ITEST_FAIL("node " << ids[i] << " never had " << up << " peers up: " << body);
  }

  size_t index_of(const std::string& id) {
    for (size_t i = 0; i < ids.size(); ++i)
      if (ids[i] == id)
        return i;
    ITEST_FAIL("no node " << id);
  }

  /// The node that is home to `room` (as every node computes it).
  size_t home_of(const std::string& room) { return index_of(map.home_of(room).id); }

  /// The first of prefix-1, prefix-2, ... whose home is node `i`.
  std::string room_homed_at(size_t i, const std::string& prefix) {
    for (int n = 1; n < 1000; ++n) {
      auto room = prefix + "-" + std::to_string(n);
      if (home_of(room) == i)
        return room;
    }
    ITEST_FAIL("no room homed at " << ids[i]);
  }

  uint16_t port_of(size_t i) { return nodes[i]->port(); }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(cluster_tests, cluster_fixture)

ITEST_CASE(clients on three nodes see every message once in the same order with the same seq) {
  start_all();
  auto room = room_homed_at(0, "r");
  std::vector<chat_peer> peers;
  for (size_t i = 0; i < 3; ++i) {
    peers.push_back(connect_peer(port_of(i), std::string{"on "} + ids[i], no_autojoin));
    peers.back().join(room, json_id("j" + std::to_string(i)));
  }
  // Every client, on every node, sees its own join and those after it, with the cluster-wide
  // count.
  for (size_t k = 0; k < 3; ++k)
    for (size_t i = k; i < 3; ++i)
      peers[k].expect_presence(room, "join", peers[i].nick, static_cast<int64_t>(i + 1));
  // Each node's client says 5 messages, all sent before any reply is awaited.
  std::vector<int64_t> seqs;
  for (size_t i = 0; i < 3; ++i) {
    auto mine = peers[i].say_many(room, std::string{ids[i]} + "-", 1, 5);
    seqs.insert(seqs.end(), mine.begin(), mine.end());
  }
  std::sort(seqs.begin(), seqs.end());
  CAF_CHECK_EQUAL(show(seqs), show(seq_range(1, 15)));
  std::vector<std::string> reference;
  for (auto& p : peers) {
    std::vector<std::string> texts;
    for (int64_t seq = 1; seq <= 15; ++seq)
      texts.push_back(std::to_string(seq) + ":" + get_string(p.expect_message(room, seq), "text"));
    p.sync();
    auto extra = take_messages(p, room);
    CAF_MESSAGE(p.label << ": " << show(texts));
    CAF_CHECK_EQUAL(extra.size(), 0u);
    if (reference.empty())
      reference = texts;
    else
      CAF_CHECK_EQUAL(show(texts), show(reference));
  }
  // who and the counts agree everywhere.
  std::vector<std::string> expected{peers[0].nick, peers[1].nick, peers[2].nick};
  std::sort(expected.begin(), expected.end());
  for (size_t i = 0; i < 3; ++i)
    CAF_CHECK_EQUAL(show(peers[i].who(room, json_id("w" + std::to_string(i)))), show(expected));
  // A leave on one node reaches the others with the new count.
  peers[2].leave(room, "l2");
  peers[0].expect_presence(room, "leave", peers[2].nick, 2);
  peers[1].expect_presence(room, "leave", peers[2].nick, 2);
  CAF_CHECK_EQUAL(show(peers[1].who(room, "w-after")),
                  show(std::vector<std::string>{std::min(peers[0].nick, peers[1].nick),
                                                std::max(peers[0].nick, peers[1].nick)}));
}

ITEST_CASE(nicknames are unique across the cluster and default ones name their node) {
  start_all();
  auto a = connect_peer(port_of(0), "A", no_autojoin);
  auto b = connect_peer(port_of(1), "B", no_autojoin);
  auto c = connect_peer(port_of(2), "C", no_autojoin);
  CAF_CHECK_EQUAL(a.nick.rfind("guest-a-", 0), 0u);
  CAF_CHECK_EQUAL(b.nick.rfind("guest-b-", 0), 0u);
  // Several names, so that their homes fall on different nodes.
  for (auto name : {"alice", "bob", "carol", "dave", "erin", "frank"}) {
    a.rename(name, json_id(std::string{"n-"} + name));
    b.send(json::object{{"type", "nick"}, {"nick", name}, {"id", "b"}});
    b.expect_error("nick_taken", "b");
    std::string upper = name;
    for (auto& ch : upper)
      ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    c.send(json::object{{"type", "nick"}, {"nick", upper}, {"id", "c"}});
    c.expect_error("nick_taken", "c");
  }
  // Given up (A renames again, or goes away), a name is free for anyone on any node.
  a.rename("zed", "n-zed");
  b.rename("frank", "b-frank");
  CAF_CHECK(a.ws.close());
  c.settle(milliseconds{300});
  for (int attempt = 0;; ++attempt) {
    c.send(json::object{{"type", "nick"}, {"nick", "zed"}, {"id", attempt}});
    auto r = c.reply(attempt);
    if (type_of(r) == "nick")
      break;
    ITEST_REQUIRE(attempt < 20); // the registry learns of A's end from its node
    std::this_thread::sleep_for(milliseconds{100});
  }
}

ITEST_CASE(a nickname stays taken when the node that keeps it restarts) {
  start_all();
  // A name kept at node c, held by a client on node a.
  std::string name;
  for (int n = 1; name.empty() && n < 1000; ++n)
    if (home_of("held" + std::to_string(n)) == 2)
      name = "held" + std::to_string(n);
  auto a = connect_peer(port_of(0), "A on a", no_autojoin);
  a.rename(name, "n1");
  nodes[2]->signal(SIGKILL);
  ITEST_REQUIRE(nodes[2]->wait_exit(milliseconds{5000}).has_value());
  // While c is down nobody can take a name it keeps.
  auto b = connect_peer(port_of(1), "B on b", no_autojoin);
  b.send(json::object{{"type", "nick"}, {"nick", name}, {"id", "down"}});
  b.expect_error("nick_unavailable", "down");
  start_node(2);
  for (size_t i = 0; i < 3; ++i)
    wait_peers(i, 2);
  // c forgot it, but a claimed it again when its link to c came back.
  b.send(json::object{{"type", "nick"}, {"nick", name}, {"id", "up"}});
  b.expect_error("nick_taken", "up");
}

ITEST_CASE(history and resume work through a relay) {
  start_all();
  auto room = room_homed_at(2, "h");
  auto writer = connect_peer(port_of(0), "writer on a", no_autojoin);
  writer.join(room, "jw");
  writer.say_many(room, "m", 1, 8);
  auto reader = connect_peer(port_of(1), "reader on b", no_autojoin);
  auto joined = reader.join(room, "jr");
  CAF_CHECK_EQUAL(get_int(joined, "last_seq").value_or(-1), 8);
  for (int64_t seq = 1; seq <= 8; ++seq) // the replay, from the relay's history
    reader.expect_message(room, seq, "m" + std::to_string(seq));
  auto page = reader.history(room, 6, 3, "h1");
  CAF_CHECK_EQUAL(show(seqs_of(history_messages(page))), show(seq_range(3, 5)));
  // A reader on a third node resumes after 5.
  auto late = connect_peer(port_of(0), "late on a", no_autojoin);
  auto resumed = late.resume(room, 5, "r1");
  CAF_CHECK_EQUAL(get_int(resumed, "last_seq").value_or(-1), 8);
  CAF_CHECK_EQUAL(get_bool(resumed, "complete").value_or(false), true);
  for (int64_t seq = 6; seq <= 8; ++seq)
    late.expect_message(room, seq, "m" + std::to_string(seq));
  writer.say(room, "m9", "s9");
  reader.expect_message(room, 9, "m9");
  late.expect_message(room, 9, "m9");
}

ITEST_CASE(a killed home makes its rooms unavailable and every client resumes without a gap) {
  start_all();
  auto room = room_homed_at(2, "k");     // home: c, which is killed
  auto other = room_homed_at(1, "live"); // home: b, which stays
  auto a1 = connect_peer(port_of(0), "a1", no_autojoin);
  auto b1 = connect_peer(port_of(1), "b1", no_autojoin);
  auto c1 = connect_peer(port_of(2), "c1 (on the home)", no_autojoin);
  for (auto* p : {&a1, &b1, &c1})
    p->join(room, "j");
  a1.join(other, "jo");
  b1.join(other, "jo");
  // Mid-stream: a1 says 1..5 (all out), then 6..40 without waiting, and c is killed while
  // those travel.
  a1.say_many(room, "s", 1, 5);
  for (int n = 6; n <= 40; ++n)
    a1.send(json::object{{"type", "say"}, {"room", room}, {"text", "s" + std::to_string(n)},
                         {"id", "s" + std::to_string(n)}});
  std::this_thread::sleep_for(milliseconds{3});
  nodes[2]->signal(SIGKILL);
  ITEST_REQUIRE(nodes[2]->wait_exit(milliseconds{5000}).has_value());
  // Each of a1's says got an answer: sent, or room_unavailable (it may have been stored).
  int64_t sent_last = 5;
  for (int n = 6; n <= 40; ++n) {
    auto r = a1.reply(json_id("s" + std::to_string(n)));
    if (type_of(r) == "sent")
      sent_last = std::max(sent_last, get_int(r, "seq").value_or(0));
    else
      CAF_CHECK_EQUAL(get_string(r, "code"), "room_unavailable");
  }
  CAF_MESSAGE("sent before the kill: up to seq " << sent_last);
  // Both remaining clients are told the room is unavailable...
  for (auto* p : {&a1, &b1}) {
    auto notice = p->expect_error_without_id("room_unavailable");
    CAF_CHECK_EQUAL(get_string(notice, "room"), room);
  }
  // ... a say there is refused at once, and the other room goes on.
  b1.send(json::object{{"type", "say"}, {"room", room}, {"text", "while down"}, {"id", "wd"}});
  b1.expect_error("room_unavailable", "wd");
  auto sent = a1.say(other, "still here", "o1");
  b1.expect_message(other, get_int(sent, "seq").value_or(-1), "still here");
  // c comes back (same store): the relays attach again, members get "resumed" and what they
  // missed, live traffic goes on.
  start_node(2);
  wait_peers(0, 2);
  wait_peers(1, 2);
  wait_peers(2, 2);
  for (auto* p : {&a1, &b1})
    p->expect("resumed", room, milliseconds{10000});
  // c1 was on the killed node: it reconnects elsewhere and resumes from what it has.
  c1.settle(milliseconds{100});
  int64_t c1_last = 0;
  for (auto& m : take_messages(c1, room))
    c1_last = std::max(c1_last, get_int(m, "seq").value_or(0));
  auto c2 = connect_peer(port_of(0), "c1 again, on a", no_autojoin);
  c2.resume(room, c1_last, "rc");
  auto last = a1.say(room, "after", "after");
  auto last_seq = get_int(last, "seq").value_or(-1);
  CAF_MESSAGE("last seq after the restart: " << last_seq);
  CAF_CHECK(last_seq > sent_last);
  // Every client has every message of the room exactly once, in order: 1..last_seq.
  for (auto* p : {&a1, &b1, &c2}) {
    p->await([&](const json::object& o) {
               return type_of(o) == "message" && get_string(o, "room") == room
                      && get_int(o, "seq").value_or(-1) == last_seq;
             },
             "the last message", milliseconds{10000});
  }
  auto check = [&](chat_peer& p, std::vector<json::object> before, int64_t from) {
    // `before`: what p had already taken out of its backlog for this room.
    auto rest = take_messages(p, room);
    before.insert(before.end(), rest.begin(), rest.end());
    std::vector<int64_t> got;
    for (auto& m : before)
      got.push_back(get_int(m, "seq").value_or(-1));
    CAF_MESSAGE(p.label << " got " << show(got));
    // The last message was awaited (taken), so it is not among them: 1..last_seq-1.
    CAF_CHECK_EQUAL(show(got), show(seq_range(from, last_seq - 1)));
  };
  check(a1, {}, 1);
  check(b1, {}, 1);
  check(c2, {}, c1_last + 1);
}

CAF_TEST_FIXTURE_SCOPE_END()
